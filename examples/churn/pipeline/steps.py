"""The steps of the training pipeline as plain functions, shared by every way of running it.

The orchestrator adds retries, checks, schedules and a UI; it adds no logic. ``churn pipeline``
([`run_pipeline()`][churn.pipeline.run.run_pipeline]), the Dagster assets
([`churn.pipeline.assets`][churn.pipeline.assets]) and the DVC stages
([`churn.pipeline.stages`][churn.pipeline.stages]) all call these, and these call the project's tested
functions: [`load_table()`][churn.ingest.load_table], [`validate()`][churn.validate.validate],
[`train()`][churn.train.train], [`evaluate()`][churn.evaluate.evaluate],
[`log_run()`][churn.tracking.log_run] and [`run_gate()`][churn.registry.run_gate].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from churn.config import ExperimentConfig
from churn.evaluate import evaluate
from churn.features import feature_frame, target
from churn.generate import generate_customers
from churn.ingest import load_table
from churn.registry import RegistryError, registry_client
from churn.tracking import RegisteredRun, log_run
from churn.train import TrainingData, TrainResult
from churn.validate import ValidationReport


@dataclass
class RawTable:
    """The customer table as read or generated, before validation, and where it came from."""

    frame: pd.DataFrame
    source: str


@dataclass
class ValidatedTable:
    """The cleaned table, the report of everything validation found, and the source it came from."""

    frame: pd.DataFrame
    report: ValidationReport
    source: str


# --8<-- [start:ingest]
def ingest(config: ExperimentConfig, data_path: str | Path | None = None) -> RawTable:
    """Read the configured file (``data_path`` wins over ``config.data.path``), or generate customers.

    Raises:
        churn.ingest.DataError: The file is missing or unreadable.
    """
    path = data_path or config.data.path
    if path is not None:
        return RawTable(load_table(path), str(path))
    rows = config.data.generated_rows
    return RawTable(generate_customers(rows, seed=config.data.generator_seed), f"generated:{rows}")
# --8<-- [end:ingest]


# --8<-- [start:split]
def split(table: ValidatedTable, config: ExperimentConfig) -> TrainingData:
    """Split a validated table into training and held-out parts, stratified by the label.

    The same split as [`load_training_data()`][churn.train.load_training_data] (a test holds them equal).
    """
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(table.frame, test_size=config.test_size, random_state=config.seed,
                                   stratify=table.frame["Churn"])
    return TrainingData(train, test, table.report, table.source)
# --8<-- [end:split]


def evaluate_model(pipeline: Any, test: pd.DataFrame, config: ExperimentConfig) -> dict[str, float]:
    """Score the held-out part with a fitted pipeline and return [`evaluate()`][churn.evaluate.evaluate]'s metrics."""
    probability = pipeline.predict_proba(feature_frame(test))[:, 1]
    return evaluate(target(test).to_numpy(), probability, config.threshold, config.costs)


# --8<-- [start:register]
def register_challenger(result: TrainResult, config: ExperimentConfig) -> RegisteredRun:
    """Register the trained model as ``challenger`` with [`log_run()`][churn.tracking.log_run], safe to retry.

    ``log_run`` is not idempotent: it registers a new version, then tags it and moves the alias. A
    failure after the version exists must not be retried, or a second version would be registered;
    so such a failure raises [`RegistryError`][churn.registry.RegistryError] naming the version (the
    Dagster asset does not retry it), and any other failure is raised as it was, free to retry. If
    the registry does not answer that question either, the failure is raised as it was: the one
    case where a retry may still register a second version.

    Raises:
        churn.registry.RegistryError: The failure came after a new version was registered.
    """
    name = config.tracking.registered_model
    client = registry_client(config.tracking.uri)
    before = _version_numbers(client, name)
    try:
        return log_run(result, config)
    except Exception as error:
        left = sorted(_version_numbers(client, name, default=before) - before, key=int)
        if not left:
            raise
        raise RegistryError(f"registering {name!r} failed after version {', '.join(left)} was created ({error}); "
                            "not retried, so that no second version is registered: check that version in "
                            "MLflow (delete it or set its alias by hand), then run the pipeline again") from error
# --8<-- [end:register]


def _version_numbers(client: Any, name: str, default: set[str] | None = None) -> set[str]:
    """The model's version numbers; ``default`` when given and the registry does not answer."""
    try:
        return {str(version.version) for version in client.search_model_versions(f"name='{name}'")}
    except Exception:
        if default is None:
            raise
        return default
