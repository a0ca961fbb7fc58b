"""``predict()``: load the champion model and score customers, from Python, the CLI or the API.

The champion is found by its registry alias (``models:/churn@champion``), never by a version
number written into code, so promoting or rolling back a model needs no code change. Inputs are
checked with the same contract as the training data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from churn.contract import ID_COLUMN, TARGET_COLUMN, check_record, parse_number, parse_total_charges
from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, feature_frame

if TYPE_CHECKING:
    from churn.governance.explain import LinearExplainer

DEFAULT_THRESHOLD = 0.35


# --8<-- [start:prediction]
class PredictionInputError(ValueError):
    """A record breaks the contract; the message lists every problem by record and column."""


@dataclass(frozen=True)
class Prediction:
    """The answer for one customer."""

    customer_id: str
    probability: float
    churn: bool
    model_version: str
# --8<-- [end:prediction]


class Predictor(Protocol):
    """What the service and the CLI need from a loaded model."""

    model_version: str
    threshold: float

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Return P(churn) for each row of a validated customer frame."""
        ...

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """Return one prediction per raw customer record, in order."""
        ...


def total_charges(record: Mapping[str, Any]) -> float:
    """TotalCharges of one checked record, a blank filled: 0 in the first month, else tenure x monthly.

    One record's form of [`churn.contract.parse_total_charges()`][churn.contract.parse_total_charges].
    """
    return float(total_charges_of([record])[0])


def total_charges_of(records: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """TotalCharges of checked records, blanks filled by the contract's rule (a missing key is a blank)."""
    return parse_total_charges([record.get("TotalCharges") for record in records],
                               [parse_number(record["tenure"]) for record in records],
                               [parse_number(record["MonthlyCharges"]) for record in records])


# --8<-- [start:check_records]
def check_records(records: Sequence[Mapping[str, Any]]) -> None:
    """Raise [`PredictionInputError`][churn.predict.PredictionInputError] if any record breaks the contract.

    The target column is not needed. Each problem names the record by its 0-based position and its
    customerID, then the column and the rule, e.g. ``record 3 (customerID '7590-VHVEG'): MonthlyCharges:
    type ('nan' is not a number)``.
    """
    problems = [problem for index, record in enumerate(records) for problem in record_problems(index, record)]
    if problems:
        raise PredictionInputError("; ".join(problems))


def record_problems(index: int, record: Mapping[str, Any]) -> list[str]:
    """Return what is wrong with one record to score, each problem naming the record by ``index`` and customerID.

    The target column is ignored. An empty list means the record may be scored.
    """
    fields = {key: value for key, value in record.items() if key != TARGET_COLUMN}
    name = f"record {index} (customerID {record[ID_COLUMN]!r})" if ID_COLUMN in record else f"record {index}"
    return [f"{name}: {violation}" for violation in check_record(fields, require_target=False)]
# --8<-- [end:check_records]


# --8<-- [start:onnx_predictor]
class OnnxPredictor:
    """Scores with ONNX Runtime: one named input per feature column, no pandas on the hot path.

    It pickles as its ONNX bytes, version and threshold (an ONNX Runtime session does not pickle),
    so the service's batch worker process scores with the very model the server loaded.
    """

    def __init__(self, onnx_model: bytes, model_version: str, threshold: float = DEFAULT_THRESHOLD,
                 explainer: LinearExplainer | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one request is tiny; threads only add overhead
        self._session = onnxruntime.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])
        self._onnx_model = onnx_model
        self.model_version = model_version
        self.threshold = threshold
        self.explainer = explainer  # exact explanations of the linear model (POST /explain); None for trees

    def __reduce__(self) -> tuple[type[OnnxPredictor], tuple[bytes, str, float]]:
        """Pickle as the arguments that rebuild the session (for the batch worker process)."""
        return OnnxPredictor, (self._onnx_model, self.model_version, self.threshold)

    def _run(self, numbers: dict[str, list[float]], categories: dict[str, list[str]]) -> np.ndarray:
        feed = {name: np.asarray(values, dtype=np.float32).reshape(-1, 1) for name, values in numbers.items()}
        feed |= {name: np.asarray(values, dtype=object).reshape(-1, 1) for name, values in categories.items()}
        return self._session.run(["probabilities"], feed)[0][:, 1]
