"""The retraining trigger: turn the performance and drift reports into the signal the Dagster sensor reads.

Lecture 4.6 splits the two causes. Realised performance comes from labels, so a decline is a fact:
when the latest complete week's realised ROC AUC is below ``monitoring.min_realised_roc_auc``
(``below_threshold`` in ``monitoring/performance.json``, [`churn.monitoring.feedback`][churn.monitoring.feedback]),
``churn retrain-check`` writes a signal with ``"retrain": true`` and the sensor
([`retrain_signal_sensor`][churn.pipeline.sensors.retrain_signal_sensor]) starts the training job. Drift
(``"drift": true`` in ``monitoring/drift.json``) may be a broken export rather than a changed world,
so on its own it writes a ticket, ``"retrain": false, "needs_confirmation": true``, that the sensor
skips; a person checks the data and runs ``churn retrain-confirm --by NAME --reason TEXT``, which sets
``"retrain": true`` with ``confirmed_by`` and records the confirmation in the audit log
([`churn.governance.audit`][churn.governance.audit]). Either way the promotion gate then decides
whether the new model replaces the champion. The signal file (``monitoring/retrain_signal.json``, or
``CHURN_RETRAIN_SIGNAL``)::

    {"retrain": false, "needs_confirmation": true, "trigger": "drift",
     "reason": "drift in Contract and the scores (model v3); ...",
     "evidence": {"drifted_features": ["Contract"], "prediction_drifted": true, "model_version": "3"},
     "created_at": "2026-05-05T09:10:00+00:00"}

and after the confirmation also ``"confirmed_by"``, ``"confirmed_at"``, ``"confirmation_reason"`` and
``"confirmation_audit_seq"``, the audit log entry that records it.

A signal is identified by its ``trigger`` and the evidence that names the cause: for performance the
week and the model versions that scored it, for drift the drifted features, whether the scores
drifted, and the model. A check that finds the same cause again leaves the file as it is, even if
late labels moved the week's ROC AUC a little or a newer model now serves, so the sensor, which fires
once per new content of the file, does not retrain twice for one cause and a confirmation is not
undone. When nothing triggers, the file is not touched.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from churn.ingest import DataError, write_whole

CUSTOMER_ID_IN_TEXT = re.compile(r"\b[0-9]{4}-[A-Z]{5}\b")  # churn.contract.CUSTOMER_ID_PATTERN, found inside text

SIGNAL_ENV = "CHURN_RETRAIN_SIGNAL"
DEFAULT_SIGNAL = "monitoring/retrain_signal.json"
DEFAULT_PERFORMANCE = "monitoring/performance.json"
DEFAULT_DRIFT = "monitoring/drift.json"


class NothingToConfirm(Exception):
    """``churn retrain-confirm`` found no signal waiting for a person."""


def default_signal_path() -> Path:
    """The signal file the sensor reads: ``CHURN_RETRAIN_SIGNAL``, else ``monitoring/retrain_signal.json``."""
    return Path(os.environ.get(SIGNAL_ENV) or DEFAULT_SIGNAL)


def read_json(path: str | Path, what: str) -> dict[str, Any]:
    """Read a JSON object from ``path``.

    Raises:
        churn.ingest.DataError: The file is missing, unreadable, not JSON, or not an object; the message
            names the file and, by ``what``, what it should be.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no {what} here; check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the {what} ({getattr(error, 'strerror', None) or error})") from None
    except ValueError as error:
        raise DataError(f"{path}: the {what} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: the {what} must be a JSON object")
    return data


