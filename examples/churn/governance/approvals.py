"""Approvals: ``champion`` moves only with a person's recorded approval, and only if the gate passes.

The gate ([`churn.registry.passes_gate`][]) is the written rule; the approval is the person who
answers for the promotion, the model owner of lecture 4.6. ``churn promote --approved-by NAME
--reason TEXT`` runs the gate and, if it passes, records who approved which version, when, why and
on which gate result, then moves ``champion``:

1. no approver: refused before anything is scored (exit 1), logged as ``promotion_refused``
   (``cause: no_approval``), ``champion`` untouched;
2. the gate fails: logged as ``promotion_refused`` (``cause: gate``) with the gate result, exit 1;
3. the gate passes: an ``approval`` entry (actor, version, reason, gate result), then the registry tags
   ``approved_by``, ``approved_at``, ``approval_reason``, ``gate_result`` (JSON) and ``audit_seq`` /
   ``audit_hash`` (the approval entry, an anchor for the log) on the version, then the alias move,
   then a ``promotion`` entry.

The approval is written to the audit log before ``champion`` moves, so a crash in between leaves an
approval without a promotion, never a promotion without an approval. A rollback needs an approver
too and is logged as ``rollback`` (or ``rollback_refused``). In CI (``project-delivery.yml``) the
production job runs only after a required reviewer of the ``production`` environment approved it, but
the name it passes as ``--approved-by`` is ``github.actor``: who triggered the run (pushed the tag),
not necessarily the reviewer. GitHub records the reviewer in the run's deployment review history;
the audit entry records the actor.

A pipeline never promotes: ``churn pipeline`` and the Dagster job register a challenger and run the
gate ([`churn.registry.run_gate`][]), and a person promotes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from churn.config import ExperimentConfig
from churn.governance.audit import AuditLog, invoking_user
from churn.registry import GateResult, RegistryError, current_versions, move_champion, run_gate
from churn.registry import rollback as move_back

MAX_NAME, MAX_REASON = 100, 1000


class ApprovalRequired(Exception):
    """The operation needs a named approver and a reason; it was refused and the refusal logged."""


@dataclass(frozen=True)
class Approval:
    """Who approves and why; ``approved_at`` is set when the approval is recorded."""

    approved_by: str
    reason: str

    def __post_init__(self) -> None:
        for name, value, most in (("--approved-by", self.approved_by, MAX_NAME), ("--reason", self.reason, MAX_REASON)):
            if not value.strip():
                raise ValueError(f"{name} must not be empty")
            if len(value) > most or any(not character.isprintable() for character in value):
                raise ValueError(f"{name} must be one line of at most {most} printable characters")


HOW_TO_APPROVE = ("promotion needs an approval: rerun with --approved-by NAME --reason TEXT "
                  "(the model owner who answers for this version)")


# --8<-- [start:promote]
def promote(config: ExperimentConfig, evaluation: pd.DataFrame, approval: Approval | None,
            audit_log: str | Path | None = None) -> GateResult:
    """Run the gate and, with an approval, record it and move ``champion``; every outcome is logged.

    Raises:
        ApprovalRequired: No approval was given (nothing was scored; the refusal is logged).
        churn.registry.RegistryError: There is no challenger, or ``champion`` moved meanwhile.
        churn.governance.audit.AuditLogError: The audit log cannot be written (nothing moved).
    """
    log = AuditLog(audit_log)
    challenger, champion, _ = current_versions(config)
    model = config.tracking.registered_model
    if approval is None:
        log.append("promotion_refused", invoking_user(), {"cause": "no_approval", "model": model,
                                                          "version": challenger, "champion": champion})
        raise ApprovalRequired(HOW_TO_APPROVE)
    result = run_gate(config, evaluation)
    gate = result.to_dict()
    if not result.passed:
        log.append("promotion_refused", approval.approved_by, {"cause": "gate", "model": model,
                                                               "version": result.challenger_version,
                                                               "reason": approval.reason, "gate_result": gate})
        return result
    recorded = log.append("approval", approval.approved_by, {"model": model, "version": result.challenger_version,
                                                            "reason": approval.reason, "gate_result": gate})
    tags = {"approved_by": approval.approved_by, "approved_at": recorded["time"], "approval_reason": approval.reason,
            "gate_result": json.dumps(gate, sort_keys=True), "audit_seq": str(recorded["seq"]),
            "audit_hash": recorded["hash"]}
    move_champion(config, result, tags)
    log.append("promotion", approval.approved_by, {"model": model, "version": result.challenger_version,
                                                   "previous_champion": result.champion_version,
                                                   "approval_seq": recorded["seq"]})
    return result
# --8<-- [end:promote]


def rollback(config: ExperimentConfig, approval: Approval | None,
             audit_log: str | Path | None = None) -> tuple[str, str]:
    """Point ``champion`` back at ``previous_champion`` with an approver's name and reason; log it.

    Raises:
        ApprovalRequired: No approval was given (nothing moved; the refusal is logged).
        churn.registry.RegistryError: There is nothing to roll back to (logged as ``rollback_refused``).
    """
    log = AuditLog(audit_log)
    model = config.tracking.registered_model
    if approval is None:
        _, champion, previous = current_versions(config)
        log.append("rollback_refused", invoking_user(), {"cause": "no_approval", "model": model,
                                                         "champion": champion, "previous_champion": previous})
        raise ApprovalRequired(HOW_TO_APPROVE.replace("promotion", "a rollback"))
    try:
        current, restored = move_back(config, {"rolled_back_by": approval.approved_by,
                                               "rollback_reason": approval.reason})
    except RegistryError as error:
        log.append("rollback_refused", approval.approved_by, {"cause": "registry", "model": model,
                                                              "reason": approval.reason, "error": str(error)})
        raise
    log.append("rollback", approval.approved_by, {"model": model, "from_version": current, "to_version": restored,
                                                  "reason": approval.reason})
    return current, restored


def check_registry_anchors(entries: list[dict], tracking_uri: str, model: str) -> tuple[list[str], int]:
    """Compare the approvals anchored on the model's versions (tags ``audit_seq``, ``audit_hash``) with the log.

    A log rewritten whole, with every hash recomputed, passes [`verify()`][churn.governance.audit.verify]
    but no longer holds the hashes the registry kept. Returns the mismatches (one line each) and how
    many anchored versions were checked.
    """
    from churn.registry import registry_client

    by_seq = {entry.get("seq"): entry for entry in entries}
    mismatches, checked = [], 0
    for version in registry_client(tracking_uri).search_model_versions(f"name='{model}'"):
        seq, expected = version.tags.get("audit_seq"), version.tags.get("audit_hash")
        if not seq or not expected:
            continue
        checked += 1
        entry = by_seq.get(int(seq)) if seq.isdigit() else None
        if entry is None or entry.get("hash") != expected or entry.get("event") != "approval":
            mismatches.append(f"version {version.version}'s approval (audit_seq {seq}, audit_hash {expected[:12]}...) "
                              "is not in the log as written: the log was rewritten or cut short")
    return mismatches, checked
