"""Lecture 5.5: a point-in-time join vs a naive latest-value join, and the leakage it prevents.

Run it from the repository root::

    python examples/lectures/s05/point_in_time.py

A feature table holds a weekly value of ``support_calls_30d`` per customer, January to September
2026. The label table says, for each customer and prediction date, whether they left in the 30
days after it. Customers who leave call support to cancel, after the prediction date: the naive
join sees those calls, the point-in-time join does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

CUSTOMERS = 2_000
SEED = 5
WEEKS = pd.date_range("2026-01-05", "2026-09-28", freq="7D")
PREDICTION_DATES = pd.to_datetime(["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"])  # 1st of the month


def make_tables(customers: int = CUSTOMERS, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (labels, features): one prediction per customer, weekly feature values until they leave."""
    rng = np.random.default_rng(seed)
    ids = [f"{n:04d}-CUST{chr(65 + n % 26)}" for n in range(customers)]
    churned = rng.random(customers) < 0.25
    predicted_at = PREDICTION_DATES[rng.integers(0, len(PREDICTION_DATES), customers)]
    left_at = predicted_at + pd.to_timedelta(np.where(churned, rng.integers(7, 31, customers), 10_000), unit="D")
    labels = pd.DataFrame({"customerID": ids, "prediction_time": predicted_at, "churned": churned.astype(int)})
    base = rng.gamma(2.0, 0.5, customers) * np.where(churned, 1.3, 1.0)  # a weak real signal
    rows = []
    for week in WEEKS:
        active = week <= left_at
        cancelling = active & (week > predicted_at) & churned  # calls to cancel, after the prediction
        calls = rng.poisson(base + 3.0 * cancelling)
        rows.append(pd.DataFrame({"customerID": np.asarray(ids)[active], "event_timestamp": week,
                                  "support_calls_30d": calls[active]}))
    return labels, pd.concat(rows, ignore_index=True)


# --8<-- [start:joins]
def naive_join(labels: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Latest value per customer, whatever its date: what `SELECT ... the newest row` gives you."""
    latest = features.sort_values("event_timestamp").groupby("customerID").tail(1)
    return labels.merge(latest, on="customerID", how="left")


def point_in_time_join(labels: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """For each label row, the newest feature value stamped at or before its prediction time."""
    return pd.merge_asof(
        labels.sort_values("prediction_time"), features.sort_values("event_timestamp"),
        left_on="prediction_time", right_on="event_timestamp", by="customerID",
        direction="backward", tolerance=pd.Timedelta("14D"),  # older than 2 weeks: treat as missing
    )
# --8<-- [end:joins]


def summarise(joined: pd.DataFrame) -> dict[str, float]:
    """Rows that used a value from after the prediction time, and the feature's AUC for churn."""
    future = int((joined["event_timestamp"] > joined["prediction_time"]).sum())
    known = joined.dropna(subset=["support_calls_30d"])
    return {"rows": len(joined), "values_from_the_future": future,
            "auc": float(roc_auc_score(known["churned"], known["support_calls_30d"]))}


def main() -> list[str]:
    """Join both ways and return the lines to print."""
    labels, features = make_tables()
    lines = [f"{len(labels)} customers, {len(features)} weekly feature rows, "
             f"churn rate {labels['churned'].mean():.0%}", "",
             f"{'join':<16} {'values from after the prediction':>33} {'AUC of support_calls_30d':>25}"]
    for name, join in (("naive (latest)", naive_join), ("point-in-time", point_in_time_join)):
        result = summarise(join(labels, features))
        lines.append(f"{name:<16} {result['values_from_the_future']:>33} {result['auc']:>25.3f}")
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
