"""Explanations: contributions plus a base value reproduce the model's score, in the CLI and in ``POST /explain``."""

from __future__ import annotations

import json
import math
import urllib.request

import numpy as np
import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_REGISTRY, main
from churn.config import load_config
from churn.contract import feature_columns
from churn.features import build_pipeline, feature_frame, target
from churn.governance.approvals import Approval, promote
from churn.governance.explain import (
    LOG_ODDS,
    PROBABILITY,
    TREE_KINDS,
    LinearExplainer,
    explain_trees,
    model_score,
    raw_inputs,
)
from churn.model_bundle import METADATA_FILE
from churn.predict import OnnxPredictor
from churn.service.app import create_app
from churn.tracking import log_run
from churn.train import load_training_data, train
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_limits

from tests.examples.service_fakes import FakePredictor
from tests.examples.test_service import API_KEY, AUTH, customer, settings_for, wait_ready

ROWS = 2000
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def data():
    return load_training_data(load_config(None, data={"generated_rows": ROWS}))


@pytest.fixture(scope="module")
def linear(tmp_path_factory, data):
    """The default model (logistic regression) trained, logged and promoted in a registry of its own."""
    tracking_uri = f"sqlite:///{tmp_path_factory.mktemp('explain-mlflow') / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": ROWS}, tracking={"uri": tracking_uri})
    result = train(config, data)
    registered = log_run(result, config)
    assert promote(config, data.test, Approval("ana", "meets the gate; slices reviewed")).promoted
    return tracking_uri, result, registered


def records_of(frame, count: int = 200) -> list[dict]:
    return frame.drop(columns=["Churn"]).head(count).to_dict(orient="records")


# --- additivity -----------------------------------------------------------------------------------------
def test_linear_contributions_plus_base_value_are_the_models_log_odds(linear, data):
    _, result, _ = linear
    records = records_of(data.test)
    explanations = result.explainer.explain_records(records)
    log_odds = model_score(result.pipeline, records, LOG_ODDS)  # scikit-learn's own decision_function
    assert len(explanations) == len(records)
    for explanation, expected in zip(explanations, log_odds, strict=True):
        assert explanation.space == LOG_ODDS
        assert list(explanation.contributions) == feature_columns()  # 19 raw features, one-hot columns summed
        assert abs(explanation.base_value + math.fsum(explanation.contributions.values()) - expected) <= TOLERANCE
    probabilities = result.pipeline.predict_proba(raw_inputs(records))[:, 1]
    assert max(abs(e.probability - p) for e, p in zip(explanations, probabilities, strict=True)) <= TOLERANCE


def test_linear_base_value_is_the_log_odds_at_the_training_mean(linear, data):
    """The documented convention: the reference point is the mean of the transformed training rows."""
    _, result, _ = linear
    preprocess, model = result.pipeline.named_steps["features"], result.pipeline.named_steps["model"]
    mean = preprocess.transform(feature_frame(data.train)).mean(axis=0)
    base = result.explainer.explain_records(records_of(data.test, 1))[0].base_value
    assert base == pytest.approx(float(model.intercept_[0] + model.coef_[0] @ mean), abs=1e-12)
    # a customer's contribution of a number: its coefficient times its distance from the mean, in scaled units
    record = records_of(data.test, 1)[0]
    tenure = result.explainer.explain_records([record])[0].contributions["tenure"]
    scaler = preprocess.named_transformers_["numbers"]
    position = list(scaler.feature_names_in_).index("tenure")
    expected = model.coef_[0][position] * ((record["tenure"] - scaler.mean_[position]) / scaler.scale_[position]
                                           - mean[position])
    assert tenure == pytest.approx(expected, abs=1e-12)


def test_linear_sum_gives_the_served_onnx_probability(linear, data):
    """The service explains in float64 and scores with ONNX in float32: P(churn) agrees to 1e-6 on every row."""
    _, result, _ = linear
    records = records_of(data.test, len(data.test))
    served = OnnxPredictor(result.onnx, model_version="1").predict_records(records)
    explained = result.explainer.explain_records(records)
    assert max(abs(e.probability - p.probability) for e, p in zip(explained, served, strict=True)) <= TOLERANCE


def test_linear_explainer_transforms_as_the_pipeline_and_survives_json(linear, data):
    _, result, _ = linear
    records = records_of(data.test)
    np.testing.assert_allclose(result.explainer.transform(raw_inputs(records)),
                               result.pipeline.named_steps["features"].transform(raw_inputs(records)), atol=1e-12)
    assert LinearExplainer.from_json(result.explainer.to_json()) == result.explainer


