"""Lecture 9.6: the training pipeline's clock, its retries and its failures, run on a scratch store.

Three drills on the Dagster pipeline of ``churn.pipeline``, each in the current folder::

    python examples/lectures/s09/failure_drills.py ticks [--after 2026-12-07T00:00:00+00:00] [--count 3]
    python examples/lectures/s09/failure_drills.py transient [--failures 2]
    python examples/lectures/s09/failure_drills.py bad-data

``ticks`` prints the next tick times of both schedules, read from their cron strings and time zones.
``transient`` runs the training job while the tracking server "does not answer" for the first
``--failures`` attempts of the step that registers the model (the call to MLflow raises
``ConnectionError``, as a real outage does), with the retry policy's real waits, and prints each wait
as measured. ``bad-data`` runs the same job on a file without the column ``Contract``, evaluates the
failure sensor on the failed run, and compares the registry before and after. Both runs need the
registry of ``sqlite:///mlflow.db`` in the current folder with a champion: run ``churn train`` and
``churn promote`` there first. With no command the script prints ``ticks`` from now.

Exit codes: 0 done, 1 a run did not end as the drill expects, 2 bad input (no store, a bad --after).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE, YEARLY, rrule

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}  # the drill prints what happened
CRON_WEEKDAYS = [SU, MO, TU, WE, TH, FR, SA, SU]  # cron counts 0-6 from Sunday, and 7 is Sunday too


class BadInput(Exception):
    """A missing store, a store without a champion, or an --after that is not a time (exit 2)."""


def _field(text: str, low: int, high: int, name: str) -> list[int] | None:
    """One cron field as its values; None for ``*``. Only numbers and comma lists, as our schedules use."""
    if text == "*":
        return None
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"cron field {name} {text!r}: only numbers and lists are read, e.g. 1 or 1,15") from None
    if not all(low <= value <= high for value in values):
        raise ValueError(f"cron field {name} {text!r}: values run from {low} to {high}")
    return values


# --8<-- [start:ticks]
def next_ticks(cron: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` times a cron string fires after ``after``, in ``timezone``, with dateutil's rrule.

    In a zone with summer time, the hour that is skipped or repeated is not resolved as Dagster does.
    """
    minute, hour, day, month, weekday = cron.split()
    days, weekdays = _field(day, 1, 31, "day of month"), _field(weekday, 0, 7, "day of week")
    if days and weekdays:
        raise ValueError(f"{cron!r}: cron fires when the day of month OR the day of week matches; not read here")
    rule = rrule(YEARLY, dtstart=after.astimezone(ZoneInfo(timezone)).replace(second=0, microsecond=0),
                 bymonth=_field(month, 1, 12, "month") or range(1, 13),
                 bymonthday=days or (None if weekdays else range(1, 32)),  # rrule's default is dtstart's day
                 byweekday=[CRON_WEEKDAYS[d] for d in weekdays] if weekdays else None,
                 byhour=_field(hour, 0, 23, "hour") or range(24), byminute=_field(minute, 0, 59, "minute") or range(60),
                 bysecond=0)
    return [tick.astimezone(UTC) for tick in islice((t for t in rule if t > after), count)]
# --8<-- [end:ticks]


def ticks_report(after: datetime, count: int) -> list[str]:
    """The next ticks of both schedules of the project, as the page shows them."""
    from churn.pipeline.schedules import monthly_retraining, weekly_scoring

    lines = []
    for schedule in (monthly_retraining, weekly_scoring):
        lines.append(f"{schedule.name}: {schedule.cron_schedule!r} in {schedule.execution_timezone}, "
                     f"job {schedule.job_name}")
        lines += [f"  {tick:%Y-%m-%d %H:%M} UTC ({tick:%a})"
                  for tick in next_ticks(schedule.cron_schedule, schedule.execution_timezone, after, count)]
    return lines


def registry_summary(uri: str) -> tuple[list[str], dict[str, str]]:
    """The version numbers of ``churn`` and its aliases, read from the store."""
    from churn.registry import registry_client

    client = registry_client(uri)
    versions = sorted((str(v.version) for v in client.search_model_versions("name='churn'")), key=int)
    aliases = {alias: str(version) for alias, version in sorted(client.get_registered_model("churn").aliases.items())}
    return versions, aliases


def _show(versions: list[str], aliases: dict[str, str]) -> str:
    named = ", ".join(f"{alias}=v{version}" for alias, version in aliases.items()) or "none"
    return f"versions {', '.join(versions)}; aliases {named}"


def _settings(folder: Path, data_path: Path | None = None) -> Any:
    from churn.pipeline.resources import ChurnSettings

    return ChurnSettings(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}",
                         data_path=str(data_path) if data_path else None,
                         pipeline_alerts=str(folder / "pipeline_alerts.jsonl"))


def run_training_job(settings: Any, instance: Any = None) -> Any:
    """Run the project's training job (``churn_training``) in this process, as the schedule would start it."""
    import dagster as dg
    from churn.pipeline.assets import PIPELINE_ASSETS
    from churn.pipeline.jobs import training_job

    job = dg.Definitions(assets=PIPELINE_ASSETS, jobs=[training_job],
                         resources={"settings": settings}).resolve_job_def(training_job.name)
    return job.execute_in_process(run_config=QUIET, instance=instance, raise_on_error=False)


