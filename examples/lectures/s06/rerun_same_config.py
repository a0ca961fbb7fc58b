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
def experiment(seed: int | None = None,
               data_seed: int | None = None) -> ExperimentConfig:
    """``default.yaml``, or with its ``seed`` or ``data.generator_seed`` set."""
    config = load_config(CONFIG)
    if data_seed is not None:
        data = config.data.model_copy(update={"generator_seed": data_seed})
        config = config.model_copy(update={"data": data})
    if seed is not None:
        config = config.model_copy(update={"seed": seed})
    return config


RUNS = {  # name: the config of the run
    "default": experiment(),
    "default again": experiment(),  # nothing changed
    "seed 7": experiment(seed=7),  # same customers, another split
    "data seed 7": experiment(data_seed=7),  # other customers
}


def run(config: ExperimentConfig) -> dict[str, Any]:
    """Train as ``churn train`` does; the fingerprint and held-out metrics."""
    data = load_training_data(config)
    result = train(config, data)
    table = pd.concat([data.train, data.test]).sort_index()  # what log_run hashes
    return {"fingerprint": data_fingerprint(table), **result.metrics}
# --8<-- [end:runs]


def compare() -> dict[str, dict[str, Any]]:
    """Run every entry of ``RUNS``; return its fingerprint and metrics by name."""
    return {name: run(config) for name, config in RUNS.items()}


def report(results: dict[str, dict[str, Any]]) -> str:
    """The table the lecture reads: short fingerprint, both seeds, ROC AUC, PR AUC and F1 of every run."""
    lines = [f"{'run':<15}{'fingerprint':<14}{'seed':>4}{'data seed':>11}{'ROC AUC':>10}{'PR AUC':>8}{'F1':>8}"]
    for name, result in results.items():
        config = RUNS[name]
        lines.append(f"{name:<15}{result['fingerprint'][:12]:<14}{config.seed:>4}{config.data.generator_seed:>11}"
                     f"{result['roc_auc']:>10.6f}{result['pr_auc']:>8.4f}{result['f1']:>8.4f}")
    same = results["default again"] == results["default"]
    lines.append(f"default again identical to default (fingerprint and every metric): {same}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(compare()))
