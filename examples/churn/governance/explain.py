"""Explain one prediction: per-feature contributions that, added to a base value, give the model's score.

Contributions are reported per raw feature (the contract's 19 columns), never per one-hot column:
the contribution of ``Contract`` is the sum over its three indicator columns. They add up exactly
(to floating-point precision) to the model's own score, in the *space* the model adds things up in:

| model kind | method | space of ``base_value + sum(contributions)`` |
|---|---|---|
| ``logistic_regression`` | exact: coefficient x (input - training mean) | log-odds (the margin) |
| ``hist_gradient_boosting`` | SHAP ``TreeExplainer`` (path-dependent, exact for trees) | log-odds (the margin) |
| ``random_forest`` | SHAP ``TreeExplainer`` | probability (the forest averages its trees' probabilities) |

In log-odds, P(churn) = 1 / (1 + exp(-value)): the contributions add up to the margin, not to the
probability (a sum of probabilities would not be additive through the logistic function).

The linear convention: the *reference point* is the mean of the training rows after the pipeline's
preprocessing (scaled numbers, one-hot shares of each category). The base value is the model's
log-odds at that point, ``intercept + coefficients . reference``, and a feature's contribution says
how far this customer's value moves the log-odds away from it. That part needs NumPy only, so the
service computes it from constants that ``churn export`` writes into the bundle; the tree part needs
scikit-learn's fitted model and ``shap`` (the optional extra ``explain``), so it runs in ``churn explain``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from churn.contract import ID_COLUMN, feature_columns
from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

LOG_ODDS, PROBABILITY = "log_odds", "probability"
LINEAR_EXPLAINER_ARTIFACT = "explain/linear.json"  # logged with a linear model's run; churn export copies it
LINEAR_FORMAT_VERSION = 1
TREE_KINDS = ("hist_gradient_boosting", "random_forest")


class ExplainError(RuntimeError):
    """The model cannot be explained here; the message says why and what to use instead."""


@dataclass(frozen=True)
class Explanation:
    """One customer's explanation.

    Attributes:
        customer_id: The record's ``customerID`` (empty if it had none).
        base_value: The expected score, in ``space``: the linear model's log-odds at the mean of the
            transformed training rows; for trees, SHAP's expected value over the training samples.
        contributions: Raw feature -> contribution, in the contract's column order.
        inputs: Raw feature -> the value the model saw (``TotalCharges`` after the blank rule).
        space: ``"log_odds"`` or ``"probability"``: what ``base_value + sum(contributions)`` is.
        method: How the contributions were computed, in a few words.
    """

    customer_id: str
    base_value: float
    contributions: dict[str, float]
    inputs: dict[str, Any]
    space: str
    method: str

    @property
    def value(self) -> float:
        """``base_value`` plus every contribution: the model's score in ``space``."""
        return self.base_value + math.fsum(self.contributions.values())

    @property
    def probability(self) -> float:
        """P(churn) from ``value`` (the logistic function of it in log-odds space)."""
        return 1.0 / (1.0 + math.exp(-self.value)) if self.space == LOG_ODDS else self.value

    def ranked(self) -> list[dict[str, Any]]:
        """The contributions as ``{"feature", "value", "contribution"}`` rows, largest effect first."""
        rows = [{"feature": name, "value": self.inputs[name], "contribution": contribution}
                for name, contribution in self.contributions.items()]
        return sorted(rows, key=lambda row: -abs(row["contribution"]))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document ``churn explain --json`` prints and ``POST /explain`` answers (less the model fields)."""
        return {"customerID": self.customer_id, "space": self.space, "method": self.method,
                "base_value": self.base_value, "value": self.value, "churn_probability": self.probability,
                "contributions": self.ranked()}


def raw_inputs(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The 19 features of raw records as the pipeline sees them: floats and strings, blank ``TotalCharges`` filled."""
    from churn.predict import total_charges

    rows = [{name: record[name] for name in feature_columns() if name != "TotalCharges"}
            | {"TotalCharges": total_charges(record)} for record in records]
    frame = pd.DataFrame(rows, columns=feature_columns())
    return frame.astype({name: "float64" for name in NUMERIC_COLUMNS} | {name: str for name in CATEGORICAL_COLUMNS})


