"""Lecture 7.2: what the model does with a NaN or an unknown category, and what ``predict()`` does instead.

The script trains the project's pipeline on generated customers and wraps it twice, as
``churn.predict.SklearnPredictor`` (the scikit-learn pipeline itself) and as
``churn.predict.OnnxPredictor`` (its ONNX copy, which the CLI and the service load). It scores
three versions of the customer of lecture 4.1 (as given, ``MonthlyCharges`` NaN, ``PaymentMethod``
"Digital wallet") with each bare predictor, then through ``churn.predict.predict``, which checks
the contract first. Last, it scores 1,000 generated customers with both predictors and prints the
largest difference between their probabilities. It writes no files.

Run it from the repository root::

    python examples/lectures/s07/what_predict_refuses.py
"""

from __future__ import annotations

import json
from pathlib import Path

from churn.contract import TARGET_COLUMN
from churn.features import build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.onnx_export import to_onnx
from churn.predict import OnnxPredictor, PredictionInputError, SklearnPredictor, predict
from churn.validate import validate_or_raise

CUSTOMER = json.loads((Path(__file__).parents[1] / "s04" / "customer.json").read_text(encoding="utf-8"))


def trained_predictors() -> tuple[SklearnPredictor, OnnxPredictor]:
    """Train on 5,000 generated customers; return the pipeline and its ONNX copy as predictors."""
    training, _ = validate_or_raise(generate_customers(5_000, seed=42))
    pipeline = build_pipeline("logistic_regression", {"max_iter": 1000}).fit(feature_frame(training), target(training))
    return SklearnPredictor(pipeline, model_version="demo"), OnnxPredictor(to_onnx(pipeline), model_version="demo")


# --8<-- [start:cases]
def cases(customer: dict) -> dict[str, dict]:
    """The customer as given, and two copies that each break the contract in one field."""
    return {
        "as given": customer,
        "MonthlyCharges NaN": {**customer, "MonthlyCharges": float("nan")},
        "unknown PaymentMethod": {**customer, "PaymentMethod": "Digital wallet"},
    }


def answer(score, record: dict) -> str:
    """What one way of scoring returns for one record: a probability, or the error it raises."""
    try:
        return f"{score([record])[0].probability:.4f}"
    except PredictionInputError as error:
        return f"refused: {str(error).split(': ', 1)[1]}"
    except ValueError as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0][:40]}"


# --8<-- [end:cases]


def table(sklearn: SklearnPredictor, onnx: OnnxPredictor) -> dict[str, dict[str, str]]:
    """For each case, the answer of the bare pipeline, of the bare ONNX copy and of ``predict()``."""
    ways = {
        "scikit-learn alone": sklearn.predict_records,
        "ONNX alone": onnx.predict_records,
        "predict()": lambda records: predict(records, onnx),
    }
    return {
        case: {way: answer(score, record) for way, score in ways.items()} for case, record in cases(CUSTOMER).items()
    }


def largest_difference(sklearn: SklearnPredictor, onnx: OnnxPredictor, customers: int = 1_000) -> float:
    """The largest |ONNX - scikit-learn| probability over generated customers the contract accepts."""
    records = generate_customers(customers, seed=7).drop(columns=TARGET_COLUMN).to_dict(orient="records")
    return max(
        abs(a.probability - b.probability)
        for a, b in zip(sklearn.predict_records(records), onnx.predict_records(records), strict=True)
    )


if __name__ == "__main__":
    sklearn, onnx = trained_predictors()
    for case, answers in table(sklearn, onnx).items():
        print(case)
        for way, text in answers.items():
            print(f"  {way:<19} {text}")
    print(f"1,000 generated customers: largest |ONNX - scikit-learn| = {largest_difference(sklearn, onnx):.1e}")