# --8<-- [end:onnx_predictor]

    def predict_columns(self, numbers: Mapping[str, np.ndarray], categories: Mapping[str, np.ndarray]) -> np.ndarray:
        """Return P(churn) from one array per feature column: the numbers (any float dtype) and the categories.

        The fast path of batch scoring ([`churn.scoring`][churn.scoring]): no DataFrame, no Python list
        per row. The arrays must hold validated values, TotalCharges already filled.
        """
        return self._run(numbers, categories)

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Return P(churn) for each row of a validated customer frame."""
        features = feature_frame(frame)
        return self._run({name: features[name].tolist() for name in NUMERIC_COLUMNS},
                         {name: features[name].tolist() for name in CATEGORICAL_COLUMNS})

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """Return one prediction per raw customer record (already type-checked), in order."""
        numbers = {name: [float(record[name]) for record in records]
                   for name in NUMERIC_COLUMNS if name != "TotalCharges"}
        numbers["TotalCharges"] = parse_total_charges([record.get("TotalCharges") for record in records],
                                                      numbers["tenure"], numbers["MonthlyCharges"]).tolist()
        categories = {name: [str(record[name]) for record in records] for name in CATEGORICAL_COLUMNS}
        probabilities = self._run(numbers, categories)
        return [Prediction(str(record.get(ID_COLUMN, "")), float(p), bool(p >= self.threshold), self.model_version)
                for record, p in zip(records, probabilities, strict=True)]


# --8<-- [start:sklearn_predictor]
class SklearnPredictor:
    """Scores with the registered scikit-learn pipeline itself (the reference the ONNX copy must match)."""

    def __init__(self, pipeline: Any, model_version: str, threshold: float = DEFAULT_THRESHOLD):
        self._pipeline = pipeline
        self.model_version = model_version
        self.threshold = threshold

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Return P(churn) for each row of a validated customer frame."""
        return self._pipeline.predict_proba(feature_frame(frame))[:, 1]

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """Return one prediction per raw customer record, in order."""
        totals = total_charges_of(records)
        frame = pd.DataFrame([{**record, "TotalCharges": total} for record, total in zip(records, totals, strict=True)])
        probabilities = self.predict_frame(frame)
        return [Prediction(str(record.get(ID_COLUMN, "")), float(p), bool(p >= self.threshold), self.model_version)
                for record, p in zip(records, probabilities, strict=True)]
# --8<-- [end:sklearn_predictor]


@dataclass(frozen=True)
class RegisteredOnnx:
    """The ONNX copy of the model version an alias points at, with what scoring needs from the registry."""

    onnx: bytes
    model_version: str
    run_id: str
    threshold: float
    explainer: dict[str, Any] | None = None  # the run's explain/linear.json, for the linear model only


def fetch_registered_onnx(tracking_uri: str | None = None, model_name: str = "churn",
                          alias: str = "champion") -> RegisteredOnnx:
    """Download the ONNX model, the threshold tag and (linear model) the explainer of the version ``alias`` points at.

    Raises:
        LookupError: No version carries the alias yet (train and promote a model first).
    """
    import mlflow

    from churn.registry import registry_client

    client = registry_client(tracking_uri)
    try:
        version = client.get_model_version_by_alias(model_name, alias)
    except Exception as error:  # MLflow raises RestException for a missing model or alias
        raise LookupError(f"no model version of {model_name!r} has the alias {alias!r}: train and promote one "
                          f"first (churn train, churn promote). MLflow said: {error}") from None
    onnx_path = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path="onnx/model.onnx",
                                                    tracking_uri=client.tracking_uri)
    with open(onnx_path, "rb") as file:
        onnx_model = file.read()
    return RegisteredOnnx(onnx_model, str(version.version), version.run_id,
                          float(version.tags.get("threshold", DEFAULT_THRESHOLD)),
                          registered_explainer(client, version.run_id))


def registered_explainer(client: Any, run_id: str) -> dict[str, Any] | None:
    """The run's ``explain/linear.json`` (logged for the linear model), or ``None`` when it has none."""
    import json

    import mlflow

    from churn.governance.explain import LINEAR_EXPLAINER_ARTIFACT

    folder = LINEAR_EXPLAINER_ARTIFACT.rsplit("/", 1)[0]
    if LINEAR_EXPLAINER_ARTIFACT not in {item.path for item in client.list_artifacts(run_id, folder)}:
        return None
    path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=LINEAR_EXPLAINER_ARTIFACT,
                                               tracking_uri=client.tracking_uri)
    with open(path, encoding="utf-8") as file:
        return json.load(file)


# --8<-- [start:load_champion]
def load_champion(tracking_uri: str | None = None, model_name: str = "churn", alias: str = "champion") -> Predictor:
    """Load the model version the alias points at, as an ONNX predictor.

    Raises:
        LookupError: No version carries the alias yet (train and promote a model first).
    """
    from churn.governance.explain import LinearExplainer

    registered = fetch_registered_onnx(tracking_uri, model_name, alias)
    explainer = LinearExplainer.from_dict(registered.explainer) if registered.explainer else None
    return OnnxPredictor(registered.onnx, model_version=registered.model_version, threshold=registered.threshold,
                         explainer=explainer)
# --8<-- [end:load_champion]


# --8<-- [start:predict]
def predict(records: Sequence[Mapping[str, Any]], predictor: Predictor | None = None, *,
            tracking_uri: str | None = None, model_name: str = "churn") -> list[Prediction]:
    """Check the records against the contract and score them with the champion.

    Args:
        records: Customer records: the contract's columns (``Churn`` is ignored if present).
        predictor: A loaded predictor; by default the champion is loaded from the registry.
        tracking_uri: Where the registry lives (default: MLflow's configured URI).
        model_name: The registered model.

    Raises:
        PredictionInputError: A record breaks the contract.
        LookupError: There is no champion yet.
    """
    check_records(records)
    model = predictor or load_champion(tracking_uri, model_name)
    return model.predict_records(records)
# --8<-- [end:predict]
