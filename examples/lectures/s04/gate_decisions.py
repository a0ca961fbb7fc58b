"""Lecture 4.6: what the automatic promotion gate decides, and what it cannot see.

Trains three candidate models on the default data (as ``churn train`` would, without MLflow) and
asks the registry's gate (``churn.registry.passes_gate``, the rules ``churn promote`` applies)
about three situations. Nothing is written to disk.

Run it from the repository root::

    python examples/lectures/s04/gate_decisions.py
"""

from __future__ import annotations

from typing import Any

from churn.config import ExperimentConfig, load_config
from churn.registry import passes_gate
from churn.train import load_training_data, train

CANDIDATES: dict[str, dict[str, Any] | None] = {
    "logistic regression (default)": None,
    "random forest": {"kind": "random_forest", "params": {"n_estimators": 100, "min_samples_leaf": 20}},
    "over-regularised logistic regression": {"kind": "logistic_regression", "params": {"C": 1e-5}},
}


def candidate_metrics(config: ExperimentConfig) -> dict[str, dict[str, float]]:
    """Train each candidate on the same split; return its held-out metrics."""
    data = load_training_data(config)
    metrics = {}
    for name, model in CANDIDATES.items():
        settings = config.model_dump() | ({"model": model} if model else {})
        metrics[name] = train(ExperimentConfig.model_validate(settings), data).metrics
    return metrics


# --8<-- [start:situations]
def situations(metrics: dict[str, dict[str, float]]) -> list[tuple[str, str, str | None]]:
    """(situation, challenger, champion or None): what the gate is asked in this lab."""
    default, forest, weak = metrics  # the three candidates, in CANDIDATES order
    return [
        ("first model ever, no champion yet", default, None),
        ("a random forest challenges the champion", forest, default),
        ("a first model that never says 'churn'", weak, None),
    ]


def ask_the_gate(metrics: dict[str, dict[str, float]], config: ExperimentConfig) -> list[str]:
    """Apply the promotion gate to each situation; show the decision next to the business numbers."""
    lines = []
    for situation, challenger, champion in situations(metrics):
        promoted, reasons = passes_gate(metrics[challenger], metrics[champion] if champion else None, config)
        scores = metrics[challenger]
        lines.append(f"{situation}: {'PROMOTED' if promoted else 'NOT PROMOTED'}")
        lines.append(f"    {challenger}: ROC AUC {scores['roc_auc']:.4f}, PR AUC {scores['pr_auc']:.4f}, "
                     f"recall {scores['recall']:.3f}, saving {scores['saving_per_1000']:,.0f} per 1,000")
        lines += [f"    - {reason}" for reason in reasons]
    return lines
# --8<-- [end:situations]


if __name__ == "__main__":
    settings = load_config("examples/configs/default.yaml")
    gate = settings.promotion
    print(f"gate: ROC AUC >= {gate.min_roc_auc}, PR AUC >= {gate.min_pr_auc}, "
          f"and beat the champion's {gate.metric} by {gate.margin}\n")
    print("\n".join(ask_the_gate(candidate_metrics(settings), settings)))
