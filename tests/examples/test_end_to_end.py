"""End to end: train, register, promote, serve the champion, and check the served probabilities."""

from __future__ import annotations

import time

import numpy as np
import pytest
from churn.config import load_config
from churn.governance.approvals import Approval, promote
from churn.predict import load_champion
from churn.service.app import create_app
from churn.service.settings import ServiceSettings
from churn.tracking import log_run
from churn.train import load_training_data, train
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def served(tracking_uri, tmp_path_factory):
    config = load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri,
                                                                       "registered_model": "end-to-end"})
    data = load_training_data(config)
    registered = log_run(train(config, data), config)
    assert promote(config, data.test, Approval("test", "first model")).promoted
    log = tmp_path_factory.mktemp("service") / "predictions.jsonl"
    settings = ServiceSettings(api_key="test-key", prediction_log=log)
    app = create_app(settings, predictor_loader=lambda: load_champion(tracking_uri, "end-to-end"))
    with TestClient(app) as client:
        deadline = time.time() + 30
        while client.get("/ready").status_code != 200 and time.time() < deadline:
            time.sleep(0.05)
        yield client, data, registered, log


def test_served_probabilities_equal_the_registered_model(served, tracking_uri):
    import mlflow

    client, data, registered, _ = served
    evaluation = data.test.head(300)
    customers = evaluation.drop(columns=["Churn"]).to_dict(orient="records")
    response = client.post("/predict/batch", json={"customers": customers}, headers={"X-API-Key": "test-key"})
    assert response.status_code == 200, response.text
    served_probabilities = np.array([item["churn_probability"] for item in response.json()])
    mlflow.set_tracking_uri(tracking_uri)
    from churn.features import feature_frame

    registered_model = mlflow.sklearn.load_model("models:/end-to-end@champion")
    expected = registered_model.predict_proba(feature_frame(evaluation))[:, 1]
    assert np.max(np.abs(served_probabilities - expected)) < 1e-5
    assert {item["model_version"] for item in response.json()} == {registered.version}


def test_single_prediction_and_the_log(served):
    client, data, registered, _ = served
    customer = data.test.drop(columns=["Churn"]).iloc[0].to_dict()
    response = client.post("/predict", json=customer, headers={"X-API-Key": "test-key"})
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == registered.version
    assert client.get("/ready").json()["model_version"] == registered.version
