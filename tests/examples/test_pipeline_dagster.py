"""The pipeline on Dagster: asset graph, contract checks, retries, failures, schedules, sensor, weekly scoring."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from churn.generate import generate_customers

dg = pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                           "pip install -e 'examples[pipeline]'")

from churn.pipeline import assets, steps  # noqa: E402
from churn.pipeline.assets import EXTERNAL_RETRY, PIPELINE_ASSETS  # noqa: E402
from churn.pipeline.checks import CONTRACT_RULES, check_name  # noqa: E402
from churn.pipeline.definitions import defs  # noqa: E402
from churn.pipeline.resources import ChurnSettings  # noqa: E402
from churn.pipeline.schedules import monthly_retraining, weekly_scoring  # noqa: E402
from churn.pipeline.scoring_assets import weekly_scores  # noqa: E402
from churn.pipeline.sensors import retrain_signal_sensor  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["raw_customers", "validated_customers", "training_data", "trained_model", "evaluation_metrics",
         "registered_challenger", "promotion_decision"]


def settings_for(tmp_path: Path, tracking_uri: str, data_path: str | None = None, **extra) -> ChurnSettings:
    config = tmp_path / "experiment.yaml"
    config.write_text(yaml.safe_dump({"data": {"generated_rows": 2000}}), encoding="utf-8")
    return ChurnSettings(config_path=str(config), tracking_uri=tracking_uri, data_path=data_path, **extra)


def registry_state(tracking_uri: str, name: str) -> dict:
    """Every version of the model with its tags, the aliases, and the number of MLflow runs."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    versions = {version.version: dict(version.tags) for version in client.search_model_versions(f"name='{name}'")}
    try:
        model_aliases = dict(client.get_registered_model(name).aliases)
    except Exception:  # the model does not exist yet
        model_aliases = {}
    runs = sum(len(client.search_runs([experiment.experiment_id])) for experiment in client.search_experiments())
    return {"versions": versions, "aliases": model_aliases, "runs": runs}


def failed_steps(result) -> list[str]:
    return sorted(result.get_failed_step_keys())


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("dagster-pipeline")
    return folder, f"sqlite:///{folder / 'mlflow.db'}"


@pytest.fixture(scope="module")
def first_run(store):
    folder, tracking_uri = store
    settings = settings_for(folder, tracking_uri)
    return settings, dg.materialize(PIPELINE_ASSETS, resources={"settings": settings})


def test_the_asset_graph_runs_the_steps_in_order(first_run):
    _, result = first_run
    assert result.success
    materialized = [event.step_key for event in result.all_events if event.event_type_value == "ASSET_MATERIALIZATION"]
    assert materialized == ORDER
    assert result.output_for_node("registered_challenger").version == "1"


def test_one_check_per_contract_rule_with_its_severity(first_run):
    _, result = first_run
    evaluations = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert set(evaluations) == {check_name(rule) for rule in CONTRACT_RULES}
    # the generator's customers in their first month have a blank TotalCharges, which validation fixes
    fixed = evaluations["contract_blank_in_first_month"]
    assert not fixed.passed and fixed.severity == dg.AssetCheckSeverity.WARN
    assert all(evaluation.passed for name, evaluation in evaluations.items() if name != fixed.check_name)


def test_the_rules_are_every_rule_validation_documents():
    import churn.validate

    documented = [rule for group in re.findall(r'\("([^)]*)"\)', churn.validate.__doc__)
                  for rule in group.split('", "')]
    assert sorted(documented) == sorted(CONTRACT_RULES)


def test_the_gate_passes_but_only_an_approval_promotes_and_a_refusal_is_a_normal_outcome(first_run, store):
    from churn.governance.approvals import Approval, promote
    from churn.registry import CHAMPION, aliases

    settings, result = first_run
    decision = result.output_for_node("promotion_decision")
    assert decision.passed and not decision.promoted, "a pipeline never promotes"
    assert CHAMPION not in aliases(settings.experiment())
    promote(settings.experiment(), result.output_for_node("training_data").test, Approval("ana", "first model"))
    again = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings})
    assert again.success, "a gate that says no must not fail the run"
    refused = again.output_for_node("promotion_decision")
    assert not refused.passed and refused.challenger_version == "2" and refused.champion_version == "1"
    metadata = again.asset_materializations_for_node("promotion_decision")[0].metadata
    assert metadata["passed"].value is False and "does not beat the champion" in metadata["reasons"].value


