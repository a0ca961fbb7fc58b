"""Lecture 3.5: online and batch scoring give the same probabilities; batch costs less per customer."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples/lectures/s03/online_vs_batch.py"


def test_same_answers_batch_cheaper_per_customer():
    script = runpy.run_path(str(SCRIPT))  # tests/examples/test_lecture_scripts.py runs it as a student does
    result = script["compare"]()
    assert result["max_difference"] < 1e-5
    assert result["batch_seconds"] * 3 < result["online_seconds"]
