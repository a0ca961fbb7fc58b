"""Evaluation: the model metrics, the business metric of lecture 4.2, slice metrics, and the plots of a run."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
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


# --8<-- [start:slice_metrics]
SLICE_COLUMNS = ("gender", "SeniorCitizen")
SLICE_METRICS = ("roc_auc", "recall", "precision", "churn_rate", "count")
GAP_METRICS = ("roc_auc", "recall", "precision", "churn_rate")


def slice_metrics(frame: pd.DataFrame, y_true: np.ndarray, probability: np.ndarray,
                  threshold: float) -> dict[str, float]:
    """Metrics per value of each column of ``SLICE_COLUMNS``, and the gap between the slices of each column.

    Keys are MLflow metric names: ``slice.gender.Female.roc_auc`` (also ``recall`` and ``precision`` at
    ``threshold``, ``churn_rate`` and ``count``) and ``slice_gap.gender.roc_auc``, the largest minus the
    smallest value over the column's slices. A slice with only one class has no ROC AUC: its key is
    left out rather than logged as NaN, and the gap is taken over the slices that have one.
    """
    y_true, probability = np.asarray(y_true), np.asarray(probability)
    called = probability >= threshold
    metrics: dict[str, float] = {}
    for column in SLICE_COLUMNS:
        values = frame[column].astype(str).to_numpy()
        per_slice: dict[str, dict[str, float]] = {}
        for value in sorted(set(values)):
            inside = values == value
            truth, scores = y_true[inside], probability[inside]
            found = {"recall": float(recall_score(truth, called[inside], zero_division=0)),
                     "precision": float(precision_score(truth, called[inside], zero_division=0)),
                     "churn_rate": float(truth.mean()), "count": float(inside.sum())}
            if len(set(truth)) == 2:
                found["roc_auc"] = float(roc_auc_score(truth, scores))
            per_slice[value] = found
            metrics |= {f"slice.{column}.{value}.{name}": number for name, number in found.items()}
        for name in GAP_METRICS:
            numbers = [found[name] for found in per_slice.values() if name in found]
            if len(numbers) >= 2:
                metrics[f"slice_gap.{column}.{name}"] = max(numbers) - min(numbers)
    return metrics
# --8<-- [end:slice_metrics]


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
