"""Lecture 9.5: what a Dagster run of the churn training job records, read back from Dagster's storage.

Two ways to use it::

    python examples/lectures/s09/run_record.py show               # the latest run in $DAGSTER_HOME
    python examples/lectures/s09/run_record.py show --run-id ID   # one run; --dagster-home DIR for another folder

``show`` only reads: the run's status and duration, each step with its attempts and time, each
asset's materialisation with its metadata, and the checks with their severity. With no command the
script makes a scratch folder, materialises the training assets in this process with
``dg.materialize`` (2,000 generated customers, a SQLite tracking store and Dagster's storage in that
folder), and prints the same record.

Exit codes: 0 done, 2 bad input (no Dagster folder, no run, an unknown run id).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import dagster as dg
import yaml
from churn.pipeline.assets import PIPELINE_ASSETS
from churn.pipeline.resources import ChurnSettings


class BadInput(Exception):
    """No Dagster folder, no run in it, or no run with that id (exit 2)."""


# --8<-- [start:materialize]
def materialize_training(folder: Path, rows: int = 2000) -> tuple[dg.DagsterInstance, str]:
    """Run every training asset in this process; tracking store and Dagster storage go to ``folder``."""
    config = folder / "experiment.yaml"
    config.write_text(yaml.safe_dump({"data": {"generated_rows": rows}}), encoding="utf-8")
    settings = ChurnSettings(config_path=str(config), tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    (folder / "dagster").mkdir(exist_ok=True)
    instance = dg.DagsterInstance.local_temp(tempdir=str(folder / "dagster"))  # a run's record outlives it
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, instance=instance)
    assert result.success  # raise_on_error=True (the default) raised already if a step failed
    return instance, result.run_id
# --8<-- [end:materialize]


def open_instance(home: str | None) -> dg.DagsterInstance:
    """The Dagster instance whose storage is the folder ``home`` (default: ``$DAGSTER_HOME``)."""
    home = home or os.environ.get("DAGSTER_HOME")
    if not home:
        raise BadInput("no Dagster folder: set DAGSTER_HOME (as for `dagster job execute`) or pass --dagster-home DIR")
    if not Path(home).is_dir():
        raise BadInput(f"--dagster-home / DAGSTER_HOME {home}: no such folder; point it at the folder the runs used")
    return dg.DagsterInstance.from_config(str(Path(home).resolve()))


def _shown(value: object) -> str:
    """A metadata value on one line: Markdown tables and reports are cut to their first line."""
    text = str(getattr(value, "value", value))
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if first != "```" else "(report)"


# --8<-- [start:record]
def run_record(instance: dg.DagsterInstance, run_id: str | None = None) -> list[str]:
    """What Dagster stored about one run (default: the latest): status, steps, materialisations, checks."""
    runs = instance.get_runs(filters=dg.RunsFilter(run_ids=[run_id]) if run_id else None, limit=1)
    if not runs:
        raise BadInput(f"no run {run_id!r} in {instance.root_directory}" if run_id else
                       f"no run in {instance.root_directory} yet: run `dagster job execute -j churn_training` first")
    run = runs[0]
    stats = instance.get_run_stats(run.run_id)
    seconds = (stats.end_time or stats.start_time or 0) - (stats.start_time or 0)
    lines = [f"run {run.run_id} of job {run.job_name}: {run.status.value} in {seconds:.1f} s"]
    for step in instance.get_run_step_stats(run.run_id):  # one row per step: status, attempts, time
        took = (step.end_time or step.start_time or 0) - (step.start_time or 0)
        lines.append(f"  step {step.step_key:<22} {step.status.value:<8} attempts={step.attempts} {took:5.1f} s")
    passed = []
    for record in instance.all_logs(run.run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            shown = ", ".join(f"{key}={_shown(value)}" for key, value in materialization.metadata.items()
                              if key in {"rows", "rows_out", "rows_test", "model_kind", "roc_auc", "version",
                                         "passed", "challenger_version", "champion_version_before"})
            lines.append(f"  asset {materialization.asset_key.to_user_string():<21} {shown}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if check.passed:
                passed.append(check.check_name)
            else:
                lines.append(f"  check {check.check_name:<29} FAILED ({check.severity.value})")
    return [*lines, f"  checks passed: {len(passed)}"]
# --8<-- [end:record]


def demo() -> list[str]:
    """Materialise the training assets in a scratch folder and return their run's record."""
    folder = Path(tempfile.mkdtemp(prefix="run-record-"))
    instance, run_id = materialize_training(folder)
    return [f"scratch folder: {folder}", *run_record(instance, run_id)]


def main(argv: list[str] | None = None) -> int:
    """Print a run's record (``show``), or with no command the in-process demo; exit 2 on bad input."""
    parser = argparse.ArgumentParser(description="What a Dagster run of the churn training job recorded.")
    commands = parser.add_subparsers(dest="command")
    show = commands.add_parser("show", help="the record of the latest run (or --run-id) in the Dagster folder")
    show.add_argument("--dagster-home", help="the folder of Dagster's storage (default: $DAGSTER_HOME)")
    show.add_argument("--run-id", help="a run id, as `dagster job execute` printed it (default: the latest run)")
    args = parser.parse_args(argv)
    try:
        lines = run_record(open_instance(args.dagster_home), args.run_id) if args.command == "show" else demo()
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
