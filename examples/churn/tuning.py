"""Choose a model's hyper-parameters by cross-validation on the training split only.

The held-out split stays unseen: it judges the chosen parameters afterwards (``churn train`` and
``benchmarks/model_seeds.py``), so the search cannot flatter itself. This is how
``examples/configs/tuned.yaml`` was chosen::

    PYTHONPATH=examples .venv/bin/python -m churn.tuning

It prints the mean and spread of the cross-validated ROC AUC of every candidate, best first, next
to the default configuration's, and the parameters to copy into the YAML file.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from churn.config import load_config
from churn.features import build_pipeline, feature_frame, target
from churn.train import load_training_data

# Shallow trees, down to stumps (max_depth 1: a sum of one-feature steps, an additive model), and
# how fast and how long to boost them. 24 candidates x 5 folds: about two minutes on one core.
HIST_GRADIENT_BOOSTING_GRID: dict[str, list[Any]] = {
    "max_depth": [1, 2, 3],
    "learning_rate": [0.05, 0.1],
    "max_iter": [150, 300],
    "min_samples_leaf": [20, 100],
}


@dataclass(frozen=True)
class Candidate:
    """One point of the search and its cross-validated ROC AUC (one value per fold)."""

    kind: str
    params: dict[str, Any]
    fold_roc_auc: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean ROC AUC over the folds."""
        return float(np.mean(self.fold_roc_auc))

    @property
    def std(self) -> float:
        """Standard deviation of the ROC AUC over the folds."""
        return float(np.std(self.fold_roc_auc))


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as parameter dicts."""
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def cross_validate(train: pd.DataFrame, kind: str, params: dict[str, Any], folds: int = 5,
                   seed: int = 42) -> Candidate:
    """Cross-validate one kind and parameter set on a validated training table.

    The folds are stratified and shuffled with ``seed``, so every candidate sees the same folds.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    pipeline = build_pipeline(kind, params, seed=seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(pipeline, feature_frame(train), target(train), scoring="roc_auc", cv=splitter)
    return Candidate(kind, params, tuple(float(score) for score in scores))


def search(train: pd.DataFrame, kind: str = "hist_gradient_boosting", grid: dict[str, list[Any]] | None = None,
           folds: int = 5, seed: int = 42) -> list[Candidate]:
    """Cross-validate every point of ``grid`` for ``kind``; return the candidates, best mean ROC AUC first."""
    points = grid_points(grid if grid is not None else HIST_GRADIENT_BOOSTING_GRID)
    candidates = [cross_validate(train, kind, params, folds, seed) for params in points]
    return sorted(candidates, key=lambda candidate: candidate.mean, reverse=True)


def main(argv: list[str] | None = None) -> int:
    """Run the search on the default configuration's data and print it."""
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=None, help="experiment YAML whose data and seed are used "
                        "(default: the built-in defaults, 10,000 generated rows, seed 42)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    train = load_training_data(config).train
    with threadpool_limits(1):  # one thread per fit: OpenMP's spinning threads slow a shared machine down
        baseline = cross_validate(train, config.model.kind, config.model.params, args.folds, config.seed)
        candidates = search(train, folds=args.folds, seed=config.seed)
    print(f"{args.folds}-fold cross-validated ROC AUC on the training split ({len(train)} rows, seed {config.seed}):")
    print(f"  default {baseline.kind} {baseline.params}: {baseline.mean:.4f} +/- {baseline.std:.4f}")
    for candidate in candidates:
        print(f"  {candidate.mean:.4f} +/- {candidate.std:.4f}  {candidate.params}")
    best = candidates[0]
    print(f"best: {best.kind} {best.params}: {best.mean:.4f}, {best.mean - baseline.mean:+.4f} against the default")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
