"""Everything Dagster loads: the assets with their checks, the jobs, the schedules, the sensors, the settings.

Serve the UI on this machine, with Dagster's storage in a local folder (``.dagster``, no database
to set up), from ``examples/``::

    DAGSTER_HOME=$PWD/.dagster dagster dev -m churn.pipeline.definitions -h 127.0.0.1 -p 3000

Runs execute in one process (``in_process_executor``): a step per process would import
scikit-learn and MLflow again for every step, which costs more than the steps on a small machine.
"""

from __future__ import annotations

import dagster as dg

from churn.pipeline.assets import PIPELINE_ASSETS
from churn.pipeline.jobs import scoring_job, training_job
from churn.pipeline.resources import settings_from_environment
from churn.pipeline.schedules import monthly_retraining, weekly_scoring
from churn.pipeline.scoring_assets import weekly_scores
from churn.pipeline.sensors import pipeline_failure_alert, retrain_signal_sensor

# --8<-- [start:definitions]
defs = dg.Definitions(
    assets=[*PIPELINE_ASSETS, weekly_scores],
    jobs=[training_job, scoring_job],
    schedules=[monthly_retraining, weekly_scoring],
    sensors=[retrain_signal_sensor, pipeline_failure_alert],
    resources={"settings": settings_from_environment()},
    executor=dg.in_process_executor,
)
# --8<-- [end:definitions]
