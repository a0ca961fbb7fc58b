"""The real parts, by configuration alone: PostgreSQL, an ``mlflow server`` with proxied artifacts, ``churn``.

A real PostgreSQL cluster (Debian's ``postgresql``, in a temporary folder) backs a real ``mlflow
server`` process that stores artifacts under its own ``--artifacts-destination``. ``churn train``,
``churn promote`` (with an approval), ``churn predict`` and ``churn serve`` then run as separate processes against it,
given nothing but ``--tracking-uri http://...``: the same code as with the default SQLite file.
Skipped, with the reason, where PostgreSQL or its driver is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from tests.examples.real_servers import Unavailable, free_port, running_mlflow_server, running_postgres, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ROWS = 2000
CUSTOMERS = 5


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory):
    """A running ``mlflow server`` on PostgreSQL: (its URL, its artifacts folder)."""
    pytest.importorskip("psycopg2", reason="the PostgreSQL driver is missing: pip install -e './examples[server]'")
    folder = tmp_path_factory.mktemp("tracking-server")
    with contextlib.ExitStack() as running:  # stopped in reverse order, whatever happens: server, then database
        try:
            database = running.enter_context(running_postgres())
        except Unavailable as reason:
            pytest.skip(str(reason))
        url = running.enter_context(running_mlflow_server(database.uri(), folder / "artifacts", cwd=folder))
        yield url, folder / "artifacts"

def churn(*arguments: str, cwd: Path, env: dict[str, str] | None = None, **popen) -> subprocess.CompletedProcess:
    """Run ``python -m churn.cli`` (this checkout's code) in ``cwd``; fail with its output if it fails."""
    completed = subprocess.run([sys.executable, "-m", "churn.cli", *arguments], cwd=cwd, env=env or environment(),
                               capture_output=True, text=True, timeout=300, **popen)
    assert completed.returncode == 0, f"churn {arguments[0]} exited {completed.returncode}:\n{completed.stderr}"
    return completed


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without MLflow or churn settings (only --tracking-uri may say where to go)."""
    paths = [str(ROOT), str(ROOT / "examples"), os.environ.get("PYTHONPATH", "")]
    return {**{key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "CHURN_"))},
            "PYTHONPATH": os.pathsep.join(filter(None, paths)), **extra}


class Trained(NamedTuple):
    """The tracking server's URL and artifacts folder, the folder the client ran in, and ``churn train``'s output."""

    url: str
    artifacts: Path
    client_folder: Path
    run: dict


@pytest.fixture(scope="module")
def trained(tracking_server, tmp_path_factory):
    """``churn train`` then an approved ``churn promote`` against the server, from a fresh client folder."""
    url, artifacts = tracking_server
    client_folder = tmp_path_factory.mktemp("client")
    config = client_folder / "experiment.yaml"
    config.write_text(f"data:\n  generated_rows: {ROWS}\n", encoding="utf-8")
    run = json.loads(churn("train", "--config", str(config), "--tracking-uri", url, cwd=client_folder).stdout)
    promoted = churn("promote", "--config", str(config), "--tracking-uri", url, "--approved-by", "ana",
                     "--reason", "integration test", cwd=client_folder)
    assert promoted.stdout.startswith("PROMOTED"), promoted.stdout
    return Trained(url, artifacts, client_folder, run)


def customers() -> list[dict]:
    """A few customers of the held-out split, without the target."""
    from churn.config import load_config
    from churn.train import load_training_data

    test = load_training_data(load_config(None, data={"generated_rows": ROWS})).test
    return test.drop(columns=["Churn"]).head(CUSTOMERS).to_dict(orient="records")


def served_predictions(url: str, records: list[dict], folder: Path) -> list[dict]:
    """Start ``churn serve`` against the tracking server, POST /predict each record, stop it."""
    import httpx2

    port = free_port()
    env = environment(CHURN_API_KEY="integration-key", CHURN_PREDICTION_LOG=str(folder / "predictions.jsonl"))
    with (folder / "serve.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "churn.cli", "serve", "--tracking-uri", url,
                                   "--port", str(port)], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx2.get(f"{base}/ready", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    try:
        wait_until(ready, server, folder / "serve.log", 90)
        with httpx2.Client(base_url=base, headers={"X-API-Key": "integration-key"}, timeout=10) as client:
            answers = [client.post("/predict", json=record) for record in records]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    assert [answer.status_code for answer in answers] == [200] * len(records), [answer.text for answer in answers]
    return [answer.json() for answer in answers]


def test_train_promote_serve_against_a_tracking_server_on_postgres(trained):
    import mlflow
    import pandas as pd
    from churn.features import feature_frame
    from churn.registry import registry_client

    url, _, client_folder, run = trained
    records = customers()
    (client_folder / "customers.json").write_text(json.dumps(records), encoding="utf-8")

    served = served_predictions(url, records, client_folder)
    predicted = [json.loads(line) for line in
                 churn("predict", "customers.json", "--tracking-uri", url, cwd=client_folder).stdout.splitlines()]
    # Not models:/churn@champion: MLflow 3.17 resolves that against the process-wide registry URI (a SQLite
    # file in the current folder by default), whatever registry_uri= says. The champion's own location is exact.
    registry = registry_client(url)
    champion = registry.get_model_version_by_alias("churn", "champion")
    logged_model = registry.get_logged_model(champion.source.removeprefix("models:/"))  # source: models:/m-<id>
    model_folder = mlflow.artifacts.download_artifacts(artifact_uri=logged_model.artifact_location, tracking_uri=url,
                                                       dst_path=str(client_folder / "download"))
    pipeline = mlflow.sklearn.load_model(model_folder)  # a local folder: no tracking URI involved
    expected = pipeline.predict_proba(feature_frame(pd.DataFrame(records)))[:, 1]

    served_probabilities = np.array([answer["churn_probability"] for answer in served])
    assert [answer["customerID"] for answer in served] == [record["customerID"] for record in records]
    assert {answer["model_version"] for answer in served} == {run["version"]} == {str(champion.version)}
    assert np.max(np.abs(served_probabilities - [line["churn_probability"] for line in predicted])) < 1e-6
    assert np.max(np.abs(served_probabilities - expected)) < 1e-5  # the ONNX copy (float32) vs the pipeline
    # the approval is on the version in the server's registry, and the client's audit log anchors to it
    assert champion.tags["approved_by"] == "ana" and json.loads(champion.tags["gate_result"])["passed"] is True
    verified = churn("audit", "verify", "--check-registry", "--tracking-uri", url, cwd=client_folder)
    assert "intact, 2 entries" in verified.stdout and "registry anchors: 1 approval(s)" in verified.stdout


def test_artifacts_land_in_the_servers_destination_not_the_clients_folder(trained):
    from mlflow import MlflowClient

    url, artifacts, client_folder, run = trained
    artifact_uri = MlflowClient(tracking_uri=url).get_run(run["run_id"]).info.artifact_uri
    assert artifact_uri.startswith("mlflow-artifacts:"), artifact_uri  # proxied through the server
    stored = {path.relative_to(artifacts).as_posix() for path in artifacts.rglob("*") if path.is_file()}
    assert any(path.endswith(f"{run['run_id']}/artifacts/onnx/model.onnx") for path in stored), sorted(stored)
    assert any("/models/" in path and path.endswith("/model.skops") for path in stored), sorted(stored)
    left_behind = [name for name in ("mlruns", "mlartifacts", "mlflow.db") if (client_folder / name).exists()]
    assert not left_behind, f"the client wrote {left_behind} locally instead of sending it to the server"
