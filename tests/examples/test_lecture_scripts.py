"""Every per-lecture script under examples/lectures runs as a student would run it."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "examples" / "lectures").rglob("*.py"))


def test_there_are_lecture_scripts():
    assert SCRIPTS, "examples/lectures should hold at least one script"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_script_runs_from_the_repository_root(script):
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "a lecture script should print what the lecture tells the student to look at"


def test_peek_contract_prints_every_column(capsys):
    runpy.run_path(str(ROOT / "examples/lectures/s01/peek_contract.py"), run_name="__main__")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("customerID")
    assert any(line.startswith("Contract") and "Month-to-month | One year | Two year" in line for line in lines)
    assert lines[-1] == "19 feature columns, target: Churn"
