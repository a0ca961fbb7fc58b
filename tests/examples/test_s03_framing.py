"""Lecture 3.1: the churn framing computes labels at the window's edges and flags late columns."""

from __future__ import annotations

import runpy
from datetime import date
from pathlib import Path

import pytest
from churn.contract import feature_columns

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples/lectures/s03/frame_churn.py"


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.mark.parametrize("cancelled_on, label", [
    (None, "No"),
    (date(2026, 3, 2), "Yes"),  # first day of the window
    (date(2026, 3, 31), "Yes"),  # day 30: last day of the window
    (date(2026, 4, 1), "No"),  # day 31: too late for this label
    (date(2026, 3, 1), None),  # cancelled on the scoring date: already gone, not scored
    (date(2026, 2, 20), None),
])
def test_label_at_the_edges_of_the_window(script, cancelled_on, label):
    framing = script["ChurnFraming"](scoring_date=date(2026, 3, 1))
    assert framing.label(cancelled_on) == label


def test_a_longer_window_moves_the_edge(script):
    framing = script["ChurnFraming"](scoring_date=date(2026, 3, 1), prediction_window_days=60)
    assert framing.label(date(2026, 4, 1)) == "Yes"
    assert framing.label(date(2026, 5, 1)) == "No"


def test_only_columns_known_after_the_scoring_date_are_leaks(script):
    framing = script["FRAMING"]
    assert script["leaks"](framing) == ["CancellationReason", "AccountStatus", "LastInvoiceAmount"]
    candidates = script["candidate_columns"](framing)
    assert all(framing.known_in_time(candidates[name]) for name in feature_columns())
    assert framing.known_in_time(candidates["SupportCalls90d"])


def test_printed_report(capsys):
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "2026-03-02 .. 2026-03-31" in out
    assert "Action:   every customer with p >= 0.35 goes on the retention team's call list" in out
    assert "6650-BZEHN   2026-03-31  Yes" in out
    assert "2207-QTYVA   2026-04-01  No" in out
    assert "usable (20): 19 contract features, SupportCalls90d" in out
    assert out.count("LEAK") == 3
    assert "CancellationReason  known 11 days after the scoring date" in out
