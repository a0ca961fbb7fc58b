"""Offline checks of the Kubernetes manifests in ``examples/deploy/k8s``: render, validate, police.

No cluster needed. Each overlay is rendered with ``kubectl kustomize``; every core object is
validated with kubernetes-validate (strict: unknown fields are errors) for each Kubernetes version
in ``KUBERNETES_VERSIONS``; HTTPRoutes are validated against the course's own schema of the
HTTPRoute subset it uses (``k8s/schemas/gateway-api/httproute-v1.yaml``, written from the Gateway API
reference; not the CRD's CEL rules), or against the published CRD's schema when
``fetch_gateway_crd.py`` has downloaded it; then the course's rules are checked on
the rendered objects (probes on the service's own paths and port, requests and limits, a non-root
read-only container, the API key only from a Secret, settings that are real ``CHURN_*`` variables,
selectors that select the pods, NetworkPolicies that let in the service port and let out DNS
and the tracking server, route weights that add up to 100 and point at existing Services).
The source tree is scanned for committed secret values.

    python examples/deploy/check_manifests.py                    # every overlay and the Dagster values
    python examples/deploy/check_manifests.py examples/deploy/k8s/overlays/production

Every problem is one line: the file it comes from, the object, the rule and how to fix it. Exit
status 0 when all checks pass, 1 when one fails, 2 when the manifests cannot be rendered at all.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEPLOY_ROOT = Path(__file__).resolve().parent / "k8s"
DAGSTER_ROOT = Path(__file__).resolve().parent / "dagster"
DAGSTER_MODULE = "churn.pipeline.definitions"
# The three minor versions the Kubernetes project supports in December 2026 are 1.35-1.37; the
# oldest and the newest are checked (kubernetes-validate 1.37.0 ships schemas up to 1.37).
KUBERNETES_VERSIONS = ("1.35.0", "1.37.0")
GATEWAY_GROUP = "gateway.networking.k8s.io"
HTTPROUTE_SCHEMA = Path("schemas/gateway-api/httproute-v1.yaml")  # the course's own subset
# Written by fetch_gateway_crd.py from the release's standard-install.yaml; git-ignored, preferred when present.
PUBLISHED_HTTPROUTE_SCHEMA = Path("schemas/gateway-api/httproute-v1.published.json")
ROUTE_WEIGHT_TOTAL = 100
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


class RenderError(RuntimeError):
    """``kubectl kustomize`` failed or is missing; the message names the overlay."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it comes from, which object, which rule, what to do."""

    source: str
    obj: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.source}: {self.obj}: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class Rendered:
    """One overlay's rendered objects and, for each, the file (or kustomization) it came from."""

    overlay: Path
    objects: list[dict[str, Any]]
    sources: list[str]


# --- what the service itself says -------------------------------------------------------------


@cache
def service_contract() -> dict[str, Any]:
    """The probe paths, port and settings names, read from the churn service's own code."""
    from churn.cli import build_parser
    from churn.service.routes import build_router
    from churn.service.settings import ENVIRONMENT_VARIABLES, ServiceSettings

    routes = build_router(ServiceSettings(api_key="contract-check")).routes
    by_role = {role: [route.path for route in routes if role in (getattr(route, "summary", "") or "").lower()]
               for role in ("liveness", "readiness")}
    return {"liveness": by_role["liveness"][0], "readiness": by_role["readiness"][0],
            "port": build_parser().parse_args(["serve"]).port,
            "settings": frozenset(ENVIRONMENT_VARIABLES.values()), "api_key": ENVIRONMENT_VARIABLES["api_key"],
            "test_only": frozenset({ENVIRONMENT_VARIABLES["predictor"]})}


# --- rendering ---------------------------------------------------------------------------------


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else to ``root``'s parent."""
    path = path.resolve()
    for base in (Path.cwd(), root.resolve().parent):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def render(overlay: Path, root: Path = DEPLOY_ROOT) -> Rendered:
    """Render ``overlay`` with ``kubectl kustomize``, remembering each object's source file.

    The overlay is wrapped in a temporary kustomization that turns on kustomize's origin
    annotations, so the overlay itself needs no build metadata; the annotations are removed again.

    Raises:
        RenderError: kubectl is missing or kustomize rejected the overlay (its message is kept).
    """
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RenderError("kubectl is not installed: install it (kustomize is built in) to render the overlays")
    with tempfile.TemporaryDirectory(prefix="kustomize-wrap-") as wrapper:
        relative = os.path.relpath(overlay.resolve(), wrapper)
        Path(wrapper, "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": [relative], "buildMetadata": ["originAnnotations"]}), encoding="utf-8")
        result = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", wrapper],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            message = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
            raise RenderError(f"{display_path(overlay, root)}: kustomize failed: {message}")
        objects, sources = [], []
        for obj in yaml.safe_load_all(result.stdout):
            if not obj:
                continue
            sources.append(_pop_origin(obj, Path(wrapper), overlay, root))
            objects.append(obj)
    return Rendered(overlay, objects, sources)


