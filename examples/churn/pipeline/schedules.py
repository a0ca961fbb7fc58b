"""The weekly retraining schedule: the case's cadence (lecture 4.1's case card).

Scoring is weekly: the batch job runs on Sunday night and Monday's call list is ready at 07:00
(lecture 3.5). Retraining runs the same night, before it, so a model the gate promotes scores
that week's list. The case names no hour; 20:00 UTC on Sunday is this project's choice, after the
daily 06:00 UTC delivery of the source data (lecture 4.3). The schedule starts stopped: turn it on
in the UI (Automation) or with ``dagster schedule start``; the daemon that ``dagster dev`` runs
then starts the job.
"""

from __future__ import annotations

import dagster as dg

from churn.pipeline.jobs import training_job

# --8<-- [start:schedule]
WEEKLY_CRON = "0 20 * * 0"  # minute hour day-of-month month day-of-week: Sundays (0) at 20:00

weekly_retraining = dg.ScheduleDefinition(name="weekly_retraining", job=training_job, cron_schedule=WEEKLY_CRON,
                                          execution_timezone="UTC",
                                          description="retrain every Sunday at 20:00 UTC, before Monday's list")
# --8<-- [end:schedule]
