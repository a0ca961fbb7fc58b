"""Service settings, read from ``CHURN_*`` environment variables (twelve-factor style).

Secrets such as the API key come only from the environment: there is deliberately no default in
code, and the service refuses to start without one rather than serving predictions to anybody.

| variable | default | meaning |
|---|---|---|
| ``CHURN_API_KEY`` | (required) | the key clients send in the ``X-API-Key`` header |
| ``CHURN_PREDICTION_LOG`` | ``prediction_log.jsonl`` | JSON-lines file every prediction is appended to |
| ``CHURN_PREDICTION_LOG_MAX_BYTES`` | ``100000000`` | rotate the log before it passes this size, and every UTC day |
| ``CHURN_PREDICTION_LOG_BACKUPS`` | ``20`` | rotated files kept, oldest deleted first: at most 21 x 100 MB = 2.1 GB |
| ``CHURN_PREDICTION_LOG_RETENTION_DAYS`` | ``14`` | rotated files older than this are deleted (customer data) |
| ``CHURN_MAX_BATCH`` | ``1000`` | most customers in one ``POST /predict/batch`` |
| ``CHURN_MAX_BODY_BYTES`` | ``4000000`` | larger request bodies get 413 before they are parsed |
| ``CHURN_BATCH_WINDOW_MS`` | ``2`` | most a ``/predict`` call waits for company while the model is busy; ``0``: off |
| ``CHURN_BATCH_MAX_SIZE`` | ``64`` | a micro-batch is scored at once when it reaches this size |
| ``CHURN_BATCH_WORKER`` | ``process`` | ``/predict/batch`` runs in one worker ``process``, or in a ``thread`` |
| ``CHURN_LOAD_RETRY_SECONDS`` | ``10`` | wait between attempts to load the model when there is none yet |
| ``CHURN_TRACKING_URI`` | MLflow's default | where the registry lives (passed to the model loader) |
| ``CHURN_MODEL_NAME`` | ``churn`` | the registered model whose ``champion`` is served |
| ``CHURN_MODEL_DIR`` | (unset) | a model bundle folder (``churn export``) to serve instead of the registry's champion |
| ``CHURN_PREDICTOR`` | (unset) | ``module:function`` returning the predictor instead of the champion (tests) |
| ``CHURN_LOG_LEVEL`` | ``INFO`` | level of the JSON logs |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError


class SettingsError(ValueError):
    """A ``CHURN_*`` environment variable is missing or invalid; the message names it."""


ENVIRONMENT_VARIABLES = {
    "api_key": "CHURN_API_KEY",
    "prediction_log": "CHURN_PREDICTION_LOG",
    "prediction_log_max_bytes": "CHURN_PREDICTION_LOG_MAX_BYTES",
    "prediction_log_backups": "CHURN_PREDICTION_LOG_BACKUPS",
    "prediction_log_retention_days": "CHURN_PREDICTION_LOG_RETENTION_DAYS",
    "max_batch": "CHURN_MAX_BATCH",
    "max_body_bytes": "CHURN_MAX_BODY_BYTES",
    "batch_window_ms": "CHURN_BATCH_WINDOW_MS",
    "batch_max_size": "CHURN_BATCH_MAX_SIZE",
    "batch_worker": "CHURN_BATCH_WORKER",
    "load_retry_seconds": "CHURN_LOAD_RETRY_SECONDS",
    "tracking_uri": "CHURN_TRACKING_URI",
    "model_name": "CHURN_MODEL_NAME",
    "model_dir": "CHURN_MODEL_DIR",
    "predictor": "CHURN_PREDICTOR",
    "log_level": "CHURN_LOG_LEVEL",
}


class ServiceSettings(BaseModel):
    """Everything the service can be configured with; see the module docstring for the variables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr = Field(min_length=1, description="the key clients send in X-API-Key")
    prediction_log: Path = Path("prediction_log.jsonl")
    prediction_log_max_bytes: int = Field(default=100_000_000, ge=1_000)
    prediction_log_backups: int = Field(default=20, ge=0)
    prediction_log_retention_days: int = Field(default=14, ge=1)
    max_batch: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=4_000_000, ge=1_000)
    batch_window_ms: float = Field(default=2.0, ge=0, le=1000)
    batch_max_size: int = Field(default=64, ge=1)
    batch_worker: Literal["process", "thread"] = "process"
    load_retry_seconds: float = Field(default=10.0, gt=0)
    tracking_uri: str | None = None
    model_name: str = "churn"
    model_dir: Path | None = None
    predictor: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Read the settings from ``environ`` (default: ``os.environ``).

        Raises:
            SettingsError: A variable is missing or has a wrong value; the message names the
                variable and what a valid value looks like.
        """
        environ = os.environ if environ is None else environ
        values = {field: environ[name] for field, name in ENVIRONMENT_VARIABLES.items() if environ.get(name)}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = []
            for issue in error.errors():
                variable = ENVIRONMENT_VARIABLES.get(str(issue["loc"][0]), str(issue["loc"][0]))
                if issue["type"] == "missing":
                    problems.append(f"{variable} is required but not set "
                                    f"(e.g. export {variable}=$(openssl rand -hex 16))")
                else:
                    problems.append(f"{variable}: {issue['msg']} (got {issue['input']!r})")
            raise SettingsError("invalid service settings: " + "; ".join(problems)) from None
