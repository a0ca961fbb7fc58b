"""Lecture 4.6: what the promotion gate decides in the three situations of the lab, and what it misses."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from churn.config import load_config
from churn.registry import passes_gate

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = runpy.run_path(str(ROOT / "examples/lectures/s04/gate_decisions.py"))


@pytest.fixture(scope="module")
def decided():
    config = load_config(ROOT / "examples/configs/default.yaml")
    metrics = SCRIPT["candidate_metrics"](config)
    return metrics, SCRIPT["ask_the_gate"](metrics, config)


def test_the_candidates_score_what_the_lecture_quotes(decided):
    metrics, _ = decided
    default, forest, weak = (metrics[name] for name in SCRIPT["CANDIDATES"])
    assert round(default["roc_auc"], 4) == 0.8682 and default["saving_per_1000"] == 95_225
    assert default["roc_auc"] < forest["roc_auc"] < default["roc_auc"] + 0.002, "better, but not by the margin"
    assert forest["saving_per_1000"] < default["saving_per_1000"], "a higher ROC AUC, yet it saves less"
    assert weak["roc_auc"] > 0.75 and weak["pr_auc"] > 0.45 and weak["recall"] == 0 and weak["saving_per_1000"] == 0


def test_gate_decisions(decided):
    _, lines = decided
    decisions = [line for line in lines if not line.startswith(" ")]
    assert decisions == ["first model ever, no champion yet: PROMOTED",
                         "a random forest challenges the champion: NOT PROMOTED",
                         "a first model that never says 'churn': PROMOTED"]
    assert "    - roc_auc does not beat the champion by the margin 0.002" in lines
    assert lines.count("    - meets the minimums") == 2


def test_a_model_below_both_floors_is_refused_with_both_reasons():
    config = load_config(ROOT / "examples/configs/default.yaml")
    weak = {"roc_auc": 0.70, "pr_auc": 0.40}
    promoted, reasons = passes_gate(weak, None, config)
    assert not promoted
    assert reasons == ["ROC AUC 0.7000 is below the minimum 0.75", "PR AUC 0.4000 is below the minimum 0.45"]
    assert passes_gate({"roc_auc": 0.80, "pr_auc": 0.50}, {"roc_auc": 0.799, "pr_auc": 0.5}, config) == (
        False, ["roc_auc does not beat the champion by the margin 0.002"])