def _explanations(records: Sequence[Mapping[str, Any]], inputs: pd.DataFrame, base: np.ndarray,
                  grouped: np.ndarray, space: str, method: str) -> list[Explanation]:
    columns = feature_columns()
    plain = inputs.to_dict(orient="records")  # Python floats and strings, ready for JSON
    return [Explanation(str(record.get(ID_COLUMN, "")), float(base[row]),
                        dict(zip(columns, map(float, grouped[row]), strict=True)), plain[row], space, method)
            for row, record in enumerate(records)]


# --8<-- [start:linear_explainer]
@dataclass(frozen=True)
class LinearExplainer:
    """Exact contributions of the logistic regression, from constants of the fitted pipeline; NumPy only.

    Attributes:
        means, scales: The ``StandardScaler``'s per-column mean and scale, in ``NUMERIC_COLUMNS`` order.
        categories: Per column of ``CATEGORICAL_COLUMNS``, the one-hot encoder's categories in its order.
        coefficients: One per transformed column (the numbers, then each category's indicators).
        intercept: The model's intercept.
        reference: The mean of the transformed training rows: the point the base value is taken at.
    """

    means: tuple[float, ...]
    scales: tuple[float, ...]
    categories: tuple[tuple[str, ...], ...]
    coefficients: tuple[float, ...]
    intercept: float
    reference: tuple[float, ...]

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, train_features: pd.DataFrame) -> LinearExplainer:
        """Read the constants of a fitted ``build_pipeline("logistic_regression")`` and its training rows."""
        preprocess, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
        scaler, encoder = preprocess.named_transformers_["numbers"], preprocess.named_transformers_["categories"]
        reference = preprocess.transform(train_features).mean(axis=0)
        return cls(tuple(map(float, scaler.mean_)), tuple(map(float, scaler.scale_)),
                   tuple(tuple(map(str, values)) for values in encoder.categories_),
                   tuple(map(float, model.coef_[0])), float(model.intercept_[0]), tuple(map(float, reference)))

    def transform(self, inputs: pd.DataFrame) -> np.ndarray:
        """The pipeline's preprocessing in NumPy: scaled numbers, then one indicator per known category."""
        numbers = (inputs[NUMERIC_COLUMNS].to_numpy(dtype="float64") - np.asarray(self.means)) / np.asarray(self.scales)
        indicators = [(inputs[name].to_numpy(dtype=object)[:, None] == np.asarray(values, dtype=object)[None, :])
                      for name, values in zip(CATEGORICAL_COLUMNS, self.categories, strict=True)]
        return np.hstack([numbers, *[block.astype("float64") for block in indicators]])

    def owners(self) -> np.ndarray:
        """For each transformed column, the index of its raw feature in ``feature_columns()``."""
        return column_owners(self.categories)

    def explain_records(self, records: Sequence[Mapping[str, Any]]) -> list[Explanation]:
        """Explain raw customer records (already checked against the contract)."""
        inputs = raw_inputs(records)
        coefficients, reference = np.asarray(self.coefficients), np.asarray(self.reference)
        per_column = coefficients * (self.transform(inputs) - reference)
        grouped = np.zeros((len(inputs), len(feature_columns())))
        np.add.at(grouped.T, self.owners(), per_column.T)  # one-hot columns summed into their raw feature
        base = np.full(len(inputs), self.intercept + float(coefficients @ reference))
        return _explanations(records, inputs, base, grouped, LOG_ODDS,
                             "exact: coefficient x (input - training mean), summed per raw feature")
