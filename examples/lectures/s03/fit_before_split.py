"""Lecture 3.3: the other classic notebook leak, preprocessing fitted before the split, measured.

The notebook scales the numbers and one-hot encodes the categories of the whole table, then
splits it; the project fits the same steps inside a Pipeline on the training split only. The
script prints both ROC AUCs on the same test rows, for a large and a small table, and the gap.
On this data the gap is tiny, and the lecture explains why it still matters.

Run it from the repository root::

    python examples/lectures/s03/fit_before_split.py
"""

from __future__ import annotations

from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, build_pipeline, feature_frame, target
from churn.generate import generate_customers
from churn.validate import validate_or_raise
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEED = 42


# --8<-- [start:before_split]
def fitted_before_split(X, y) -> float:
    """The notebook: learn means, scales and categories from every row, then split."""
    encode = ColumnTransformer([("numbers", StandardScaler(), NUMERIC_COLUMNS),
                                ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL_COLUMNS)])
    X_all = encode.fit_transform(X)  # the test rows take part in the fit
    X_train, X_test, y_train, y_test = train_test_split(X_all, y, test_size=0.2, random_state=SEED, stratify=y)
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    return roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])


def fitted_on_training_split(X, y) -> float:
    """The project: split first; the Pipeline fits every step on the training rows only."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED, stratify=y)
    model = build_pipeline("logistic_regression", {"max_iter": 1000}, seed=SEED).fit(X_train, y_train)
    return roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
# --8<-- [end:before_split]


def measure(rows: int) -> tuple[float, float]:
    """ROC AUC of both ways on the same split of ``rows`` generated customers."""
    customers, _ = validate_or_raise(generate_customers(rows, seed=SEED))
    X, y = feature_frame(customers), target(customers)
    return fitted_before_split(X, y), fitted_on_training_split(X, y)


if __name__ == "__main__":
    print(f"{'rows':>6}  {'fit before split':>16}  {'fit on train only':>17}  {'gap':>8}")
    for rows in (10_000, 500):
        before, after = measure(rows)
        print(f"{rows:>6}  {before:>16.4f}  {after:>17.4f}  {before - after:>+8.4f}")