def _field(data: dict[str, Any], path: Path, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise DataError(f"{path}: key {key!r} is missing or not {what}; write the file again with the command "
                        "that makes it")
    return value


# --8<-- [start:decide]
@dataclass
class Decision:
    """What a check concluded: the signal to write (``None``: nothing triggers) and one line saying why."""

    signal: dict[str, Any] | None
    summary: str


def decide(performance: dict[str, Any] | None, drift: dict[str, Any] | None) -> Decision:
    """Labels that confirm a decline retrain at once; drift alone asks a person; otherwise nothing."""
    latest = (performance or {}).get("latest")
    if performance and performance["below_threshold"]:
        # the models that scored the week, not the newest one: after a promotion the old week is still v3's
        versions = [str(version) for version in latest.get("model_versions") or [performance.get("model_version")]]
        reason = (f"realised ROC AUC {latest['roc_auc']:.4f} in {latest['week']} ({latest['labelled']} labelled "
                  f"predictions, model v{' and v'.join(versions)}) is below "
                  f"{performance.get('min_realised_roc_auc')}: the labels confirm the decline")
        evidence = {"week": latest["week"], "model_versions": versions, "roc_auc": latest["roc_auc"],
                    "labelled": latest["labelled"]}
        return Decision({"retrain": True, "needs_confirmation": False, "trigger": "performance",
                         "reason": reason, "evidence": evidence}, f"retrain: {reason}")
    if drift and drift["drift"]:
        prediction_drifted = bool((drift.get("prediction") or {}).get("drifted"))
        causes = list(drift["drifted_features"]) + (["the scores"] if prediction_drifted else [])
        realised = (f"; realised ROC AUC of {latest['week']} is {latest['roc_auc']:.4f}, not below the floor"
                    if latest else "; no realised performance to compare yet")
        named = " and ".join([", ".join(causes[:-1]), causes[-1]] if len(causes) > 1 else causes) or "the data"
        reason = (f"drift in {named} (model v{drift.get('model_version')}){realised}; "
                  "check the data (a broken export?) before retraining")
        evidence = {"drifted_features": sorted(drift["drifted_features"]), "prediction_drifted": prediction_drifted,
                    "model_version": drift.get("model_version")}
        return Decision({"retrain": False, "needs_confirmation": True, "trigger": "drift", "reason": reason,
                         "evidence": evidence}, f"ticket: {reason}")
    why = "realised performance is not below the floor" if latest else "no week has a realised verdict yet"
    return Decision(None, f"no trigger: {why}, and {'no drift' if drift else 'no drift report'}")
# --8<-- [end:decide]


def _performance(path: Path) -> dict[str, Any]:
    report = read_json(path, "performance report (`churn feedback` writes it)")
    _field(report, path, "below_threshold", bool, "true or false")
    latest = report.get("latest")
    if latest is not None:
        _field(report, path, "latest", dict, "an object or null")
        for key, kind, what in (("week", str, "text"), ("roc_auc", int | float, "a number"),
                                ("labelled", int, "a whole number")):
            if not isinstance(latest.get(key), kind) or isinstance(latest.get(key), bool):
                raise DataError(f"{path}: key 'latest.{key}' is missing or not {what}; write the file again with "
                                "`churn feedback`")
    elif report["below_threshold"]:
        raise DataError(f"{path}: 'below_threshold' is true but 'latest' is null; write the file again with "
                        "`churn feedback`")
    return report


def _drift(path: Path) -> dict[str, Any]:
    report = read_json(path, "drift report (`churn drift` writes it)")
    _field(report, path, "drift", bool, "true or false")
    features = _field(report, path, "drifted_features", list, "a list")
    if not all(isinstance(feature, str) for feature in features):
        raise DataError(f"{path}: 'drifted_features' must list feature names; write the file again with `churn drift`")
    return report


def _report(path: str | Path | None, default: str, read: Any) -> dict[str, Any] | None:
    """The report at ``path``; with no path, the one at ``default`` if it exists (no report is no evidence)."""
    if path is None:
        return read(Path(default)) if Path(default).is_file() else None
    return read(Path(path))


@dataclass
class CheckResult:
    """What ``churn retrain-check`` did: ``written``, ``unchanged`` or ``none``, the decision, the signal file."""

    action: str
    decision: Decision
    signal_path: Path


# --8<-- [start:check]
def check(performance: str | Path | None = None, drift: str | Path | None = None,
          signal: str | Path | None = None, *, now: datetime | None = None) -> CheckResult:
    """Read the reports, decide, and write the signal file when the decision is new.

    Args:
        performance: ``performance.json``; ``None``: ``monitoring/performance.json`` if it exists.
        drift: ``drift.json``; ``None``: ``monitoring/drift.json`` if it exists.
        signal: The signal file; ``None``: [`default_signal_path()`][churn.monitoring.trigger.default_signal_path].
        now: The ``created_at`` of a new signal (default: now).

    Raises:
        churn.ingest.DataError: A report given is missing or malformed, neither report exists, or the
            signal cannot be written.
    """
    performance_report = _report(performance, DEFAULT_PERFORMANCE, _performance)
    drift_report = _report(drift, DEFAULT_DRIFT, _drift)
    if performance_report is None and drift_report is None:
        raise DataError(f"nothing to check: neither {DEFAULT_PERFORMANCE} nor {DEFAULT_DRIFT} exists; run "
                        "`churn feedback` or `churn drift` first, or pass --performance / --drift")
    signal_path = Path(signal) if signal is not None else default_signal_path()
    decision = decide(performance_report, drift_report)
    if decision.signal is None:
        return CheckResult("none", decision, signal_path)
    if _same_cause(_current_signal(signal_path), decision.signal):
        return CheckResult("unchanged", decision, signal_path)
    content = {**decision.signal, "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds")}
    _write(signal_path, content)
    return CheckResult("written", decision, signal_path)
