"""Lecture 4.2: the cost table, the break-even probability and the three threshold choices."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from churn.config import load_config
from churn.evaluate import business_cost

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = runpy.run_path(str(ROOT / "examples/lectures/s04/cost_by_threshold.py"))
PAGE = next((ROOT / "docs/course/04-project-use-case").glob("4.2-*.md")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scores():
    config = load_config(ROOT / "examples/configs/default.yaml")
    return config, SCRIPT["held_out_scores"](config)


@pytest.fixture(scope="module")
def scored(scores):
    config, (y_true, probability, metrics, ceiling) = scores
    assert round(ceiling, 3) == 0.874 and metrics["roc_auc"] < ceiling, "no model beats the true probabilities"
    return config, y_true, probability, metrics, SCRIPT["cost_table"](y_true, probability, config.costs)


def test_default_model_scores_what_the_lecture_quotes(scored):
    _, y_true, _, metrics, _ = scored
    assert len(y_true) == 2000 and round(y_true.mean(), 3) == 0.262
    assert round(metrics["roc_auc"], 3) == 0.868 and round(metrics["pr_auc"], 3) == 0.675
    assert round(metrics["f1"], 3) == 0.669 and metrics["cost_per_1000"] == 35_775


def test_business_cost_counts_missed_churners_and_wasted_offers(scored):
    config, *_ = scored
    y_true = np.array([1, 1, 0, 0])
    called = np.array([True, False, True, False])  # one saved, one missed, one wasted, one left alone
    assert business_cost(y_true, called, config.costs) == {"cost_per_1000": 137_500.0, "saving_per_1000": 112_500.0}
    nobody = business_cost(y_true, np.zeros(4, dtype=bool), config.costs)
    assert nobody["saving_per_1000"] == 0 and nobody["cost_per_1000"] == 250_000.0


def test_break_even_is_wasted_over_missed_plus_wasted(scored):
    config, *_ = scored
    assert SCRIPT["break_even"](config.costs) == pytest.approx(50 / 550)


def test_cost_table_directions_and_choices(scored):
    config, _, _, metrics, rows = scored
    assert [row["threshold"] for row in rows] == [round(0.05 * step, 2) for step in range(1, 15)]
    called = [row["called"] for row in rows]
    recall = [row["recall"] for row in rows]
    assert called == sorted(called, reverse=True) and recall == sorted(recall, reverse=True)
    configured = next(row for row in rows if row["threshold"] == config.threshold)
    assert configured["cost_per_1000"] == metrics["cost_per_1000"]
    cheapest = SCRIPT["cheapest"](rows)
    assert cheapest["threshold"] == 0.15 and cheapest["cost_per_1000"] == 22_900
    assert all(cheapest["cost_per_1000"] <= row["cost_per_1000"] for row in rows)
    limited = SCRIPT["cheapest"](rows, SCRIPT["CAPACITY"])
    assert limited["threshold"] == 0.45 and limited["called"] <= 0.30
    assert max(rows, key=lambda row: row["f1"])["threshold"] == config.threshold == 0.35


def test_report_prints_the_table_and_the_choices():
    lines = SCRIPT["report"](load_config(ROOT / "examples/configs/default.yaml"))
    assert lines[3] == "break-even probability: 50 / (500 + 50) = 0.091"
    assert "calling nobody costs 131,000 per 1,000 customers" in lines[2]
    assert lines[-3].startswith("cheapest:") and "threshold 0.15, calls 53.8%, cost 22,900" in lines[-3]
    assert lines[-1].startswith("configured (0.35):") and "cost 35,775 per 1,000" in lines[-1]


def test_a_dearer_offer_moves_the_cheapest_threshold_up(tmp_path, monkeypatch, capsys):
    """The lab's step 3: an offer that costs 200 instead of 50, from the command line."""
    default = (ROOT / "examples/configs/default.yaml").read_text()
    costly = tmp_path / "costly-offer.yaml"
    costly.write_text(default.replace("wasted_offer: 50.0", "wasted_offer: 200.0"))
    monkeypatch.setattr(sys, "argv", ["cost_by_threshold.py", str(costly)])
    runpy.run_path(str(ROOT / "examples/lectures/s04/cost_by_threshold.py"), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[3] == "break-even probability: 200 / (500 + 200) = 0.286"
    assert lines[-3].startswith("cheapest:") and "threshold 0.35, calls 35.0%, cost 57,600" in lines[-3]


def test_lecture_4_2_prints_and_quotes_what_the_script_computes(scores, scored):
    """The page's output block is the script's output, and its tables and prose quote the same figures."""
    config, computed = scores
    lines = SCRIPT["report"](config, computed)
    block = PAGE.split('```text title="Output"\n', 1)[1].split("\n```", 1)[0]
    assert block.splitlines() == lines, "lecture 4.2's output block differs from cost_by_threshold.py: paste its output"
    _, _, _, metrics, rows = scored
    by_threshold = {row["threshold"]: row for row in rows}
    picks = {"Highest F1": max(rows, key=lambda row: row["f1"]), "Lowest cost": SCRIPT["cheapest"](rows),
             "Lowest cost, at most 30% called": SCRIPT["cheapest"](rows, SCRIPT["CAPACITY"]),
             "Configured (`default.yaml`)": by_threshold[config.threshold]}
    for name, row in picks.items():
        expected = f"| {name} | {row['threshold']:.2f} | {row['called']:.1%} | {row['cost_per_1000']:,.0f} |"
        assert expected in PAGE, f"lecture 4.2's table of choices should read {expected!r}"
    assert (f"| Cost per 1,000 | What does the call list cost? | {metrics['cost_per_1000']:,.0f} |" in PAGE
            and f"| F1 at {config.threshold} | Balance of precision and recall? | {metrics['f1']:.3f} |" in PAGE)
    assert f"costs {metrics['cost_per_1000']:,.0f}, a saving of {metrics['saving_per_1000']:,.0f}" in PAGE
    configured, cheapest = by_threshold[config.threshold], picks["Lowest cost"]
    assert (f"would save {configured['cost_per_1000'] - cheapest['cost_per_1000']:,.0f} more per 1,000 customers and "
            f"call {(cheapest['called'] - configured['called']) * 100:.1f} percentage points more") in " ".join(
                PAGE.split())
