"""Evaluation: the model metrics, the business metric of lecture 4.2, and the plots of a run."""

from __future__ import annotations

import io

import numpy as np
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from churn.config import CostConfig


# --8<-- [start:business_cost]
def business_cost(y_true: np.ndarray, called: np.ndarray, costs: CostConfig) -> dict[str, float]:
    """Money the model's call list costs and saves, per 1,000 customers.

    A churner we do not call costs ``missed_churner``; a loyal customer we call anyway costs
    ``wasted_offer``. The baseline is calling nobody: every churner is missed.
    """
    missed = np.sum((y_true == 1) & ~called)
    wasted = np.sum((y_true == 0) & called)
    cost = missed * costs.missed_churner + wasted * costs.wasted_offer
    baseline = np.sum(y_true == 1) * costs.missed_churner
    per_thousand = 1000 / len(y_true)
    return {"cost_per_1000": cost * per_thousand, "saving_per_1000": (baseline - cost) * per_thousand}
# --8<-- [end:business_cost]


def evaluate(y_true: np.ndarray, probability: np.ndarray, threshold: float, costs: CostConfig) -> dict[str, float]:
    """Return ROC AUC, PR AUC, precision, recall and F1 at ``threshold``, and the business cost."""
    y_true = np.asarray(y_true)
    called = np.asarray(probability) >= threshold
    return {
        "roc_auc": float(roc_auc_score(y_true, probability)),
        "pr_auc": float(average_precision_score(y_true, probability)),
        "precision": float(precision_score(y_true, called, zero_division=0)),
        "recall": float(recall_score(y_true, called, zero_division=0)),
        "f1": float(f1_score(y_true, called, zero_division=0)),
        **{key: float(value) for key, value in business_cost(y_true, called, costs).items()},
    }


def plot_images(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, bytes]:
    """Draw the ROC curve, the precision-recall curve and the confusion matrix; return PNG bytes by file name."""
    import matplotlib  # imported here: only drawing needs it, and it takes most of a second

    matplotlib.use("Agg")  # images only, no display
    import matplotlib.pyplot as plt

    plots = {
        "roc_curve.png": lambda ax: RocCurveDisplay.from_predictions(y_true, probability, ax=ax),
        "pr_curve.png": lambda ax: PrecisionRecallDisplay.from_predictions(y_true, probability, ax=ax),
        "confusion_matrix.png": lambda ax: ConfusionMatrixDisplay.from_predictions(
            y_true, (probability >= threshold).astype(int), display_labels=["stays", "churns"], ax=ax),
    }
    images = {}
    for name, draw in plots.items():
        figure, axes = plt.subplots(figsize=(5, 4), dpi=80)
        draw(axes)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
        images[name] = buffer.getvalue()
    return images