@pytest.mark.parametrize("kind", TREE_KINDS)
def test_tree_contributions_plus_base_value_are_the_models_score(kind, data):
    """SHAP TreeExplainer: log-odds for gradient boosting, the probability for the forest's average."""
    pipeline = build_pipeline(kind, {"n_estimators": 30} if kind == "random_forest" else {"max_iter": 50})
    with threadpool_limits(1):
        pipeline.fit(feature_frame(data.train), target(data.train))
        records = records_of(data.test, 100)
        explanations = explain_trees(pipeline, records)
        space = PROBABILITY if kind == "random_forest" else LOG_ODDS
        expected = model_score(pipeline, records, space)
    assert {explanation.space for explanation in explanations} == {space}
    for explanation, score in zip(explanations, expected, strict=True):
        assert list(explanation.contributions) == feature_columns()
        assert abs(explanation.value - score) <= TOLERANCE
    probabilities = pipeline.predict_proba(raw_inputs(records))[:, 1]
    assert max(abs(e.probability - p) for e, p in zip(explanations, probabilities, strict=True)) <= TOLERANCE


# --- the API --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(linear, tmp_path_factory):
    """The linear champion exported as the service's bundle: bundle.json carries the explainer."""
    tracking_uri, _, _ = linear
    folder = tmp_path_factory.mktemp("explain-bundle") / "model"
    assert main(["export", "--output", str(folder), "--tracking-uri", tracking_uri]) == EXIT_OK
    return folder


@pytest.fixture
def api(bundle, tmp_path):
    settings = settings_for(tmp_path, model_dir=bundle)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        yield client


def test_bundle_json_carries_the_linear_explainer(bundle, linear):
    _, result, _ = linear
    document = json.loads((bundle / METADATA_FILE).read_text())["explainer"]
    assert LinearExplainer.from_dict(document) == result.explainer


