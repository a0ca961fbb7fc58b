"""Lecture 4.2: what each decision threshold costs, and which one to choose.

Trains the default model exactly as ``churn train`` does (10,000 generated customers, seed 42,
80/20 split; under a second on a laptop), then prices the call list on the held-out customers at
thresholds from 0.05 to 0.70 with the project's business cost (``churn.evaluate.business_cost``).
Nothing is written to disk and nothing is logged to MLflow.

Run it from the repository root, with the default configuration or another experiment YAML::

    python examples/lectures/s04/cost_by_threshold.py [config.yaml]
"""

from __future__ import annotations

import sys

import numpy as np
from churn.config import CostConfig, ExperimentConfig, load_config
from churn.evaluate import evaluate
from churn.features import feature_frame, target
from churn.generate import generate_customers
from churn.train import load_training_data, train
from sklearn.metrics import roc_auc_score

THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(1, 15))  # 0.05, 0.10, ... 0.70
CAPACITY = 0.30  # an assumption of this lab: the team can make an offer to at most 30% of customers


# --8<-- [start:cost_table]
def cost_table(y_true: np.ndarray, probability: np.ndarray, costs: CostConfig,
               thresholds: tuple[float, ...] = THRESHOLDS) -> list[dict[str, float]]:
    """Price the call list at each threshold: share called, precision, recall, F1, cost per 1,000."""
    rows = []
    for threshold in thresholds:
        metrics = evaluate(y_true, probability, threshold, costs)
        rows.append({"threshold": threshold, "called": float(np.mean(probability >= threshold)),
                     **{key: metrics[key] for key in ("precision", "recall", "f1", "cost_per_1000")}})
    return rows


def cheapest(rows: list[dict[str, float]], max_called: float = 1.0) -> dict[str, float]:
    """The cheapest threshold among those that call at most ``max_called`` of the customers."""
    return min((row for row in rows if row["called"] <= max_called), key=lambda row: row["cost_per_1000"])
# --8<-- [end:cost_table]


def break_even(costs: CostConfig) -> float:
    """The churn probability above which an offer is cheaper than the risk of losing the customer."""
    return costs.wasted_offer / (costs.missed_churner + costs.wasted_offer)


def held_out_scores(config: ExperimentConfig) -> tuple[np.ndarray, np.ndarray, dict[str, float], float]:
    """Train as ``churn train`` does; return the held-out labels, their scores, the run's metrics and the ceiling.

    The ceiling is the ROC AUC of the generator's true churn probabilities on the same held-out
    customers: no model can rank them better, except by luck.
    """
    data = load_training_data(config)
    result = train(config, data)
    probability = result.pipeline.predict_proba(feature_frame(data.test))[:, 1]
    truth = generate_customers(config.data.generated_rows, seed=config.data.generator_seed, with_probability=True)
    truth = truth.set_index("customerID").loc[data.test["customerID"]]
    ceiling = float(roc_auc_score(truth["Churn"].eq("Yes"), truth["churn_probability"]))
    return target(data.test).to_numpy(), probability, result.metrics, ceiling


def report(config: ExperimentConfig,
           scores: tuple[np.ndarray, np.ndarray, dict[str, float], float] | None = None) -> list[str]:
    """The lines the lab prints: threshold-free metrics, the cost table and three threshold choices.

    ``scores`` are what ``held_out_scores(config)`` returns, when already computed (tests reuse them).
    """
    y_true, probability, metrics, ceiling = scores if scores is not None else held_out_scores(config)
    costs = config.costs
    rows = cost_table(y_true, probability, costs)
    lines = [f"held-out customers: {len(y_true)}, churn rate {y_true.mean():.1%}",
             f"ROC AUC {metrics['roc_auc']:.3f}, PR AUC {metrics['pr_auc']:.3f} (the same at every threshold); "
             f"the true probabilities reach ROC AUC {ceiling:.3f} here",
             f"missed churner {costs.missed_churner:g}, wasted offer {costs.wasted_offer:g}: calling nobody costs "
             f"{y_true.mean() * 1000 * costs.missed_churner:,.0f} per 1,000 customers",
             f"break-even probability: {costs.wasted_offer:g} / ({costs.missed_churner:g} + "
             f"{costs.wasted_offer:g}) = {break_even(costs):.3f}",
             "",
             "threshold  called  precision  recall     F1  cost per 1,000"]
    lines += [f"{row['threshold']:>9.2f}  {row['called']:>6.1%}  {row['precision']:>9.3f}  {row['recall']:>6.3f}"
              f"  {row['f1']:>5.3f}  {row['cost_per_1000']:>14,.0f}" for row in rows]
    best_f1 = max(rows, key=lambda row: row["f1"])
    picks = [("highest F1", best_f1), ("cheapest", cheapest(rows)),
             (f"cheapest calling at most {CAPACITY:.0%}", cheapest(rows, CAPACITY)),
             (f"configured ({config.threshold})", next(row for row in rows if row["threshold"] == config.threshold))]
    lines.append("")
    lines += [f"{name + ':':<35} threshold {row['threshold']:.2f}, calls {row['called']:.1%}, "
              f"cost {row['cost_per_1000']:,.0f} per 1,000" for name, row in picks]
    return lines


if __name__ == "__main__":
    print("\n".join(report(load_config(sys.argv[1] if len(sys.argv) > 1 else "examples/configs/default.yaml"))))
