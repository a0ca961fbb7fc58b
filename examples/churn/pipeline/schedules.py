"""The weekly retraining schedule, on the case's weekly cadence (lecture 4.1's case card).

The case card sets the cadence of scoring, not of retraining: "Weekly batch scoring builds Monday's
call list", and the label "arrives monthly". Retraining runs weekly, the same night as scoring and
before it, so a model trained on a month's new labels scores the first list after they land. In
the weeks without new labels the run retrains on the same data: the gate refuses the new version
(it does not beat the champion by the margin) and the champion stays. Lecture 4.6 calls this
trigger "monthly" because labels come monthly; a weekly run is how that monthly trigger is caught
within a week without knowing the day billing closes the month. The hour is this project's
choice: 20:00 UTC on Sunday, after the daily 06:00 UTC delivery of the source data (lecture 4.3).
The schedule starts stopped: turn it on in the UI (Automation) or with ``dagster schedule start``;
the daemon that ``dagster dev`` runs then starts the job.
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
