"""The pipeline's one resource: which experiment configuration, which data, which tracking store.

Every asset reads its settings from here, so the UI shows them with each run and a test passes its
own (a temporary tracking store, 2,000 generated rows). By default the settings come from the
environment, as ``dagster dev`` sees it: ``CHURN_CONFIG`` (an experiment YAML; default: the built-in
defaults, the same as ``configs/default.yaml``), ``CHURN_DATA`` (a CSV or Parquet file; default:
generated customers as configured), ``CHURN_TRACKING_URI`` (default: the config's,
``sqlite:///mlflow.db``), ``CHURN_RETRAIN_SIGNAL`` (the file the retraining sensor reads), and for the
weekly scoring job ``CHURN_SCORING_INPUT`` (the latest snapshot of active customers, a CSV or Parquet
file; required by that job), ``CHURN_SCORING_OUTPUT`` (default ``scores/scores.parquet``), and
``CHURN_PIPELINE_ALERTS`` (the JSON-lines file the failure sensor appends one alert to per failed run;
default ``monitoring/pipeline_alerts.jsonl``).
"""

from __future__ import annotations

import os

import dagster as dg

from churn.config import ExperimentConfig, load_config
from churn.monitoring.trigger import DEFAULT_SIGNAL, SIGNAL_ENV

DEFAULT_RETRAIN_SIGNAL = DEFAULT_SIGNAL  # the file `churn retrain-check` writes
DEFAULT_SCORING_OUTPUT = "scores/scores.parquet"
DEFAULT_PIPELINE_ALERTS = "monitoring/pipeline_alerts.jsonl"


# --8<-- [start:settings]
class ChurnSettings(dg.ConfigurableResource):
    """Where the pipeline's configuration, data and tracking store are."""

    config_path: str | None = None
    data_path: str | None = None
    tracking_uri: str | None = None
    retrain_signal: str = DEFAULT_RETRAIN_SIGNAL
    scoring_input: str | None = None
    scoring_output: str = DEFAULT_SCORING_OUTPUT
    pipeline_alerts: str = DEFAULT_PIPELINE_ALERTS

    def experiment(self) -> ExperimentConfig:
        """Load the experiment configuration, with the tracking URI replaced when one is set here."""
        config = load_config(self.config_path)
        if self.tracking_uri:
            tracking = config.tracking.model_copy(update={"uri": self.tracking_uri})
            config = config.model_copy(update={"tracking": tracking})
        return config
# --8<-- [end:settings]


# --8<-- [start:from_env]
def settings_from_environment() -> ChurnSettings:
    """The settings ``dagster dev`` uses: the ``CHURN_*`` variables of this module's docstring."""
    return ChurnSettings(config_path=os.environ.get("CHURN_CONFIG") or None,
                         data_path=os.environ.get("CHURN_DATA") or None,
                         tracking_uri=os.environ.get("CHURN_TRACKING_URI") or None,
                         retrain_signal=os.environ.get(SIGNAL_ENV) or DEFAULT_RETRAIN_SIGNAL,
                         scoring_input=os.environ.get("CHURN_SCORING_INPUT") or None,
                         scoring_output=os.environ.get("CHURN_SCORING_OUTPUT") or DEFAULT_SCORING_OUTPUT,
                         pipeline_alerts=os.environ.get("CHURN_PIPELINE_ALERTS") or DEFAULT_PIPELINE_ALERTS)
# --8<-- [end:from_env]
