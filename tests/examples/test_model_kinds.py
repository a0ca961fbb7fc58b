"""Every model kind the configuration accepts trains, logs, registers, matches its served copy and serves.

The kinds come from the configuration schema itself, so a kind added to ``ModelConfig.kind`` is
trained here before it can ship. Small generated data keeps each kind to a few seconds.
"""

from __future__ import annotations

import typing
from pathlib import Path

import numpy as np
import pytest
from churn.cli import EXIT_NOT_STORED, main
from churn.config import ModelConfig, load_config
from churn.features import ESTIMATORS, feature_frame
from churn.governance.approvals import Approval, promote
from churn.predict import load_champion, predict
from churn.registry import CHAMPION, aliases
from churn.service.app import create_app
from churn.tracking import PIP_REQUIREMENTS, TrackingError, log_run
from churn.train import load_training_data, train
from churn.tuning import grid_points, search
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_limits

from tests.examples.test_service import AUTH, settings_for, wait_ready

KINDS = typing.get_args(ModelConfig.model_fields["kind"].annotation)
ROWS = 1500


def config_for(tracking_uri: str, name: str, **overrides):
    return load_config(None, data={"generated_rows": ROWS}, tracking={"uri": tracking_uri, "registered_model": name},
                       **overrides)


def test_every_kind_the_schema_accepts_has_an_estimator():
    assert len(KINDS) >= 3
    assert set(KINDS) == set(ESTIMATORS), "ModelConfig.kind and churn.features.ESTIMATORS must name the same kinds"


@pytest.fixture(scope="module", params=KINDS)
def registered(request, tracking_uri):
    """Train one kind with its default parameters, log it, register it and promote it to champion."""
    kind = request.param
    config = config_for(tracking_uri, f"kind-{kind}", model={"kind": kind, "params": {}})
    data = load_training_data(config)
    # One thread: on a busy two-core machine OpenMP's spinning threads make HistGradientBoosting ten times slower.
    with threadpool_limits(1):
        result = train(config, data)
    run = log_run(result, config)
    approval = Approval("test", f"{kind} as champion")
    assert promote(config, data.test, approval).promoted, f"{kind} on {ROWS} rows should pass the gate's minimums"
    return config, result, run


def test_each_kind_is_logged_and_registered_as_champion(registered, tracking_uri):
    import mlflow

    config, result, run = registered
    client = mlflow.MlflowClient(tracking_uri)
    logged = client.get_run(run.run_id)
    assert logged.info.status == "FINISHED"
    assert logged.data.params["model.kind"] == config.model.kind
    assert logged.data.metrics["roc_auc"] == pytest.approx(result.metrics["roc_auc"])
    assert {item.path for item in client.list_artifacts(run.run_id, "onnx")} == {"onnx/model.onnx"}
    assert aliases(config) == {CHAMPION: run.version}


def test_each_kind_pins_what_loading_its_model_needs(registered, tracking_uri):
    """A model served elsewhere installs requirements.txt: skops reads the file, and every pin is what wrote it."""
    import importlib.metadata

    import mlflow

    _, _, run = registered
    mlflow.set_tracking_uri(tracking_uri)
    path = mlflow.pyfunc.get_model_dependencies(run.model_uri)
    pins = dict(line.split("==") for line in Path(path).read_text().split() if "==" in line)
    assert pins["skops"] == importlib.metadata.version("skops")
    for requirement in PIP_REQUIREMENTS:
        name, version = requirement.split("==")
        assert pins[name] == version == importlib.metadata.version(name), requirement


def test_each_kind_serves_the_probabilities_of_its_pipeline(registered, tracking_uri):
    import mlflow

    config, result, _ = registered
    evaluation = result.data.test
    expected = result.pipeline.predict_proba(feature_frame(evaluation))[:, 1]
    mlflow.set_tracking_uri(tracking_uri)
    reloaded = mlflow.sklearn.load_model(f"models:/{config.tracking.registered_model}@{CHAMPION}")
    assert np.array_equal(reloaded.predict_proba(feature_frame(evaluation))[:, 1], expected)

    champion = load_champion(tracking_uri, config.tracking.registered_model)
    assert np.max(np.abs(champion.predict_frame(evaluation) - expected)) < 1e-5
    records = evaluation.drop(columns=["Churn"]).to_dict(orient="records")
    served = [p.probability for p in predict(records, champion)]
    assert np.max(np.abs(np.array(served) - expected)) < 1e-5


