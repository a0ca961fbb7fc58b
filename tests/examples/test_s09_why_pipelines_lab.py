"""Lecture 9.1: one command instead of five: `churn pipeline` on a good snapshot, a broken one, the good one again.

The lab's shell steps are read from the page and run in one bash session, as a student runs them
(``churn`` on the PATH as this interpreter's ``python -m churn.cli``, ``mktemp -d`` inside a pytest
folder). The page's output blocks must be the lines of that real run, in order (``…`` for run ids),
and the registry the lab leaves must hold the two versions the page describes and no champion: the
broken run registered nothing and no run promoted.
"""

from __future__ import annotations

import re

import pytest

from tests.examples.lab_session import LecturePage, as_pattern, run_session, scratch_folder

pytestmark = pytest.mark.lab  # three pipeline runs, each a process of its own

PAGE = LecturePage.of("9.1")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder)."""
    base = tmp_path_factory.mktemp("lab91")
    result = run_session("\n".join(PAGE.steps()), base)
    return result, scratch_folder(base, "mlflow.db")


def in_order(block: list[str], real: list[str], where: str) -> None:
    """Every line of ``block`` matches a line of ``real``, in the same order."""
    position = 0
    for line in block:
        pattern = as_pattern(line)
        found = next((i for i in range(position, len(real)) if pattern.fullmatch(real[i])), None)
        assert found is not None, f"{PAGE.name}: not in the lab's {where} after line {position}: {line!r}"
        position = found + 1


def test_the_lab_runs_and_the_page_shows_its_real_output(lab):
    result, _ = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    in_order(PAGE.output_block("Output of steps 1 to 3", prefix=True), result.stdout.splitlines(), "stdout")
    in_order(PAGE.output_block("Step 2's first lines on stderr"), result.stderr.splitlines(), "stderr")
    assert re.search(r"^real\s+\d+m[\d.]+s$", result.stderr, re.MULTILINE), "step 1 times the pipeline"


def test_the_broken_snapshot_stops_at_validation_with_two_fatal_range_findings(lab):
    result, _ = lab
    assert re.findall(r"^exit code: (\d)$", result.stdout, re.MULTILINE) == ["1", "0"]
    fatal = re.findall(r"^(\w+)\s*\|\s*range\s*\|\s*\d+\s*\|\s*fatal", result.stderr, re.MULTILINE)
    assert fatal == ["tenure", "MonthlyCharges"], "the page says: two fatal range findings"
    assert "Traceback" not in result.stderr


def test_the_lab_leaves_two_versions_and_no_champion(lab):
    from mlflow import MlflowClient

    _, folder = lab
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    versions = sorted(int(version.version) for version in client.search_model_versions("name='churn'"))
    assert versions == [1, 2], "the broken run must register nothing"
    assert client.get_registered_model("churn").aliases == {"challenger": 2}, "a pipeline never promotes"
    assert all(version.tags.get("gate") == "passed" for version in client.search_model_versions("name='churn'"))
