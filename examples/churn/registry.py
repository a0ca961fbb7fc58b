"""The model registry: aliases instead of stages, a promotion gate, and a one-step rollback.

The gate ([`run_gate()`][churn.registry.run_gate]) decides and tags; it moves no alias. ``champion``
moves only through [`churn.governance.approvals.promote`][], which records a person's approval first.

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
    """The gate's decision with the numbers behind it, and whether ``champion`` moved.

    ``passed`` is the gate's verdict; ``promoted`` is true only once ``champion`` points at the challenger,
    which needs a recorded approval as well ([`churn.governance.approvals.promote`][]).
    """

    passed: bool
    challenger_version: str
    champion_version: str | None
    metric: str
    challenger_metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    reasons: list[str] = field(default_factory=list)
    margin: float = 0.0
    promoted: bool = False

    def summary(self) -> str:
        """One paragraph a person can read in a terminal or a CI log."""
        verdict = ("PROMOTED" if self.promoted else "PASSED THE GATE, NOT PROMOTED YET" if self.passed
                   else "NOT PROMOTED")
        champion = (f"champion v{self.champion_version} {self.metric}={self.champion_metrics[self.metric]:.4f}"
                    if self.champion_metrics else "no champion yet")
        lines = [f"{verdict}: challenger v{self.challenger_version} "
                 f"{self.metric}={self.challenger_metrics[self.metric]:.4f} vs {champion}"]
        return "\n".join(lines + [f"  - {reason}" for reason in self.reasons])

    def to_dict(self) -> dict[str, Any]:
        """The decision as plain data: the ``gate_result`` registry tag and the audit log's record of it."""
        return {"passed": self.passed, "metric": self.metric,
                "challenger": round(self.challenger_metrics[self.metric], 6),
                "champion": round(self.champion_metrics[self.metric], 6) if self.champion_metrics else None,
                "margin": self.margin, "challenger_version": self.challenger_version,
                "champion_version": self.champion_version, "reasons": list(self.reasons),
                "challenger_metrics": {key: round(value, 6) for key, value in self.challenger_metrics.items()}}


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
def run_gate(config: ExperimentConfig, evaluation: pd.DataFrame) -> GateResult:
    """Score challenger and champion on the same evaluation data and apply the gate; no alias moves.

    The verdict is written on the challenger as the tag ``gate`` (``passed`` or ``failed``). Moving
    ``champion`` is a separate step that needs a person's approval: [`move_champion()`][churn.registry.move_champion],
    called by [`churn.governance.approvals.promote`][] once the approval is recorded.

    Raises:
        RegistryError: There is no challenger.
    """
    client = registry_client(config.tracking.uri)
    name = config.tracking.registered_model
    challenger = _version_or_none(client, name, CHALLENGER)
    if challenger is None:
        raise RegistryError(f"model {name!r} has no {CHALLENGER!r} version; run 'churn train' first")
    champion = _version_or_none(client, name, CHAMPION)
    challenger_metrics = _score(f"models:/{name}/{challenger.version}", evaluation, config)
    champion_metrics = _score(f"models:/{name}/{champion.version}", evaluation, config) if champion else None
    passed, reasons = passes_gate(challenger_metrics, champion_metrics, config)
    client.set_model_version_tag(name, challenger.version, "gate", "passed" if passed else "failed")
    return GateResult(passed, str(challenger.version), str(champion.version) if champion else None,
                      config.promotion.metric, challenger_metrics, champion_metrics, reasons, config.promotion.margin)


def move_champion(config: ExperimentConfig, result: GateResult, approval_tags: dict[str, str]) -> GateResult:
    """Point ``champion`` at the challenger the gate passed, keep the old one as ``previous_champion``.

    ``approval_tags`` (``approved_by``, ``approved_at``, ``approval_reason``, ``gate_result``, ...) are
    set on the version first, so no version becomes champion without them.

    Raises:
        RegistryError: The gate did not pass, the tags name no approver, or the champion moved since the gate ran.
    """
    if not result.passed or not approval_tags.get("approved_by"):
        raise RegistryError(f"version {result.challenger_version} needs a passed gate and an approval to become "
                            f"{CHAMPION!r}; run 'churn promote --approved-by NAME --reason TEXT'")
    client = registry_client(config.tracking.uri)
    name = config.tracking.registered_model
    champion = _version_or_none(client, name, CHAMPION)
    if (str(champion.version) if champion else None) != result.champion_version:
        raise RegistryError(f"{CHAMPION!r} of {name!r} moved while the gate ran; run 'churn promote' again")
    for key, value in {**approval_tags, "promoted_at": datetime.now(UTC).isoformat()}.items():
        client.set_model_version_tag(name, result.challenger_version, key, value)
    if champion is not None:
        client.set_registered_model_alias(name, PREVIOUS, champion.version)
    client.set_registered_model_alias(name, CHAMPION, result.challenger_version)
    challenger = _version_or_none(client, name, CHALLENGER)
    if challenger is not None and str(challenger.version) == result.challenger_version:  # not a newer one
        client.delete_registered_model_alias(name, CHALLENGER)
    result.promoted = True
    return result
# --8<-- [end:promote]


def rollback(config: ExperimentConfig, tags: dict[str, str] | None = None) -> tuple[str, str]:
    """Point ``champion`` back at ``previous_champion``; return (rolled-back version, restored version).

    ``tags`` (e.g. ``rolled_back_by``, ``rollback_reason``) are set on the rolled-back version with
    ``rolled_back_at``. [`churn.governance.approvals.rollback`][] records who asked for it.

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
    for key, value in {**(tags or {}), "rolled_back_at": datetime.now(UTC).isoformat()}.items():
        client.set_model_version_tag(name, current.version, key, value)
    return str(current.version), str(previous.version)


def current_versions(config: ExperimentConfig) -> tuple[str | None, str | None, str | None]:
    """(challenger, champion, previous_champion) versions, None where the alias is not set; touches nothing."""
    found = aliases(config)
    return found.get(CHALLENGER), found.get(CHAMPION), found.get(PREVIOUS)


def aliases(config: ExperimentConfig) -> dict[str, str]:
    """Return alias -> version for the registered model (empty if it does not exist yet)."""
    client = registry_client(config.tracking.uri)
    try:
        model = client.get_registered_model(config.tracking.registered_model)
    except Exception:
        return {}
    return {alias: str(version) for alias, version in model.aliases.items()}