def test_api_explains_the_default_model_exactly(api, linear, data):
    _, result, registered = linear
    record = records_of(data.test, 1)[0]
    response = api.post("/explain", json=record, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == registered.version and body["customerID"] == record["customerID"]
    assert body["space"] == "log_odds" and len(body["contributions"]) == 19
    assert {row["feature"] for row in body["contributions"]} == set(feature_columns())
    total = body["base_value"] + math.fsum(row["contribution"] for row in body["contributions"])
    assert abs(total - body["value"]) <= TOLERANCE
    assert abs(body["value"] - model_score(result.pipeline, [record], LOG_ODDS)[0]) <= TOLERANCE
    predicted = api.post("/predict", json=record, headers=AUTH).json()
    assert body["churn_probability"] == predicted["churn_probability"] and body["churn"] == predicted["churn"]
    assert abs(1 / (1 + math.exp(-body["value"])) - body["churn_probability"]) <= TOLERANCE  # the served score
    magnitudes = [abs(row["contribution"]) for row in body["contributions"]]
    assert magnitudes == sorted(magnitudes, reverse=True)


@pytest.mark.parametrize(("changes", "field"), [({"Contract": "Weekly"}, "Contract"), ({"tenure": -1}, "tenure"),
                                                ({"tenure": ...}, "tenure"), ({"tenur": 3}, "tenur")])
def test_api_refuses_an_invalid_customer_naming_the_field(api, changes, field):
    response = api.post("/explain", json=customer(**changes), headers=AUTH)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert field in response.json()["detail"]


def test_api_needs_the_api_key(api):
    assert api.post("/explain", json=customer()).status_code == 401
    wrong = api.post("/explain", json=customer(), headers={"X-API-Key": API_KEY + "x"})
    assert wrong.status_code == 401 and "wrong API key" in wrong.json()["detail"]


def test_explain_answers_in_the_service_image_environment(bundle, data, tmp_path):
    """The image's command, with only its locked requirements importable (no scikit-learn, no shap)."""
    from tests.examples.test_container_commands import LOCKS, resolve, start_guarded, wait_for

    record = records_of(data.test, 1)[0]
    process, port = start_guarded(resolve(None, None), LOCKS["bundle"], {"CHURN_MODEL_DIR": str(bundle)}, tmp_path)
    try:
        wait_for(process, f"http://127.0.0.1:{port}/ready", lambda status, _: status == 200)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/explain", data=json.dumps(record).encode(),
                                         headers={"Content-Type": "application/json", "X-API-Key": "command-check"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = json.loads(answer.read())
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert body["space"] == "log_odds" and len(body["contributions"]) == 19
    assert abs(body["base_value"] + math.fsum(row["contribution"] for row in body["contributions"])
               - body["value"]) <= TOLERANCE


def test_api_answers_501_naming_churn_explain_for_a_model_without_exact_explanation(tmp_path):
    with TestClient(create_app(settings_for(tmp_path), lambda: FakePredictor())) as client:
        wait_ready(client)
        response = client.post("/explain", json=customer(), headers=AUTH)
    assert response.status_code == 501
    assert "churn explain" in response.json()["detail"]


# --- the CLI --------------------------------------------------------------------------------------------
def test_cli_explains_a_customer_file_with_the_champion(linear, data, tmp_path, capsys):
    tracking_uri, result, registered = linear
    records = records_of(data.test, 3)
    path = tmp_path / "customers.json"
    path.write_text(json.dumps(records))
    assert main(["explain", "--customer", str(path), "--json", "--tracking-uri", tracking_uri]) == EXIT_OK
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [document["customerID"] for document in documents] == [record["customerID"] for record in records]
    expected = model_score(result.pipeline, records, LOG_ODDS)
    for document, score in zip(documents, expected, strict=True):
        assert document["model_version"] == registered.version and document["kind"] == "logistic_regression"
        total = document["base_value"] + math.fsum(row["contribution"] for row in document["contributions"])
        assert abs(total - score) <= TOLERANCE


def test_cli_explains_a_row_of_a_table_for_people(linear, data, tmp_path, capsys):
    tracking_uri, _, registered = linear
    table = tmp_path / "customers.csv"
    data.test.to_csv(table, index=False)
    assert main(["explain", registered.version, "--row", "2", "--data", str(table),
                 "--tracking-uri", tracking_uri]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"customer {data.test.iloc[2]['customerID']}: churn v{registered.version} (logistic_regression)" in out
    assert "base value" in out and "sum = the model's log-odds" in out and "Contract = " in out
    assert f"tenure = {int(data.test.iloc[2]['tenure'])} " in out  # a whole number without ".0"


def test_cli_explain_bad_input_and_unknown_versions(linear, data, tmp_path, capsys):
    tracking_uri, _, _ = linear
    table = tmp_path / "customers.csv"
    data.test.head(5).to_csv(table, index=False)
    uri = ["--tracking-uri", tracking_uri]
    assert main(["explain", "--row", "5", "--data", str(table), *uri]) == EXIT_BAD_INPUT
    assert "argument --row: " in capsys.readouterr().err
    assert main(["explain", "--row", "1", *uri]) == EXIT_BAD_INPUT
    assert "--row and --data go together" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(customer(tenure=500)))
    assert main(["explain", "--customer", str(broken), *uri]) == EXIT_REFUSED
    assert "tenure" in capsys.readouterr().err
    assert main(["explain", "99", "--row", "0", "--data", str(table), *uri]) == EXIT_REGISTRY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no version '99'" in err
    assert main(["explain", "--alias", "nope", "--row", "0", "--data", str(table), *uri]) == EXIT_REGISTRY
    assert "has no alias 'nope'" in capsys.readouterr().err


def test_cli_explains_a_tree_model_from_the_registry(tracking_uri, data, tmp_path, capsys):
    """A tree kind: the scikit-learn pipeline is loaded from the registry and explained with shap."""
    config = load_config(None, data={"generated_rows": ROWS}, tracking={"uri": tracking_uri, "registered_model":
                                                                        "explain-trees"},
                         model={"kind": "hist_gradient_boosting", "params": {"max_iter": 50}})
    with threadpool_limits(1):
        result = train(config, data)
    registered = log_run(result, config)  # the challenger; explained by its version number
    records = records_of(data.test, 5)
    path = tmp_path / "customers.json"
    path.write_text(json.dumps(records))
    with threadpool_limits(1):
        code = main(["explain", registered.version, "--customer", str(path), "--json", "--config",
                     str(_config_file(tmp_path, "explain-trees")), "--tracking-uri", tracking_uri])
    assert code == EXIT_OK
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = model_score(result.pipeline, records, LOG_ODDS)
    assert [document["kind"] for document in documents] == ["hist_gradient_boosting"] * 5
    for document, score in zip(documents, expected, strict=True):
        assert document["space"] == "log_odds" and "SHAP TreeExplainer" in document["method"]
        assert abs(document["value"] - score) <= TOLERANCE


def _config_file(folder, model_name: str):
    path = folder / "config.yaml"
    path.write_text(f"tracking:\n  registered_model: {model_name}\n")
    return path
