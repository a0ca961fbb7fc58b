"""Lecture 4.3: the contract check on good and bad records, and what `churn validate` does with them."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pandas as pd
import pytest
from churn.cli import EXIT_OK, EXIT_REFUSED, main
from churn.validate import validate

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = runpy.run_path(str(ROOT / "examples/lectures/s04/check_records.py"))


@pytest.fixture(scope="module")
def results():
    return SCRIPT["check_cases"](SCRIPT["CUSTOMER"])


def test_customer_json_is_the_public_first_customer():
    record = json.loads((ROOT / "examples/lectures/s04/customer.json").read_text())
    assert record["customerID"] == "7590-VHVEG" and len(record) == 20 and "Churn" not in record


@pytest.mark.parametrize("case, rules", [
    ("valid training record", []),
    ("new payment method", [("PaymentMethod", "allowed values")]),
    ("tenure in days, not months", [("tenure", "range")]),
    ("charge exported as text", [("MonthlyCharges", "type")]),
    ("id without its dash", [("customerID", "format")]),
    ("renamed column", [("Contract", "missing column"), ("ContractType", "unknown column")]),
    ("first month, blank total", []),
    ("scoring record, no Churn", []),
])
def test_each_case_breaks_exactly_the_rules_the_lecture_names(results, case, rules):
    assert [(violation.column, violation.rule) for violation in results[case]] == rules


def test_messages_name_the_value(results):
    assert str(results["tenure in days, not months"][0]) == "tenure: range (900 > maximum 72)"
    assert "'Digital wallet' not in" in str(results["new payment method"][0])


def test_table_validation_agrees_with_the_record_check(results):
    cases = SCRIPT["cases"](SCRIPT["CUSTOMER"])
    same_columns = ["valid training record", "new payment method", "tenure in days, not months",
                    "charge exported as text", "id without its dash", "first month, blank total"]
    frame = pd.DataFrame([cases[name][0] for name in same_columns])
    frame["customerID"] = [f"{1000 + index}-VHVEG" for index in range(len(frame))]  # unique, so none is a duplicate
    frame.loc[same_columns.index("id without its dash"), "customerID"] = "7590VHVEG"
    clean, report = validate(frame, max_bad_share=1.0)
    kept = {name for name, customer_id in zip(same_columns, frame["customerID"], strict=True)
            if customer_id in set(clean["customerID"])}
    assert kept == {name for name in same_columns if not results[name]}
    assert report.ok


def test_lab_new_payment_method_is_refused_above_five_percent(tmp_path, capsys):
    wallet, few = tmp_path / "wallet.csv", tmp_path / "wallet3.csv"
    assert main(["generate", "--rows", "2000", "--new-payment-method-share", "0.1", "--output", str(wallet)]) == EXIT_OK
    assert main(["generate", "--rows", "2000", "--new-payment-method-share", "0.03", "--output", str(few)]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(wallet)]) == EXIT_REFUSED
    out = capsys.readouterr().out
    assert out.startswith("validation: 2000 rows in, 1824 rows out: FAILED (1 fatal finding)")
    assert "PaymentMethod | allowed values       | 176  | fatal" in out
    page = (ROOT / "docs/course/04-project-use-case/4.3-data-sources-data-contracts-who-owns.md").read_text()
    lines = out.splitlines()
    assert "\n".join(lines[:3]) in page and "\n".join(lines[4:]) in page, "the page shows step 2's output"
    fatal = lines[3]  # the page shortens its list of allowed values
    assert fatal.split("; ", 1)[1] in page and "rows dropped" not in fatal, "a fatal finding drops nothing"
    assert main(["validate", str(few), "--json", str(tmp_path / "report.json")]) == EXIT_OK
    assert capsys.readouterr().out.startswith("validation: 2000 rows in, 1944 rows out: OK")
    findings = json.loads((tmp_path / "report.json").read_text())["findings"]
    assert {"column": "PaymentMethod", "rule": "allowed values", "rows": 56, "action": "dropped"}.items() <= \
        findings[0].items()