def test_a_failing_registry_step_is_retried_then_fails_naming_it_and_registers_nothing(first_run, store,
                                                                                      monkeypatch):
    settings, _ = first_run
    _, tracking_uri = store
    before = registry_state(tracking_uri, "churn")
    calls = []

    def unreachable(*args, **kwargs):
        calls.append(1)
        raise ConnectionError("the MLflow server does not answer")

    monkeypatch.setattr(steps, "log_run", unreachable)
    monkeypatch.setattr(dg.RetryPolicy, "calculate_delay", lambda self, attempt_num: 0)  # the test does not wait
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, raise_on_error=False)
    assert not result.success
    assert len(calls) == 1 + EXTERNAL_RETRY.max_retries
    assert result.retry_attempts_for_node("registered_challenger") == EXTERNAL_RETRY.max_retries
    assert failed_steps(result) == ["registered_challenger"]
    assert registry_state(tracking_uri, "churn") == before


def test_a_registry_failure_after_the_version_exists_is_not_retried_and_names_it(first_run, store, monkeypatch):
    settings, _ = first_run
    _, tracking_uri = store
    before = registry_state(tracking_uri, "churn")["versions"]
    real_log_run, calls = steps.log_run, []

    def lost_answer(*args, **kwargs):
        calls.append(real_log_run(*args, **kwargs).version)
        raise ConnectionError("the connection dropped after the model was registered")

    monkeypatch.setattr(steps, "log_run", lost_answer)
    monkeypatch.setattr(dg.RetryPolicy, "calculate_delay", lambda self, attempt_num: 0)
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, raise_on_error=False)
    assert failed_steps(result) == ["registered_challenger"] and len(calls) == 1
    assert result.retry_attempts_for_node("registered_challenger") == 0
    added = set(registry_state(tracking_uri, "churn")["versions"]) - set(before)
    assert {str(version) for version in added} == {calls[0]}
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert f"failed after version {calls[0]} was created" in failure.step_failure_data.user_failure_data.description


def test_the_retry_policy_backs_off_exponentially():
    assert EXTERNAL_RETRY.max_retries == 3 and EXTERNAL_RETRY.backoff == dg.Backoff.EXPONENTIAL
    without_jitter = dg.RetryPolicy(max_retries=3, delay=EXTERNAL_RETRY.delay, backoff=EXTERNAL_RETRY.backoff)
    assert [without_jitter.calculate_delay(attempt) for attempt in (1, 2, 3)] == [2, 6, 14]
    retried = {asset.key.to_user_string() for asset in PIPELINE_ASSETS if asset.op.retry_policy == EXTERNAL_RETRY}
    assert retried == {"raw_customers", "registered_challenger", "promotion_decision"}


def test_a_flaky_source_is_retried_until_it_answers(tmp_path, monkeypatch):
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("the source timed out")
        return generate_customers(*args, **kwargs)

    monkeypatch.setattr("churn.pipeline.steps.generate_customers", flaky)
    monkeypatch.setattr(dg.RetryPolicy, "calculate_delay", lambda self, attempt_num: 0)
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, selection=[assets.raw_customers])
    assert result.success and len(calls) == 3
    assert result.asset_materializations_for_node("raw_customers")[0].metadata["rows"].value == 2000


def test_a_missing_file_fails_at_once_with_its_message(tmp_path):
    missing = tmp_path / "nowhere.csv"
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'mlflow.db'}", data_path=str(missing))
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, raise_on_error=False)
    assert failed_steps(result) == ["raw_customers"]
    assert not [event for event in result.all_events if event.event_type_value == "STEP_UP_FOR_RETRY"]
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert f"{missing}: no such file" in failure.step_failure_data.user_failure_data.description


def test_a_wrong_column_set_stops_at_validation_with_the_report(tmp_path):
    path = tmp_path / "customers.csv"
    generate_customers(300, seed=3).drop(columns=["Contract"]).to_csv(path, index=False)
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings = settings_for(tmp_path, tracking_uri, data_path=str(path))
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, raise_on_error=False)
    assert failed_steps(result) == ["validated_customers"]
    failure = next(event for event in result.all_events if event.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert "nothing was trained or registered" in description
    assert re.search(r"Contract\s*\|\s*missing column\s*\|\s*300\s*\|\s*fatal", description)
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "contract_missing_column")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    started = {event.step_key for event in result.all_events if event.event_type_value == "STEP_START"}
    assert started == {"raw_customers", "validated_customers"}
    assert not (tmp_path / "mlflow.db").exists(), "nothing may even open the tracking store"


def test_training_is_monthly_after_the_labels_and_scoring_weekly_before_monday():
    assert monthly_retraining.cron_schedule == "0 20 1 * *" and monthly_retraining.execution_timezone == "UTC"
    job = defs.resolve_job_def(monthly_retraining.job_name)
    assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == set(ORDER)
    assert weekly_scoring.cron_schedule == "0 2 * * 1" and weekly_scoring.execution_timezone == "UTC"
    job = defs.resolve_job_def(weekly_scoring.job_name)
    assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == {"weekly_scores"}


