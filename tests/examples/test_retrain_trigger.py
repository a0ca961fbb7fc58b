"""The retraining trigger: realised performance retrains at once, drift waits for a person, the gate decides.

The signal file is judged by the project's Dagster sensor itself, evaluated with Dagster's documented
``dg.build_sensor_context`` as in ``test_pipeline_dagster.py``; the drift reports are fixtures in
exactly the format of ``churn drift``'s ``drift.json`` (issue 14's contract). The last test runs the
training job the sensor starts on data where the challenger cannot beat the champion, and checks that
the gate refuses it and that the registry changed by the new challenger version only.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, main
from churn.generate import generate_customers, write_table
from churn.governance.audit import AuditLogError, read_entries, verify
from churn.monitoring.outcomes import outcomes_from_table
from churn.monitoring.trigger import check, confirm, decide
from churn.predict import Prediction
from churn.service.prediction_log import format_lines

dg = pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                           "pip install -e 'examples[pipeline]'")

from churn.pipeline.assets import PIPELINE_ASSETS  # noqa: E402
from churn.pipeline.jobs import training_job  # noqa: E402
from churn.pipeline.resources import ChurnSettings  # noqa: E402
from churn.pipeline.sensors import retrain_signal_sensor  # noqa: E402

DRIFT = {  # issue 14's drift.json, as `churn drift` writes it
    "generated_at": "2026-05-05T09:00:00+00:00", "model_version": "3",
    "reference": {"source": "models:/churn/3 run abc training split", "rows": 8000},
    "current": {"source": ["monitoring/prediction_log.jsonl"], "rows": 5000, "from": "2026-04-28T00:00:00+00:00",
                "to": "2026-05-05T00:00:00+00:00"},
    "thresholds": {"psi": 0.2, "p_value": 0.01, "prediction_psi": 0.2},
    "features": [
        {"feature": "tenure", "kind": "numeric", "psi": 0.012, "test": "ks", "statistic": 0.03, "p_value": 0.41,
         "drifted": False},
        {"feature": "Contract", "kind": "categorical", "psi": 0.31, "test": "chi2", "statistic": 412.0,
         "p_value": 1e-80, "drifted": True}],
    "prediction": {"psi": 0.25, "test": "ks", "statistic": 0.2, "p_value": 1e-9, "drifted": True,
                   "reference_mean": 0.27, "current_mean": 0.35},
    "drifted_features": ["Contract"], "drift": True}


@pytest.fixture(autouse=True)
def in_a_scratch_folder(tmp_path, monkeypatch):
    """The default report paths are relative: no test may read a monitoring/ folder of the repository."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHURN_RETRAIN_SIGNAL", raising=False)


