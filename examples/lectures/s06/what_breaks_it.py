"""Lecture 6.6: measure what breaks the reproduction of a churn run, one change at a time.

Run it from the repository root::

    python examples/lectures/s06/what_breaks_it.py

It generates 1,000 customers (seed 42), trains ``default.yaml`` on them as the reference, then
trains again with exactly one thing changed per row: the rows in reverse order, one edited value,
another seed, the same table saved as Parquet, and two tree models with one thread against two.
Each row says whether the data fingerprint, every metric (slices included) and the held-out scores
came out the same as its reference. Nothing is logged to MLflow.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from churn.config import ExperimentConfig, load_config
from churn.features import feature_frame
from churn.generate import generate_customers
from churn.tracking import data_fingerprint
from churn.train import load_training_data, train
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = load_config(ROOT / "examples/configs/default.yaml")
TUNED = load_config(ROOT / "examples/configs/tuned.yaml")


Outcome = tuple[str, dict[str, float], np.ndarray]


def outcome(config: ExperimentConfig, path: Path, threads: int | None = None) -> Outcome:
    """The data fingerprint ``log_run`` would tag, every metric it would log, and the held-out scores."""
    data = load_training_data(config, path)
    with threadpool_limits(limits=threads):  # None: as many threads as the libraries choose (the default)
        result = train(config, data)
        scores = result.pipeline.predict_proba(feature_frame(data.test))[:, 1]
    return data_fingerprint(pd.concat([data.train, data.test]).sort_index()), result.metrics | result.slices, scores


def with_model(config: ExperimentConfig, kind: str, params: dict) -> ExperimentConfig:
    """``config`` with another estimator at the end of the pipeline."""
    return config.model_copy(update={"model": config.model.model_copy(update={"kind": kind, "params": params})})


def forest(jobs: int) -> ExperimentConfig:
    """``default.yaml`` with a random forest of 100 trees fitted on ``jobs`` cores in place of the model."""
    return with_model(DEFAULT, "random_forest", {"n_estimators": 100, "n_jobs": jobs})


# --8<-- [start:variants]
def data_variants(folder: Path) -> dict[str, Path]:
    """The reference file and three variants of it: reversed rows, one edited value, Parquet."""
    table = generate_customers(1000, seed=42)
    files = {"csv": folder / "customers.csv", "reversed": folder / "reversed.csv",
             "edited": folder / "edited.csv", "parquet": folder / "customers.parquet"}
    table.to_csv(files["csv"], index=False)
    table.iloc[::-1].to_csv(files["reversed"], index=False)                  # same rows, another order
    edited = table.copy()
    edited.loc[0, "MonthlyCharges"] = round(edited.loc[0, "MonthlyCharges"] + 0.01, 2)  # one cent, one row
    edited.to_csv(files["edited"], index=False)
    pd.read_csv(files["csv"]).to_parquet(files["parquet"], index=False)      # same values, another format
    return files
# --8<-- [end:variants]


# --8<-- [start:changes]
def changes(folder: Path) -> list[tuple[str, Callable[[], Outcome], Callable[[], Outcome]]]:
    """Each change as (name, the reference training, the training with that one change)."""
    files = data_variants(folder)
    csv = files["csv"]
    reference = lambda: outcome(DEFAULT, csv)  # noqa: E731
    return [
        ("rows in reverse order", reference, lambda: outcome(DEFAULT, files["reversed"])),
        ("one value edited by 0.01", reference, lambda: outcome(DEFAULT, files["edited"])),
        ("seed 42 -> 7", reference, lambda: outcome(DEFAULT.model_copy(update={"seed": 7}), csv)),
        ("same table as Parquet", reference, lambda: outcome(DEFAULT, files["parquet"])),
        ("random_forest n_jobs 1 -> 2", lambda: outcome(forest(1), csv), lambda: outcome(forest(2), csv)),
        ("tuned HGB, 1 thread -> 2", lambda: outcome(TUNED, csv, threads=1), lambda: outcome(TUNED, csv, threads=2)),
    ]
# --8<-- [end:changes]


# --8<-- [start:measure]
def measure(folder: Path) -> list[str]:
    """One line per change: same fingerprint? how many metrics differ, ROC AUC's move, same held-out scores?"""
    lines = [f"{'change':<27}{'fingerprint':>12}{'metrics differ':>15}{'ROC AUC moved':>14}{'scores':>9}"]
    for name, before, after in changes(folder):
        (print_a, metrics_a, scores_a), (print_b, metrics_b, scores_b) = before(), after()
        differ = sum(metrics_a[key] != metrics_b.get(key) for key in metrics_a)
        moved = abs(metrics_a["roc_auc"] - metrics_b["roc_auc"])
        scores = "same" if np.array_equal(scores_a, scores_b) else "differ"
        lines.append(f"{name:<27}{'same' if print_a == print_b else 'differs':>12}"
                     f"{f'{differ} of {len(metrics_a)}':>15}{moved:>14.6f}{scores:>9}")
    return lines
# --8<-- [end:measure]


def main() -> int:
    """Print the table of changes."""
    with tempfile.TemporaryDirectory() as folder:
        print("\n".join(measure(Path(folder))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
