"""Lecture 3.3: the leaky notebook promises more than it delivers; the project's model keeps its word."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest
from churn.generate import generate_customers
from churn.validate import validate_or_raise

ROOT = Path(__file__).resolve().parents[2]
LEAK = ROOT / "examples/lectures/s03/notebook_leak.py"
BEFORE_SPLIT = ROOT / "examples/lectures/s03/fit_before_split.py"


@pytest.fixture(scope="module")
def leak() -> dict:
    return runpy.run_path(str(LEAK))


@pytest.fixture(scope="module")
def results(leak) -> dict:
    return leak["compare"]()


def test_the_leaky_column_gives_leavers_away_only_after_the_outcome(leak):
    customers, _ = validate_or_raise(generate_customers(2000, seed=5))
    monthly = customers["MonthlyCharges"].to_numpy()
    left = (customers["Churn"] == "Yes").to_numpy()
    after = leak["last_invoice_amount"](customers, np.random.default_rng(0), read_after_outcome=True)
    before = leak["last_invoice_amount"](customers, np.random.default_rng(0), read_after_outcome=False)
    assert np.all(np.abs(before / monthly - 1) <= 0.031)  # on the scoring date: a full bill for everyone
    assert np.all(np.abs(after[~left] / monthly[~left] - 1) <= 0.031)
    assert np.all(after[left] <= monthly[left] + 0.01)  # leavers: a prorated final bill
    assert np.median(after[left] / monthly[left]) < 0.7


def test_leaky_offline_score_is_optimistic(results):
    notebook, project = results["notebook"], results["project"]
    assert notebook["offline_roc_auc"] > 0.97
    assert notebook["offline_roc_auc"] - project["offline_roc_auc"] > 0.08
    assert notebook["offline_roc_auc"] - notebook["roc_auc"] > 0.12  # the promise is broken next month


def test_project_offline_score_matches_next_month(results):
    project = results["project"]
    assert 0.83 < project["offline_roc_auc"] < 0.90
    assert abs(project["offline_roc_auc"] - project["roc_auc"]) < 0.025
    assert project["roc_auc"] > results["notebook"]["roc_auc"] + 0.03


def test_leaky_model_expects_almost_no_churn_next_month(results):
    notebook, project = results["notebook"], results["project"]
    actual = project["actual_rate"]
    assert 0.22 < actual < 0.30
    assert notebook["mean_score"] < actual / 2  # everyone looks like a stayer without the leak
    assert notebook["called"] < 0.05  # the call list is nearly empty at the 0.35 threshold
    assert abs(project["mean_score"] - actual) < 0.03
    assert project["called"] > 0.2


def test_the_contract_is_the_guard(leak):
    export = leak["warehouse_export"](7, read_after_outcome=True).head(3000)
    notebook, _ = leak["notebook_model"](export)
    project, _ = leak["project_model"](export)
    assert "numbers__LastInvoiceAmount" in notebook[:-1].get_feature_names_out()
    assert not any("LastInvoiceAmount" in name for name in project[:-1].get_feature_names_out())


def test_leak_report_prints_both_promises(leak, results):
    lines = leak["report"](results)
    assert lines[4].startswith("notebook (all columns)") and lines[5].startswith("project (contract only)")
    assert any(line.startswith("Notebook: offline promised 0.99") for line in lines)
    assert any(line.startswith("Actual churn next month: 2") for line in lines)


def test_fitting_preprocessing_before_the_split_is_a_tiny_leak_here():
    script = runpy.run_path(str(BEFORE_SPLIT))
    before, after = script["measure"](10_000)
    assert 0.83 < after < 0.90 and abs(before - after) < 0.001
    before, after = script["measure"](500)
    assert 0.75 < after < 0.90 and abs(before - after) < 0.003
