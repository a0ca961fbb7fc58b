"""The shell steps of the Section 4 labs that drive the registry and the service, run as a student runs them.

Lectures 4.4 and 4.6 run ``churn train``, ``churn promote``, ``churn predict``, ``churn rollback`` and ``churn audit``
in a scratch folder with the default tracking store (``sqlite:///mlflow.db``, relative to that
folder, and the default audit log ``governance/audit.jsonl``), each command a process of its own; so
does this test. Lecture 4.5 starts the service with
and without a key and without a model; here the app runs in-process with the same settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_REGISTRY, main
from churn.service.app import champion_loader, create_app
from churn.service.settings import ServiceSettings
from fastapi.testclient import TestClient

pytestmark = pytest.mark.lab  # six `churn` processes one after another: started first under --lecture

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = ROOT / "examples/lectures/s04/customer.json"


def churn(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``churn <args>`` in ``folder`` as its own process, as the lab does.

    ``mlflow.set_tracking_uri`` (called by other tests in this process) also exports
    ``MLFLOW_TRACKING_URI``; the lab's shell has no such variable, so neither has the command (nor the
    test session's ``CHURN_AUDIT_LOG``).
    """
    env = {name: value for name, value in os.environ.items() if name not in ("MLFLOW_TRACKING_URI", "CHURN_AUDIT_LOG")}
    return subprocess.run([sys.executable, "-m", "churn.cli", *args], cwd=folder, capture_output=True, text=True,
                          timeout=300, check=False, env=env)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Lecture 4.4 steps 2-4 and lecture 4.6 steps 2-5, in one scratch folder."""
    folder = tmp_path_factory.mktemp("lab")
    steps = {"train": churn(folder, "train"),
             "promote": churn(folder, "promote", "--approved-by", "ana", "--reason", "first model, meets the minimums"),
             "predict": churn(folder, "predict", str(CUSTOMER)), "train again": churn(folder, "train"),
             "promote again": churn(folder, "promote", "--approved-by", "ana", "--reason",
                                    "retrained on the same data"),
             "rollback": churn(folder, "rollback", "--approved-by", "ana", "--reason", "practice"),
             "audit": churn(folder, "audit", "verify")}
    return folder, steps


def test_train_registers_a_challenger(lab):
    _, steps = lab
    assert steps["train"].returncode == EXIT_OK, steps["train"].stderr
    result = json.loads(steps["train"].stdout)
    assert result["version"] == "1"
    assert result["metrics"]["roc_auc"] == 0.8682 and result["metrics"]["cost_per_1000"] == 35775.0


def test_first_promotion_passes_the_gate(lab):
    folder, steps = lab
    assert steps["promote"].returncode == EXIT_OK, steps["promote"].stderr
    assert steps["promote"].stdout.splitlines() == [
        "PROMOTED: challenger v1 roc_auc=0.8682 vs no champion yet", "  - meets the minimums",
        "approved by ana; recorded in the audit log governance/audit.jsonl"]
    assert {path.name for path in folder.iterdir()} >= {"mlflow.db", "mlruns"}


def test_predict_scores_the_customer_with_the_champion(lab):
    _, steps = lab
    assert steps["predict"].returncode == EXIT_OK, steps["predict"].stderr
    answer = json.loads(steps["predict"].stdout)
    assert answer == {"customerID": "7590-VHVEG", "churn_probability": pytest.approx(0.715314, abs=1e-6),
                      "churn": True, "model_version": "1"}


def test_the_same_model_again_is_refused_and_rollback_has_nothing_to_restore(lab):
    _, steps = lab
    assert json.loads(steps["train again"].stdout)["version"] == "2"
    assert steps["promote again"].returncode == EXIT_REFUSED
    assert steps["promote again"].stdout.splitlines() == [
        "NOT PROMOTED: challenger v2 roc_auc=0.8682 vs champion v1 roc_auc=0.8682",
        "  - roc_auc does not beat the champion by the margin 0.002"]
    assert steps["rollback"].returncode == EXIT_REGISTRY
    assert "error: model 'churn' has no 'previous_champion' version to roll back to" in steps["rollback"].stderr


def test_the_audit_log_holds_every_decision_and_verifies(lab):
    folder, steps = lab
    assert steps["audit"].returncode == EXIT_OK, steps["audit"].stderr
    assert steps["audit"].stdout.startswith("governance/audit.jsonl: intact, 4 entries; head: seq 4 sha256 ")
    events = [json.loads(line)["event"] for line in (folder / "governance/audit.jsonl").read_text().splitlines()]
    assert events == ["approval", "promotion", "promotion_refused", "rollback_refused"]


def test_served_prediction_equals_the_cli_and_is_logged(lab, tmp_path):
    folder, steps = lab
    log = tmp_path / "predictions.jsonl"
    settings = ServiceSettings(api_key="dev-key", prediction_log=log, tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    customer = json.loads(CUSTOMER.read_text())
    with TestClient(create_app(settings, champion_loader(settings))) as client:
        deadline = time.time() + 60
        while client.get("/ready").status_code != 200 and time.time() < deadline:
            time.sleep(0.05)
        assert client.get("/ready").json() == {"ready": True, "status": "ready", "model_name": "churn",
                                               "model_version": "1"}
        answer = client.post("/predict", json=customer, headers={"X-API-Key": "dev-key"})
        assert answer.status_code == 200
        assert answer.json()["churn_probability"] == pytest.approx(json.loads(steps["predict"].stdout)
                                                                   ["churn_probability"], abs=1e-6)
        refused = client.post("/predict", json=customer)
        assert refused.status_code == 401 and refused.json()["detail"].startswith("missing API key")
        metrics = client.get("/metrics/").text
        assert 'churn_http_requests_total{method="POST",path="/predict",status="200"} 1.0' in metrics
    line = json.loads(log.read_text().splitlines()[-1])
    assert line["input"] == customer and line["output"]["churn"] is True and line["model_version"] == "1"


def test_serve_without_a_key_names_the_variable(monkeypatch, capsys):
    monkeypatch.delenv("CHURN_API_KEY", raising=False)
    assert main(["serve"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("error: invalid service settings: CHURN_API_KEY is required but not set")


def test_service_without_a_model_is_alive_but_not_ready(tmp_path):
    settings = ServiceSettings(api_key="dev-key", prediction_log=tmp_path / "predictions.jsonl",
                               tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    with TestClient(create_app(settings, champion_loader(settings))) as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert "churn_model_loaded 0.0" in client.get("/metrics/").text
        deadline = time.time() + 30
        while not client.get("/ready").json()["status"].startswith("could not load") and time.time() < deadline:
            time.sleep(0.05)
        assert "no model version of 'churn' has the alias 'champion'" in client.get("/ready").json()["status"]
