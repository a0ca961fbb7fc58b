"""The model registry: aliases instead of stages, a promotion gate, and a one-step rollback.

- ``challenger``: the newest registered model, waiting for the gate.
- ``champion``: the model the service loads (``models:/churn@champion``).
- ``previous_champion``: the champion before the last promotion, kept for rollback.

MLflow's old stages (Staging/Production/Archived, ``transition_model_version_stage``) are
deprecated since MLflow 2.9; aliases and tags do the same job without a fixed set of states.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from churn.config import ExperimentConfig
from churn.features import feature_frame, target

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS = "previous_champion"


class RegistryError(RuntimeError):
    """The registry is not in a state that allows the operation (e.g. no challenger to promote)."""


class TrackingUnreachable(Exception):
    """Nothing answers at the tracking URI's host and port: a setting to fix (exit 2), not a registry state."""


# The port a scheme's server listens on when the URI names none.
DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "mysql": 3306, "mssql": 1433}
CONNECT_SECONDS = 3.0


def check_reachable(tracking_uri: str) -> None:
    """Raise [`TrackingUnreachable`][churn.registry.TrackingUnreachable] if a server URI's host does not answer.

    Without this check a stopped server costs minutes: the MLflow client retries each request
    (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, 7 by default, with backoff; measured: ``churn promote`` gave up
    after 4 min 14 s) and then reports the failure as if the model did not exist. One TCP connection
    with a short timeout tells "nothing listens there" apart in a second. Local stores (``sqlite``) are
    not probed; a server that answers but fails a request still reports its own error.
    """
    parts = urlsplit(tracking_uri)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return
    port = parts.port or DEFAULT_PORTS[scheme]
    try:
        socket.create_connection((parts.hostname, port), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__  # "Connection refused", "timed out" ...
        shown = tracking_uri.replace(f"{parts.password}@", "***@") if parts.password else tracking_uri
        raise TrackingUnreachable(f"cannot reach the tracking server at {shown} ({parts.hostname}:{port}: {reason}); "
                                  "start it, or point --tracking-uri, CHURN_TRACKING_URI or the config's "
                                  "tracking.uri at a running one") from None


def registry_client(tracking_uri: str | None = None) -> Any:
    """Return an ``MlflowClient`` for the tracking URI (which is also the registry URI).

    Raises:
        TrackingUnreachable: The URI names a server (http, https, a database) that does not answer.
    """
    from mlflow import MlflowClient

    if tracking_uri:
        check_reachable(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


# What MLflow answers when the registered model or the alias does not exist (the sqlite store and the
# REST API alike); any other error (a server failing, a permission refused) is not "no such version".
MISSING = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}


def _version_or_none(client: Any, name: str, alias: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as error:
        if error.error_code in MISSING:
            return None
        raise RegistryError(f"the registry could not look up {name}@{alias}: {str(error).splitlines()[0]}") from None


@dataclass
class GateResult:
    """The gate's decision with the numbers behind it."""

    promoted: bool
    challenger_version: str
    champion_version: str | None
    metric: str
    challenger_metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    reasons: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One paragraph a person can read in a terminal or a CI log."""
        verdict = "PROMOTED" if self.promoted else "NOT PROMOTED"
        champion = (f"champion v{self.champion_version} {self.metric}={self.champion_metrics[self.metric]:.4f}"
                    if self.champion_metrics else "no champion yet")
        lines = [f"{verdict}: challenger v{self.challenger_version} "
                 f"{self.metric}={self.challenger_metrics[self.metric]:.4f} vs {champion}"]
        return "\n".join(lines + [f"  - {reason}" for reason in self.reasons])


# --8<-- [start:gate]
def passes_gate(challenger: dict[str, float], champion: dict[str, float] | None,
                config: ExperimentConfig) -> tuple[bool, list[str]]:
    """Apply the promotion rules; return the decision and every reason behind it."""
    gate = config.promotion
    reasons = []
    if challenger["roc_auc"] < gate.min_roc_auc:
        reasons.append(f"ROC AUC {challenger['roc_auc']:.4f} is below the minimum {gate.min_roc_auc}")
    if challenger["pr_auc"] < gate.min_pr_auc:
        reasons.append(f"PR AUC {challenger['pr_auc']:.4f} is below the minimum {gate.min_pr_auc}")
    if champion is not None and challenger[gate.metric] < champion[gate.metric] + gate.margin:
        reasons.append(f"{gate.metric} does not beat the champion by the margin {gate.margin}")
    return not reasons, reasons or ["meets the minimums" + (" and beats the champion" if champion else "")]
# --8<-- [end:gate]


def _score(model_uri: str, evaluation: pd.DataFrame, config: ExperimentConfig) -> dict[str, float]:
    import mlflow

    from churn.evaluate import evaluate  # scikit-learn's metrics: the service imports this module, not them

    mlflow.set_tracking_uri(config.tracking.uri)  # models:/ URIs resolve against the configured registry
    mlflow.set_registry_uri(config.tracking.uri)
    model = mlflow.sklearn.load_model(model_uri)
    probability = model.predict_proba(feature_frame(evaluation))[:, 1]
    return evaluate(target(evaluation).to_numpy(), probability, config.threshold, config.costs)


# --8<-- [start:promote]
def promote(config: ExperimentConfig, evaluation: pd.DataFrame) -> GateResult:
    """Compare challenger and champion on the same evaluation data; move ``champion`` if the gate passes."""
    client = registry_client(config.tracking.uri)
    name = config.tracking.registered_model
    challenger = _version_or_none(client, name, CHALLENGER)
    if challenger is None:
        raise RegistryError(f"model {name!r} has no {CHALLENGER!r} version; run 'churn train' first")
    champion = _version_or_none(client, name, CHAMPION)
    challenger_metrics = _score(f"models:/{name}@{CHALLENGER}", evaluation, config)
    champion_metrics = _score(f"models:/{name}@{CHAMPION}", evaluation, config) if champion else None
    promoted, reasons = passes_gate(challenger_metrics, champion_metrics, config)
    result = GateResult(promoted, str(challenger.version), str(champion.version) if champion else None,
                        config.promotion.metric, challenger_metrics, champion_metrics, reasons)
    client.set_model_version_tag(name, challenger.version, "gate", "passed" if promoted else "failed")
    if promoted:
        if champion is not None:
            client.set_registered_model_alias(name, PREVIOUS, champion.version)
        client.set_registered_model_alias(name, CHAMPION, challenger.version)
        client.delete_registered_model_alias(name, CHALLENGER)
        client.set_model_version_tag(name, challenger.version, "promoted_at", datetime.now(UTC).isoformat())
    return result
# --8<-- [end:promote]


def rollback(config: ExperimentConfig) -> tuple[str, str]:
    """Point ``champion`` back at ``previous_champion``; return (rolled-back version, restored version).

    Raises:
        RegistryError: There is no previous champion to return to.
    """
    client = registry_client(config.tracking.uri)
    name = config.tracking.registered_model
    previous = _version_or_none(client, name, PREVIOUS)
    current = _version_or_none(client, name, CHAMPION)
    if previous is None or current is None:
        raise RegistryError(f"model {name!r} has no {PREVIOUS!r} version to roll back to")
    client.set_registered_model_alias(name, CHAMPION, previous.version)
    client.delete_registered_model_alias(name, PREVIOUS)
    client.set_model_version_tag(name, current.version, "rolled_back_at", datetime.now(UTC).isoformat())
    return str(current.version), str(previous.version)


def aliases(config: ExperimentConfig) -> dict[str, str]:
    """Return alias -> version for the registered model (empty if it does not exist yet)."""
    client = registry_client(config.tracking.uri)
    try:
        model = client.get_registered_model(config.tracking.registered_model)
    except Exception:
        return {}
    return {alias: str(version) for alias, version in model.aliases.items()}
