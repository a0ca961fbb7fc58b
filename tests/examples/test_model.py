"""Features, training, evaluation, ONNX parity and model behaviour (no MLflow here)."""

from __future__ import annotations

import numpy as np
import pytest
from churn.config import ConfigError, ExperimentConfig, load_config
from churn.evaluate import business_cost, evaluate
from churn.onnx_export import to_onnx
from churn.predict import OnnxPredictor, PredictionInputError, SklearnPredictor, check_records, total_charges
from churn.train import load_training_data, train

SMALL = {"data": {"generated_rows": 3000}}


@pytest.fixture(scope="module")
def trained():
    config = load_config(None, **SMALL)
    return train(config, load_training_data(config))


def test_default_config_file_matches_the_built_in_defaults(root):
    assert load_config(root / "examples/configs/default.yaml") == ExperimentConfig()


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  kind: logistic_regression\n  params: {C: 1, colour: red}\nthreshhold: 0.3\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert "threshhold: unknown key" in str(caught.value)
    bad.write_text("model:\n  params: {colour: red}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: model: params: unknown parameter\(s\) \['colour'\]"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_training_reaches_the_signal_and_reports_every_metric(trained):
    assert set(trained.metrics) >= {"roc_auc", "pr_auc", "f1", "precision", "recall", "cost_per_1000",
                                    "saving_per_1000"}
    assert trained.metrics["roc_auc"] >= 0.80
    assert trained.metrics["saving_per_1000"] > 0, "the model should save money compared with calling nobody"


def test_same_data_config_and_seed_reproduce_the_metrics(trained):
    config = load_config(None, **SMALL)
    again = train(config, load_training_data(config))
    assert again.metrics == trained.metrics


def test_business_cost_counts_missed_churners_and_wasted_offers():
    y_true = np.array([1, 1, 0, 0])
    called = np.array([True, False, True, False])
    costs = ExperimentConfig().costs
    result = business_cost(y_true, called, costs)
    assert result["cost_per_1000"] == pytest.approx((500 + 50) * 250)
    assert result["saving_per_1000"] == pytest.approx((2 * 500 - 550) * 250)
    assert evaluate(y_true, np.array([0.9, 0.2, 0.8, 0.1]), 0.5, costs)["recall"] == 0.5


def test_onnx_copy_matches_the_pipeline(trained):
    test = trained.data.test
    onnx = OnnxPredictor(to_onnx(trained.pipeline), model_version="1")
    reference = SklearnPredictor(trained.pipeline, model_version="1")
    assert np.max(np.abs(onnx.predict_frame(test) - reference.predict_frame(test))) < 1e-5
    records = test.drop(columns=["Churn"]).head(50).to_dict(orient="records")
    from_records = [prediction.probability for prediction in onnx.predict_records(records)]
    assert np.allclose(from_records, reference.predict_frame(test.head(50)), atol=1e-5)


def test_training_draws_the_plots_and_exports_the_serving_copy(trained):
    assert set(trained.plots) == {"roc_curve.png", "pr_curve.png", "confusion_matrix.png"}
    assert all(image.startswith(b"\x89PNG") and len(image) > 2_000 for image in trained.plots.values())
    onnx = OnnxPredictor(trained.onnx, model_version="1")
    reference = SklearnPredictor(trained.pipeline, model_version="1")
    test = trained.data.test.head(200)
    assert np.max(np.abs(onnx.predict_frame(test) - reference.predict_frame(test))) < 1e-5


def test_serving_imports_neither_scikit_learn_nor_matplotlib():
    """The service scores with ONNX; importing the training stack would add seconds to its start-up."""
    import subprocess
    import sys

    code = ("import sys, churn.service.app, churn.predict, churn.cli; "
            "print(sorted(m for m in ('sklearn', 'matplotlib', 'skl2onnx') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _customer(trained) -> dict:
    return trained.data.test.drop(columns=["Churn"]).iloc[0].to_dict()


def test_longer_contracts_lower_churn_risk(trained):
    predictor = SklearnPredictor(trained.pipeline, model_version="1")
    base = _customer(trained)
    risks = [predictor.predict_records([{**base, "Contract": contract}])[0].probability
             for contract in ("Month-to-month", "One year", "Two year")]
    assert risks[0] > risks[1] > risks[2]


def test_longer_tenure_lowers_churn_risk(trained):
    predictor = SklearnPredictor(trained.pipeline, model_version="1")
    base = {**_customer(trained), "Contract": "Month-to-month"}
    short, long = (predictor.predict_records([{**base, "tenure": months, "TotalCharges": None}])[0].probability
                   for months in (2, 60))
    assert short > long


def test_the_customer_id_does_not_change_the_prediction(trained):
    predictor = SklearnPredictor(trained.pipeline, model_version="1")
    base = _customer(trained)
    first, second = predictor.predict_records([base, {**base, "customerID": "0000-ZZZZZ"}])
    assert first.probability == second.probability


def test_blank_total_charges_follow_the_validation_rules():
    assert total_charges({"tenure": 0, "MonthlyCharges": 20.0, "TotalCharges": " "}) == 0.0
    assert total_charges({"tenure": 3, "MonthlyCharges": 20.0, "TotalCharges": None}) == 60.0
    assert total_charges({"tenure": 3, "MonthlyCharges": 20.0, "TotalCharges": "61.5"}) == 61.5


def test_records_that_break_the_contract_are_refused(trained):
    base = _customer(trained)
    with pytest.raises(PredictionInputError, match=r"record 1 \(customerID .*\): Contract: allowed values"):
        check_records([base, {**base, "Contract": "Weekly"}])
