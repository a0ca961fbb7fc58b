"""The training pipeline as Dagster assets: each one calls a step of the project, and nothing more.

The asset graph, in the order a run materialises it::

    raw_customers -> validated_customers (+ one check per contract rule) -> training_data
        -> trained_model -> evaluation_metrics -> registered_challenger -> promotion_decision

The two steps that talk to the outside, reading the data and writing to the registry (MLflow),
retry with exponential backoff. An error that another attempt cannot fix (a missing file, a fatal
validation finding, a registry without a challenger, a registration that failed after creating its
version) fails the step at once, with its message.
A gate that says no is a normal outcome: ``promotion_decision`` records it in its metadata.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of the context and
# the resources when it defines the assets, and a postponed annotation is only a string to it.

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from churn.config import ConfigError
from churn.ingest import DataError
from churn.pipeline.checks import contract_check_results, contract_check_specs
from churn.pipeline.resources import ChurnSettings
from churn.pipeline.steps import RawTable, ValidatedTable, evaluate_model, ingest, register_challenger, split
from churn.registry import GateResult, RegistryError, run_gate
from churn.tracking import RegisteredRun
from churn.train import TrainingData, TrainResult, train
from churn.validate import validate

GROUP = "churn_training"

# --8<-- [start:retry]
# Reading the data and writing to the registry can fail for a moment (a network drive, the MLflow
# server restarting). Three more attempts, waiting about 2, 6 and 14 s: Dagster's exponential
# backoff waits (2**attempt - 1) * delay, and the jitter spreads the retries of parallel runs by +-2 s.
EXTERNAL_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# --8<-- [end:retry]


# --8<-- [start:fail_at_once]
@contextmanager
def fail_at_once_on_bad_input() -> Iterator[None]:
    """Turn an error no retry can fix into a step failure with its message, and without retries."""
    try:
        yield
    except (DataError, ConfigError, RegistryError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
# --8<-- [end:fail_at_once]


# --8<-- [start:assets]
# --8<-- [start:asset_raw]
@dg.asset(group_name=GROUP, retry_policy=EXTERNAL_RETRY)
def raw_customers(context: dg.AssetExecutionContext, settings: ChurnSettings) -> RawTable:
    """The customer table as read from the configured file, or generated."""
    with fail_at_once_on_bad_input():
        raw = ingest(settings.experiment(), settings.data_path)
    context.add_output_metadata({"rows": len(raw.frame), "source": raw.source})
    return raw
# --8<-- [end:asset_raw]


# --8<-- [start:asset_validated]
@dg.asset(group_name=GROUP, check_specs=contract_check_specs())
def validated_customers(raw_customers: RawTable) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """The table checked against the data contract and cleaned; a fatal finding stops the run here."""
    clean, report = validate(raw_customers.frame)
    if report.ok:
        yield dg.Output(ValidatedTable(clean, report, raw_customers.source),
                        metadata={"rows_in": report.rows_in, "rows_out": report.rows_out,
                                  "report": dg.MetadataValue.md(f"```\n{report.to_text()}\n```")})
    yield from contract_check_results(report)
    if not report.ok:
        raise dg.Failure(description=f"the data breaks the contract; nothing was trained or registered.\n"
                                     f"{report.to_text()}", allow_retries=False)
# --8<-- [end:asset_validated]


# --8<-- [start:training_data]
@dg.asset(group_name=GROUP)
def training_data(context: dg.AssetExecutionContext, validated_customers: ValidatedTable,
                  settings: ChurnSettings) -> TrainingData:
    """The validated table split into training and held-out parts."""
    data = split(validated_customers, settings.experiment())
    context.add_output_metadata({"rows_train": len(data.train), "rows_test": len(data.test)})
    return data
# --8<-- [end:training_data]


@dg.asset(group_name=GROUP)
def trained_model(context: dg.AssetExecutionContext, training_data: TrainingData,
                  settings: ChurnSettings) -> TrainResult:
    """The fitted pipeline of the configured model kind, with its plots and ONNX copy."""
    config = settings.experiment()
    result = train(config, training_data)
    context.add_output_metadata({"model_kind": config.model.kind, "fit_seconds": round(result.seconds, 3)})
    return result


# --8<-- [start:fan_in]
# --8<-- [start:asset_deps]
@dg.asset(group_name=GROUP)
def evaluation_metrics(context: dg.AssetExecutionContext, trained_model: TrainResult, training_data: TrainingData,
                       settings: ChurnSettings) -> dict[str, float]:
    """The held-out metrics: ROC AUC, PR AUC, precision, recall, F1 and the business cost."""
    metrics = evaluate_model(trained_model.pipeline, training_data.test, settings.experiment())
    context.add_output_metadata({name: round(value, 4) for name, value in metrics.items()})
    return metrics


@dg.asset(group_name=GROUP, retry_policy=EXTERNAL_RETRY, deps=[evaluation_metrics])
def registered_challenger(context: dg.AssetExecutionContext, trained_model: TrainResult,
                          settings: ChurnSettings) -> RegisteredRun:
    """The MLflow run and the registered model version, aliased ``challenger``; retried only before registering."""
    with fail_at_once_on_bad_input():
        registered = register_challenger(trained_model, settings.experiment())
    context.add_output_metadata({"version": registered.version, "run_id": registered.run_id,
                                 "model_uri": registered.model_uri})
    return registered
# --8<-- [end:fan_in]
# --8<-- [end:asset_deps]


@dg.asset(group_name=GROUP, retry_policy=EXTERNAL_RETRY)
def promotion_decision(context: dg.AssetExecutionContext, registered_challenger: RegisteredRun,
                       training_data: TrainingData, settings: ChurnSettings) -> GateResult:
    """The gate's decision on the new challenger, with its reasons; ``champion`` moves only with an approval.

    A pipeline never promotes: a person runs ``churn promote --approved-by NAME --reason TEXT``.
    """
    with fail_at_once_on_bad_input():
        decision = run_gate(settings.experiment(), training_data.test)
    context.add_output_metadata({"passed": decision.passed, "challenger_version": decision.challenger_version,
                                 "champion_version_before": decision.champion_version or "none",
                                 "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in decision.reasons))})
    return decision
# --8<-- [end:assets]


PIPELINE_ASSETS = [raw_customers, validated_customers, training_data, trained_model, evaluation_metrics,
                   registered_challenger, promotion_decision]
