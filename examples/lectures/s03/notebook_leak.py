"""Lecture 3.3: a "just a notebook" failure you can reproduce, and its fix.

The notebook trains on a warehouse export with one column more than the data contract,
``LastInvoiceAmount``, read after the month was over. For a customer who left during the month,
the latest invoice is the prorated final bill, so the column gives the answer away. On the
scoring date nobody has left yet and the column holds last month's full bill for everyone.

The script trains the notebook's model and the project's model (the contract's features and
``churn.features.build_pipeline``) on the same export and the same split, scores both on their
offline test split, then scores next month's customers with what is known on the scoring date
and compares with what happened.

Run it from the repository root::

    python examples/lectures/s03/notebook_leak.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from churn.contract import ID_COLUMN, TARGET_COLUMN
from churn.features import build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.validate import validate_or_raise
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROWS = 10_000
SEED = 42  # this month's export
NEXT_MONTH_SEED = 43  # next month's customers
THRESHOLD = 0.35  # the project's call threshold (examples/configs/default.yaml)


# --8<-- [start:leaky_column]
def last_invoice_amount(customers: pd.DataFrame, rng: np.random.Generator, *,
                        read_after_outcome: bool) -> np.ndarray:
    """The latest invoice of each customer, as the billing table shows it on the day it is read."""
    monthly = customers["MonthlyCharges"].to_numpy()
    full_bill = monthly * rng.uniform(0.97, 1.03, len(customers))  # usage varies a little
    if not read_after_outcome:
        return full_bill.round(2)  # on the scoring date: last month's bill, for everyone
    left = (customers[TARGET_COLUMN] == "Yes").to_numpy()
    days_used = rng.integers(1, 31, len(customers))
    return np.where(left, monthly * days_used / 30, full_bill).round(2)  # leavers: prorated final bill
# --8<-- [end:leaky_column]


def warehouse_export(seed: int, *, read_after_outcome: bool) -> pd.DataFrame:
    """Validated customers plus the billing column, read before or after the outcome."""
    customers, _ = validate_or_raise(generate_customers(ROWS, seed=seed))
    rng = np.random.default_rng(seed)
    return customers.assign(LastInvoiceAmount=last_invoice_amount(customers, rng,
                                                                  read_after_outcome=read_after_outcome))


# --8<-- [start:notebook]
def notebook_model(export: pd.DataFrame) -> tuple[Pipeline, float]:
    """What the notebook did: every column of the export except the id and the label."""
    X = export.drop(columns=[ID_COLUMN, TARGET_COLUMN])
    y = target(export)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED, stratify=y)
    numbers = X.select_dtypes("number").columns.tolist()  # includes LastInvoiceAmount
    categories = X.select_dtypes(exclude="number").columns.tolist()
    model = Pipeline([
        ("features", ColumnTransformer([("numbers", StandardScaler(), numbers),
                                        ("categories", OneHotEncoder(handle_unknown="ignore"), categories)])),
        ("model", LogisticRegression(max_iter=1000)),
    ]).fit(X_train, y_train)
    return model, roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
# --8<-- [end:notebook]


# --8<-- [start:project]
def project_model(export: pd.DataFrame) -> tuple[Pipeline, float]:
    """The fix: only the contract's 19 features, all known on the scoring date, in the project's pipeline."""
    X = feature_frame(export)  # the contract's feature columns; anything else is left out
    y = target(export)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED, stratify=y)
    model = build_pipeline("logistic_regression", {"max_iter": 1000}, seed=SEED).fit(X_train, y_train)
    return model, roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
# --8<-- [end:project]


# --8<-- [start:next_month]
def next_month(model: Pipeline, scored: pd.DataFrame) -> dict[str, float]:
    """Score customers as the weekly job sees them on the scoring date; compare with what happened."""
    probability = model.predict_proba(scored.drop(columns=[TARGET_COLUMN]))[:, 1]
    outcome = target(scored)
    return {"roc_auc": roc_auc_score(outcome, probability),
            "mean_score": float(probability.mean()),  # the churn rate the model expects
            "called": float((probability >= THRESHOLD).mean()),  # share of customers on the call list
            "actual_rate": float(outcome.mean())}
# --8<-- [end:next_month]


def compare() -> dict[str, dict[str, float]]:
    """Train both models on this month's export; score both offline and on next month's customers."""
    export = warehouse_export(SEED, read_after_outcome=True)
    scoring_day = warehouse_export(NEXT_MONTH_SEED, read_after_outcome=False)
    results = {}
    for name, fit in (("notebook", notebook_model), ("project", project_model)):
        model, offline = fit(export)
        results[name] = {"offline_roc_auc": offline, **next_month(model, scoring_day)}
    return results


def report(results: dict[str, dict[str, float]]) -> list[str]:
    """Return the lines the script prints."""
    lines = [f"Trained on this month's export; scored offline (held-out 20%) and next month ({ROWS:,} customers)",
             "", f"{'':<26}{'ROC AUC':>9}{'ROC AUC':>12}{'mean':>8}{'called':>11}",
             f"{'':<26}{'offline':>9}{'next month':>12}{'score':>8}{'(>=0.35)':>11}"]
    names = {"notebook": "notebook (all columns)", "project": "project (contract only)"}
    for name, r in results.items():
        lines.append(f"{names[name]:<26}{r['offline_roc_auc']:>9.3f}{r['roc_auc']:>12.3f}"
                     f"{r['mean_score']:>8.1%}{r['called']:>11.1%}")
    notebook, project = results["notebook"], results["project"]
    lines += ["", f"Actual churn next month: {project['actual_rate']:.1%} of customers.",
              f"Notebook: offline promised {notebook['offline_roc_auc']:.3f}, next month gave "
              f"{notebook['roc_auc']:.3f} (gap {notebook['offline_roc_auc'] - notebook['roc_auc']:+.3f}).",
              f"Project:  offline promised {project['offline_roc_auc']:.3f}, next month gave "
              f"{project['roc_auc']:.3f} (gap {project['offline_roc_auc'] - project['roc_auc']:+.3f})."]
    return lines


if __name__ == "__main__":
    print("\n".join(report(compare())))