def _pop_origin(obj: dict[str, Any], wrapper: Path, overlay: Path, root: Path) -> str:
    """Remove the origin annotation from ``obj`` and return the source file it names."""
    metadata = obj.setdefault("metadata", {})
    annotations = metadata.get("annotations") or {}
    origin = yaml.safe_load(annotations.pop(ORIGIN_ANNOTATION, "") or "") or {}
    if not annotations:
        metadata.pop("annotations", None)
    relative = origin.get("path") or origin.get("configuredIn")
    if not relative:
        return display_path(overlay / "kustomization.yaml", root)
    # kustomize writes the path relative to the wrapper: normalise it there, then from the real root.
    return display_path(Path(posixpath.normpath(posixpath.join(str(wrapper), relative))), root)


def overlays(root: Path = DEPLOY_ROOT) -> list[Path]:
    """Every overlay directory under ``root/overlays`` (one with a kustomization.yaml)."""
    return sorted(path.parent for path in (root / "overlays").glob("*/kustomization.yaml"))


# --- schema validation -------------------------------------------------------------------------


def name_of(obj: Mapping[str, Any]) -> str:
    """``Kind/name`` of an object, as messages name it."""
    return f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"


@cache
def kubernetes_validator(version: str, api_version: str, kind: str) -> Any:
    """A strict JSON Schema validator for one kind, from kubernetes-validate's schemas, built once.

    ``kubernetes_validate.validate`` reads the version's multi-megabyte definitions file again for
    every object; the checks validate about 40 objects for two versions, so the validator is kept.
    The schema files are looked up as ``kubernetes_validate.validate`` looks them up.

    Raises:
        kubernetes_validate.SchemaNotFoundError: The version has no such kind in that API version.
    """
    import re

    import jsonschema
    import kubernetes_validate
    from kubernetes_validate.utils import all_versions, major_minor, schema_contents
    from referencing import Registry, Resource

    wanted = major_minor(version)
    schema_version = [known for known in all_versions() if major_minor(known) <= wanted][-1]
    folder = f"kubernetes-json-schema/v{schema_version}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", version)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=wanted, kind=kind, api_version=api_version) from None
    registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(schema_contents(f"{folder}/_definitions.json", version)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def check_kubernetes_schema(obj: dict[str, Any], source: str,
                            versions: Iterable[str] = KUBERNETES_VERSIONS) -> list[Problem]:
    """Validate one core object with kubernetes-validate's strict schemas for each Kubernetes version."""
    import jsonschema
    import kubernetes_validate

    problems = []
    for version in versions:
        label = f"Kubernetes {version.rsplit('.', 1)[0]} schema"
        try:
            validator = kubernetes_validator(version, str(obj.get("apiVersion")), str(obj.get("kind")))
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(Problem(source, name_of(obj), label,
                                    f"no {obj.get('kind')} in {obj.get('apiVersion')}: a removed or misspelt API "
                                    f"version (HPA is autoscaling/v2, PDB policy/v1)"))
            continue
        error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
        if error is not None:
            field = ".".join(str(part) for part in error.path) or "(top level)"
            problems.append(Problem(source, name_of(obj), label, f"{field}: {error.message}"))
    return problems


def strict_schema(schema: Any) -> Any:
    """A copy of an OpenAPI schema in which objects with listed properties reject unknown fields.

    The API server prunes or (with kubectl's default strict field validation) rejects unknown
    fields; plain JSON Schema would accept them, so a misspelt ``weigth`` would pass.
    """
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {key: strict_schema(value) for key, value in schema.items()}
    if ("properties" in copy and "additionalProperties" not in copy
            and not copy.get("x-kubernetes-preserve-unknown-fields")):
        copy["additionalProperties"] = False
    return copy


def httproute_schema_file(root: Path = DEPLOY_ROOT) -> tuple[Path, str]:
    """The HTTPRoute schema to check against and a label naming it.

    The published CRD's schema when ``fetch_gateway_crd.py`` has written it under ``root``; the
    course's own schema of the subset it uses otherwise.
    """
    published = root / PUBLISHED_HTTPROUTE_SCHEMA
    if published.is_file():
        return published, f"the published Gateway API CRD schema ({PUBLISHED_HTTPROUTE_SCHEMA})"
    return root / HTTPROUTE_SCHEMA, f"the course's HTTPRoute subset schema ({HTTPROUTE_SCHEMA})"


@cache
def httproute_validator(root: Path = DEPLOY_ROOT) -> Any:
    """A JSON Schema validator for HTTPRoute, from the file ``httproute_schema_file`` picks."""
    import jsonschema

    path, _ = httproute_schema_file(root)
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))  # the published file is JSON, a subset of YAML
    return jsonschema.Draft202012Validator(strict_schema(schema))


