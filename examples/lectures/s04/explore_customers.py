"""Lecture 4.1: look at a customer table the way the retention team would.

Run it from the repository root, on a file written by ``churn generate`` or, without an
argument, on 2,000 customers generated in memory (seed 42)::

    python examples/lectures/s04/explore_customers.py [customers.csv]
"""

from __future__ import annotations

import sys

import pandas as pd
from churn.generate import generate_customers
from churn.ingest import load_table
from churn.validate import validate_or_raise

SEGMENTS = ("Contract", "tenure_band", "InternetService", "PaymentMethod")
TENURE_BANDS = {"0-12 months": (0, 12), "13-24 months": (13, 24), "25-48 months": (25, 48),
                "49-72 months": (49, 72)}


# --8<-- [start:churn_by]
def churn_rate_by(customers: pd.DataFrame, column: str) -> pd.DataFrame:
    """Number of customers and share who churned, for each value of ``column``, riskiest first."""
    churned = customers["Churn"].eq("Yes")
    table = churned.groupby(customers[column]).agg(customers="size", churn_rate="mean")
    return table.sort_values("churn_rate", ascending=False)
# --8<-- [end:churn_by]


def tenure_band(tenure: pd.Series) -> pd.Series:
    """Label each tenure with its band, e.g. ``"0-12 months"``."""
    labels = pd.Series("", index=tenure.index, dtype="str")
    for label, (low, high) in TENURE_BANDS.items():
        labels = labels.mask(tenure.between(low, high), label)
    return labels


def describe(raw: pd.DataFrame) -> list[str]:
    """Validate the table, then return the lines to print: size, churn rate, churn by segment."""
    customers, report = validate_or_raise(raw)
    customers = customers.assign(tenure_band=tenure_band(customers["tenure"]))
    fixed = sum(finding.rows for finding in report.findings if finding.action == "fixed")
    lines = [report.to_text().splitlines()[0],
             f"{len(customers)} customers, {raw.shape[1]} columns, churn rate "
             f"{customers['Churn'].eq('Yes').mean():.1%}, blank TotalCharges fixed: {fixed}"]
    for column in SEGMENTS:
        lines += ["", f"{column:<26}{'customers':>10}{'churn rate':>12}"]
        for value, row in churn_rate_by(customers, column).iterrows():
            lines.append(f"{value:<26}{row['customers']:>10.0f}{row['churn_rate']:>12.1%}")
    return lines


if __name__ == "__main__":
    table = load_table(sys.argv[1]) if len(sys.argv) > 1 else generate_customers(2000, seed=42)
    print("\n".join(describe(table)))
