"""Lecture 9.2: the churn training pipeline's building blocks, read from its Dagster definitions, and one run.

Three views of ``churn.pipeline.definitions``::

    python examples/lectures/s09/pipeline_dag.py            # the DAG: every training asset, in order, with its inputs
    python examples/lectures/s09/pipeline_dag.py triggers   # the jobs, and the schedules and the sensor that start them
    python examples/lectures/s09/pipeline_dag.py run --rows 2000   # materialise the DAG here, print the run record

``dag`` and ``triggers`` only read the definitions. ``run`` materialises the seven training assets
in this process (``dagster.materialize``, no Dagster server) on generated customers, into the current
folder: the MLflow store ``mlflow.db`` with its ``mlruns/``, and ``storage/``, where Dagster's
I/O manager keeps every asset's output for the next step. Run it in a scratch folder.

Exit codes: 0 done, 1 the run failed (the failed step is named), 2 bad input (a wrong argument).
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

TRAINING_GROUP = "churn_training"


class BadInput(Exception):
    """A wrong argument (exit 2)."""


def _definitions() -> Any:
    """The project's Dagster definitions, imported quietly (Dagster warns about its preview APIs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from churn.pipeline.definitions import defs
    return defs


# --8<-- [start:dag]
def dag_lines(defs: Any) -> list[str]:
    """One line per training asset, upstream first: what it reads as data, what it only waits for, its checks."""
    graph = defs.resolve_asset_graph()
    by_key = {asset.key: asset for asset in defs.assets if asset.group_names_by_key.get(asset.key) == TRAINING_GROUP}
    lines = []
    for key in graph.toposorted_asset_keys:  # a topological order: every asset after all of its upstreams
        if key not in by_key:
            continue
        asset = by_key[key]
        inputs = {name: asset.op.ins[name].dagster_type.is_nothing for name in asset.keys_by_input_name}
        reads = ", ".join(sorted(name for name, nothing in inputs.items() if not nothing)) or "-"
        waits = ", ".join(sorted(name for name, nothing in inputs.items() if nothing))
        extras = [f"after {waits}"] if waits else []
        extras += [f"{len(list(asset.check_specs))} checks"] if list(asset.check_specs) else []
        extras += ["retried"] if asset.op.retry_policy else []
        downstream = len(graph.get(key).child_keys)
        lines.append(f"{key.to_user_string():<22} <- {reads:<36} -> {downstream}  {'; '.join(extras)}".rstrip())
    return lines
# --8<-- [end:dag]


# --8<-- [start:triggers]
def trigger_lines(defs: Any) -> list[str]:
    """The jobs (which assets each runs), then what starts them: schedules (cron, UTC) and sensors.

    A run status sensor (the failure alert) only watches runs and starts none, so it is left out.
    """
    from dagster import RunStatusSensorDefinition  # loaded already, with the definitions

    lines = [f"job {job.name}: {job.description}" for job in defs.jobs]
    lines += [f"schedule {s.name}: '{s.cron_schedule}' {s.execution_timezone} -> {s.job_name}"
              for s in defs.schedules]
    lines += [f"sensor {s.name}: every {s.minimum_interval_seconds} s -> {s.job_name}" for s in defs.sensors
              if not isinstance(s, RunStatusSensorDefinition)]
    lines.append("manual: the UI's Materialize button, `dagster job execute`, or dagster.materialize() in Python")
    return lines
# --8<-- [end:triggers]


# --8<-- [start:run]
def run_record(folder: Path, rows: int) -> tuple[bool, list[str]]:
    """Materialise the training assets in this process into ``folder``; return (success, the run's record)."""
    import dagster as dg
    import yaml
    from churn.pipeline.assets import PIPELINE_ASSETS
    from churn.pipeline.resources import ChurnSettings

    config = folder / "experiment.yaml"
    config.write_text(yaml.safe_dump({"data": {"generated_rows": rows}}), encoding="utf-8")
    settings = ChurnSettings(config_path=str(config), tracking_uri=f"sqlite:///{folder.resolve() / 'mlflow.db'}")
    result = dg.materialize(PIPELINE_ASSETS, raise_on_error=False, run_config=QUIET, resources={
        "settings": settings, "io_manager": dg.FilesystemIOManager(base_dir=str(folder / "storage"))})
    lines = [f"run {result.run_id[:8]}: {'SUCCESS' if result.success else 'FAILURE'}"]
    for event in result.all_events:  # the run's event log, in order: what the UI shows for a run
        if event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY"):
            shown = ""
            if event.event_type_value == "STEP_SUCCESS":
                metadata = result.asset_materializations_for_node(event.step_key)[0].metadata
                shown = ", ".join(f"{key}={metadata[key].value}" for key in SHOWN if key in metadata)
            lines.append(f"  {event.event_type_value:<13} {event.step_key:<22} {shown}".rstrip())
    checks = result.get_asset_check_evaluations()
    flagged = [f"{check.check_name} {check.severity.value}" for check in checks if not check.passed]
    lines.append(f"checks: {len(checks) - len(flagged)} passed, {len(flagged)} did not ({', '.join(flagged) or '-'})")
    return result.success, lines
# --8<-- [end:run]


# Dagster's console log at ERROR only: the run record below is the part the lecture reads.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# The metadata the record shows: what varies from run to run (run ids, seconds) stays in Dagster's record.
SHOWN = ("rows", "source", "rows_in", "rows_out", "rows_train", "rows_test", "model_kind", "roc_auc", "pr_auc",
         "version", "passed", "challenger_version", "champion_version_before")


def row_count(text: str) -> int:
    """A --rows value: a whole number from 500 up (the split needs churners on both sides)."""
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 500:
        raise argparse.ArgumentTypeError(f"expected a whole number of customers, at least 500 (got {text!r})")
    return rows


def build_parser() -> argparse.ArgumentParser:
    """The three commands: dag (the default), triggers, run."""
    parser = argparse.ArgumentParser(description="The churn training pipeline's DAG, triggers and one run.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("dag", help="every training asset, upstream first, with its inputs (the default)")
    commands.add_parser("triggers", help="the jobs, schedules and sensors of the definitions")
    run = commands.add_parser("run", help="materialise the training assets here, in this process")
    run.add_argument("--rows", type=row_count, default=2000, help="generated customers (default 2000, at least 500)")
    run.add_argument("--folder", default=".", help="where the run writes mlflow.db and storage/ (default: here)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the view asked for; exit 0, or 1 when the run failed, 2 on bad input."""
    args = build_parser().parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # MLflow's migrations of a new store
    try:
        if args.command == "run":
            folder = Path(args.folder)
            if not folder.is_dir():
                raise BadInput(f"argument --folder: {folder} is not a folder; create it or pass an existing one")
            _definitions()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                success, lines = run_record(folder, args.rows)
            print("\n".join(lines))
            return 0 if success else 1
        defs = _definitions()
        print("\n".join(trigger_lines(defs) if args.command == "triggers" else dag_lines(defs)))
        return 0
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
