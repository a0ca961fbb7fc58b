"""Lecture 8.5: where a churn run's artifacts are stored, and how a later step gets the same bytes back.

Point it at a tracking server (or a local store) and a registered model version::

    python examples/lectures/s08/artifact_tour.py --tracking-uri http://127.0.0.1:5085 churn@challenger
    python examples/lectures/s08/artifact_tour.py --tracking-uri http://127.0.0.1:5085 churn/1 --store server/artifacts

It prints the run's artifact root (``mlflow-artifacts:/...`` when the server proxies artifacts) and
the logged model's own root (MLflow 3 keeps a model apart from its run), every run artifact with
its size, then downloads ``onnx/model.onnx`` through the tracking URI and prints its SHA-256. With
``--store`` (the server's ``--artifacts-destination`` folder) it also finds the same file where the
server wrote it and says whether the bytes are the same. It only reads. Without ``--tracking-uri``
it first trains a demo model into a temporary local store.

Exit codes: 0 done, 1 the downloaded file differs from the stored one, 2 bad input (no server, no
such model, version or alias, a store folder without the run).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from churn.config import check_tracking_uri, load_config
from churn.governance.versions import UnknownVersion, resolve_version
from churn.registry import TrackingUnreachable, registry_client

SERVING_FILE = "onnx/model.onnx"


class BadInput(Exception):
    """A reference or store folder the tour cannot use (exit 2)."""


def sha256(path: Path) -> str:
    """The file's SHA-256 as hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --8<-- [start:listing]
def artifact_listing(client: Any, run_id: str, folder: str = "") -> list[tuple[str, int]]:
    """Every artifact of the run below ``folder``, as ``(path, size in bytes)``, depth first."""
    found = []
    for entry in client.list_artifacts(run_id, folder or None):
        if entry.is_dir:
            found.extend(artifact_listing(client, run_id, entry.path))
        else:
            found.append((entry.path, entry.file_size or 0))
    return found
# --8<-- [end:listing]


# --8<-- [start:fetch]
def fetch(tracking_uri: str, run_id: str, artifact: str, folder: Path) -> Path:
    """Download one artifact of the run through the tracking URI into ``folder``; return its path."""
    import mlflow

    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact, dst_path=str(folder),
                                                tracking_uri=tracking_uri)
    return Path(local)


def stored_copy(store: Path, run_id: str, artifact: str) -> Path:
    """The same artifact where the server wrote it: ``<destination>/<experiment>/<run>/artifacts/<path>``."""
    matches = sorted(store.glob(f"*/{run_id}/artifacts/{artifact}"))
    if not matches:
        raise BadInput(f"{store} holds no {artifact} of run {run_id[:8]}…: is it the server's --artifacts-destination?")
    return matches[0]
# --8<-- [end:fetch]


def reference(text: str) -> tuple[str, str | None, str | None]:
    """``churn@alias`` or ``churn/3`` as ``(name, version, alias)``."""
    name, at, alias = text.partition("@")
    if at:
        return name, None, alias
    name, slash, number = text.partition("/")
    if slash and number.isdigit():
        return name, number, None
    raise BadInput(f"{text!r}: write name@alias or name/version, e.g. churn@challenger or churn/1")


def tour(tracking_uri: str, model: str, store: Path | None) -> int:
    """Print where the version's run keeps its artifacts, fetch the serving file and compare it; the exit code."""
    client = registry_client(tracking_uri)
    name, number, alias = reference(model)
    version = resolve_version(client, name, number, alias)
    run = client.get_run(version.run_id)
    print(f"{model} is v{version.version}, run {run.info.run_id[:8]}…")
    print(f"run artifacts  {run.info.artifact_uri}")
    logged = client.get_logged_model(version.source.removeprefix("models:/"))  # MLflow 3: the model has its own root
    print(f"model files    {logged.artifact_location}")
    for path, size in artifact_listing(client, run.info.run_id):
        print(f"  {size:>9,} B  {path}")
    with tempfile.TemporaryDirectory() as folder:
        local = fetch(tracking_uri, run.info.run_id, SERVING_FILE, Path(folder))
        fetched = sha256(local)
        print(f"fetched {SERVING_FILE}: {local.stat().st_size:,} B, sha256 {fetched[:12]}")
    if store is None:
        return 0
    copy = stored_copy(store, run.info.run_id, SERVING_FILE)
    same = sha256(copy) == fetched
    print(f"stored  {copy}: sha256 {sha256(copy)[:12]}, {'the same bytes' if same else 'DIFFERENT BYTES'}")
    return 0 if same else 1


def demo(folder: Path) -> int:
    """Train the default config on 1,000 generated customers into a local store in ``folder``, then tour it."""
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": 1000, "generator_seed": 42})
    config = config.model_copy(update={"tracking": config.tracking.model_copy(update={"uri": uri})})
    log_run(train(config, load_training_data(config)), config)
    print(f"a demo store in {folder}: artifacts go to its mlruns/ folder, with no server in between")
    return tour(uri, "churn@challenger", None)


def main(argv: list[str] | None = None) -> int:
    """Command line: the model reference, ``--tracking-uri`` and optionally ``--store``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="churn@challenger",
                        help="name@alias or name/version (default: churn@challenger)")
    parser.add_argument("--tracking-uri", help="the tracking server or store (default: a demo store)")
    parser.add_argument("--store", type=Path, help="the server's --artifacts-destination folder, to compare with")
    arguments = parser.parse_args(argv)
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a log line, not a progress bar
    if arguments.tracking_uri is None:
        with tempfile.TemporaryDirectory() as folder:
            return demo(Path(folder))
    try:
        uri = check_tracking_uri(arguments.tracking_uri)
        if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
            raise BadInput(f"no store at {uri}")
        if arguments.store is not None and not arguments.store.is_dir():
            raise BadInput(f"--store {arguments.store}: no such folder")
        return tour(uri, arguments.model, arguments.store)
    except (BadInput, UnknownVersion, TrackingUnreachable, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