def _store(folder: Path) -> str:
    """The scratch store's URI, refused when there is no store or no champion in it."""
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    if not (folder / "mlflow.db").is_file():
        raise BadInput(f"{folder / 'mlflow.db'}: no tracking store here; run `churn train` and "
                       "`churn promote --approved-by NAME --reason TEXT` in this folder first")
    if "champion" not in registry_summary(uri)[1]:
        raise BadInput(f"{uri}: no champion yet; run `churn promote --approved-by NAME --reason TEXT` first")
    return uri


# --8<-- [start:outage]
@contextmanager
def tracking_server_down(failures: int) -> Iterator[list[tuple[float, float | None]]]:
    """The first ``failures`` calls that register a model raise ConnectionError; yields (start, failed) times."""
    from churn.pipeline import steps

    real, attempts = steps.log_run, []

    def log_run(*args, **kwargs):
        attempts.append((time.monotonic(), None))
        if len(attempts) <= failures:
            attempts[-1] = (attempts[-1][0], time.monotonic())
            raise ConnectionError("the MLflow server does not answer")
        return real(*args, **kwargs)

    steps.log_run = log_run
    try:
        yield attempts
    finally:
        steps.log_run = real
# --8<-- [end:outage]


def transient(folder: Path, failures: int) -> tuple[list[str], bool]:
    """Run the training job through a short outage of the tracking server; report each measured wait."""
    uri = _store(folder)
    before = registry_summary(uri)
    with tracking_server_down(failures) as attempts:
        result = run_training_job(_settings(folder))
    lines = []
    for number, (_, failed) in enumerate(attempts, start=1):
        if failed is None:
            lines.append(f"attempt {number} of registered_challenger: registered")
        else:
            wait = attempts[number][0] - failed if number < len(attempts) else None
            lines.append(f"attempt {number} of registered_challenger: ConnectionError"
                         + (f", next attempt {wait:.1f} s later" if wait is not None else ", no attempt left"))
    retries = result.retry_attempts_for_node("registered_challenger")
    lines.append(f"run: {'SUCCESS' if result.success else 'FAILURE'}, {retries} retries of registered_challenger")
    if result.success:
        lines.append(result.output_for_node("promotion_decision").summary().splitlines()[0])
    lines += [f"registry before: {_show(*before)}", f"registry after:  {_show(*registry_summary(uri))}"]
    return lines, result.success == (failures <= 3)


# --8<-- [start:bad_data]
def bad_data(folder: Path) -> tuple[list[str], bool]:
    """Run the training job on a file without the column Contract; alert, and compare the registry."""
    import dagster as dg
    from churn.generate import generate_customers
    from churn.pipeline.sensors import pipeline_failure_alert

    uri = _store(folder)
    path = folder / "customers_bad.csv"
    generate_customers(2000, seed=7).drop(columns=["Contract"]).to_csv(path, index=False)
    before, settings, instance = registry_summary(uri), _settings(folder, path), dg.DagsterInstance.ephemeral()
    result = run_training_job(settings, instance)
    context = dg.build_run_status_sensor_context(
        sensor_name=pipeline_failure_alert.name, dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run, resources={"settings": settings},
    ).for_run_failure()
    pipeline_failure_alert(context)  # what the daemon does after the run fails
    # --8<-- [end:bad_data]
    started = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    check = next(c for c in result.get_asset_check_evaluations() if c.check_name == "contract_missing_column")
    alert = json.loads(Path(settings.pipeline_alerts).read_text(encoding="utf-8").splitlines()[-1])
    after = registry_summary(uri)
    lines = [f"wrote {path.name}: 2000 generated customers without the column Contract",
             f"run: {'SUCCESS' if result.success else 'FAILURE'}, "
             f"failed steps {sorted(result.get_failed_step_keys())}, "
             f"{result.retry_attempts_for_node('validated_customers')} retries",
             f"steps started: {', '.join(started)}",
             f"check {check.check_name}: {'passed' if check.passed else 'failed'}, severity {check.severity.value}",
             f"alert in {Path(settings.pipeline_alerts).name}: job {alert['job']}, "
             f"failed_steps {json.dumps(alert['failed_steps'])}",
             f"registry before: {_show(*before)}", f"registry after:  {_show(*after)}",
             "registry unchanged" if after == before else "registry CHANGED"]
    return lines, not result.success and after == before


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--after {text!r}: not a time; expected e.g. 2026-12-07T00:00:00+00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    """Run one drill; exit 0 done, 1 a run ended otherwise than expected, 2 bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="ticks", choices=["ticks", "transient", "bad-data"],
                        help="the drill (default: ticks from now)")
    parser.add_argument("--after", default=None, help="ticks after this ISO time (default: now, UTC)")
    parser.add_argument("--count", type=int, default=3, help="ticks per schedule (default: 3)")
    parser.add_argument("--failures", type=int, default=2,
                        help="attempts the tracking server refuses before it answers (default: 2)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        if args.command == "ticks":
            lines, ok = ticks_report(_parse_time(args.after) if args.after else datetime.now(UTC), args.count), True
        elif args.command == "transient":
            lines, ok = transient(Path.cwd(), args.failures)
        else:
            lines, ok = bad_data(Path.cwd())
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
