"""The retraining trigger: a sensor that reads the signal file the monitoring part writes.

The monitoring part (Section 12) writes one small JSON file, by default
``monitoring/retrain_signal.json`` (``CHURN_RETRAIN_SIGNAL``), for example::

    {"retrain": true, "reason": "ROC AUC on last month's labels fell to 0.71", "confirmed_by": "ana"}

Lecture 4.6 decides that a drift alert opens a ticket and a person confirms it before anything
retrains, so the monitoring side writes ``"retrain": true`` only for a confirmed reason; this sensor
acts on the file, it does not judge drift. It starts one run per new content of the file: its
cursor is the SHA-256 of the content, so the same signal never fires twice, and the run key is
the same digest, so Dagster would not start a second run for it either.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of the context and
# the resources when it defines the assets, and a postponed annotation is only a string to it.

import hashlib
import json
from pathlib import Path

import dagster as dg

from churn.pipeline.jobs import training_job
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
        return dg.SkipReason(f"{path}: the signal does not ask for retraining")
    return dg.RunRequest(run_key=digest, tags={"churn/trigger": "retrain_signal",
                                               "churn/reason": str(signal.get("reason", ""))[:200]})
# --8<-- [end:sensor]
