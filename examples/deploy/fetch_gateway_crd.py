"""Download the published Gateway API HTTPRoute schema, for checking routes against the real CRD.

The course ships its own schema of the HTTPRoute subset it checks
(``k8s/schemas/gateway-api/httproute-v1.yaml``). A maintainer with network access can check against
the published CRD instead: this script downloads the release's ``standard-install.yaml`` from
github.com/kubernetes-sigs/gateway-api/releases, takes the ``openAPIV3Schema`` of HTTPRoute ``v1``
and writes it to ``k8s/schemas/gateway-api/httproute-v1.published.json`` (git-ignored: it is not
committed). ``check_manifests.py`` uses that file when it exists and says which schema it used.

    python examples/deploy/fetch_gateway_crd.py            # v1.3.0
    python examples/deploy/fetch_gateway_crd.py v1.3.0
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

GATEWAY_API_VERSION = "v1.3.0"
RELEASE_URL = "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/standard-install.yaml"
HTTPROUTE_CRD = "httproutes.gateway.networking.k8s.io"
PUBLISHED_SCHEMA = Path(__file__).resolve().parent / "k8s" / "schemas" / "gateway-api" / "httproute-v1.published.json"


class FetchError(RuntimeError):
    """The release could not be downloaded or holds no HTTPRoute v1 schema; the message says which."""


def httproute_schema(install_yaml: str, source: str) -> dict[str, Any]:
    """The ``openAPIV3Schema`` of HTTPRoute ``v1`` in a Gateway API install file (several YAML documents).

    Raises:
        FetchError: The file has no HTTPRoute CRD, or that CRD has no ``v1`` version with a schema.
    """
    try:
        documents = list(yaml.safe_load_all(install_yaml))
    except yaml.YAMLError as error:
        raise FetchError(f"{source} is not YAML: {' '.join(str(error).split())}") from None
    for document in documents:
        if not isinstance(document, dict) or document.get("kind") != "CustomResourceDefinition":
            continue
        if (document.get("metadata") or {}).get("name") != HTTPROUTE_CRD:
            continue
        for version in (document.get("spec") or {}).get("versions") or []:
            schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
            if version.get("name") == "v1" and isinstance(schema, dict):
                bundle = ((document.get("metadata") or {}).get("annotations") or {}).get(
                    "gateway.networking.k8s.io/bundle-version", "unknown")
                return {"$comment": f"HTTPRoute v1 openAPIV3Schema from {source} (bundle-version {bundle}); "
                                    f"downloaded by fetch_gateway_crd.py, not committed", **schema}
        raise FetchError(f"{source}: the {HTTPROUTE_CRD} CRD has no v1 version with an openAPIV3Schema")
    raise FetchError(f"{source} has no CustomResourceDefinition {HTTPROUTE_CRD}: is it a Gateway API install file?")


def fetch(version: str = GATEWAY_API_VERSION, target: Path = PUBLISHED_SCHEMA) -> Path:
    """Download the release's standard-install.yaml and write its HTTPRoute v1 schema to ``target``.

    Raises:
        FetchError: The download failed or the file holds no HTTPRoute v1 schema.
    """
    url = RELEASE_URL.format(version=version)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            text = response.read().decode("utf-8")
    except (urllib.error.URLError, TimeoutError, UnicodeDecodeError) as error:
        raise FetchError(f"cannot download {url}: {error}: check the version and the network") from None
    schema = httproute_schema(text, url)
    target.write_text(json.dumps(schema, indent=1) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: ``[VERSION]`` (default v1.3.0); exit 0 when written, 1 when not."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) > 1 or (arguments and not arguments[0].startswith("v")):
        print("error: pass at most one release tag, e.g. v1.3.0", file=sys.stderr)
        return 1
    try:
        target = fetch(*arguments)
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {target}; check_manifests.py now checks HTTPRoutes against it (delete it to use the course's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
