"""The schedules, on the case's two clocks (lecture 3.2's cadence table, lecture 4.1's case card).

Retraining is monthly, when the labels land: ``Churn = Yes`` means "left within the month after
the snapshot", so a month's labels are complete when the month is over, and they arrive with the
daily delivery of the source data at 06:00 UTC on the 1st (lecture 4.3). ``monthly_retraining``
runs on the 1st at 20:00 UTC, the same day, with hours to spare for a late delivery. Retraining
more often would give the model newer inputs but no new outcomes. A confirmed drift alert can start
the same job between two months (the sensor in ``sensors.py``).

Scoring is weekly: ``weekly_scoring`` scores the latest snapshot every Monday at 02:00 UTC, so the
call list is ready before the retention team starts (lecture 3.5: the night before Monday, list at
07:00). On a 1st that is a Sunday, the model retrained that evening scores the next morning's list
only if a person promotes it first: scoring loads ``champion``, and a new version is only ``challenger``.
The hours are this project's choice. Both schedules start stopped: turn them on in the UI
(Automation) or with ``dagster schedule start``; the daemon that ``dagster dev`` runs then starts the jobs.
"""

from __future__ import annotations

import dagster as dg

from churn.pipeline.jobs import scoring_job, training_job

# --8<-- [start:schedule]
MONTHLY_CRON = "0 20 1 * *"  # minute hour day-of-month month day-of-week: the 1st of each month at 20:00
WEEKLY_CRON = "0 2 * * 1"  # Mondays (1) at 02:00

monthly_retraining = dg.ScheduleDefinition(
    name="monthly_retraining", job=training_job, cron_schedule=MONTHLY_CRON, execution_timezone="UTC",
    description="retrain on the 1st of each month at 20:00 UTC, once last month's labels have landed")
weekly_scoring = dg.ScheduleDefinition(
    name="weekly_scoring", job=scoring_job, cron_schedule=WEEKLY_CRON, execution_timezone="UTC",
    description="score the latest snapshot every Monday at 02:00 UTC: the call list")
# --8<-- [end:schedule]