def check_gateway_schema(obj: dict[str, Any], source: str, root: Path = DEPLOY_ROOT) -> list[Problem]:
    """Validate a Gateway API object against the HTTPRoute schema (the only Gateway API kind checked)."""
    if obj.get("kind") != "HTTPRoute" or obj.get("apiVersion") != f"{GATEWAY_GROUP}/v1":
        return [Problem(source, name_of(obj), "Gateway API schema",
                        f"no schema for {obj.get('apiVersion')} {obj.get('kind')}: use "
                        f"{GATEWAY_GROUP}/v1 HTTPRoute or add a schema for that kind")]
    problems = []
    for error in sorted(httproute_validator(root).iter_errors(obj), key=lambda error: list(error.path)):
        field = ".".join(str(part) for part in error.path) or "(top level)"
        problems.append(Problem(source, name_of(obj), "Gateway API HTTPRoute schema", f"{field}: {error.message}"))
    return problems


# --- policy on the rendered objects ------------------------------------------------------------


def selects(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """Whether a non-empty label selector (matchLabels form) selects objects with ``labels``."""
    labels = labels or {}
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def pod_labels(deployment: Mapping[str, Any]) -> dict[str, str]:
    """The labels of a Deployment's pods."""
    return ((deployment.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}


def _policy(source: str, obj: Mapping[str, Any], rule: str, detail: str) -> Problem:
    return Problem(source, name_of(obj), rule, detail)


def check_probes(container: Mapping[str, Any], obj: Mapping[str, Any], source: str) -> list[Problem]:
    """Startup and liveness probes on the liveness path, readiness on the readiness path, all on the port."""
    contract = service_contract()
    ports = {port.get("name"): port.get("containerPort") for port in container.get("ports") or []}
    wanted = {"startupProbe": contract["liveness"], "livenessProbe": contract["liveness"],
              "readinessProbe": contract["readiness"]}
    problems = []
    if contract["port"] not in ports.values():
        problems.append(_policy(source, obj, "container port",
                                f"container {container.get('name')} must expose containerPort {contract['port']} "
                                f"(churn serve's port)"))
    command = [*(container.get("command") or []), *(container.get("args") or [])]
    if "--port" in command[:-1] and str(command[command.index("--port") + 1]) != str(contract["port"]):
        problems.append(_policy(source, obj, "container port",
                                f"command passes --port {command[command.index('--port') + 1]} but the probes "
                                f"and Service use {contract['port']}"))
    for probe_name, path in wanted.items():
        probe = container.get(probe_name)
        if not probe:
            problems.append(_policy(source, obj, "probes",
                                    f"container {container.get('name')} has no {probe_name}: add an httpGet "
                                    f"probe on {path}"))
            continue
        http = probe.get("httpGet") or {}
        port = ports.get(http.get("port"), http.get("port"))
        if http.get("path") != path or port != contract["port"]:
            problems.append(_policy(source, obj, "probes",
                                    f"{probe_name} must be httpGet {path} on port {contract['port']} "
                                    f"(got {http.get('path')!r} on {http.get('port')!r})"))
    return problems


def check_resources(container: Mapping[str, Any], obj: Mapping[str, Any], source: str) -> list[Problem]:
    """CPU and memory requests and limits are all set."""
    resources = container.get("resources") or {}
    missing = [f"{kind}.{resource}" for kind in ("requests", "limits") for resource in ("cpu", "memory")
               if not (resources.get(kind) or {}).get(resource)]
    return [_policy(source, obj, "requests and limits",
                    f"container {container.get('name')} sets no {', '.join(missing)}")] if missing else []


def check_security(container: Mapping[str, Any], pod: Mapping[str, Any], obj: Mapping[str, Any],
                   source: str) -> list[Problem]:
    """Non-root (numeric UID), no privilege escalation, read-only root filesystem, capabilities dropped."""
    own, pod_level = container.get("securityContext") or {}, pod.get("securityContext") or {}
    name = container.get("name")
    problems = []
    if own.get("runAsNonRoot", pod_level.get("runAsNonRoot")) is not True:
        problems.append(_policy(source, obj, "runAsNonRoot", f"container {name} must run with runAsNonRoot: true"))
    uid = own.get("runAsUser", pod_level.get("runAsUser"))
    if not isinstance(uid, int) or uid == 0:
        problems.append(_policy(source, obj, "runAsUser",
                                f"container {name} needs a numeric non-zero runAsUser (the image's USER 10001)"))
    if own.get("allowPrivilegeEscalation") is not False:
        problems.append(_policy(source, obj, "allowPrivilegeEscalation",
                                f"container {name} must set allowPrivilegeEscalation: false"))
    if own.get("readOnlyRootFilesystem") is not True:
        problems.append(_policy(source, obj, "readOnlyRootFilesystem",
                                f"container {name} must set readOnlyRootFilesystem: true"))
    if "ALL" not in ((own.get("capabilities") or {}).get("drop") or []):
        problems.append(_policy(source, obj, "capabilities", f"container {name} must drop ALL capabilities"))
    return problems


def container_environment(container: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]]
                          ) -> dict[str, str]:
    """The literal environment a container gets: its ConfigMaps (envFrom), then its own ``value`` entries."""
    environment: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        environment.update(configmaps.get((source.get("configMapRef") or {}).get("name"), {}))
    for variable in container.get("env") or []:
        if "value" in variable:
            environment[variable["name"]] = str(variable["value"])
    return environment


