"""Model bundles: ``churn export`` writes the champion to a folder; the service serves it without MLflow."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGISTRY, main
from churn.config import load_config
from churn.governance.approvals import Approval, promote
from churn.model_bundle import METADATA_FILE, MODEL_FILE, BundleError, load_bundle, read_bundle, write_bundle
from churn.predict import load_champion
from churn.service.app import create_app
from churn.service.settings import ServiceSettings
from churn.tracking import log_run
from churn.train import load_training_data, train
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    """A registry of its own with a trained and promoted champion under the default name ``churn``."""
    tracking_uri = f"sqlite:///{tmp_path_factory.mktemp('bundle-mlflow') / 'mlflow.db'}"
    config = load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri})
    data = load_training_data(config)
    registered = log_run(train(config, data), config)
    assert promote(config, data.test, Approval("test", "first model")).promoted
    return tracking_uri, registered, config, data.test.drop(columns=["Churn"])


def test_cli_export_writes_a_bundle_that_scores_as_the_registry_does(champion, tmp_path, capsys):
    tracking_uri, registered, config, customers = champion
    folder = tmp_path / "model"
    assert main(["export", "--output", str(folder), "--tracking-uri", tracking_uri]) == EXIT_OK
    assert f"wrote churn v{registered.version}" in capsys.readouterr().out
    assert sorted(path.name for path in folder.iterdir()) == [METADATA_FILE, MODEL_FILE]
    metadata = json.loads((folder / METADATA_FILE).read_text())
    assert (metadata["model_name"], metadata["model_version"]) == ("churn", str(registered.version))
    assert metadata["threshold"] == config.threshold and metadata["run_id"] == registered.run_id

    bundle, registry = load_bundle(folder), load_champion(tracking_uri, "churn")
    np.testing.assert_allclose(bundle.predict_frame(customers), registry.predict_frame(customers), atol=1e-6)
    records = customers.head(50).to_dict(orient="records")
    from_bundle, from_registry = bundle.predict_records(records), registry.predict_records(records)
    assert max(abs(a.probability - b.probability) for a, b in zip(from_bundle, from_registry, strict=True)) <= 1e-6
    assert [p.churn for p in from_bundle] == [p.churn for p in from_registry]
    assert {p.model_version for p in from_bundle} == {str(registered.version)}


def test_service_serves_the_bundle_named_by_churn_model_dir(champion, tmp_path):
    tracking_uri, registered, _, customers = champion
    folder = tmp_path / "model"
    main(["export", "--output", str(folder), "--tracking-uri", tracking_uri])
    settings = ServiceSettings.from_env({"CHURN_API_KEY": "k", "CHURN_MODEL_DIR": str(folder),
                                         "CHURN_PREDICTION_LOG": str(tmp_path / "log.jsonl"),
                                         "CHURN_TRACKING_URI": "sqlite:///nowhere/never-read.db"})
    record = customers.head(1).to_dict(orient="records")[0]
    with TestClient(create_app(settings)) as client:
        for _ in range(100):
            if client.get("/ready").status_code == 200:
                break
            time.sleep(0.05)
        answer = client.post("/predict", json=record, headers={"X-API-Key": "k"})
    assert answer.status_code == 200, answer.text
    expected = load_champion(tracking_uri, "churn").predict_records([record])[0].probability
    assert answer.json()["model_version"] == str(registered.version)
    assert abs(answer.json()["churn_probability"] - expected) <= 1e-6


def test_cli_export_without_a_champion_or_to_a_file_says_what_to_do(tmp_path, capsys):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["export", "--output", str(tmp_path / "model"), "--tracking-uri", empty]) == EXIT_REGISTRY
    assert "train and promote one first" in capsys.readouterr().err
    (tmp_path / "a-file").write_text("x")
    write_bundle(tmp_path / "ok", b"onnx", model_name="churn", model_version="1", threshold=0.5)
    with pytest.raises(BundleError, match="exists and is not a folder"):
        write_bundle(tmp_path / "a-file", b"onnx", model_name="churn", model_version="1", threshold=0.5)


def test_a_broken_bundle_is_refused_naming_the_file(tmp_path):
    folder = tmp_path / "model"
    write_bundle(folder, b"not really onnx", model_name="churn", model_version="3", threshold=0.4)
    assert read_bundle(folder)[1].model_version == "3"

    (folder / MODEL_FILE).write_bytes(b"not really onnx, truncated")
    with pytest.raises(BundleError, match=rf"{MODEL_FILE}: SHA-256 does not match"):
        read_bundle(folder)
    (folder / METADATA_FILE).write_text("{not json")
    with pytest.raises(BundleError, match=rf"{METADATA_FILE}: not a bundle description"):
        read_bundle(folder)
    (folder / METADATA_FILE).unlink()
    with pytest.raises(BundleError, match=rf"{METADATA_FILE}: no such file.*churn export"):
        load_bundle(folder)


def test_a_bundle_with_an_explainer_of_another_format_is_refused_naming_the_file(tmp_path):
    folder = tmp_path / "model"
    write_bundle(folder, b"not really onnx", model_name="churn", model_version="3", threshold=0.4,
                 explainer={"format_version": 999})
    with pytest.raises(BundleError, match=rf"{METADATA_FILE}: explainer: .*format_version 999 is not supported"):
        load_bundle(folder)


def test_cli_reports_a_bundle_error_as_bad_input(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise BundleError(f"{tmp_path}: exists and is not a folder; give a folder for --output")

    monkeypatch.setattr("churn.model_bundle.export_champion", refuse)
    assert main(["export", "--output", str(tmp_path), "--tracking-uri", "sqlite:///x.db"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: exists and is not a folder")
