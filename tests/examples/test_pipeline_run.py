"""The training pipeline with no orchestrator: the shared steps, ``run_pipeline`` and the ``churn pipeline`` command."""

from __future__ import annotations

import pandas as pd
import pytest
from churn.config import load_config
from churn.generate import generate_customers
from churn.pipeline.run import run_pipeline
from churn.pipeline.steps import ValidatedTable, ingest, split
from churn.registry import aliases
from churn.train import load_training_data
from churn.validate import ValidationFailed, validate


def small_config(tracking_uri: str, model: str):
    return load_config(None, data={"generated_rows": 2000}, tracking={"uri": tracking_uri, "registered_model": model})


def test_the_steps_split_exactly_as_load_training_data(tracking_uri):
    config = small_config(tracking_uri, "unused")
    raw = ingest(config)
    clean, report = validate(raw.frame)
    ours = split(ValidatedTable(clean, report, raw.source), config)
    reference = load_training_data(config)
    pd.testing.assert_frame_equal(ours.train, reference.train)
    pd.testing.assert_frame_equal(ours.test, reference.test)
    assert ours.source == reference.source == "generated:2000"


@pytest.fixture(scope="module")
def outcomes(tracking_uri):
    """Run the pipeline, promote its challenger with an approval, run it again."""
    from churn.governance.approvals import Approval, promote

    config = small_config(tracking_uri, "pipeline-run")
    first = run_pipeline(config)
    after_first = aliases(config)
    promote(config, load_training_data(config).test, Approval("ana", "first model"))
    return config, first, after_first, run_pipeline(config)


def test_the_first_run_registers_and_gates_but_does_not_promote(outcomes):
    config, first, after_first, _ = outcomes
    assert first.gate.passed and not first.gate.promoted and first.registered.version == "1"
    assert after_first == {"challenger": "1"}, "a pipeline never moves champion"
    assert first.metrics["roc_auc"] > config.promotion.min_roc_auc
    assert "PASSED THE GATE, NOT PROMOTED YET: challenger v1" in first.summary()
    assert "churn promote --approved-by NAME --reason TEXT" in first.summary()


def test_the_same_data_again_is_refused_by_the_gate_without_an_error(outcomes):
    config, _, _, second = outcomes
    assert not second.gate.passed and second.registered.version == "2"
    assert aliases(config) == {"champion": "1", "challenger": "2"}
    assert "NOT PROMOTED" in second.summary() and "churn promote" not in second.summary()


def test_a_table_with_a_wrong_column_set_stops_at_validation(tracking_uri, tmp_path):
    from mlflow import MlflowClient

    path = tmp_path / "customers.csv"
    generate_customers(200, seed=3).rename(columns={"tenure": "Tenure"}).to_csv(path, index=False)
    config = small_config(tracking_uri, "pipeline-wrong-columns")
    with pytest.raises(ValidationFailed) as failure:
        run_pipeline(config, path)
    assert "tenure" in str(failure.value) and "missing column" in str(failure.value)
    assert "found 'Tenure': rename it" in str(failure.value)
    assert MlflowClient(tracking_uri).search_model_versions("name='pipeline-wrong-columns'") == []


def test_the_churn_pipeline_command(tmp_path, capsys):
    from churn import cli

    path = tmp_path / "customers.csv"
    generate_customers(2000, seed=5).to_csv(path, index=False)
    code = cli.main(["pipeline", "--data", str(path), "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"])
    output = capsys.readouterr().out
    assert code == 0 and "PASSED THE GATE, NOT PROMOTED YET" in output and "validated: 2000 rows in" in output
