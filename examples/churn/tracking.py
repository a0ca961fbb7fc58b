"""Tracking: record a training run in MLflow and register its model as the new ``challenger``.

Each run logs its parameters, metrics, plots, a fingerprint of the exact data it saw, the fitted
pipeline (MLflow's scikit-learn flavour), an ONNX copy for serving and the reference window that
drift monitoring compares the prediction log with (``reference/reference.parquet``: the training
split's model inputs, without customerID, and the model's scores on them). The default store is a local
SQLite file, so no server is needed; any tracking URI works by configuration.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from churn.config import ExperimentConfig
from churn.features import ESTIMATORS, feature_frame
from churn.governance.explain import LINEAR_EXPLAINER_ARTIFACT
from churn.registry import CHALLENGER, registry_client

if TYPE_CHECKING:  # the CLI imports this module for TrackingError; the training stack is not needed for that
    from churn.train import TrainResult

# Given explicitly: otherwise MLflow spends seconds inferring them from the environment. skops is
# the format the sklearn flavour writes the pipeline in, so loading it elsewhere needs the same
# skops (MLflow's own default list pins it too; mlflow itself only requires skops<1).
PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "pandas==3.1.1", "numpy==2.4.6", "skops==0.16.0"]


class TrackingError(RuntimeError):
    """The model could not be logged; its run is marked FAILED and no version was registered."""


@dataclass(frozen=True)
class RegisteredRun:
    """Where a run ended up: its id, the registered version and the model URI."""

    run_id: str
    version: str
    model_uri: str


def data_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the table's content (values and column names), independent of the row index."""
    digest = hashlib.sha256(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


# --8<-- [start:code_version]
def code_version(folder: Path | None = None) -> dict[str, str]:
    """The Git commit of the code that runs, and whether the working tree had uncommitted changes.

    MLflow records the commit itself only when the script that starts the run lies in a Git checkout
    outside any ignored folder; the ``churn`` command lives in ``.venv`` (ignored), so the project
    records it explicitly. Returns an empty dict outside a Git checkout or without ``git``.
    """
    folder = folder or Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True,
                              timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"mlflow.source.git.commit": commit, "git_dirty": str(dirty).lower()}
# --8<-- [end:code_version]


def _flat_params(config: ExperimentConfig) -> dict[str, Any]:
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            flat[prefix] = value

    walk("", config.model_dump())
    flat["tracking.uri"] = without_password(flat["tracking.uri"])
    return flat


def without_password(uri: str) -> str:
    """The URI with any password replaced by ``***``: what a run may record of where it was tracked.

    A run's parameters are readable by everyone who can read the experiment, so
    ``postgresql://churn:secret@db/mlflow`` is logged as ``postgresql://churn:***@db/mlflow``.
    """
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


# --8<-- [start:log_run]
def artifact_location(tracking_uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: next to a local SQLite store, else the server's default.

    MLflow's own default is ``./mlruns`` in whatever folder the command runs from, which scatters
    artifacts across folders and leaves them behind when the database moves.
    """
    if not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    return (database.resolve().parent / "mlruns").as_uri()


def _use_experiment(client: Any, name: str, tracking_uri: str) -> None:
    import mlflow

    if client.get_experiment_by_name(name) is None:
        client.create_experiment(name, artifact_location=artifact_location(tracking_uri))
    mlflow.set_experiment(name)


def log_run(result: TrainResult, config: ExperimentConfig) -> RegisteredRun:
    """Log a training run, register its model and point the ``challenger`` alias at it.

    Raises:
        TrackingError: MLflow could not store the model; the run is marked FAILED with a ``failure``
            tag saying why, and no model version was registered.
    """
    import mlflow
    from mlflow.models import infer_signature

    from churn.monitoring.windows import REFERENCE_ARTIFACT, reference_table

    client = registry_client(config.tracking.uri)
    mlflow.set_tracking_uri(config.tracking.uri)
    mlflow.set_registry_uri(config.tracking.uri)  # registered_model_name= registers here, whatever the shell says
    _use_experiment(client, config.tracking.experiment, config.tracking.uri)
    test_features = feature_frame(result.data.test)
    fingerprint = data_fingerprint(pd.concat([result.data.train, result.data.test]).sort_index())
    with mlflow.start_run() as run:
        mlflow.log_params(_flat_params(config))
        # Slice metrics (slice.gender.Female.roc_auc, slice_gap.gender.recall ...) as metrics, not a JSON
        # artifact: MLflow's UI and search sort and compare metrics across runs (metrics."slice_gap.gender.recall"
        # < 0.05), and the model card reads them with the run, in the same call as the others, without a download.
        mlflow.log_metrics(result.metrics | result.slices)
        mlflow.set_tags({"data_fingerprint": fingerprint, "data_source": result.data.source,
                         "rows_train": len(result.data.train), "rows_test": len(result.data.test), **code_version()})
        with tempfile.TemporaryDirectory() as folder:
            files = {f"plots/{name}": image for name, image in result.plots.items()} | {"onnx/model.onnx": result.onnx}
            # what churn drift compares the prediction log with: the training split's inputs and scores
            files[REFERENCE_ARTIFACT] = reference_table(result.pipeline, result.data.train).to_parquet(index=False)
            for name, content in files.items():
                (Path(folder) / name).parent.mkdir(exist_ok=True)
                (Path(folder) / name).write_bytes(content)
            mlflow.log_artifacts(folder)
        mlflow.log_text(result.data.report.to_text(), "validation_report.txt")
        if result.explainer is not None:  # the linear model's constants for exact explanations without sklearn
            mlflow.log_text(result.explainer.to_json(), LINEAR_EXPLAINER_ARTIFACT)
        # MLflow's generic face of the model (pyfunc: spark_udf, mlflow models serve) answers probabilities, the
        # two columns of predict_proba, not predict's labels at sklearn's 0.5: the decision is the threshold tag's
        probabilities = result.pipeline.predict_proba(test_features.head(50))
        try:
            info = mlflow.sklearn.log_model(
                result.pipeline, name="model", pip_requirements=PIP_REQUIREMENTS, pyfunc_predict_fn="predict_proba",
                signature=infer_signature(test_features.head(50), probabilities),
                input_example=test_features.head(3), registered_model_name=config.tracking.registered_model,
                skops_trusted_types=list(ESTIMATORS[config.model.kind].skops_trusted_types) or None)
        except Exception as error:  # leaving the block with an error ends the run as FAILED
            reason = (str(error).splitlines() or [type(error).__name__])[0][:300]
            mlflow.set_tag("failure", f"model not logged: {reason}")
            raise TrackingError(f"run {run.info.run_id} is marked FAILED: the model could not be logged to MLflow "
                                f"({reason}); no version was registered") from None
    version = str(info.registered_model_version)
    name = config.tracking.registered_model
    client.set_model_version_tag(name, version, "data_fingerprint", fingerprint)
    client.set_model_version_tag(name, version, "threshold", str(config.threshold))
    client.set_registered_model_alias(name, CHALLENGER, version)
    return RegisteredRun(run.info.run_id, version, info.model_uri)
# --8<-- [end:log_run]
