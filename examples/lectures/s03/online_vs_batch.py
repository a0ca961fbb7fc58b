"""Lecture 3.5: one model, two ways to use it: one customer per call (online) or all at once (batch).

The script trains the project's pipeline on generated customers, exports it to ONNX and wraps it
in ``churn.predict.OnnxPredictor``, the predictor the service loads for ``POST /predict`` and
``POST /predict/batch``. It then scores 1,000 customers twice: one call per customer, as the CRM
asks during the day, and one call for all of them, as the weekly job does. It prints the time of
each path and checks that both gave the same probabilities. The times are the model calls only:
no HTTP, no network, no feature look-ups.

Run it from the repository root::

    python examples/lectures/s03/online_vs_batch.py
"""

from __future__ import annotations

import time

from churn.contract import TARGET_COLUMN
from churn.features import build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.onnx_export import to_onnx
from churn.predict import OnnxPredictor, Prediction
from churn.validate import validate_or_raise

CUSTOMERS = 1_000
REPEATS = 3  # keep the fastest of three runs: the least disturbed by other processes


def trained_predictor() -> OnnxPredictor:
    """Train on 5,000 generated customers and wrap the model as the service does."""
    training, _ = validate_or_raise(generate_customers(5_000, seed=42))
    pipeline = build_pipeline("logistic_regression", {"max_iter": 1000}).fit(feature_frame(training),
                                                                               target(training))
    return OnnxPredictor(to_onnx(pipeline), model_version="demo")


# --8<-- [start:two_paths]
def online(predictor: OnnxPredictor, records: list[dict]) -> list[Prediction]:
    """Daytime: the CRM opens one customer's page and asks for one score, then the next, ..."""
    return [predictor.predict_records([record])[0] for record in records]


def batch(predictor: OnnxPredictor, records: list[dict]) -> list[Prediction]:
    """Weekly: every active customer in one call; the list is ready before the team starts on Monday."""
    return predictor.predict_records(records)
# --8<-- [end:two_paths]


def fastest(path, predictor: OnnxPredictor, records: list[dict]) -> tuple[list[Prediction], float]:
    """Run ``path`` REPEATS times; return its predictions and the fastest time in seconds."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        predictions = path(predictor, records)
        times.append(time.perf_counter() - started)
    return predictions, min(times)


def compare() -> dict[str, float]:
    """Time both paths on the same customers; return the timings and the largest difference."""
    predictor = trained_predictor()
    records = generate_customers(CUSTOMERS, seed=7).drop(columns=TARGET_COLUMN).to_dict(orient="records")
    one_by_one, online_seconds = fastest(online, predictor, records)
    all_at_once, batch_seconds = fastest(batch, predictor, records)
    difference = max(abs(a.probability - b.probability) for a, b in zip(one_by_one, all_at_once, strict=True))
    return {"online_seconds": online_seconds, "batch_seconds": batch_seconds, "max_difference": difference}


if __name__ == "__main__":
    result = compare()
    online_ms, batch_ms = 1000 * result["online_seconds"], 1000 * result["batch_seconds"]
    print(f"{CUSTOMERS:,} customers, model calls only (ONNX Runtime, one thread)")
    for label, ms in ((f"online: {CUSTOMERS:,} calls of 1 customer", online_ms),
                      (f"batch:  1 call of {CUSTOMERS:,} customers", batch_ms)):
        print(f"{label}  {ms:8.1f} ms  ({ms / CUSTOMERS:.3f} ms per customer)")
    print(f"batch is {online_ms / batch_ms:.0f}x cheaper per customer; "
          f"largest difference between the two paths' probabilities: {result['max_difference']:.1e}")