def test_each_kind_answers_a_request_through_the_api(registered, tracking_uri, tmp_path):
    config, result, run = registered
    customer = result.data.test.drop(columns=["Churn"]).iloc[0].to_dict()
    expected = result.pipeline.predict_proba(feature_frame(result.data.test.head(1)))[0, 1]
    app = create_app(settings_for(tmp_path), lambda: load_champion(tracking_uri, config.tracking.registered_model))
    with TestClient(app) as client:
        wait_ready(client)
        response = client.post("/predict", json=customer, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == run.version
    assert abs(response.json()["churn_probability"] - expected) < 1e-5


def test_tuned_config_loads_and_trains(root):
    config = load_config(root / "examples/configs/tuned.yaml", data={"generated_rows": ROWS})
    assert config.model.kind in KINDS and config.model.params, "tuned.yaml names a kind and its tuned parameters"
    with threadpool_limits(1):
        result = train(config, load_training_data(config))
    assert result.metrics["roc_auc"] > 0.8


def test_tuning_cross_validates_every_grid_point_and_ranks_them():
    assert grid_points({"max_depth": [1, 3], "max_iter": [20, 40]}) == [
        {"max_depth": 1, "max_iter": 20}, {"max_depth": 1, "max_iter": 40},
        {"max_depth": 3, "max_iter": 20}, {"max_depth": 3, "max_iter": 40}]
    train_split = load_training_data(load_config(None, data={"generated_rows": 800})).train
    with threadpool_limits(1):
        candidates = search(train_split, grid={"max_depth": [1, 3], "max_iter": [20]}, folds=3)
    assert [candidate.params["max_depth"] for candidate in candidates] in ([1, 3], [3, 1])
    assert all(len(candidate.fold_roc_auc) == 3 and 0.6 < candidate.mean < 1 for candidate in candidates)
    assert candidates[0].mean >= candidates[1].mean


def test_a_failed_export_is_one_line_and_registers_nothing(tracking_uri, tmp_path, monkeypatch, capsys):
    import skl2onnx

    def broken_converter(*args, **kwargs):
        raise ValueError("Unable to create node 'TreeEnsembleClassifier'\n" + "attribute dump\n" * 20_000)

    monkeypatch.setattr(skl2onnx, "convert_sklearn", broken_converter)
    config = tmp_path / "c.yaml"
    config.write_text(f"data:\n  generated_rows: {ROWS}\ntracking:\n  registered_model: export-fails\n")
    assert main(["train", "--config", str(config), "--tracking-uri", tracking_uri]) == EXIT_NOT_STORED
    validation, error = capsys.readouterr().err.strip().split("\n")  # train's validation summary, then one error line
    assert validation.startswith("validation: ") and error.startswith("error: ")
    assert "cannot export LogisticRegression to ONNX" in error
    assert "Unable to create node" in error and "nothing was logged or registered" in error
    assert aliases(config_for(tracking_uri, "export-fails")) == {}


def test_a_failed_model_log_marks_the_run_failed_and_registers_nothing(tracking_uri, monkeypatch):
    import mlflow

    def refusing_log_model(*args, **kwargs):
        raise mlflow.exceptions.MlflowException("The saved sklearn model references untrusted types.\n- details")

    config = config_for(tracking_uri, "log-fails")
    data = load_training_data(config)
    result = train(config, data)
    monkeypatch.setattr(mlflow.sklearn, "log_model", refusing_log_model)
    with pytest.raises(TrackingError, match=r"marked FAILED: .*untrusted types\.\); no version was registered"):
        log_run(result, config)
    client = mlflow.MlflowClient(tracking_uri)
    [failed] = client.search_runs([client.get_experiment_by_name("churn").experiment_id],
                                  "params.`tracking.registered_model` = 'log-fails'")
    assert failed.info.status == "FAILED"
    assert failed.data.tags["failure"] == "model not logged: The saved sklearn model references untrusted types."
    assert aliases(config) == {}
