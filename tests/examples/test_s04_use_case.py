"""Lecture 4.1: the generated customers are deterministic by seed and carry the churn signal the lecture shows."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
from churn.cli import EXIT_OK, main
from churn.generate import generate_customers

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples/lectures/s04/explore_customers.py"


@pytest.fixture(scope="module")
def explore():
    return runpy.run_path(str(SCRIPT))


def rates(explore, column):
    customers = generate_customers(2000, seed=42)
    customers = customers.assign(tenure_band=explore["tenure_band"](customers["tenure"]))
    return explore["churn_rate_by"](customers, column)["churn_rate"]


def test_lab_generate_is_deterministic_by_seed(tmp_path, capsys):
    for name, seed in (("customers.csv", "42"), ("again.csv", "42"), ("other.csv", "43")):
        assert main(["generate", "--rows", "2000", "--seed", seed, "--output", str(tmp_path / name)]) == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == f"wrote 2000 rows to {tmp_path / 'customers.csv'}"
    first = (tmp_path / "customers.csv").read_bytes()
    assert first == (tmp_path / "again.csv").read_bytes()
    assert first != (tmp_path / "other.csv").read_bytes()
    header = first.decode().splitlines()[0].split(",")
    assert len(header) == 21 and header[0] == "customerID" and header[-1] == "Churn"


def test_churn_by_segment_has_the_signal_the_lecture_describes(explore):
    contract = rates(explore, "Contract")
    assert list(contract.index) == ["Month-to-month", "One year", "Two year"]
    assert contract["Month-to-month"] > 3 * contract["One year"] > contract["Two year"]
    tenure = rates(explore, "tenure_band")
    assert tenure.index[0] == "0-12 months" and tenure.index[-1] == "49-72 months"
    assert rates(explore, "PaymentMethod").index[0] == "Electronic check"
    assert rates(explore, "InternetService").index[0] == "Fiber optic"


def test_script_on_a_generated_file_prints_what_the_lab_shows(tmp_path, capsys, monkeypatch):
    data = tmp_path / "customers.csv"
    assert main(["generate", "--rows", "2000", "--seed", "42", "--output", str(data)]) == EXIT_OK
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), str(data)])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "validation: 2000 rows in, 2000 rows out: OK"
    assert lines[1] == "2000 customers, 21 columns, churn rate 24.8%, blank TotalCharges fixed: 6"
    assert lines[4].split()[:2] == ["Month-to-month", "1096"] and lines[4].endswith("40.6%")
    assert runpy.run_path(str(SCRIPT))["describe"](generate_customers(2000, seed=42)) == lines
