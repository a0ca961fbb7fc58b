"""Lecture 3.4: the same training code gives a different model when the seed or the data changes.

In DevOps, the same commit builds the same program. Here the code and the configuration stay
exactly the same (a random forest from ``churn.features.build_pipeline``); only the random seed
or the month of data changes. Every model is scored on the same 5,000 evaluation customers, and
the script counts how many of them get a different call decision (probability >= 0.35) than
from model A.

Run it from the repository root (5 to 10 seconds)::

    python examples/lectures/s03/same_code_new_model.py
"""

from __future__ import annotations

import numpy as np
from churn.features import build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.validate import validate_or_raise
from sklearn.metrics import roc_auc_score

THRESHOLD = 0.35
PARAMS = {"n_estimators": 50, "min_samples_leaf": 10}


def customers(seed: int, rows: int):
    """Validated generated customers: ``seed`` stands for the month the export was taken."""
    frame, _ = validate_or_raise(generate_customers(rows, seed=seed))
    return frame


# --8<-- [start:train_twice]
def train(data_seed: int, model_seed: int):
    """The unchanged training code: same pipeline, same parameters; only the seeds vary."""
    data = customers(data_seed, 10_000)
    return build_pipeline("random_forest", PARAMS, seed=model_seed).fit(feature_frame(data), target(data))


RUNS = {  # name: (month of data, random seed of the model)
    "A": (42, 1),
    "A again": (42, 1),  # same code, same data, same seed
    "B": (42, 2),  # same code, same data, another seed
    "C": (43, 1),  # same code, same seed, next month's data
}
# --8<-- [end:train_twice]


def compare() -> dict[str, dict[str, float]]:
    """Score every run on the same evaluation customers; compare each with model A."""
    evaluation = customers(99, 5_000)
    X, y = feature_frame(evaluation), target(evaluation)
    probabilities = {name: train(*seeds).predict_proba(X)[:, 1] for name, seeds in RUNS.items()}
    reference = probabilities["A"]
    return {name: {"roc_auc": roc_auc_score(y, p),
                   "max_change": float(np.max(np.abs(p - reference))),
                   "decisions_changed": float(np.mean((p >= THRESHOLD) != (reference >= THRESHOLD)))}
            for name, p in probabilities.items()}


if __name__ == "__main__":
    results = compare()
    print(f"{'model':<9}{'data':>6}{'seed':>6}{'ROC AUC':>9}{'largest change':>16}{'call decision changed':>23}")
    for name, r in results.items():
        data_seed, model_seed = RUNS[name]
        print(f"{name:<9}{data_seed:>6}{model_seed:>6}{r['roc_auc']:>9.4f}{r['max_change']:>16.3f}"
              f"{r['decisions_changed']:>23.1%}")
    print("(change: against model A, on the same 5,000 customers; the code did not change)")
