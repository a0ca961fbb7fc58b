"""The feature pipeline: one scikit-learn Pipeline that turns a customer table into a model input.

Training and serving use this same object (it is saved inside the model), which is how the project
avoids training/serving skew: no feature is computed twice in two places.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from churn.contract import CUSTOMER_CONTRACT, TARGET_COLUMN, feature_columns

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

NUMERIC_COLUMNS = [c.name for c in CUSTOMER_CONTRACT if c.kind in ("integer", "number")]
CATEGORICAL_COLUMNS = [c.name for c in CUSTOMER_CONTRACT if c.kind == "category" and c.name != TARGET_COLUMN]

@dataclass(frozen=True)
class Estimator:
    """What the project knows about one estimator a config may name.

    Attributes:
        path: ``"module:Class"`` of the scikit-learn class.
        scale_numbers: Whether the numeric columns are standardised first. Trees split on
            thresholds, so scaling changes nothing for them; and skipping it keeps the ONNX copy
            exact, because ONNX Runtime would scale in 32-bit floats and a value a hair's breadth
            from a split threshold could take the other branch.
        skops_trusted_types: Types the fitted pipeline contains that skops does not trust by default,
            reviewed here: the pipeline is our own, written and read by the project itself.
    """

    path: str
    scale_numbers: bool
    skops_trusted_types: tuple[str, ...] = ()


# The estimators a config may name (the same keys as ModelConfig.kind). scikit-learn is imported
# only when a pipeline is built: the service scores with ONNX and imports this module for
# feature_frame, and importing scikit-learn would add about a second to its start-up.
ESTIMATORS: dict[str, Estimator] = {
    "logistic_regression": Estimator("sklearn.linear_model:LogisticRegression", scale_numbers=True),
    "random_forest": Estimator("sklearn.ensemble:RandomForestClassifier", scale_numbers=False,
                               skops_trusted_types=("sklearn.tree._tree.Tree",)),
    "hist_gradient_boosting": Estimator(
        "sklearn.ensemble:HistGradientBoostingClassifier", scale_numbers=False,
        skops_trusted_types=("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)),
}


def estimator_class(kind: str) -> type:
    """Return the scikit-learn class of an ``ESTIMATORS`` key, e.g. ``LogisticRegression``."""
    module, name = ESTIMATORS[kind].path.split(":")
    return getattr(importlib.import_module(module), name)


# --8<-- [start:pipeline]
def build_pipeline(kind: str = "logistic_regression", params: dict[str, Any] | None = None,
                   seed: int = 42) -> Pipeline:
    """Return an unfitted pipeline: scale the numbers (for a linear model), one-hot encode the categories, the model.

    Args:
        kind: A key of ``ESTIMATORS``.
        params: Hyper-parameters of the estimator.
        seed: ``random_state`` for estimators that have one.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = StandardScaler() if ESTIMATORS[kind].scale_numbers else "passthrough"
    preprocess = ColumnTransformer([
        ("numbers", numbers, NUMERIC_COLUMNS),
        ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL_COLUMNS),
    ])
    estimator = estimator_class(kind)(**(params or {}))
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
