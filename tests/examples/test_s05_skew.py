"""Lecture 5.4: a hand-written serving transform skews; the shipped pipeline does not."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples/lectures/s05/skew_demo.py"


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def measured(script) -> tuple[list, dict]:
    records = script["live_records"](rows=2_000)
    return records, script["compare"](script["train_pipeline"](rows=4_000), records)


def test_the_hand_written_paths_skew(measured):
    records, results = measured
    blanks = sum(isinstance(r["TotalCharges"], str) and not r["TotalCharges"].strip() and r["tenure"] > 0
                 for r in records)
    dsl = sum(r["InternetService"] == "DSL" for r in records)
    assert results["hand-written, blank as 0"]["rows_changed"] == blanks > 0
    assert results["hand-written, tidied case"]["rows_changed"] == dsl > 0
    for name in ("hand-written, blank as 0", "hand-written, tidied case", "hand-written, both"):
        assert results[name]["max_difference"] > 0.01, name
    assert results["hand-written, tidied case"]["decisions_flipped"] > 0


def test_the_shipped_pipeline_does_not_skew(measured):
    _, results = measured
    assert results["shipped pipeline"]["max_difference"] <= 1e-9
    assert results["shipped pipeline"]["decisions_flipped"] == 0
    assert results["shipped ONNX copy"]["max_difference"] <= 1e-5, "the ONNX parity tolerance (float32)"


def test_tidying_the_case_breaks_only_dsl(script, measured):
    records, _ = measured
    tidied = script["handwritten_features"](records[:200], blank_as_zero=False)
    assert "Dsl" in set(tidied["InternetService"]) and "DSL" not in set(tidied["InternetService"])
    assert set(tidied["Contract"]) <= {"Month-to-month", "One year", "Two year"}


def test_the_report_lists_every_path(script, measured):
    records, results = measured
    lines = script["report"](records, results)
    assert lines[0].startswith("2000 live customers:")
    assert [line.split("  ")[0] for line in lines[4:]] == list(results)


def test_the_figures_on_the_page(script):
    records = script["live_records"]()
    results = script["compare"](script["train_pipeline"](), records)
    assert script["report"](records, results)[0] == "5000 live customers: 162 with a blank TotalCharges, 1743 on DSL"
    table = {name: (row["rows_changed"], round(row["max_difference"], 3), row["decisions_flipped"])
             for name, row in results.items()}
    assert table["hand-written, blank as 0"] == (150, 0.165, 3)
    assert table["hand-written, tidied case"] == (1743, 0.100, 122)
    assert table["hand-written, both"] == (1845, 0.165, 121)
    assert table["shipped pipeline"] == (0, 0.0, 0)
    assert table["shipped ONNX copy"][2] == 0