def test_the_weekly_job_scores_the_snapshot_with_the_champion(first_run, store, tmp_path):
    settings, _ = first_run
    snapshot = tmp_path / "snapshot.parquet"
    generate_customers(120, seed=4).drop(columns=["Churn"]).to_parquet(snapshot, index=False)
    output = tmp_path / "scores" / "scores.parquet"
    scoring = ChurnSettings(config_path=settings.config_path, tracking_uri=settings.tracking_uri,
                            scoring_input=str(snapshot), scoring_output=str(output))
    stored = tmp_path / "io_manager"
    result = dg.materialize([weekly_scores], resources={"settings": scoring,
                                                        "io_manager": dg.FilesystemIOManager(base_dir=str(stored))})
    assert result.success
    import pandas as pd

    scores = pd.read_parquet(output)
    assert len(scores) == 120 and set(scores["scoring_run_id"]) == {result.run_id}
    metadata = result.asset_materializations_for_node("weekly_scores")[0].metadata
    assert metadata["rows"].value == 120 and metadata["call_list"].value == int(scores["churn"].sum())
    assert metadata["output"].value == str(output) and metadata["model_version"].value == scores["model_version"].iat[0]
    assert not list(stored.rglob("*weekly_scores*")), "plain metadata: no pickled ScoringResult for the I/O manager"


def test_the_weekly_job_without_a_snapshot_or_with_a_bad_one_fails_saying_why(first_run, tmp_path):
    settings, _ = first_run
    result = dg.materialize([weekly_scores], resources={"settings": settings}, raise_on_error=False)
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "set CHURN_SCORING_INPUT" in failure.step_failure_data.user_failure_data.description
    broken = tmp_path / "snapshot.csv"
    write = generate_customers(30, seed=4).drop(columns=["Contract"])
    write.to_csv(broken, index=False)
    scoring = ChurnSettings(config_path=settings.config_path, tracking_uri=settings.tracking_uri,
                            scoring_input=str(broken), scoring_output=str(tmp_path / "s.csv"))
    result = dg.materialize([weekly_scores], resources={"settings": scoring}, raise_on_error=False)
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "missing column 'Contract'" in failure.step_failure_data.user_failure_data.description
    assert not (tmp_path / "s.csv").exists()


def test_the_sensor_fires_once_per_signal(tmp_path):
    signal = tmp_path / "retrain_signal.json"
    settings = ChurnSettings(retrain_signal=str(signal))

    def evaluate(cursor=None):
        context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
        return retrain_signal_sensor(context), context.cursor

    skipped, cursor = evaluate()
    assert isinstance(skipped, dg.SkipReason) and "no retraining signal" in skipped.skip_message
    signal.write_text(json.dumps({"retrain": False, "reason": "no drift"}), encoding="utf-8")
    assert isinstance(evaluate()[0], dg.SkipReason)
    signal.write_text(json.dumps({"retrain": True, "reason": "ROC AUC fell to 0.71"}), encoding="utf-8")
    fired, cursor = evaluate(cursor)
    assert isinstance(fired, dg.RunRequest) and fired.tags["churn/reason"] == "ROC AUC fell to 0.71"
    again, _ = evaluate(cursor)
    assert isinstance(again, dg.SkipReason) and "already acted on" in again.skip_message
    signal.write_text(json.dumps({"retrain": True, "reason": "a new month of labels"}), encoding="utf-8")
    assert isinstance(evaluate(cursor)[0], dg.RunRequest)
    signal.write_text("{not json", encoding="utf-8")
    broken, _ = evaluate(cursor)
    assert isinstance(broken, dg.SkipReason) and "not valid JSON" in broken.skip_message


def test_dagster_loads_the_definitions(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'examples'}"}
    result = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-m",
                             "churn.pipeline.definitions"], cwd=ROOT / "examples", env=env, capture_output=True,
                            text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_a_failed_run_raises_one_alert_naming_the_failed_step(tmp_path):
    from churn.pipeline.sensors import pipeline_failure_alert

    missing, alerts = tmp_path / "nowhere.csv", tmp_path / "alerts" / "pipeline_alerts.jsonl"
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'mlflow.db'}", data_path=str(missing),
                            pipeline_alerts=str(alerts))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(PIPELINE_ASSETS, resources={"settings": settings}, instance=instance,
                            raise_on_error=False)
    context = dg.build_run_status_sensor_context(
        sensor_name=pipeline_failure_alert.name, dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run, resources={"settings": settings},
    ).for_run_failure()
    pipeline_failure_alert(context)
    [alert] = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    assert alert["run_id"] == result.run_id and list(alert["failed_steps"]) == ["raw_customers"]
    assert alert["failed_steps"]["raw_customers"].startswith(f"{missing}: no such file")
    assert "Steps failed: ['raw_customers']" in alert["message"]
    assert defs.get_sensor_def("pipeline_failure_alert").name == "pipeline_failure_alert"
