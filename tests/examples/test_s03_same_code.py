"""Lecture 3.4: same code and data give the same model; another seed or month gives another one."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples/lectures/s03/same_code_new_model.py"


def test_seed_and_data_change_the_model_not_the_code():
    script = runpy.run_path(str(SCRIPT))  # tests/examples/test_lecture_scripts.py runs it as a student does
    results = script["compare"]()
    assert list(results) == ["A", "A again", "B", "C"]
    a, again, b, c = (results[name] for name in ("A", "A again", "B", "C"))
    assert again["max_change"] == 0.0 and again["roc_auc"] == a["roc_auc"]  # reproducible when nothing changes
    assert abs(b["roc_auc"] - a["roc_auc"]) < 0.005 and abs(c["roc_auc"] - a["roc_auc"]) < 0.01  # same quality
    assert 0.005 < b["decisions_changed"] < 0.06  # ... yet other customers get called
    assert 0.02 < c["decisions_changed"] < 0.12
    assert c["max_change"] > 0.1