def check_settings(container: Mapping[str, Any], obj: Mapping[str, Any], source: str,
                   configmaps: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """ConfigMaps exist and hold real settings with valid values; the API key comes from a Secret."""
    from churn.service.settings import ServiceSettings, SettingsError

    contract = service_contract()
    name = container.get("name")
    problems = []
    for reference in container.get("envFrom") or []:
        configmap = (reference.get("configMapRef") or {}).get("name")
        if configmap and configmap not in configmaps:
            problems.append(_policy(source, obj, "settings ConfigMap",
                                    f"container {name} reads ConfigMap {configmap}, which the overlay does not render"))
    environment = container_environment(container, configmaps)
    for variable in sorted(environment):
        if variable.startswith("CHURN_") and variable not in contract["settings"]:
            problems.append(_policy(source, obj, "settings",
                                    f"{variable} is not a setting of churn.service.settings (known: "
                                    f"{', '.join(sorted(contract['settings']))})"))
        elif variable in contract["test_only"]:
            problems.append(_policy(source, obj, "settings", f"{variable} is for tests only: remove it"))
    if contract["api_key"] in environment:
        problems.append(_policy(source, obj, "API key from a Secret",
                                f"{contract['api_key']} has a literal value: take it from a Secret (secretKeyRef)"))
    key = next((variable for variable in container.get("env") or [] if variable.get("name") == contract["api_key"]),
               None)
    if key is None or not ((key.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name"):
        problems.append(_policy(source, obj, "API key from a Secret",
                                f"container {name} must set {contract['api_key']} from a secretKeyRef"))
    known = {variable: value for variable, value in environment.items() if variable in contract["settings"]}
    try:
        ServiceSettings.from_env({**known, contract["api_key"]: "placeholder"})
    except SettingsError as error:
        problems.append(_policy(source, obj, "settings values", str(error)))
    return problems


def check_writable_paths(container: Mapping[str, Any], pod: Mapping[str, Any], obj: Mapping[str, Any],
                         source: str, configmaps: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """/tmp and the prediction log's directory are writable volumes (the root filesystem is read-only)."""
    volumes = {volume.get("name"): volume for volume in pod.get("volumes") or []}
    mounts = [mount for mount in container.get("volumeMounts") or []
              if not mount.get("readOnly") and ({"emptyDir", "persistentVolumeClaim", "ephemeral"}
                                                & set(volumes.get(mount.get("name"), {})))]
    log = container_environment(container, configmaps).get("CHURN_PREDICTION_LOG", "prediction_log.jsonl")
    needed = {"/tmp": "temporary files", posixpath.dirname(log) or ".": "CHURN_PREDICTION_LOG"}
    problems = []
    for path, why in needed.items():
        if not any(path == mount["mountPath"].rstrip("/") or path.startswith(mount["mountPath"].rstrip("/") + "/")
                   for mount in mounts):
            problems.append(_policy(source, obj, "writable paths",
                                    f"{path} ({why}) is on the read-only root filesystem: mount a writable "
                                    f"emptyDir there (CHURN_PREDICTION_LOG must be an absolute path under a mount)"))
    return problems


def check_image(container: Mapping[str, Any], obj: Mapping[str, Any], source: str) -> list[Problem]:
    """The image is a registry path with a pinned tag or digest, not the base's placeholder or latest."""
    image = str(container.get("image", ""))
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    if "@sha256:" in image or ("/" in name and tag and tag != "latest"):
        return []
    return [_policy(source, obj, "image tag",
                    f"container {container.get('name')} runs {image!r}: map it to a registry image with a "
                    f"pinned tag (kustomize images: newName and newTag)")]


def check_deployment(obj: Mapping[str, Any], source: str, configmaps: Mapping[str, Mapping[str, str]]
                     ) -> list[Problem]:
    """Every rule on a Deployment's pod template."""
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    problems = []
    for container in pod.get("containers") or []:
        problems += check_probes(container, obj, source)
        problems += check_resources(container, obj, source)
        problems += check_security(container, pod, obj, source)
        problems += check_settings(container, obj, source, configmaps)
        problems += check_writable_paths(container, pod, obj, source, configmaps)
        problems += check_image(container, obj, source)
    return problems


def check_policy(rendered: Rendered) -> list[Problem]:
    """The course's rules across one rendered overlay (selectors, autoscaler, routes, secrets)."""
    by_kind: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for obj, source in zip(rendered.objects, rendered.sources, strict=True):
        by_kind.setdefault(obj.get("kind", ""), []).append((obj, source))
    deployments = by_kind.get("Deployment", [])
    configmaps = {obj["metadata"]["name"]: {key: str(value) for key, value in (obj.get("data") or {}).items()}
                  for obj, _ in by_kind.get("ConfigMap", [])}
    services = {obj["metadata"]["name"]: obj for obj, _ in by_kind.get("Service", [])}
    autoscaled = {((obj.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
                  for obj, _ in by_kind.get("HorizontalPodAutoscaler", [])}
    problems = []
    for obj, source in deployments:
        problems += check_deployment(obj, source, configmaps)
        if obj["metadata"]["name"] in autoscaled and "replicas" in obj.get("spec", {}):
            problems.append(_policy(source, obj, "replicas",
                                    "a HorizontalPodAutoscaler scales this Deployment: remove spec.replicas "
                                    "(every apply would reset the autoscaler's count)"))
    problems += check_services(by_kind.get("Service", []), deployments)
    problems += check_autoscalers(by_kind.get("HorizontalPodAutoscaler", []), deployments)
    problems += check_selecting(by_kind.get("PodDisruptionBudget", []), deployments, "PodDisruptionBudget selector",
                                lambda obj: (obj.get("spec") or {}).get("selector", {}).get("matchLabels"))
    problems += check_selecting(by_kind.get("NetworkPolicy", []), deployments, "NetworkPolicy selector",
                                lambda obj: (obj.get("spec") or {}).get("podSelector", {}).get("matchLabels"))
    problems += check_network_coverage(by_kind.get("NetworkPolicy", []), deployments)
    problems += check_network_rules(by_kind.get("NetworkPolicy", []), deployments, configmaps)
    problems += check_routes(by_kind.get("HTTPRoute", []), services)
    for obj, source in by_kind.get("Secret", []):
        if obj.get("data") or obj.get("stringData"):
            problems.append(_policy(source, obj, "no committed secret values",
                                    "the overlay renders a Secret with values: create it outside the repository"))
    return problems


def check_services(services: list[tuple[dict[str, Any], str]], deployments: list[tuple[dict[str, Any], str]]
                   ) -> list[Problem]:
    """Each Service selects pods, and its target ports exist on them."""
    problems = []
    for obj, source in services:
        spec = obj.get("spec") or {}
        selected = [deployment for deployment, _ in deployments
                    if selects(spec.get("selector"), pod_labels(deployment))]
        if not selected:
            problems.append(_policy(source, obj, "Service selector",
                                    f"selector {spec.get('selector')} matches the pods of no Deployment"))
            continue
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            for deployment in selected:
                containers = deployment["spec"]["template"]["spec"].get("containers") or []
                names = {p.get("name") for c in containers for p in c.get("ports") or []}
                numbers = {p.get("containerPort") for c in containers for p in c.get("ports") or []}
                if target not in names | numbers:
                    problems.append(_policy(source, obj, "Service targetPort",
                                            f"targetPort {target!r} is no container port of {name_of(deployment)}"))
    return problems


def check_autoscalers(autoscalers: list[tuple[dict[str, Any], str]], deployments: list[tuple[dict[str, Any], str]]
                      ) -> list[Problem]:
    """autoscaling/v2, 1 <= minReplicas <= maxReplicas, the target Deployment exists."""
    names = {obj["metadata"]["name"] for obj, _ in deployments}
    problems = []
    for obj, source in autoscalers:
        spec = obj.get("spec") or {}
        if obj.get("apiVersion") != "autoscaling/v2":
            problems.append(_policy(source, obj, "HPA version", f"use autoscaling/v2, not {obj.get('apiVersion')}"))
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas", 0)
        if not 1 <= low <= high:
            problems.append(_policy(source, obj, "HPA bounds",
                                    f"needs 1 <= minReplicas <= maxReplicas (got {low} and {high})"))
        target = spec.get("scaleTargetRef") or {}
        if target.get("kind") != "Deployment" or target.get("name") not in names:
            problems.append(_policy(source, obj, "HPA target",
                                    f"scaleTargetRef {target.get('kind')}/{target.get('name')} is not a rendered "
                                    f"Deployment"))
    return problems


def check_selecting(objects: list[tuple[dict[str, Any], str]], deployments: list[tuple[dict[str, Any], str]],
                    rule: str, selector_of: Any) -> list[Problem]:
    """Each object's pod selector matches the pods of at least one Deployment."""
    return [_policy(source, obj, rule, f"selector {selector_of(obj)} matches the pods of no Deployment")
            for obj, source in objects
            if not any(selects(selector_of(obj), pod_labels(deployment)) for deployment, _ in deployments)]


def check_network_coverage(policies: list[tuple[dict[str, Any], str]],
                           deployments: list[tuple[dict[str, Any], str]]) -> list[Problem]:
    """Every Deployment's pods are selected by some NetworkPolicy."""
    selectors = [(obj.get("spec") or {}).get("podSelector", {}).get("matchLabels") for obj, _ in policies]
    return [_policy(source, obj, "NetworkPolicy coverage", "no NetworkPolicy selects these pods")
            for obj, source in deployments if not any(selects(s, pod_labels(obj)) for s in selectors)]


DNS_POD_LABELS = {"k8s-app": "kube-dns"}  # CoreDNS keeps kube-dns's label on every common distribution


def _rule_ports(rule: Mapping[str, Any]) -> list[Any] | None:
    """The ports a NetworkPolicy rule allows, or None when it lists none (every port)."""
    ports = rule.get("ports")
    return None if not ports else [port.get("port") for port in ports]


def _allows_port(rule: Mapping[str, Any], *ports: Any) -> bool:
    allowed = _rule_ports(rule)
    return allowed is None or any(port in allowed for port in ports)


def check_network_rules(policies: list[tuple[dict[str, Any], str]], deployments: list[tuple[dict[str, Any], str]],
                        configmaps: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """Each policy lets in traffic to the service's port and lets out DNS and the MLflow tracking server.

    The DNS rule must select the DNS pods: a peer ``podSelector`` that also carries this app's own
    labels (what kustomize's ``includeSelectors`` does to a policy inside a labelled base) selects
    none, and the pods then resolve no name at all.
    """
    from urllib.parse import urlsplit

    contract = service_contract()
    problems = []
    for obj, source in policies:
        spec = obj.get("spec") or {}
        types = spec.get("policyTypes") or ["Ingress"]
        selected = [deployment for deployment, _ in deployments
                    if selects((spec.get("podSelector") or {}).get("matchLabels"), pod_labels(deployment))]
        if "Ingress" in types and not any(_allows_port(rule, "http", contract["port"])
                                          for rule in spec.get("ingress") or []):
            problems.append(_policy(source, obj, "NetworkPolicy ingress",
                                    f"no ingress rule allows port {contract['port']} (http): the Gateway and "
                                    f"Prometheus cannot reach the pods"))
        if "Egress" not in types:
            continue
        egress = spec.get("egress") or []
        dns_rules = [rule for rule in egress if _rule_ports(rule) is not None and 53 in _rule_ports(rule)]
        if not dns_rules:
            problems.append(_policy(source, obj, "NetworkPolicy egress",
                                    "no egress rule allows port 53: the pods cannot resolve the tracking "
                                    "server's name"))
        for rule in dns_rules:
            for peer in rule.get("to") or []:
                selector = (peer.get("podSelector") or {}).get("matchLabels")
                if selector and not selects(selector, DNS_POD_LABELS):
                    problems.append(_policy(source, obj, "NetworkPolicy egress",
                                            f"the DNS rule's podSelector {selector} selects no DNS pod (labelled "
                                            f"{DNS_POD_LABELS}): keep the policy out of kustomize labels with "
                                            f"includeSelectors"))
        uris = {container_environment(container, configmaps).get("CHURN_TRACKING_URI", "")
                for deployment in selected
                for container in deployment["spec"]["template"]["spec"].get("containers") or []}
        for uri in sorted(uri for uri in uris if uri.startswith(("http://", "https://"))):
            parts = urlsplit(uri)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if not any(_allows_port(rule, port) for rule in egress):
                problems.append(_policy(source, obj, "NetworkPolicy egress",
                                        f"no egress rule allows port {port}: the pods cannot reach the tracking "
                                        f"server {uri} (CHURN_TRACKING_URI)"))
    return problems


def check_routes(routes: list[tuple[dict[str, Any], str]], services: Mapping[str, Mapping[str, Any]]
                 ) -> list[Problem]:
    """Each rule's backend weights add up to 100; each backendRef names a rendered Service and port."""
    problems = []
    for obj, source in routes:
        namespace = obj["metadata"].get("namespace")
        for number, rule in enumerate((obj.get("spec") or {}).get("rules") or [], start=1):
            backends = rule.get("backendRefs") or []
            total = sum(backend.get("weight", 1) for backend in backends)
            if backends and total != ROUTE_WEIGHT_TOTAL:
                weights = "/".join(str(backend.get("weight", 1)) for backend in backends)
                problems.append(_policy(source, obj, "route weights",
                                        f"rule {number}: weights {weights} add up to {total}, not "
                                        f"{ROUTE_WEIGHT_TOTAL}"))
            for backend in backends:
                problems += _check_backend(backend, number, obj, source, services, namespace)
    return problems


def _check_backend(backend: Mapping[str, Any], number: int, route: Mapping[str, Any], source: str,
                   services: Mapping[str, Mapping[str, Any]], namespace: str | None) -> list[Problem]:
    if backend.get("group", "") != "" or backend.get("kind", "Service") != "Service":
        return []
    service = services.get(backend.get("name"))
    if service is None or backend.get("namespace", namespace) != service["metadata"].get("namespace"):
        return [_policy(source, route, "route backends",
                        f"rule {number}: backendRef {backend.get('name')!r} names no Service in this overlay "
                        f"(Services: {', '.join(sorted(services)) or 'none'})")]
    ports = [port.get("port") for port in (service.get("spec") or {}).get("ports") or []]
    if backend.get("port") not in ports:
        return [_policy(source, route, "route backends",
                        f"rule {number}: backendRef {backend.get('name')} port {backend.get('port')} is not a port "
                        f"of the Service ({ports})")]
    return []


# --- the source tree ---------------------------------------------------------------------------


# The one file that may hold the API key: read by k8s/secrets' secretGenerator, kept out of Git by .gitignore.
UNTRACKED_KEY_FILE = "secrets/api-key.env"


def check_tree(root: Path = DEPLOY_ROOT) -> list[Problem]:
    """Scan the committed files for secret values: Secrets with data, secretGenerator literals, key files."""
    api_key = service_contract()["api_key"]
    problems = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in {".yaml", ".yml", ".env", ".json"}:
            continue
        if path.relative_to(root).as_posix() == UNTRACKED_KEY_FILE:  # git-ignored: where the key belongs
            continue
        source = display_path(path, root)
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".env":
            for line_number, line in enumerate(text.splitlines(), start=1):
                if line.strip().startswith(f"{api_key}="):
                    problems.append(Problem(f"{source}:{line_number}", api_key, "no committed secret values",
                                            "remove the key from the file; put it in "
                                            f"deploy/k8s/{UNTRACKED_KEY_FILE} (git-ignored)"))
            continue
        if path.suffix == ".json":
            continue
        problems += _scan_yaml(path, source, text)
    return problems


def _scan_yaml(path: Path, source: str, text: str) -> Iterator[Problem]:
    try:
        documents = [document for document in yaml.safe_load_all(text) if isinstance(document, dict)]
    except yaml.YAMLError as error:
        yield Problem(source, "(file)", "YAML", " ".join(str(error).split()))
        return
    for document in documents:
        if document.get("kind") == "Secret" and (document.get("data") or document.get("stringData")):
            yield Problem(source, name_of(document), "no committed secret values",
                          "a Secret with values is committed: delete it and create it outside the repository")
        generators = document.get("secretGenerator") if path.name == "kustomization.yaml" else None
        for generator in generators or []:
            if generator.get("literals"):
                yield Problem(source, f"secretGenerator/{generator.get('name')}", "no committed secret values",
                              "literals put the value in the repository: read an untracked file or create the "
                              "Secret with kubectl")


# --- the Dagster deployment (Helm values + the pipeline's ConfigMap) -----------------------------


def run_pod_objects(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Kubernetes objects the values configure, as a Job (runs) and a Deployment (code server).

    The chart itself is not available offline, so the raw Kubernetes fragments of the values are
    embedded in minimal objects of their kind and validated like any manifest.
    """
    launcher = ((values.get("runLauncher") or {}).get("config") or {}).get("k8sRunLauncher") or {}
    run = launcher.get("runK8sConfig") or {}
    container = {"name": "dagster", "image": "run-image", **(run.get("containerConfig") or {})}
    pod = {"restartPolicy": "Never", **(run.get("podSpecConfig") or {}), "containers": [container]}
    objects = [{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "dagster-run"},
                "spec": {**(run.get("jobSpecConfig") or {}), "template": {"spec": pod}}}]
    for deployment in (values.get("dagster-user-deployments") or {}).get("deployments") or []:
        labels = {"app": str(deployment.get("name"))}
        code_container = {"name": "dagster-user-deployments", "image": "code-image",
                          "securityContext": deployment.get("securityContext") or {},
                          "resources": deployment.get("resources") or {}}
        objects.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": deployment.get("name")},
                        "spec": {"selector": {"matchLabels": labels}, "template": {
                            "metadata": {"labels": labels},
                            "spec": {"securityContext": deployment.get("podSecurityContext") or {},
                                     "containers": [code_container]}}}})
    return objects


def check_dagster(root: Path = DAGSTER_ROOT) -> list[Problem]:
    """The Dagster values launch runs with the K8sRunLauncher from our code location, consistently.

    Checks: the run launcher is K8sRunLauncher; each code location loads the pipeline module, has
    a pinned image and passes its config to launched runs; the ConfigMaps it names are rendered by
    ``dagster/k8s``; the raw Kubernetes config of runs and code servers is valid (strict) and runs
    as non-root without privilege escalation.
    """
    values_file = root / "values.yaml"
    source = display_path(values_file, root)
    values = yaml.safe_load(values_file.read_text(encoding="utf-8")) or {}
    rendered = render(root / "k8s", root)
    problems = []
    for obj, origin in zip(rendered.objects, rendered.sources, strict=True):
        problems += check_kubernetes_schema(obj, origin)
    configmaps = {obj["metadata"]["name"] for obj in rendered.objects if obj.get("kind") == "ConfigMap"}
    launcher = values.get("runLauncher") or {}
    if launcher.get("type") != "K8sRunLauncher":
        problems.append(Problem(source, "runLauncher", "K8sRunLauncher",
                                f"runLauncher.type is {launcher.get('type')!r}: set K8sRunLauncher so every run "
                                f"is a Kubernetes Job"))
    deployments = (values.get("dagster-user-deployments") or {}).get("deployments") or []
    if not deployments:
        problems.append(Problem(source, "dagster-user-deployments", "code location",
                                "no deployment: add one that loads the pipeline's definitions"))
    for deployment in deployments:
        where = f"dagster-user-deployments/{deployment.get('name')}"
        arguments = deployment.get("dagsterApiGrpcArgs") or deployment.get("codeServerArgs") or []
        if [str(argument) for argument in arguments] not in (["--module-name", DAGSTER_MODULE],
                                                              ["-m", DAGSTER_MODULE]):
            problems.append(Problem(source, where, "code location",
                                    f"dagsterApiGrpcArgs must load the module {DAGSTER_MODULE} (got {arguments})"))
        tag = str((deployment.get("image") or {}).get("tag") or "")
        if not tag or tag == "latest":
            problems.append(Problem(source, where, "image tag",
                                    f"pin image.tag (got {tag!r}): runs must use the image the code server loaded"))
        if not (deployment.get("includeConfigInLaunchedRuns") or {}).get("enabled"):
            problems.append(Problem(source, where, "run configuration",
                                    "includeConfigInLaunchedRuns.enabled must be true so runs get the same "
                                    "image and environment"))
        for reference in deployment.get("envConfigMaps") or []:
            if reference.get("name") not in configmaps:
                problems.append(Problem(source, where, "settings ConfigMap",
                                        f"envConfigMaps names {reference.get('name')!r}, which "
                                        f"{display_path(root / 'k8s', root)} does not render "
                                        f"(renders: {', '.join(sorted(configmaps)) or 'none'})"))
    for obj in run_pod_objects(values):
        fragment = "runLauncher.config.k8sRunLauncher.runK8sConfig" if obj["kind"] == "Job" else (
            f"dagster-user-deployments/{obj['metadata']['name']}")
        for problem in check_kubernetes_schema(obj, source):
            problems.append(Problem(source, fragment, problem.rule, problem.detail))
        pod = obj["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for problem in check_security(container, pod, obj, source):
                if problem.rule != "readOnlyRootFilesystem":  # runs write temporary files and artefacts
                    problems.append(Problem(source, fragment, problem.rule, problem.detail))
    return problems


# --- everything --------------------------------------------------------------------------------


def check_rendered(rendered: Rendered, root: Path = DEPLOY_ROOT) -> list[Problem]:
    """Schema and policy checks on one rendered overlay."""
    problems = []
    for obj, source in zip(rendered.objects, rendered.sources, strict=True):
        group = str(obj.get("apiVersion", "")).partition("/")[0]
        if group == GATEWAY_GROUP:
            problems += check_gateway_schema(obj, source, root)
        else:
            problems += check_kubernetes_schema(obj, source)
    return problems + check_policy(rendered)


def check_all(targets: Iterable[Path] | None = None, root: Path = DEPLOY_ROOT) -> list[Problem]:
    """Render and check ``targets`` (default: every overlay under ``root``), plus the tree scan.

    Raises:
        RenderError: an overlay cannot be rendered.
    """
    problems = check_tree(root)
    if targets is None and root.resolve() == DEPLOY_ROOT and DAGSTER_ROOT.is_dir():
        problems += check_dagster()
    for overlay in targets or overlays(root):
        problems += check_rendered(render(overlay, root), root)
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: print one line per problem; exit 0 (clean), 1 (problems) or 2 (cannot render)."""
    arguments = sys.argv[1:] if argv is None else argv
    targets = [Path(argument) for argument in arguments] or None
    for target in targets or []:
        if not (target / "kustomization.yaml").is_file():
            print(f"error: {target} has no kustomization.yaml: pass an overlay directory "
                  f"(e.g. {display_path(DEPLOY_ROOT / 'overlays' / 'staging', DEPLOY_ROOT)})", file=sys.stderr)
            return 2
    # An overlay is ROOT/overlays/NAME: its tree (scanned for secrets, holding the schemas) is ROOT.
    roots = {target.resolve().parents[1] for target in targets or []} or {DEPLOY_ROOT}
    if len(roots) > 1:
        print("error: the overlays come from different trees: check one tree at a time", file=sys.stderr)
        return 2
    root = roots.pop()
    try:
        problems = check_all(targets, root)
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _, gateway_schema = httproute_schema_file(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s); HTTPRoutes checked against {gateway_schema}", file=sys.stderr)
        return 1
    checked = ", ".join(target.name for target in targets or overlays()) + ("" if targets else " and dagster")
    print(f"{checked} checked against Kubernetes {', '.join(KUBERNETES_VERSIONS)} and, for HTTPRoutes, "
          f"{gateway_schema}: all rules pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