def no_drift() -> dict:
    report = copy.deepcopy(DRIFT)
    report["features"][1].update(psi=0.01, p_value=0.5, drifted=False)
    report["prediction"].update(psi=0.01, p_value=0.6, drifted=False)
    return {**report, "drifted_features": [], "drift": False}


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def evaluate_sensor(signal: Path, cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": ChurnSettings(retrain_signal=str(signal))})
    return retrain_signal_sensor(context), context.cursor


@pytest.fixture(scope="module")
def realised(tmp_path_factory) -> dict[str, Path]:
    """performance.json from `churn feedback`: four weekly batches scored with the generator's true probability.

    ``good``: the outcomes are the table's Churn (ROC AUC about 0.86); ``bad``: a share of 0.3 of them
    flipped (about 0.62), below the floor of 0.75.
    """
    folder = tmp_path_factory.mktemp("realised")
    table = generate_customers(1200, seed=11, with_probability=True)
    log = b""
    for monday in ("2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27"):
        time = dt.datetime.fromisoformat(f"{monday}T06:00:00+00:00")
        predictions = [Prediction(customer, probability, probability >= 0.35, "1")
                       for customer, probability in zip(table["customerID"], table["churn_probability"], strict=True)]
        log += format_lines([{"customerID": customer} for customer in table["customerID"]], predictions, None, time)
    (folder / "prediction_log.jsonl").write_bytes(log)
    reports = {}
    for name, flip in (("good", 0.0), ("bad", 0.3)):
        write_table(outcomes_from_table(table, dt.date(2026, 5, 1), flip_share=flip, seed=2), folder / f"{name}.csv")
        assert main(["feedback", "--outcomes", str(folder / f"{name}.csv"), "--log",
                     str(folder / "prediction_log.jsonl"), "--output", str(folder / f"{name}.json")]) == EXIT_OK
        reports[name] = folder / f"{name}.json"
    return reports


def test_the_realised_reports_are_what_the_trigger_tests_assume(realised):
    good, bad = (json.loads(realised[name].read_text(encoding="utf-8")) for name in ("good", "bad"))
    assert [week["labelled"] for week in good["weeks"]] == [1200] * 4
    assert good["latest"]["week"] == "2026-W18" and good["latest"]["roc_auc"] > 0.8 and not good["below_threshold"]
    assert bad["latest"]["roc_auc"] < 0.7 and bad["below_threshold"] is True


def test_performance_below_the_floor_retrains_at_once_and_the_sensor_requests_a_run(realised, tmp_path):
    signal = tmp_path / "monitoring" / "retrain_signal.json"
    result = check(realised["bad"], signal=signal)
    assert result.action == "written"
    written = json.loads(signal.read_text(encoding="utf-8"))
    assert written["retrain"] is True and written["needs_confirmation"] is False and written["trigger"] == "performance"
    assert "is below 0.75" in written["reason"] and "2026-W18" in written["reason"]
    fired, cursor = evaluate_sensor(signal)
    assert isinstance(fired, dg.RunRequest) and fired.tags["churn/reason"] == written["reason"][:200]
    assert retrain_signal_sensor.job_name == training_job.name
    assert check(realised["bad"], signal=signal).action == "unchanged", "the same week does not fire twice"
    assert isinstance(evaluate_sensor(signal, cursor)[0], dg.SkipReason)


def test_one_weeks_decline_fires_once_though_late_labels_move_it_and_a_new_model_serves(realised, tmp_path):
    signal = tmp_path / "retrain_signal.json"
    report = json.loads(realised["bad"].read_text(encoding="utf-8"))
    assert check(realised["bad"], signal=signal).action == "written"
    assert json.loads(signal.read_text(encoding="utf-8"))["evidence"]["model_versions"] == ["1"]
    fired, cursor = evaluate_sensor(signal)
    assert isinstance(fired, dg.RunRequest)
    report["latest"] = {**report["latest"], "roc_auc": report["latest"]["roc_auc"] + 0.001,
                        "labelled": report["latest"]["labelled"] + 5}
    report["model_version"] = "2"  # the retrained model serves now; the week below was still v1's
    moved = write_json(tmp_path / "moved.json", report)
    assert check(moved, signal=signal).action == "unchanged"
    assert isinstance(evaluate_sensor(signal, cursor)[0], dg.SkipReason), "one cause, one run"
    report["latest"] = {**report["latest"], "week": "2026-W19"}
    assert check(write_json(tmp_path / "next.json", report), signal=signal).action == "written", "a new week is news"


def test_good_performance_and_no_drift_write_nothing_and_the_sensor_skips(realised, tmp_path):
    signal = tmp_path / "retrain_signal.json"
    drift = write_json(tmp_path / "drift.json", no_drift())
    result = check(realised["good"], drift, signal)
    assert result.action == "none" and result.decision.signal is None
    assert result.decision.summary.startswith("no trigger: realised performance is not below the floor")
    assert not signal.exists()
    skipped, _ = evaluate_sensor(signal)
    assert isinstance(skipped, dg.SkipReason) and "no retraining signal" in skipped.skip_message


def test_drift_alone_waits_for_a_person_and_a_confirmation_retrains(realised, tmp_path):
    signal = tmp_path / "retrain_signal.json"
    drift = write_json(tmp_path / "drift.json", DRIFT)
    assert check(realised["good"], drift, signal).action == "written"
    ticket = json.loads(signal.read_text(encoding="utf-8"))
    assert ticket["retrain"] is False and ticket["needs_confirmation"] is True and ticket["trigger"] == "drift"
    assert ticket["reason"].startswith("drift in Contract and the scores (model v3)")
    assert ticket["evidence"] == {"drifted_features": ["Contract"], "prediction_drifted": True, "model_version": "3"}
    skipped, cursor = evaluate_sensor(signal)
    assert isinstance(skipped, dg.SkipReason) and "waits for a person" in skipped.skip_message

    confirmed = confirm("ana", "the export is fine: more month-to-month contracts since the price change", signal,
                        now=dt.datetime(2026, 5, 5, 10, tzinfo=dt.UTC))
    assert confirmed["retrain"] is True and confirmed["needs_confirmation"] is False
    assert (confirmed["confirmed_by"], confirmed["confirmed_at"]) == ("ana", "2026-05-05T10:00:00+00:00")
    assert json.loads(signal.read_text(encoding="utf-8")) == confirmed
    fired, cursor = evaluate_sensor(signal, cursor)
    assert isinstance(fired, dg.RunRequest) and fired.tags["churn/confirmed_by"] == "ana"
    assert check(realised["good"], drift, signal).action == "unchanged", "the same drift keeps its confirmation"
    assert json.loads(signal.read_text(encoding="utf-8"))["confirmed_by"] == "ana"


def test_a_confirmation_is_in_the_audit_log_with_its_cause_and_no_customer_data(tmp_path):
    signal, audit = tmp_path / "retrain_signal.json", tmp_path / "governance" / "audit.jsonl"
    check(None, write_json(tmp_path / "drift.json", DRIFT), signal)
    ticket = json.loads(signal.read_text(encoding="utf-8"))
    ticket["evidence"]["customers"] = ["7590-VHVEG"]  # a signal file anyone can edit: nothing else may reach the log
    ticket["example"] = {"customerID": "7590-VHVEG", "MonthlyCharges": 29.85}
    signal.write_text(json.dumps(ticket), encoding="utf-8")
    confirmed = confirm("ana", "the export is fine: more month-to-month contracts", signal,
                        now=dt.datetime(2026, 5, 5, 10, tzinfo=dt.UTC), audit_log=audit)
    [entry] = read_entries(audit)
    assert verify(audit) is None and confirmed["confirmation_audit_seq"] == entry["seq"] == 1
    assert (entry["event"], entry["actor"]) == ("retrain_confirmed", "ana")
    assert entry["details"] == {"trigger": "drift", "reason": "the export is fine: more month-to-month contracts",
                                "evidence": {"drifted_features": ["Contract"], "prediction_drifted": True,
                                             "model_version": "3"},
                                "signal_created_at": ticket["created_at"], "confirmed_at": "2026-05-05T10:00:00+00:00"}
    assert "7590-VHVEG" not in audit.read_text(encoding="utf-8") and "29.85" not in audit.read_text(encoding="utf-8")


def test_no_confirmation_without_its_audit_entry(tmp_path):
    signal = tmp_path / "retrain_signal.json"
    check(None, write_json(tmp_path / "drift.json", DRIFT), signal)
    before = signal.read_bytes()
    with pytest.raises(ValueError, match=r"names a customer \('7590-VHVEG'\)"):
        confirm("ana", "row 7590-VHVEG looked fine", signal, audit_log=tmp_path / "audit.jsonl")
    assert not (tmp_path / "audit.jsonl").exists()
    (tmp_path / "folder").mkdir()
    with pytest.raises(AuditLogError, match="cannot open the audit log"):
        confirm("ana", "checked the export", signal, audit_log=tmp_path / "folder")
    assert signal.read_bytes() == before, "a confirmation that is not recorded does not happen"


def test_the_command_says_where_the_confirmation_is_recorded(tmp_path, monkeypatch, capsys):
    check(None, write_json(tmp_path / "drift.json", DRIFT), tmp_path / "monitoring" / "retrain_signal.json")
    code, out, _ = run(tmp_path, ["retrain-confirm", "--by", "ana", "--reason", "checked the export",
                                  "--audit-log", "audit.jsonl"], monkeypatch, capsys)
    assert code == EXIT_OK and "recorded in the audit log audit.jsonl (entry 1)" in out
    assert [entry["event"] for entry in read_entries(tmp_path / "audit.jsonl")] == ["retrain_confirmed"]


def test_labels_that_confirm_a_decline_win_over_a_drift_ticket(realised, tmp_path):
    signal = tmp_path / "retrain_signal.json"
    drift = write_json(tmp_path / "drift.json", DRIFT)
    check(None, drift, signal)
    assert json.loads(signal.read_text(encoding="utf-8"))["needs_confirmation"] is True
    assert check(realised["bad"], drift, signal).action == "written"
    assert json.loads(signal.read_text(encoding="utf-8"))["retrain"] is True


def test_decide_without_reports_or_verdicts_does_not_trigger():
    assert decide(None, None).signal is None
    no_verdict = {"below_threshold": False, "latest": None}
    assert decide(no_verdict, no_drift()).summary == "no trigger: no week has a realised verdict yet, and no drift"


def run(folder: Path, argv: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CHURN_RETRAIN_SIGNAL", raising=False)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_commands_use_the_default_files_and_confirm_once(realised, tmp_path, monkeypatch, capsys):
    write_json(tmp_path / "monitoring" / "drift.json", DRIFT)
    code, out, _ = run(tmp_path, ["retrain-check"], monkeypatch, capsys)
    assert code == EXIT_OK and "ticket: drift in Contract" in out
    assert "wrote monitoring/retrain_signal.json" in out and "churn retrain-confirm --by NAME" in out
    code, out, _ = run(tmp_path, ["retrain-confirm", "--by", "ana", "--reason", "checked the export"], monkeypatch,
                       capsys)
    assert code == EXIT_OK and out.startswith("confirmed by ana: drift in Contract")
    code, out, err = run(tmp_path, ["retrain-confirm", "--by", "ben", "--reason", "again"], monkeypatch, capsys)
    assert code == EXIT_REFUSED and out == ""
    assert err.strip() == ("error: monitoring/retrain_signal.json: nothing to confirm: it already asks for "
                           "retraining")
    assert json.loads((tmp_path / "monitoring" / "retrain_signal.json").read_text(encoding="utf-8"))[
        "confirmed_by"] == "ana"


def test_the_signal_path_comes_from_churn_retrain_signal(realised, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHURN_RETRAIN_SIGNAL", str(tmp_path / "elsewhere.json"))
    assert main(["retrain-check", "--performance", str(realised["bad"])]) == EXIT_OK
    assert json.loads((tmp_path / "elsewhere.json").read_text(encoding="utf-8"))["retrain"] is True


BAD = [
    (["retrain-check"], "nothing to check: neither monitoring/performance.json nor monitoring/drift.json exists"),
    (["retrain-check", "--drift", "nope.json"], "nope.json: no drift report (`churn drift` writes it) here"),
    (["retrain-check", "--drift", "broken.json"], "broken.json: the drift report (`churn drift` writes it) is not "
     "valid JSON"),
    (["retrain-check", "--drift", "no_flag.json"], "no_flag.json: key 'drift' is missing or not true or false"),
    (["retrain-check", "--drift", "list.json"], "list.json: the drift report (`churn drift` writes it) must be a"),
    (["retrain-check", "--performance", "no_week.json"], "no_week.json: key 'latest.week' is missing or not text"),
    (["retrain-check", "--performance", "no_latest.json"], "no_latest.json: 'below_threshold' is true but 'latest' "
     "is null"),
    (["retrain-confirm", "--by", "ana", "--reason", "ok"], "retrain_signal.json: no retraining signal"),
    (["retrain-confirm", "--by", " ", "--reason", "ok"], "argument --by: must not be blank"),
    (["retrain-confirm", "--by", "ana"], "the following arguments are required: --reason"),
    (["retrain-confirm", "--by", "ana", "--reason", "checked 7590-VHVEG's rows"],
     "argument --reason: the reason names a customer ('7590-VHVEG'); the audit log keeps no customer data"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(argv) for argv, _ in BAD])
def test_bad_reports_and_arguments_are_one_line_and_exit_2(tmp_path, argv, message, monkeypatch, capsys):
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    write_json(tmp_path / "no_flag.json", {k: v for k, v in DRIFT.items() if k != "drift"})
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    write_json(tmp_path / "no_week.json", {"below_threshold": True, "latest": {"roc_auc": 0.7, "labelled": 300}})
    write_json(tmp_path / "no_latest.json", {"below_threshold": True, "latest": None})
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run(tmp_path, argv, monkeypatch, capsys)
    assert code == EXIT_BAD_INPUT and out == ""
    assert message in err.strip().splitlines()[-1] and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before, "no signal may be written"


def test_confirming_a_signal_that_needs_nobody_is_refused(realised, tmp_path, monkeypatch, capsys):
    check(realised["bad"], signal=tmp_path / "monitoring" / "retrain_signal.json")
    before = (tmp_path / "monitoring" / "retrain_signal.json").read_bytes()
    code, _, err = run(tmp_path, ["retrain-confirm", "--by", "ana", "--reason", "why not"], monkeypatch, capsys)
    assert code == EXIT_REFUSED and "nothing to confirm: it already asks for retraining" in err
    assert (tmp_path / "monitoring" / "retrain_signal.json").read_bytes() == before


def registry_state(tracking_uri: str, name: str = "churn") -> dict:
    """Every version of the model with its tags, and the aliases."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    found = client.search_model_versions(f"name='{name}'")
    versions = {str(version.version): dict(version.tags) for version in found}
    aliases = {alias: str(version) for alias, version in client.get_registered_model(name).aliases.items()}
    return {"versions": versions, "aliases": aliases}


def test_a_retrained_model_that_does_not_beat_the_champion_is_refused_by_the_gate(realised, tmp_path):
    config = tmp_path / "experiment.yaml"
    config.write_text(yaml.safe_dump({"data": {"generated_rows": 2000}}), encoding="utf-8")
    signal = tmp_path / "monitoring" / "retrain_signal.json"
    settings = ChurnSettings(config_path=str(config), tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
                             retrain_signal=str(signal))
    definitions = dg.Definitions(assets=PIPELINE_ASSETS, jobs=[training_job], resources={"settings": settings},
                                 executor=dg.in_process_executor)
    job = definitions.resolve_job_def(retrain_signal_sensor.job_name)
    first = job.execute_in_process()
    assert first.output_for_node("promotion_decision").passed, "the first model meets the minimums"
    from churn.governance.approvals import Approval, promote

    promote(settings.experiment(), first.output_for_node("training_data").test, Approval("ana", "first model"),
            tmp_path / "governance" / "audit.jsonl")  # a pipeline never promotes: a person approves
    before = registry_state(settings.tracking_uri)
    assert before["aliases"] == {"champion": "1"}

    check(realised["bad"], signal=signal)
    request, _ = evaluate_sensor(signal)
    assert isinstance(request, dg.RunRequest)
    retrained = job.execute_in_process(tags=request.tags)  # the same data and seed: the same metrics
    assert retrained.success, "a refusal is an outcome, not a failed run"
    decision = retrained.output_for_node("promotion_decision")
    assert not decision.passed and decision.challenger_version == "2" and decision.champion_version == "1"
    assert any("does not beat the champion" in reason for reason in decision.reasons)
    after = registry_state(settings.tracking_uri)
    assert after["aliases"] == {**before["aliases"], "challenger": "2"}, "champion did not move"
    assert set(after["versions"]) == set(before["versions"]) | {"2"}
    assert {version: tags for version, tags in after["versions"].items() if version != "2"} == before["versions"]
    assert after["versions"]["2"]["gate"] == "failed"
    assert retrained.dagster_run.tags["churn/reason"] == request.tags["churn/reason"]
