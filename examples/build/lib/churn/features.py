"""The feature pipeline: one scikit-learn Pipeline that turns a customer table into a model input.

Training and serving use this same object (it is saved inside the model), which is how the project
avoids training/serving skew: no feature is computed twice in two places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from churn.contract import CUSTOMER_CONTRACT, TARGET_COLUMN, feature_columns

NUMERIC_COLUMNS = [c.name for c in CUSTOMER_CONTRACT if c.kind in ("integer", "number")]
CATEGORICAL_COLUMNS = [c.name for c in CUSTOMER_CONTRACT if c.kind == "category" and c.name != TARGET_COLUMN]

ESTIMATORS: dict[str, Callable[..., ClassifierMixin]] = {
    "logistic_regression": LogisticRegression,
    "random_forest": RandomForestClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
}


# --8<-- [start:pipeline]
def build_pipeline(kind: str = "logistic_regression", params: dict[str, Any] | None = None,
                   seed: int = 42) -> Pipeline:
    """Return an unfitted pipeline: scale the numbers, one-hot encode the categories, then the model.

    Args:
        kind: A key of ``ESTIMATORS``.
        params: Hyper-parameters of the estimator.
        seed: ``random_state`` for estimators that have one.
    """
    preprocess = ColumnTransformer([
        ("numbers", StandardScaler(), NUMERIC_COLUMNS),
        ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL_COLUMNS),
    ])
    estimator = ESTIMATORS[kind](**(params or {}))
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return Pipeline([("features", preprocess), ("model", estimator)])
# --8<-- [end:pipeline]


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Select the 19 feature columns of a validated table, numbers as float64 and categories as str."""
    features = frame[feature_columns()]
    numbers = {name: features[name].astype("float64") for name in NUMERIC_COLUMNS}
    categories = {name: features[name].astype(str) for name in CATEGORICAL_COLUMNS}
    return pd.DataFrame({**numbers, **categories}, index=frame.index)[feature_columns()]


def target(frame: pd.DataFrame) -> pd.Series:
    """Return the label as 0/1 integers (1 = churned)."""
    return (frame[TARGET_COLUMN] == "Yes").astype("int64")
