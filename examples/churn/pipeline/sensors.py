"""The retraining trigger: a sensor that reads the signal file the monitoring part writes.

``churn retrain-check`` ([`churn.monitoring.trigger`][churn.monitoring.trigger]) writes one small JSON
file, by default ``monitoring/retrain_signal.json`` (``CHURN_RETRAIN_SIGNAL``), for example::

    {"retrain": true, "needs_confirmation": false, "trigger": "performance",
     "reason": "realised ROC AUC 0.7100 in 2026-W18 (4800 labelled predictions, model v3) is below 0.75: ...",
     "evidence": {...}, "created_at": "2026-05-05T09:10:00+00:00"}

Lecture 4.6 decides that a drift alert opens a ticket and a person confirms it before anything
retrains: realised performance below the floor (labels confirm the decline) writes ``"retrain": true``
at once, drift alone writes ``"retrain": false, "needs_confirmation": true``, and
``churn retrain-confirm --by NAME --reason TEXT`` turns it into ``"retrain": true`` with
``"confirmed_by"``. This sensor acts on the file, it does not judge drift or performance. It starts
one run per new content of the file that says ``"retrain": true``: its cursor is the SHA-256 of the
content, so the same signal never fires twice, and the run key is the same digest, so Dagster would
not start a second run for it either. The run's tags carry the reason and, for a confirmed signal,
who confirmed it. The gate at the end of the run still decides whether the new model is promoted.

The second sensor, ``pipeline_failure_alert``, is the alert: Dagster evaluates it after a run of the
training or the scoring job fails, and it appends one JSON line to ``CHURN_PIPELINE_ALERTS`` (default
``monitoring/pipeline_alerts.jsonl``) naming the job, the run, the failed steps and the first line of
each step's error, for whatever pages the on-call person to pick up. A run that succeeds, including
one whose gate said no, raises no alert.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of the context and
# the resources when it defines the assets, and a postponed annotation is only a string to it.

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from churn.pipeline.jobs import scoring_job, training_job
from churn.pipeline.resources import ChurnSettings


# --8<-- [start:sensor]
@dg.sensor(job=training_job, minimum_interval_seconds=60)
def retrain_signal_sensor(context: dg.SensorEvaluationContext, settings: ChurnSettings):
    """Request a training run when the signal file has new content that says ``"retrain": true``."""
    path = Path(settings.retrain_signal)
    if not path.is_file():
        return dg.SkipReason(f"no retraining signal at {path}")
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if digest == context.cursor:
        return dg.SkipReason(f"{path}: the signal was already acted on")
    try:
        signal = json.loads(content)
    except ValueError as error:
        return dg.SkipReason(f"{path}: not valid JSON ({error}); expected e.g. "
                             '{"retrain": true, "reason": "..."}')
    context.update_cursor(digest)
    if not isinstance(signal, dict) or signal.get("retrain") is not True:
        if isinstance(signal, dict) and signal.get("needs_confirmation") is True:
            return dg.SkipReason(f"{path}: the signal waits for a person to confirm it (churn retrain-confirm)")
        return dg.SkipReason(f"{path}: the signal does not ask for retraining")
    tags = {"churn/trigger": "retrain_signal", "churn/reason": str(signal.get("reason", ""))[:200]}
    if signal.get("confirmed_by"):
        tags["churn/confirmed_by"] = str(signal["confirmed_by"])[:200]
    return dg.RunRequest(run_key=digest, tags=tags)
# --8<-- [end:sensor]


# --8<-- [start:alert]
@dg.run_failure_sensor(monitored_jobs=[training_job, scoring_job], minimum_interval_seconds=30)
def pipeline_failure_alert(context: dg.RunFailureSensorContext, settings: ChurnSettings) -> None:
    """Append one alert per failed run to the alerts file: the job, the run, each failed step and its error."""
    steps = {event.step_key: _first_line(event) for event in context.get_step_failure_events()}
    alert = {"job": context.dagster_run.job_name, "run_id": context.dagster_run.run_id, "failed_steps": steps,
             "message": context.failure_event.message, "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path = Path(settings.pipeline_alerts)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as alerts:
        alerts.write(json.dumps(alert) + "\n")
# --8<-- [end:alert]


def _first_line(event: dg.DagsterEvent) -> str:
    """The first line of a step failure's description, or of its error when it has no description."""
    data = event.step_failure_data
    text = (data.user_failure_data.description if data.user_failure_data else None) or data.error.message
    return (text or "").strip().splitlines()[0] if text and text.strip() else "no message"
