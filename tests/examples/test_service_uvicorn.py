"""One test against a real uvicorn process on 127.0.0.1, started the way production starts it.

The server imports the fake predictor through ``CHURN_PREDICTOR`` (see
``tests/examples/service_fakes.py``), so the test needs neither MLflow nor a trained model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from tests.examples.real_servers import free_port
from tests.examples.service_fakes import fake_probability

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = {
    "customerID": "7590-VHVEG", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No",
    "tenure": 24, "PhoneService": "No", "MultipleLines": "No phone service", "InternetService": "DSL",
    "OnlineSecurity": "No", "OnlineBackup": "Yes", "DeviceProtection": "No", "TechSupport": "No",
    "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month", "PaperlessBilling": "Yes",
    "PaymentMethod": "Electronic check", "MonthlyCharges": 29.85, "TotalCharges": 716.4,
}


def test_real_uvicorn_serves_predictions_and_flushes_the_log_on_shutdown(tmp_path):
    port = free_port()
    log = tmp_path / "predictions.jsonl"
    env = {**os.environ, "CHURN_API_KEY": "real-key", "CHURN_PREDICTION_LOG": str(log),
           "CHURN_PREDICTOR": "tests.examples.service_fakes:make_fake_predictor",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "churn.service.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # the batch worker process starts first (1-2 s quiet, more on a busy machine)
        while True:
            assert server.poll() is None, f"uvicorn exited: {server.stderr.read()}"
            try:
                if httpx2.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not become ready in 60 s"
            time.sleep(0.05)

        with httpx2.Client(base_url=base, headers={"X-API-Key": "real-key"}, timeout=5) as client:
            answer = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "uvicorn-1"})
            batch = client.post("/predict/batch", json={"customers": [EXAMPLE, EXAMPLE]})
            bad = client.post("/predict", json={**EXAMPLE, "Contract": "Weekly"})
            metrics = client.get("/metrics/")
        unauthorised = httpx2.post(f"{base}/predict", json=EXAMPLE)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C or `docker stop` (SIGTERM) does: a graceful shutdown
        _, stderr = server.communicate(timeout=20)

    assert answer.status_code == 200
    assert answer.json()["churn_probability"] == fake_probability(24)
    assert answer.headers["X-Request-ID"] == "uvicorn-1"
    assert [row["customerID"] for row in batch.json()] == ["7590-VHVEG"] * 2
    assert bad.status_code == 422 and "Contract" in bad.json()["detail"]
    assert unauthorised.status_code == 401
    assert 'churn_http_requests_total{method="POST",path="/predict",status="200"} 1.0' in metrics.text
    assert server.returncode == 0, stderr
    logged = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["message"] == "request" and line["request_id"] == "uvicorn-1" for line in logged)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["request_id"] for line in lines][:1] == ["uvicorn-1"]
    assert len(lines) == 3, "one line per scored customer, written before the process exited"
