"""Lecture 5.4: measure training/serving skew; a hand-written serving transform vs the shipped pipeline.

Run it from the repository root::

    python examples/lectures/s05/skew_demo.py

One pipeline is trained on 10,000 generated customers. Then 5,000 new customers (3% of them with a
blank TotalCharges, as happens when billing lags) are scored four ways and compared with the
probabilities the training-side code gives for the same customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from churn.contract import feature_columns
from churn.features import CATEGORICAL_COLUMNS, build_pipeline, feature_frame, target
from churn.generate import Quality, generate_customers
from churn.onnx_export import to_onnx
from churn.predict import DEFAULT_THRESHOLD, OnnxPredictor, SklearnPredictor
from churn.validate import validate
from sklearn.pipeline import Pipeline

TRAIN_ROWS, SERVE_ROWS = 10_000, 5_000


def train_pipeline(rows: int = TRAIN_ROWS, seed: int = 42) -> Pipeline:
    """Fit the project's feature pipeline and model on validated, generated customers."""
    clean, _ = validate(generate_customers(rows, seed=seed))
    return build_pipeline().fit(feature_frame(clean), target(clean))


def live_records(rows: int = SERVE_ROWS, seed: int = 2026) -> list[dict[str, Any]]:
    """New customers as the service receives them: raw records, some with a blank TotalCharges."""
    raw = generate_customers(rows, seed=seed, quality=Quality(blank_total_charges_share=0.03))
    return raw.drop(columns="Churn").to_dict(orient="records")


def training_side(pipeline: Pipeline, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """What the model was trained to see: validation's rules, then the pipeline's own features."""
    clean, _ = validate(pd.DataFrame(records), require_target=False)
    return pipeline.predict_proba(feature_frame(clean))[:, 1]


# --8<-- [start:handwritten]
def handwritten_features(records: Sequence[Mapping[str, Any]], *, blank_as_zero: bool = True,
                         tidy_case: bool = True) -> pd.DataFrame:
    """The service team's own copy of the feature preparation. It looks right; it is not."""
    frame = pd.DataFrame(records)[feature_columns()]
    if blank_as_zero:  # training filled tenure * MonthlyCharges (0.0 only in the first month)
        frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce").fillna(0.0)
    else:
        frame["TotalCharges"] = [_training_rule(record) for record in records]
    if tidy_case:  # meant to turn "yes" into "Yes"; also turns "DSL" into "Dsl"
        frame[CATEGORICAL_COLUMNS] = frame[CATEGORICAL_COLUMNS].apply(lambda c: c.str.strip().str.capitalize())
    return frame
# --8<-- [end:handwritten]


def _training_rule(record: Mapping[str, Any]) -> float:
    value = record["TotalCharges"]
    if isinstance(value, str) and not value.strip():
        return 0.0 if record["tenure"] == 0 else round(record["tenure"] * record["MonthlyCharges"], 2)
    return float(value)


def skew(reference: np.ndarray, served: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> dict[str, float]:
    """How far served probabilities are from the reference, and how many call decisions flip."""
    difference = np.abs(served - reference)
    return {"rows_changed": int((difference > 1e-9).sum()), "max_difference": float(difference.max()),
            "decisions_flipped": int(((served >= threshold) != (reference >= threshold)).sum())}


# --8<-- [start:compare]
def compare(pipeline: Pipeline, records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Score the same records four ways and measure each against the training-side probabilities."""
    reference = training_side(pipeline, records)
    hand = {
        "hand-written, blank as 0": dict(tidy_case=False),
        "hand-written, tidied case": dict(blank_as_zero=False),
        "hand-written, both": {},
    }
    results = {name: skew(reference, pipeline.predict_proba(handwritten_features(records, **options))[:, 1])
               for name, options in hand.items()}
    shipped = SklearnPredictor(pipeline, model_version="1").predict_records(records)
    results["shipped pipeline"] = skew(reference, np.array([p.probability for p in shipped]))
    onnx = OnnxPredictor(to_onnx(pipeline), model_version="1").predict_records(records)
    results["shipped ONNX copy"] = skew(reference, np.array([p.probability for p in onnx]))
    return results
# --8<-- [end:compare]


def report(records: Sequence[Mapping[str, Any]], results: dict[str, dict[str, float]]) -> list[str]:
    """The lines the lecture tells you to read."""
    blanks = sum(isinstance(r["TotalCharges"], str) and not r["TotalCharges"].strip() for r in records)
    dsl = sum(r["InternetService"] == "DSL" for r in records)
    lines = [f"{len(records)} live customers: {blanks} with a blank TotalCharges, {dsl} on DSL",
             f"compared with the training-side probabilities; decision threshold {DEFAULT_THRESHOLD}", "",
             f"{'serving path':<28} {'rows changed':>12} {'max difference':>15} {'decisions flipped':>18}"]
    for name, row in results.items():
        lines.append(f"{name:<28} {row['rows_changed']:>12} {row['max_difference']:>15.2e} "
                     f"{row['decisions_flipped']:>18}")
    return lines


if __name__ == "__main__":
    live = live_records()
    print("\n".join(report(live, compare(train_pipeline(), live))))
