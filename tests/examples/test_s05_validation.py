"""Lecture 5.3: the report names every injected problem with its row count, in the script and the CLI."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pandas as pd
import pytest
from churn.cli import main as churn
from churn.contract import check_record

SCRIPT = Path(__file__).resolve().parents[2] / "examples/lectures/s05/validation_lab.py"
LAB_GENERATE = ["generate", "--rows", "5000", "--seed", "7", "--null-share", "0.01", "--blank-share", "0.01",
                "--duplicate-share", "0.01", "--out-of-range-share", "0.01", "--new-payment-method-share", "0.01"]


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def dirty(script) -> pd.DataFrame:
    return script["batch"](script["DIRTY"])


def counts(report) -> dict[tuple[str, str], tuple[int, str]]:
    return {(f.column, f.rule): (f.rows, f.action) for f in report.findings}


def test_the_report_names_every_injected_problem_with_its_row_count(script, dirty):
    report = script["run_validation"](dirty)
    found = counts(report)
    assert report.ok and report.rows_in == 5000
    broken = pd.Series([bool(check_record(r)) for r in dirty.to_dict("records")])
    missing = dirty.drop(columns="TotalCharges").isna().sum()
    for column, rows in missing[missing > 0].items():
        assert found[(column, "required")] == (int(rows), "dropped"), column
    assert sum(rows for (_, rule), (rows, _) in found.items() if rule == "required") == 50
    assert found[("tenure", "range")][0] + found[("MonthlyCharges", "range")][0] == 50
    assert found[("tenure", "range")] == (int((~dirty["tenure"].between(0, 72)).sum()), "dropped")
    wallet = dirty["PaymentMethod"] == "Digital wallet"
    assert found[("PaymentMethod", "allowed values")] == (int(wallet.sum()), "dropped")
    assert found[("customerID", "duplicate")] == (int(dirty.loc[~broken, "customerID"].duplicated().sum()), "dropped")
    later_blank = (dirty["TotalCharges"] == " ") & (dirty["tenure"] > 0) & ~broken
    assert found[("TotalCharges", "blank after first month")] == (int(later_blank.sum()), "fixed")
    assert report.rows_out == 5000 - int(broken.sum()) - found[("customerID", "duplicate")][0]


def test_too_many_bad_rows_is_fatal_and_drift_is_not_a_validation_finding(script):
    broken = script["run_validation"](script["batch"](script["BROKEN"]))
    assert not broken.ok
    assert {(f.column, f.rule) for f in broken.findings if f.action == "fatal"} == {("tenure", "range"),
                                                                                    ("MonthlyCharges", "range")}
    drifted = script["run_validation"](script["batch"](script["DRIFTED"]))
    assert drifted.ok and drifted.rows_out == 5000
    assert all(f.action == "fixed" for f in drifted.findings)


def test_the_script_prints_both_reports_and_the_drift_line(script):
    lines = script["main"]()
    text = "\n".join(lines)
    assert "validation: 5000 rows in, 4808 rows out: OK" in text
    assert "FAILED (2 fatal findings)" in text
    assert '"rule": "required"' in text
    assert lines[-1].startswith("mean MonthlyCharges: reference 63.18, this batch 78.97")


def test_the_lab_commands(tmp_path, capsys, script, dirty):
    data, report_file = tmp_path / "dirty.csv", tmp_path / "report.json"
    assert churn([*LAB_GENERATE, "--output", str(data)]) == 0
    capsys.readouterr()
    assert churn(["validate", str(data), "--json", str(report_file)]) == 0
    printed = capsys.readouterr().out
    in_memory = script["run_validation"](dirty)
    assert printed.startswith("validation: 5000 rows in, 4808 rows out: OK")
    for finding in in_memory.findings:  # the same findings (a CSV quotes some example values)
        assert f"| {finding.rows:<4} | {finding.action:<7} |" in printed and finding.column in printed
    saved = json.loads(report_file.read_text())
    assert saved["ok"] is True and (saved["rows_in"], saved["rows_out"]) == (5000, 4808)
    assert len(saved["findings"]) == 24
    assert {"column": "customerID", "rule": "duplicate", "rows": 50}.items() <= \
        next(f for f in saved["findings"] if f["rule"] == "duplicate").items()

    broken = tmp_path / "broken.parquet"
    assert churn(["generate", "--rows", "5000", "--seed", "7", "--out-of-range-share", "0.08",
                  "--output", str(broken)]) == 0
    assert churn(["validate", str(broken)]) == 1
    assert "FAILED (2 fatal findings)" in capsys.readouterr().out
    assert churn(["validate", str(broken), "--max-bad-share", "0.1"]) == 0
    assert "5000 rows in, 4600 rows out: OK" in capsys.readouterr().out
    assert churn(["validate", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err


def test_the_figures_on_the_page(script, dirty):
    found = counts(script["run_validation"](dirty))
    assert sum(rule == "required" for _, rule in found) == 18
    assert (found[("tenure", "range")][0], found[("MonthlyCharges", "range")][0]) == (21, 29)
    assert found[("PaymentMethod", "allowed values")][0] == 43
    assert found[("customerID", "duplicate")][0] == 50
    assert found[("TotalCharges", "blank after first month")][0] == 49
    assert found[("gender", "required")] == (2, "dropped")
    broken = counts(script["run_validation"](script["batch"](script["BROKEN"])))
    assert (broken[("tenure", "range")], broken[("MonthlyCharges", "range")]) == ((203, "fatal"), (197, "fatal"))
