"""The whole training pipeline with no orchestrator: the same steps as the Dagster assets, in order.

``churn pipeline`` runs this; so can a cron entry or a CI job. A fatal validation finding raises
[`ValidationFailed`][churn.validate.ValidationFailed] before anything is trained, and a gate that says
no is an outcome, not an error: the challenger stays registered and ``champion`` does not move.
A gate that says yes does not move ``champion`` either: a pipeline never promotes. A person does,
with ``churn promote --approved-by NAME --reason TEXT`` ([`churn.governance.approvals`][]).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from churn.config import ExperimentConfig
from churn.pipeline.steps import ValidatedTable, evaluate_model, ingest, register_challenger, split
from churn.registry import GateResult, run_gate
from churn.tracking import RegisteredRun
from churn.train import train
from churn.validate import ValidationReport, validate_or_raise


@dataclass
class PipelineOutcome:
    """What one run of the pipeline produced: the validation report, the metrics, the version, the decision."""

    report: ValidationReport
    metrics: dict[str, float]
    registered: RegisteredRun
    gate: GateResult

    def summary(self) -> str:
        """A few lines for a terminal: rows validated, the held-out metrics, the version and the gate's verdict."""
        metrics = json.dumps({key: round(value, 4) for key, value in self.metrics.items()})
        return "\n".join([f"validated: {self.report.rows_in} rows in, {self.report.rows_out} rows out",
                          f"metrics: {metrics}",
                          f"registered: version {self.registered.version} (run {self.registered.run_id}) as challenger",
                          self.gate.summary()]
                         + (["to promote it: churn promote --approved-by NAME --reason TEXT (with the same --data)"]
                            if self.gate.passed else []))


# --8<-- [start:run_pipeline]
def run_pipeline(config: ExperimentConfig, data_path: str | Path | None = None) -> PipelineOutcome:
    """Ingest, validate, split, train, evaluate, register as challenger, and run the promotion gate (no promotion).

    Raises:
        churn.ingest.DataError: The data file is missing or unreadable.
        churn.validate.ValidationFailed: The data breaks a fatal rule; nothing is trained or registered.
        churn.registry.RegistryError: The registry is not in a state the gate can work with, or registering
            failed after a new version was created.
    """
    raw = ingest(config, data_path)
    clean, report = validate_or_raise(raw.frame)
    data = split(ValidatedTable(clean, report, raw.source), config)
    result = train(config, data)
    metrics = evaluate_model(result.pipeline, data.test, config)
    registered = register_challenger(result, config)
    gate = run_gate(config, data.test)
    return PipelineOutcome(report, metrics, registered, gate)
# --8<-- [end:run_pipeline]
