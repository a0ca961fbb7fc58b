"""Approvals: no champion without a named approver and a passed gate; every outcome is in the audit log."""

from __future__ import annotations

import json

import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, main
from churn.config import load_config
from churn.governance.approvals import Approval, ApprovalRequired, check_registry_anchors, promote, rollback
from churn.governance.audit import entry_hash, read_entries, verify
from churn.registry import CHALLENGER, CHAMPION, PREVIOUS, aliases, registry_client
from churn.tracking import log_run
from churn.train import load_training_data, train


def config_for(tracking_uri, name, **overrides):
    return load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri, "registered_model": name},
                       **overrides)


def train_and_log(config):
    data = load_training_data(config)
    return data, log_run(train(config, data), config)


def tags_of(config, version):
    return registry_client(config.tracking.uri).get_model_version(config.tracking.registered_model, version).tags


def test_promotion_without_an_approval_is_refused_logged_and_moves_nothing(tracking_uri, tmp_path):
    config = config_for(tracking_uri, "unapproved")
    data, first = train_and_log(config)
    log = tmp_path / "audit.jsonl"
    with pytest.raises(ApprovalRequired, match="--approved-by NAME --reason TEXT"):
        promote(config, data.test, None, log)
    assert aliases(config) == {CHALLENGER: first.version}
    [entry] = read_entries(log)
    assert entry["event"] == "promotion_refused"
    assert entry["details"] == {"cause": "no_approval", "model": "unapproved", "version": first.version,
                                "champion": None}
    assert "approved_by" not in tags_of(config, first.version)


def test_an_approved_promotion_sets_the_tags_logs_both_entries_and_moves_champion_then_rolls_back(tracking_uri,
                                                                                                 tmp_path):
    config = config_for(tracking_uri, "approved", promotion={"margin": 0.0})
    data, first = train_and_log(config)
    log = tmp_path / "audit.jsonl"
    result = promote(config, data.test, Approval("ana", "first model; meets the minimums"), log)
    assert result.passed and result.promoted and aliases(config) == {CHAMPION: first.version}
    approval, promotion = read_entries(log)
    assert (approval["event"], approval["actor"], approval["details"]["version"]) == ("approval", "ana", first.version)
    assert approval["details"]["gate_result"]["passed"] is True
    assert promotion["event"] == "promotion" and promotion["details"]["approval_seq"] == approval["seq"]
    tags = tags_of(config, first.version)
    assert tags["approved_by"] == "ana" and tags["approval_reason"] == "first model; meets the minimums"
    assert tags["approved_at"] == approval["time"] and tags["approved_at"].endswith("+00:00")
    gate = json.loads(tags["gate_result"])
    assert gate["passed"] is True and gate["metric"] == "roc_auc" and gate["champion"] is None
    assert gate["challenger"] == pytest.approx(result.challenger_metrics["roc_auc"], abs=1e-6)
    assert (tags["audit_seq"], tags["audit_hash"]) == (str(approval["seq"]), approval["hash"])
    assert verify(log) is None
    assert check_registry_anchors(read_entries(log), tracking_uri, "approved") == ([], 1)

    _, second = train_and_log(config)  # the same settings again: equal metrics pass with a zero margin
    promote(config, data.test, Approval("ana", "retrained"), log)
    assert aliases(config) == {CHAMPION: second.version, PREVIOUS: first.version}
    with pytest.raises(ApprovalRequired):
        rollback(config, None, log)
    assert aliases(config)[CHAMPION] == second.version
    assert rollback(config, Approval("ben", "incident 42: v2 scores drift"), log) == (second.version, first.version)
    assert aliases(config) == {CHAMPION: first.version}
    events = [entry["event"] for entry in read_entries(log)]
    assert events == ["approval", "promotion", "approval", "promotion", "rollback_refused", "rollback"]
    assert read_entries(log)[-1]["details"] == {"model": "approved", "from_version": second.version,
                                                "to_version": first.version, "reason": "incident 42: v2 scores drift"}
    assert tags_of(config, second.version)["rolled_back_by"] == "ben"


def test_a_gate_failure_is_logged_and_leaves_champion_and_tags_alone(tracking_uri, tmp_path):
    config = config_for(tracking_uri, "gate-fails")
    data, first = train_and_log(config)
    log = tmp_path / "audit.jsonl"
    promote(config, data.test, Approval("ana", "first"), log)
    _, second = train_and_log(config)  # equal metrics do not beat the champion by the default margin
    result = promote(config, data.test, Approval("ana", "try the retrained one"), log)
    assert not result.passed and not result.promoted
    assert aliases(config) == {CHAMPION: first.version, CHALLENGER: second.version}
    refused = read_entries(log)[-1]
    assert refused["event"] == "promotion_refused" and refused["details"]["cause"] == "gate"
    assert refused["details"]["gate_result"]["passed"] is False and "does not beat" in " ".join(
        refused["details"]["gate_result"]["reasons"])
    tags = tags_of(config, second.version)
    assert tags["gate"] == "failed" and "approved_by" not in tags


def test_the_cli_refuses_in_one_line_and_checks_the_registry_anchors(tracking_uri, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("data:\n  generated_rows: 2000\ntracking:\n  registered_model: cli-approvals\n")
    log = tmp_path / "audit.jsonl"
    common = ["--config", str(config), "--tracking-uri", tracking_uri, "--audit-log", str(log)]
    assert main(["train", "--config", str(config), "--tracking-uri", tracking_uri]) == EXIT_OK
    capsys.readouterr()
    assert main(["promote", *common]) == EXIT_REFUSED
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--approved-by NAME --reason TEXT" in error
    assert main(["promote", *common, "--approved-by", "ana"]) == EXIT_BAD_INPUT
    assert "argument --reason: required with --approved-by" in capsys.readouterr().err
    assert main(["promote", *common, "--approved-by", " ", "--reason", "x"]) == EXIT_BAD_INPUT
    assert main(["promote", *common, "--approved-by", "ana", "--reason", "first model"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("PROMOTED: challenger v1")
    verify_args = ["audit", "verify", "--audit-log", str(log), "--check-registry", "--config", str(config),
                   "--tracking-uri", tracking_uri]
    assert main(verify_args) == EXIT_OK
    assert "registry anchors: 1 approval(s) of 'cli-approvals' found in the log" in capsys.readouterr().out

    # Rewrite the whole log with every hash recomputed: the chain verifies, the registry's anchor does not.
    entries = read_entries(log)
    previous = "0" * 64
    for entry in entries:
        entry["actor"] = "mallory"
        entry["prev_hash"] = previous
        entry["hash"] = previous = entry_hash(entry)
    log.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    assert verify(log) is None
    assert main(verify_args) == EXIT_REFUSED
    assert "approval (audit_seq 2" in capsys.readouterr().err
