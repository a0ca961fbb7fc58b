"""The experiment configuration: one YAML file says what to train, on what, and how to judge it.

Every run of ``churn train`` is described by such a file (``examples/configs/default.yaml`` is the
default), so a run can be repeated exactly: same data, same config, same seed, same metrics. An
unknown key is an error, not a silently ignored typo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(ValueError):
    """The configuration file is missing, not YAML, or has a wrong or unknown key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --8<-- [start:config]
class DataConfig(_Strict):
    """Where the training data comes from: a file, or the generator."""

    path: str | None = Field(default=None, description="CSV or Parquet file of the contract's schema")
    generated_rows: int = Field(default=10_000, ge=100, description="rows to generate when path is not set")
    generator_seed: int = 42


# --8<-- [start:model_config]
class ModelConfig(_Strict):
    """Which estimator ends the pipeline, with its hyper-parameters."""

    kind: Literal["logistic_regression", "random_forest", "hist_gradient_boosting"] = "logistic_regression"
    params: dict[str, Any] = Field(default_factory=lambda: {"C": 1.0, "max_iter": 1000})

    @model_validator(mode="after")
    def _known_params(self) -> ModelConfig:
        from churn.features import estimator_class

        allowed = estimator_class(self.kind)().get_params()
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            raise ValueError(f"params: unknown parameter(s) {unknown} for kind {self.kind!r}; "
                             f"valid ones include {sorted(allowed)[:12]}")
        return self
# --8<-- [end:model_config]


class CostConfig(_Strict):
    """The business cost of mistakes (lecture 4.2): a missed churner vs. a wasted retention offer."""

    missed_churner: float = Field(default=500.0, gt=0, description="revenue lost when a churner is not contacted")
    wasted_offer: float = Field(default=50.0, gt=0, description="cost of an offer to a customer who would stay")


class PromotionConfig(_Strict):
    """The gate a challenger must pass to become champion."""

    metric: Literal["roc_auc", "pr_auc", "f1"] = "roc_auc"
    margin: float = Field(default=0.002, ge=0, description="how much better than the champion it must be")
    min_roc_auc: float = Field(default=0.75, ge=0, le=1)
    min_pr_auc: float = Field(default=0.45, ge=0, le=1)


TRACKING_SCHEMES = ("sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks")


def check_tracking_uri(uri: str) -> str:
    """Return ``uri`` if MLflow can keep runs and a model registry there; else raise ``ValueError`` with the fix.

    The scheme (before ``://``; a database driver such as ``postgresql+psycopg2`` counts as its database)
    must be one of ``TRACKING_SCHEMES``: MLflow's file store has no model registry.
    """
    scheme = uri.split("://", 1)[0].split("+", 1)[0].lower() if "://" in uri else ""
    if scheme not in TRACKING_SCHEMES:
        raise ValueError(f"{uri!r} is not a tracking URI with a model registry; use sqlite:///mlflow.db (a local "
                         f"file) or http://host:5000 (an MLflow server); schemes: {', '.join(TRACKING_SCHEMES)}")
    return uri


class TrackingConfig(_Strict):
    """Where runs and models are recorded."""

    uri: str = "sqlite:///mlflow.db"
    experiment: str = "churn"
    registered_model: str = "churn"

    _check_uri = field_validator("uri")(classmethod(lambda cls, uri: check_tracking_uri(uri)))


class MonitoringConfig(_Strict):
    """When [`churn drift`][churn.monitoring.drift] calls a feature, or the model's scores, drifted, and
    when realised performance ([`churn feedback`][churn.monitoring.feedback]) asks for retraining.

    One rule for every feature: drifted when its PSI is at or above ``psi_threshold`` **and** the
    test's p-value (Kolmogorov-Smirnov for numbers, chi-square for categories) is below ``p_value``.
    The scores use ``prediction_psi_threshold`` and the same p-value. PSI conventions are 0.1 (watch)
    and 0.25 (act) (Siddiqi, *Credit Risk Scorecards*, 2006); 0.2 acts a little earlier.
    """

    psi_threshold: float = Field(default=0.2, gt=0, description="PSI at or above this (and a small p-value): drifted")
    p_value: float = Field(default=0.01, gt=0, lt=1, description="test p-value below this (and PSI crossed): drifted")
    bins: int = Field(default=10, ge=2, le=100, description="quantile bins of the reference for a numeric PSI")
    prediction_psi_threshold: float = Field(default=0.2, gt=0, description="PSI of the scores at or above this: "
                                            "the predictions drifted (with the same p-value rule)")
    min_realised_roc_auc: float = Field(default=0.75, ge=0, le=1,
                                        description="realised ROC AUC of the latest complete week below: retrain")
    min_labelled: int = Field(default=200, ge=1, description="fewer labelled predictions in a week: no verdict")


# --8<-- [start:experiment_config]
class ExperimentConfig(_Strict):
    """A whole experiment: data, split, model, threshold, costs, promotion gate, tracking, monitoring."""

    data: DataConfig = DataConfig()
    model: ModelConfig = Field(default_factory=ModelConfig)  # checked when a config is made, not at import
    test_size: float = Field(default=0.2, gt=0, lt=1)
    seed: int = 42
    threshold: float = Field(default=0.35, gt=0, lt=1, description="probability at or above which we call a customer")
    costs: CostConfig = CostConfig()
    promotion: PromotionConfig = PromotionConfig()
    tracking: TrackingConfig = TrackingConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
# --8<-- [end:experiment_config]
# --8<-- [end:config]


def load_config(path: str | Path | None = None, **overrides: Any) -> ExperimentConfig:
    """Read an experiment configuration from YAML (or the defaults when ``path`` is ``None``).

    Args:
        path: YAML file.
        **overrides: Top-level keys to replace, e.g. ``seed=7`` from the command line.

    Raises:
        ConfigError: With the file and the dotted key of every problem.
    """
    data: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: configuration file not found") from None
        except IsADirectoryError:
            raise ConfigError(f"{file}: is a folder; give the YAML file, e.g. examples/configs/default.yaml") from None
        except UnicodeDecodeError as error:
            raise ConfigError(f"{file}: not UTF-8 text ({error.reason} at byte {error.start}); "
                              "save the YAML as UTF-8") from None
        except OSError as error:
            raise ConfigError(f"{file}: cannot read the file ({error.strerror or error})") from None
        except yaml.YAMLError as error:
            raise ConfigError(f"{file}: not valid YAML{_position(error)}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{file}: the top level must be a mapping of keys to values")
        data = loaded or {}
    data = {**data, **{key: value for key, value in overrides.items() if value is not None}}
    # --8<-- [start:config_errors]
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as error:
        where = str(path) if path is not None else "configuration"
        lines = [f"{where}: {'.'.join(str(p) for p in issue['loc']) or 'top level'}: {_problem(issue)}"
                 for issue in error.errors()]
        raise ConfigError("; ".join(lines)) from None
    # --8<-- [end:config_errors]


def _problem(issue: dict[str, Any]) -> str:
    """pydantic's message for one issue, without its ``Value error, `` prefix; a typo'd key is an unknown key."""
    return "unknown key" if issue["type"] == "extra_forbidden" else issue["msg"].removeprefix("Value error, ")


def _position(error: yaml.YAMLError) -> str:
    """Where and what a YAML parse error is, on one line, e.g. ``at line 2 column 1: found character '\\t'``."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None)
    return f"{where}: {problem}" if problem else where