# --8<-- [end:linear_explainer]

    def to_dict(self) -> dict[str, Any]:
        """The constants as JSON-ready lists (``bundle.json``'s ``explainer`` and the run's ``explain/linear.json``)."""
        return {"format_version": LINEAR_FORMAT_VERSION, "numeric_columns": NUMERIC_COLUMNS,
                "categorical_columns": CATEGORICAL_COLUMNS, "means": list(self.means), "scales": list(self.scales),
                "categories": [list(values) for values in self.categories],
                "coefficients": list(self.coefficients), "intercept": self.intercept,
                "reference": list(self.reference)}

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> LinearExplainer:
        """The inverse of ``to_dict``.

        Raises:
            ExplainError: The document is of another format or for other feature columns.
        """
        try:
            if document["format_version"] != LINEAR_FORMAT_VERSION:
                raise ExplainError(f"explainer format_version {document['format_version']} is not supported "
                                   f"(expected {LINEAR_FORMAT_VERSION}); export the model again")
            if (document["numeric_columns"], document["categorical_columns"]) != (NUMERIC_COLUMNS,
                                                                                  CATEGORICAL_COLUMNS):
                raise ExplainError("the explainer was written for other feature columns; export the model again")
            explainer = cls(tuple(document["means"]), tuple(document["scales"]),
                            tuple(tuple(values) for values in document["categories"]),
                            tuple(document["coefficients"]), float(document["intercept"]),
                            tuple(document["reference"]))
        except (KeyError, TypeError) as error:
            raise ExplainError(f"not a linear explainer document (missing or wrong {error})") from None
        width = len(NUMERIC_COLUMNS) + sum(len(values) for values in explainer.categories)
        if not len(explainer.coefficients) == len(explainer.reference) == width:
            raise ExplainError(f"the explainer has {len(explainer.coefficients)} coefficients for {width} columns")
        return explainer

    def to_json(self) -> str:
        """``to_dict`` as JSON text."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> LinearExplainer:
        """The inverse of ``to_json``."""
        return cls.from_dict(json.loads(text))


# --8<-- [start:tree_explain]
def explain_trees(pipeline: Pipeline, records: Sequence[Mapping[str, Any]]) -> list[Explanation]:
    """SHAP values of a fitted tree pipeline for raw records, one-hot columns summed per raw feature.

    ``shap.TreeExplainer`` with its default path-dependent algorithm needs only the fitted trees (no
    background data); its values add up to the model's raw output: the log-odds for gradient
    boosting, the averaged probability for a random forest.

    Raises:
        ExplainError: ``shap`` is not installed (the extra ``explain``).
    """
    try:
        import shap
    except ImportError:
        raise ExplainError("tree models are explained with shap, which is not installed; install the extra: "
                           "pip install -e './examples[explain]'") from None
    preprocess, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
    inputs = raw_inputs(records)
    matrix = np.asarray(preprocess.transform(inputs), dtype="float64")
    explained = shap.TreeExplainer(model)(matrix)
    values, base = np.asarray(explained.values), np.asarray(explained.base_values)
    if values.ndim == 3:  # one set of values per class (random forest): keep P(churn)'s
        values, base = values[:, :, 1], base[:, 1]
    space = PROBABILITY if type(model).__name__ == "RandomForestClassifier" else LOG_ODDS
    owners = tree_owners(preprocess)
    grouped = np.zeros((len(inputs), len(feature_columns())))
    np.add.at(grouped.T, owners, values.T)
    return _explanations(records, inputs, np.broadcast_to(base, (len(inputs),)), grouped, space,
                         f"SHAP TreeExplainer (shap {shap.__version__}), summed per raw feature")
# --8<-- [end:tree_explain]


def column_owners(categories: Sequence[Sequence[Any]]) -> np.ndarray:
    """For each column the preprocessing outputs (the numbers, then each category's indicator), its raw feature.

    Args:
        categories: Per column of ``CATEGORICAL_COLUMNS``, the one-hot encoder's categories in its order.

    Returns:
        The index in ``feature_columns()`` of the raw feature each transformed column belongs to.
    """
    position = {name: index for index, name in enumerate(feature_columns())}
    owners = [position[name] for name in NUMERIC_COLUMNS]
    for name, values in zip(CATEGORICAL_COLUMNS, categories, strict=True):
        owners += [position[name]] * len(values)
    return np.asarray(owners)


def tree_owners(preprocess: Any) -> np.ndarray:
    """For each column the fitted ``ColumnTransformer`` outputs, the index of its raw feature."""
    return column_owners(preprocess.named_transformers_["categories"].categories_)


def model_score(pipeline: Pipeline, records: Sequence[Mapping[str, Any]], space: str) -> np.ndarray:
    """The fitted pipeline's own score in ``space``: ``decision_function`` (log-odds) or ``predict_proba``."""
    inputs = raw_inputs(records)
    if space == LOG_ODDS:
        return np.asarray(pipeline.decision_function(inputs), dtype="float64")
    return np.asarray(pipeline.predict_proba(inputs)[:, 1], dtype="float64")


def explain_pipeline(kind: str, records: Sequence[Mapping[str, Any]], *, pipeline: Pipeline | None = None,
                     linear: LinearExplainer | None = None) -> list[Explanation]:
    """Explain records with the right method for the model kind.

    Args:
        kind: ``ModelConfig.kind`` of the model.
        records: Raw customer records, already checked against the contract.
        pipeline: The fitted scikit-learn pipeline (needed for the tree kinds).
        linear: The linear model's constants (needed for ``logistic_regression``).

    Raises:
        ExplainError: The kind is unknown or what it needs was not given.
    """
    if kind == "logistic_regression":
        if linear is None:
            raise ExplainError("the linear model's explanation constants (explain/linear.json) are missing")
        return linear.explain_records(records)
    if kind in TREE_KINDS:
        if pipeline is None:
            raise ExplainError(f"a {kind} model is explained from its scikit-learn pipeline; none was given")
        return explain_trees(pipeline, records)
    raise ExplainError(f"no explanation method for model kind {kind!r}")


@dataclass(frozen=True)
class RegisteredExplanations:
    """Explanations by one registered model version, with what identifies it."""

    model_name: str
    model_version: str
    kind: str
    threshold: float
    explanations: list[Explanation]


def explain_registered(records: Sequence[Mapping[str, Any]], tracking_uri: str | None = None,
                       model_name: str = "churn", version: str | None = None,
                       alias: str | None = None) -> RegisteredExplanations:
    """Explain records with a registered version (by number, else alias, default ``champion``), any kind.

    The linear model is explained from its run's ``explain/linear.json`` (no model download); a tree
    model's scikit-learn pipeline is loaded from the registry and explained with ``shap``.

    Raises:
        churn.governance.versions.UnknownVersion: No such model, version or alias.
        ExplainError: The run lacks what its kind needs, or ``shap`` is missing.
    """
    import mlflow

    from churn.governance.versions import resolve_version
    from churn.predict import DEFAULT_THRESHOLD, registered_explainer
    from churn.registry import registry_client

    client = registry_client(tracking_uri)
    chosen = resolve_version(client, model_name, version, alias)
    kind = client.get_run(chosen.run_id).data.params.get("model.kind", "logistic_regression")
    threshold = float(chosen.tags.get("threshold", DEFAULT_THRESHOLD))
    if kind == "logistic_regression":
        document = registered_explainer(client, chosen.run_id)
        if document is None:
            raise ExplainError(f"run {chosen.run_id} of {model_name} v{chosen.version} has no "
                               f"{LINEAR_EXPLAINER_ARTIFACT} (trained before explanations existed); retrain it")
        explanations = explain_pipeline(kind, records, linear=LinearExplainer.from_dict(document))
    else:
        mlflow.set_tracking_uri(client.tracking_uri)
        mlflow.set_registry_uri(client.tracking_uri)
        pipeline = mlflow.sklearn.load_model(f"models:/{model_name}/{chosen.version}")
        explanations = explain_pipeline(kind, records, pipeline=pipeline)
    return RegisteredExplanations(model_name, str(chosen.version), kind, threshold, explanations)
