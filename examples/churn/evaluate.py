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
SLICE_METRICS = ("roc_auc", "recall", "precision", "churn_rate", "count", "churners")
GAP_METRICS = ("roc_auc", "recall", "precision", "churn_rate")


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Standard error of a ROC AUC estimated from ``positives`` and ``negatives`` (Hanley and McNeil, 1982)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) \
        / (positives * negatives)
    return float(np.sqrt(max(variance, 0.0)))


def proportion_standard_error(share: float, size: int) -> float:
    """Standard error of a share measured on ``size`` customers (binomial); 0 for an empty denominator."""
    return float(np.sqrt(share * (1 - share) / size)) if size else 0.0


def slice_metrics(frame: pd.DataFrame, y_true: np.ndarray, probability: np.ndarray,
                  threshold: float) -> dict[str, float]:
    """Metrics per value of each column of ``SLICE_COLUMNS``, and the gap between the slices of each column.

    Keys are MLflow metric names: ``slice.gender.Female.roc_auc`` (also ``recall`` and ``precision`` at
    ``threshold``, ``churn_rate``, ``count`` and ``churners``), ``slice_gap.gender.roc_auc``, the largest
    minus the smallest value over the column's slices, and ``slice_gap_se.gender.roc_auc``, the standard
    error of that gap: the two slices are independent samples, so it is the root of the sum of their
    squared standard errors (Hanley and McNeil's for ROC AUC; the binomial one for recall over the
    slice's churners, precision over the customers called, churn rate over the slice). A gap smaller
    than about twice its standard error can be sampling noise of the held-out split. A slice with only
    one class has no ROC AUC: its key is left out rather than logged as NaN, and the gap is taken over
    the slices that have one.
    """
    y_true, probability = np.asarray(y_true), np.asarray(probability)
    called = probability >= threshold
    metrics: dict[str, float] = {}
    for column in SLICE_COLUMNS:
        values = frame[column].astype(str).to_numpy()
        per_slice: dict[str, dict[str, float]] = {}
        errors: dict[str, dict[str, float]] = {}
        for value in sorted(set(values)):
            inside = values == value
            truth, scores, calls = y_true[inside], probability[inside], called[inside]
            positives, calls_made = int(truth.sum()), int(calls.sum())
            found = {"recall": float(recall_score(truth, calls, zero_division=0)),
                     "precision": float(precision_score(truth, calls, zero_division=0)),
                     "churn_rate": float(truth.mean()), "count": float(inside.sum()), "churners": float(positives)}
            errors[value] = {"recall": proportion_standard_error(found["recall"], positives),
                             "precision": proportion_standard_error(found["precision"], calls_made),
                             "churn_rate": proportion_standard_error(found["churn_rate"], int(inside.sum()))}
            if len(set(truth)) == 2:
                found["roc_auc"] = float(roc_auc_score(truth, scores))
                errors[value]["roc_auc"] = auc_standard_error(found["roc_auc"], positives, len(truth) - positives)
            per_slice[value] = found
            metrics |= {f"slice.{column}.{value}.{name}": number for name, number in found.items()}
        for name in GAP_METRICS:
            having = {value: found[name] for value, found in per_slice.items() if name in found}
            if len(having) >= 2:
                highest, lowest = max(having, key=having.get), min(having, key=having.get)
                metrics[f"slice_gap.{column}.{name}"] = having[highest] - having[lowest]
                metrics[f"slice_gap_se.{column}.{name}"] = float(np.hypot(errors[highest][name],
                                                                          errors[lowest][name]))
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
