"""Lecture 7.6: a smoke test of the churn API, run from outside with httpx2 or in process.

The same six checks a caller cares about (the process is up, the model is loaded, a good customer
is scored, an unknown category is refused naming its field, a request without the key is refused,
the OpenAPI document lists the routes) run against any ``httpx2.Client``:

- ``--url http://127.0.0.1:8080`` checks a running service, with the key from ``CHURN_API_KEY``;
- without ``--url`` the script trains a small model on generated customers, builds the app with
  ``churn.service.app.create_app`` and checks it through FastAPI's ``TestClient``, which *is* an
  ``httpx2.Client`` that calls the app in this process instead of over a socket.

It prints one line per check and exits 1 when any check fails, so a deploy script can run it.
Run it from the repository root::

    python examples/lectures/s07/smoke_test_api.py                               # in process
    CHURN_API_KEY=... python examples/lectures/s07/smoke_test_api.py --url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx2

CUSTOMER = json.loads((Path(__file__).parents[1] / "s04" / "customer.json").read_text(encoding="utf-8"))
ANSWER_FIELDS = {"customerID", "churn_probability", "churn", "model_version"}


def wait_until_ready(client: httpx2.Client, seconds: float = 60) -> None:
    """Poll ``/ready`` until it says 200; raise ``TimeoutError`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx2.TransportError:  # not listening yet
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{client.base_url}ready did not say 200 within {seconds:g} s")
        time.sleep(0.2)


# --8<-- [start:checks]
def smoke_test(client: httpx2.Client, api_key: str) -> list[tuple[bool, str]]:
    """Call the service as a client does; return (passed, description) for each check."""
    key = {"X-API-Key": api_key}
    health = client.get("/health")
    ready = client.get("/ready")
    good = client.post("/predict", json=CUSTOMER, headers=key | {"X-Request-ID": "smoke-1"})
    wallet = client.post("/predict", json={**CUSTOMER, "PaymentMethod": "Digital wallet"}, headers=key)
    no_key = client.post("/predict", json=CUSTOMER)
    spec = client.get("/openapi.json")
    answer = good.json() if good.status_code == 200 else {}
    return [
        (health.status_code == 200, f"GET /health -> {health.status_code}"),
        (ready.status_code == 200, f"GET /ready -> {ready.status_code}, model version {ready.json()['model_version']}"),
        (set(answer) == ANSWER_FIELDS and 0 <= answer["churn_probability"] <= 1
         and good.headers.get("X-Request-ID") == "smoke-1",
         f"POST /predict -> {good.status_code}, churn_probability {answer.get('churn_probability', 0):.6f}"),
        (wallet.status_code == 422 and [e["field"] for e in wallet.json()["errors"]] == ["PaymentMethod"],
         f"POST /predict, unknown PaymentMethod -> {wallet.status_code}"),
        (no_key.status_code == 401, f"POST /predict without X-API-Key -> {no_key.status_code}"),
        (spec.status_code == 200 and {"/predict", "/predict/batch"} <= set(spec.json()["paths"]),
         f"GET /openapi.json -> {spec.status_code}, {len(spec.json()['paths'])} paths"),
    ]
# --8<-- [end:checks]


def report(results: list[tuple[bool, str]]) -> int:
    """Print one line per check; return the exit code: 0 when all passed, else 1."""
    for passed, description in results:
        print(f"{'ok  ' if passed else 'FAIL'}  {description}")
    failed = sum(not passed for passed, _ in results)
    print(f"{len(results) - failed} of {len(results)} checks passed")
    return 1 if failed else 0


# --8<-- [start:live]
def check_live(url: str, api_key: str) -> int:
    """Smoke-test the service listening at ``url``, over HTTP like any client."""
    with httpx2.Client(base_url=url, timeout=5) as client:  # a hung call fails in 5 s
        wait_until_ready(client)
        return report(smoke_test(client, api_key))
# --8<-- [end:live]


# --8<-- [start:in_process]
def check_in_process() -> int:
    """The same checks against the app itself, through TestClient: no server, no port, no model registry."""
    from churn.service.app import create_app
    from churn.service.settings import ServiceSettings
    from fastapi.testclient import TestClient

    predictor = small_model()
    with tempfile.TemporaryDirectory() as folder:
        settings = ServiceSettings(api_key="test-key", prediction_log=Path(folder) / "log.jsonl",
                                   batch_worker="thread")
        with TestClient(create_app(settings, lambda: predictor)) as client:  # runs the lifespan too
            wait_until_ready(client)
            return report(smoke_test(client, "test-key"))
# --8<-- [end:in_process]


def small_model():
    """Train on 5,000 generated customers; return the ONNX predictor the service scores with."""
    from churn.features import build_pipeline, feature_frame, target
    from churn.generate import generate_customers
    from churn.onnx_export import to_onnx
    from churn.predict import OnnxPredictor
    from churn.validate import validate_or_raise

    training, _ = validate_or_raise(generate_customers(5_000, seed=42))
    pipeline = build_pipeline("logistic_regression", {"max_iter": 1000}).fit(feature_frame(training), target(training))
    return OnnxPredictor(to_onnx(pipeline), model_version="in-process")


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments; check the service at ``--url``, or the app in process without it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running service, e.g. http://127.0.0.1:8080 (key: CHURN_API_KEY)")
    args = parser.parse_args(argv)
    if args.url is None:
        return check_in_process()
    api_key = os.environ.get("CHURN_API_KEY")
    if not api_key:
        print("error: set CHURN_API_KEY to the key the service was started with", file=sys.stderr)
        return 2
    try:
        return check_live(args.url, api_key)
    except (httpx2.TransportError, TimeoutError) as error:
        print(f"error: {args.url}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
