"""Lecture 6.1: the same config, seed and data give the same metrics; the fingerprint says what changed.

The script trains the churn project's own pipeline four times with ``churn.train`` (the code
``churn train`` runs), from ``examples/configs/default.yaml`` (10,000 generated customers), and prints
each run's data fingerprint (``churn.tracking.data_fingerprint``, the tag every tracked run carries)
next to its held-out metrics:

- ``default``: the config as it is;
- ``default again``: the same config, a second time;
- ``seed 7``: the same data, another ``seed`` (it decides the train/test split);
- ``data seed 7``: another ``data.generator_seed``, so other customers.

Run it from the repository root::

    python examples/lectures/s06/rerun_same_config.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from churn.config import ExperimentConfig, load_config
from churn.tracking import data_fingerprint
from churn.train import load_training_data, train

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "default.yaml"


# --8<-- [start:runs]
def experiment(seed: int | None = None, generator_seed: int | None = None) -> ExperimentConfig:
    """``default.yaml`` as it is, or with ``seed`` or ``data.generator_seed`` changed."""
    config = load_config(CONFIG)
    if generator_seed is not None:
        config = config.model_copy(update={"data": config.data.model_copy(update={"generator_seed": generator_seed})})
    return config if seed is None else config.model_copy(update={"seed": seed})


RUNS = {  # name: the config of the run
    "default": experiment(),
    "default again": experiment(),  # nothing changed
    "seed 7": experiment(seed=7),  # same customers, another split
    "data seed 7": experiment(generator_seed=7),  # other customers
}


def run(config: ExperimentConfig) -> dict[str, Any]:
    """Train and evaluate as ``churn train`` does; return the fingerprint and the held-out metrics."""
    data = load_training_data(config)
    result = train(config, data)
    fingerprint = data_fingerprint(pd.concat([data.train, data.test]).sort_index())  # as churn.tracking logs it
    return {"fingerprint": fingerprint, **result.metrics}
# --8<-- [end:runs]


def compare() -> dict[str, dict[str, Any]]:
    """Run every entry of ``RUNS``; return its fingerprint and metrics by name."""
    return {name: run(config) for name, config in RUNS.items()}


def report(results: dict[str, dict[str, Any]]) -> str:
    """The table the lecture reads: short fingerprint, seeds, ROC AUC, PR AUC, F1, and change against ``default``."""
    first = results["default"]
    lines = [f"{'run':<15}{'fingerprint':>13}{'seed':>6}{'data seed':>11}{'ROC AUC':>10}{'PR AUC':>9}"
             f"{'F1':>8}{'ROC AUC change':>16}"]
    for name, result in results.items():
        config = RUNS[name]
        change = result["roc_auc"] - first["roc_auc"]
        lines.append(f"{name:<15}{result['fingerprint'][:12]:>13}{config.seed:>6}{config.data.generator_seed:>11}"
                     f"{result['roc_auc']:>10.6f}{result['pr_auc']:>9.4f}{result['f1']:>8.4f}{change:>+16.6f}")
    same = results["default again"] == first
    lines.append(f"default again identical to default (fingerprint and every metric): {same}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(compare()))
