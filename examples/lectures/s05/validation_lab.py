"""Lecture 5.3: inject known problems with the generator, validate, and read both reports.

Run it from the repository root::

    python examples/lectures/s05/validation_lab.py

It runs three batches: one with a few broken rows (passes, rows dropped), one with too many
out-of-range values (fatal), and one with drifted prices but valid rows (passes: validation is not
drift detection).
"""

from __future__ import annotations

import json

import pandas as pd
from churn.generate import Drift, Quality, generate_customers
from churn.validate import ValidationReport, validate

ROWS = 5_000
SEED = 7

# --8<-- [start:batches]
DIRTY = {"quality": Quality(null_share=0.01, blank_total_charges_share=0.01, duplicate_share=0.01,
                            out_of_range_share=0.01),
         "drift": Drift(new_payment_method_share=0.01)}
BROKEN = {"quality": Quality(out_of_range_share=0.08)}      # 8% of rows: over the 5% limit
DRIFTED = {"drift": Drift(monthly_charges_factor=1.25)}      # every bill 25% higher, all in range


def batch(knobs: dict, rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    """One generated batch with the problems ``knobs`` asks for."""
    return generate_customers(rows, seed=seed, **knobs)
# --8<-- [end:batches]


def run_validation(frame: pd.DataFrame) -> ValidationReport:
    """Validate a training batch (the target is required) and return the report."""
    _, report = validate(frame)
    return report


def main() -> list[str]:
    """Validate the three batches and return the lines to print."""
    dirty = run_validation(batch(DIRTY))
    lines = ["== 1. a batch with a few broken rows ==", dirty.to_text(), "",
             "machine-readable (report.to_dict(), first two findings):",
             json.dumps({**dirty.to_dict(), "findings": dirty.to_dict()["findings"][:2]}, indent=2), ""]
    broken = run_validation(batch(BROKEN))
    lines += ["== 2. a batch with 8% out-of-range values ==", broken.to_text(), ""]
    reference, drifted = batch({}), batch(DRIFTED)
    report = run_validation(drifted)
    lines += ["== 3. a batch whose prices drifted ==", report.to_text().splitlines()[0],
              f"mean MonthlyCharges: reference {reference['MonthlyCharges'].mean():.2f}, "
              f"this batch {drifted['MonthlyCharges'].mean():.2f}: every row is valid, the batch is not"]
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
