"""Lecture 7.3: what the churn API answers to a good request and to six bad ones, in one process.

The script trains the project's pipeline on generated customers, exports it to ONNX and builds the
service with ``churn.service.app.create_app``, exactly as ``churn serve`` does, but with that
in-memory model instead of the registry's champion and with batches scored in a thread. A
``fastapi.testclient.TestClient`` runs the app's lifespan (the model loads in the background, so
the script waits for ``/ready``), then sends the customer of lecture 4.1 as given and six broken
requests to ``POST /predict``, and prints each status code with the body's ``detail``. The
prediction log goes to a temporary folder, deleted at the end: the script leaves no files.

Run it from the repository root::

    python examples/lectures/s07/what_the_api_answers.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from churn.features import build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.onnx_export import to_onnx
from churn.predict import OnnxPredictor
from churn.service.app import create_app
from churn.service.settings import ServiceSettings
from churn.validate import validate_or_raise
from fastapi.testclient import TestClient

CUSTOMER = json.loads((Path(__file__).parents[1] / "s04" / "customer.json").read_text(encoding="utf-8"))
API_KEY = "demo-key"


def trained_predictor() -> OnnxPredictor:
    """Train on 5,000 generated customers; return the ONNX copy the service scores with."""
    training, _ = validate_or_raise(generate_customers(5_000, seed=42))
    pipeline = build_pipeline("logistic_regression", {"max_iter": 1000}).fit(feature_frame(training), target(training))
    return OnnxPredictor(to_onnx(pipeline), model_version="demo")


# --8<-- [start:requests]
def requests(customer: dict) -> dict[str, dict]:
    """The customer as given, and six requests that each break one rule of the API."""
    key = {"X-API-Key": API_KEY}
    without_tenure = {name: value for name, value in customer.items() if name != "tenure"}
    return {
        "as given": {"json": customer, "headers": key},
        "unknown PaymentMethod": {"json": {**customer, "PaymentMethod": "Digital wallet"}, "headers": key},
        "tenure as text": {"json": {**customer, "tenure": "1"}, "headers": key},
        "typo in a field name": {"json": {**without_tenure, "tenur": 1}, "headers": key},
        "not JSON": {"content": b'{"customerID": "7590-VHVEG",}',
                     "headers": key | {"Content-Type": "application/json"}},
        "no API key": {"json": customer, "headers": {}},
        "wrong API key": {"json": customer, "headers": {"X-API-Key": "guess"}},
    }
# --8<-- [end:requests]


def wait_until_ready(client: TestClient, seconds: float = 60) -> None:
    """Poll ``/ready`` until the lifespan has loaded the model (it loads in the background)."""
    deadline = time.monotonic() + seconds
    while client.get("/ready").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service was not ready in {seconds:g} s: {client.get('/ready').json()}")
        time.sleep(0.05)


def answers(predictor: OnnxPredictor, log_folder: Path) -> dict[str, tuple[int, dict]]:
    """Build the service around ``predictor``, send every request, return each status code and JSON body."""
    settings = ServiceSettings(api_key=API_KEY, prediction_log=log_folder / "prediction_log.jsonl",
                               batch_worker="thread")
    with TestClient(create_app(settings, lambda: predictor)) as client:  # runs the lifespan: start-up, shut-down
        wait_until_ready(client)
        results = {}
        for case, request in requests(CUSTOMER).items():
            response = client.post("/predict", **request)
            results[case] = (response.status_code, response.json())
    return results


def summary(body: dict) -> str:
    """A successful answer as it is; an error body by its ``detail``, shortened to one line."""
    if "detail" not in body:
        return json.dumps(body)
    detail = body["detail"]
    return detail if len(detail) <= 110 else f"{detail[:107]}..."


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        for case, (status, body) in answers(trained_predictor(), Path(folder)).items():
            print(f"{case:<22} {status}  {summary(body)}")