# --8<-- [end:check]


# The evidence that names a cause; the rest (a ROC AUC that late labels move) only describes it.
CAUSE_KEYS = {"performance": ("week", "model_versions"),
              "drift": ("drifted_features", "prediction_drifted", "model_version")}


def _same_cause(current: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether the signal file already holds a signal for the cause of ``new``."""
    if not current or current.get("trigger") != new["trigger"] or not isinstance(current.get("evidence"), dict):
        return False
    return all(current["evidence"].get(key) == new["evidence"][key] for key in CAUSE_KEYS[new["trigger"]])


def _current_signal(path: Path) -> dict[str, Any] | None:
    """The signal file's content, or ``None`` if there is none or it is unusable (a new signal replaces it)."""
    try:
        return read_json(path, "retraining signal")
    except DataError:
        return None


def _write(path: Path, signal: dict[str, Any]) -> None:
    text = json.dumps(signal, indent=2) + "\n"
    write_whole(path, lambda partial: partial.write_text(text, encoding="utf-8"))


# --8<-- [start:confirm]
def confirm(by: str, reason: str, signal: str | Path | None = None, *, now: datetime | None = None,
            audit_log: str | Path | None = None) -> dict[str, Any]:
    """A person confirms a signal that waits for one: ``"retrain": true``, with who, when and why, in the audit log.

    The confirmation is recorded first, as a ``retrain_confirmed`` entry of the audit log
    ([`churn.governance.audit`][churn.governance.audit]): who confirmed, why, and which cause (the
    signal's trigger and the evidence that names it: features, model versions, a week), never a
    customer. Only then is the signal written, with the entry's ``confirmation_audit_seq``: a
    retraining a person started always has its record.

    Raises:
        churn.ingest.DataError: There is no signal file, or it cannot be read or written.
        NothingToConfirm: The signal does not wait for a person (it already retrains, or it never asked).
        ValueError: The reason names a customer (the audit log keeps no customer data).
        churn.governance.audit.AuditLogError: The audit log cannot be written (nothing was confirmed).
    """
    from churn.governance.audit import AuditLog

    path = Path(signal) if signal is not None else default_signal_path()
    current = read_json(path, "retraining signal (`churn retrain-check` writes it)")
    if current.get("needs_confirmation") is not True:
        state = ("it already asks for retraining" if current.get("retrain") is True
                 else "it does not ask for retraining")
        raise NothingToConfirm(f"{path}: nothing to confirm: {state}")
    check_reason(reason)
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    entry = AuditLog(audit_log).append("retrain_confirmed", by, audit_details(current, reason, at))
    confirmed = {**current, "retrain": True, "needs_confirmation": False, "confirmed_by": by,
                 "confirmed_at": at, "confirmation_reason": reason, "confirmation_audit_seq": entry["seq"]}
    _write(path, confirmed)
    return confirmed
# --8<-- [end:confirm]


def check_reason(reason: str) -> None:
    """Refuse a confirmation reason that names a customer: it goes into the audit log, which keeps no customer data.

    Raises:
        ValueError: Naming the customer ID found and what to write instead.
    """
    found = CUSTOMER_ID_IN_TEXT.search(reason)
    if found:
        raise ValueError(f"the reason names a customer ({found[0]!r}); the audit log keeps no customer data: "
                         "say what was checked without customer IDs")


def audit_details(signal: dict[str, Any], reason: str, confirmed_at: str) -> dict[str, Any]:
    """What the audit log keeps of a confirmation: the cause by its naming evidence only, and the reason.

    Only the keys of ``CAUSE_KEYS`` are copied from the signal's evidence, so whatever else a signal
    file holds (it is a file anyone with access can edit) does not reach the log.
    """
    trigger = signal.get("trigger")
    evidence = signal.get("evidence") if isinstance(signal.get("evidence"), dict) else {}
    cause = {key: evidence[key] for key in CAUSE_KEYS.get(trigger, ()) if key in evidence}
    return {"trigger": trigger, "evidence": cause, "signal_created_at": signal.get("created_at"),
            "confirmed_at": confirmed_at, "reason": reason}
