"""Validation against the contract: the cleaned frame, each rule's finding, fatal cases and the reports."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from churn.contract import check_record, column_names
from churn.generate import Drift, Quality, generate_customers
from churn.validate import Finding, ValidationFailed, ValidationReport, validate, validate_or_raise

CLEAN = generate_customers(1000, seed=21)
DTYPES = {"SeniorCitizen": "int64", "tenure": "int64", "MonthlyCharges": "float64", "TotalCharges": "float64"}


def dirty(**knobs) -> pd.DataFrame:
    return generate_customers(1000, seed=21, quality=Quality(**knobs))


def findings(report: ValidationReport) -> set[tuple[str, str, int, str]]:
    return {(f.column, f.rule, f.rows, f.action) for f in report.findings}


def test_a_clean_frame_passes_with_typed_columns():
    clean, report = validate(CLEAN)
    assert report.ok and report.rows_in == report.rows_out == 1000
    assert all(f.action != "dropped" for f in report.findings)
    assert list(clean.columns) == column_names()
    for name in column_names():
        assert clean[name].dtype == DTYPES.get(name, "str"), name
    assert clean["customerID"].tolist() == CLEAN["customerID"].tolist()
    assert clean["tenure"].tolist() == CLEAN["tenure"].tolist()


def test_validation_does_not_change_its_input():
    frame = dirty(blank_total_charges_share=0.05, out_of_range_share=0.02)
    before = frame.copy()
    validate(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_blank_total_charges_in_the_first_month_becomes_zero():
    frame = CLEAN.head(20).assign(TotalCharges=CLEAN["TotalCharges"].head(20).astype(object))
    frame.loc[[3, 7], ["tenure", "TotalCharges"]] = [0, " "]
    clean, report = validate(frame)
    assert report.ok
    assert findings(report) == {("TotalCharges", "blank in first month", 2, "fixed")}
    assert clean.loc[[3, 7], "TotalCharges"].tolist() == [0.0, 0.0]
    assert clean["TotalCharges"].dtype == "float64"


def test_blank_total_charges_later_is_estimated():
    frame = dirty(blank_total_charges_share=0.03)
    blank = (frame["TotalCharges"] == " ") & (frame["tenure"] > 0)
    clean, report = validate(frame)
    assert ("TotalCharges", "blank after first month", 30, "fixed") in findings(report)
    expected = (frame.loc[blank, "tenure"] * frame.loc[blank, "MonthlyCharges"]).round(2)
    assert clean.loc[blank.to_numpy(), "TotalCharges"].tolist() == expected.tolist()
    assert report.rows_out == 1000


def test_missing_values_drop_their_rows():
    frame = dirty(null_share=0.04)
    per_column = frame.drop(columns="TotalCharges").isna().sum()
    clean, report = validate(frame)
    expected = {(name, "required", int(count), "dropped") for name, count in per_column.items() if count}
    assert {f for f in findings(report) if f[3] != "fixed"} == expected
    assert report.ok and report.rows_out == 960 == len(clean)
    assert clean.notna().all().all()


def test_duplicates_keep_the_first_row():
    frame = dirty(duplicate_share=0.05)
    clean, report = validate(frame)
    assert ("customerID", "duplicate", 50, "dropped") in findings(report)
    assert clean["customerID"].is_unique and len(clean) == 950
    assert report.ok, "duplicates are dropped, never fatal"


def test_out_of_range_values_drop_their_rows():
    frame = dirty(out_of_range_share=0.03)
    tenure_out = int((~frame["tenure"].between(0, 72)).sum())
    charges_out = int((~frame["MonthlyCharges"].between(0, 200)).sum())
    clean, report = validate(frame)
    assert tenure_out + charges_out == 30
    assert {("tenure", "range", tenure_out, "dropped"), ("MonthlyCharges", "range", charges_out, "dropped")} <= \
        findings(report)
    assert report.ok and len(clean) == 970
    assert clean["tenure"].between(0, 72).all() and clean["MonthlyCharges"].between(0, 200).all()


def test_too_many_bad_rows_for_one_rule_is_fatal():
    frame = dirty(out_of_range_share=0.10)
    _, report = validate(frame)
    assert not report.ok
    fatal = [f for f in report.findings if f.action == "fatal"]
    assert {f.column for f in fatal} == {"tenure", "MonthlyCharges"} and {f.rule for f in fatal} == {"range"}
    assert "more than max_bad_share 5%" in fatal[0].detail
    assert validate(frame, max_bad_share=0.2)[1].ok


def test_the_threshold_counts_rows_across_columns():
    """Each column alone is under 5%, but the rule 'required' drops 8% of the rows in all."""
    _, report = validate(dirty(null_share=0.08))
    assert max(f.rows for f in report.findings if f.rule == "required") < 50
    assert not report.ok


def test_a_new_category_is_caught():
    frame = generate_customers(1000, seed=21, drift=Drift(new_payment_method_share=0.02))
    count = int((frame["PaymentMethod"] == "Digital wallet").sum())
    _, report = validate(frame)
    [finding] = [f for f in report.findings if f.rule == "allowed values"]
    assert (finding.column, finding.rows, finding.action) == ("PaymentMethod", count, "dropped")
    assert "'Digital wallet'" in finding.detail


def test_wrong_types_bad_ids_and_unknown_categories_as_read_from_a_csv():
    frame = CLEAN.head(10).astype(str)
    frame.loc[0, "tenure"] = "twelve"
    frame.loc[1, "tenure"] = "1.5"
    frame.loc[2, "MonthlyCharges"] = "cheap"
    frame.loc[3, "customerID"] = "12345"
    frame.loc[4, "Contract"] = "Monthly"
    frame.loc[5, "SeniorCitizen"] = " "
    clean, report = validate(frame, max_bad_share=1.0)
    assert findings(report) == {("tenure", "type", 2, "dropped"), ("MonthlyCharges", "type", 1, "dropped"),
                                ("customerID", "format", 1, "dropped"), ("Contract", "allowed values", 1, "dropped"),
                                ("SeniorCitizen", "required", 1, "dropped")}
    assert clean["customerID"].tolist() == CLEAN["customerID"].iloc[6:10].tolist()
    assert clean["tenure"].dtype == "int64"


def test_rows_dropped_agree_with_check_record():
    frame = generate_customers(1000, seed=8, drift=Drift(new_payment_method_share=0.03),
                               quality=Quality(null_share=0.03, out_of_range_share=0.03))
    broken = {record["customerID"] for record in frame.to_dict("records") if check_record(record)}
    clean, _ = validate(frame, max_bad_share=1.0)
    assert len(broken) > 60
    assert set(frame["customerID"]) - set(clean["customerID"]) == broken


def test_missing_columns_are_fatal_and_named():
    _, report = validate(CLEAN.drop(columns=["tenure", "Churn", "customerID"]))
    assert not report.ok
    assert {("tenure", "missing column", 1000, "fatal"), ("Churn", "missing column", 1000, "fatal"),
            ("customerID", "missing column", 1000, "fatal")} <= findings(report)
    assert "tenure" in report.to_text() and "missing column" in report.to_text()


def test_a_repeated_column_name_is_fatal():
    frame = pd.concat([CLEAN, CLEAN[["Contract"]]], axis=1)
    clean, report = validate(frame)
    assert ("Contract", "duplicate column", 1000, "fatal") in findings(report)
    assert list(clean.columns) == column_names()


def test_a_misnamed_column_gets_a_hint():
    _, report = validate(CLEAN.rename(columns={"tenure": "Tenure"}))
    [missing] = [f for f in report.findings if f.rule == "missing column"]
    assert missing.column == "tenure" and "found 'Tenure': rename it" in missing.detail
    assert ("Tenure", "unknown column", 1000, "dropped") in findings(report)


def test_scoring_data_needs_no_target():
    features = CLEAN.drop(columns="Churn")
    clean, report = validate(features, require_target=False)
    assert report.ok and list(clean.columns) == column_names()[:-1]
    unknown = CLEAN.assign(Churn=None)
    assert validate(unknown, require_target=False)[1].ok
    assert not validate(unknown)[1].ok


def test_extra_columns_are_left_out():
    clean, report = validate(CLEAN.assign(score=1.0, note="x"))
    assert report.ok
    assert {("score", "unknown column", 1000, "dropped"), ("note", "unknown column", 1000, "dropped")} <= \
        findings(report)
    assert list(clean.columns) == column_names()


def test_empty_input_is_fatal():
    _, report = validate(CLEAN.head(0))
    assert not report.ok
    assert findings(report) == {("(table)", "empty table", 0, "fatal")}


def test_no_valid_row_left_is_fatal():
    _, report = validate(CLEAN.head(5).assign(Contract="Monthly"), max_bad_share=1.0)
    assert not report.ok and report.rows_out == 0
    assert ("(table)", "no valid rows", 5, "fatal") in findings(report)


def test_reports_for_people_and_machines():
    _, report = validate(dirty(out_of_range_share=0.10, duplicate_share=0.01))
    text = report.to_text()
    assert text.startswith("validation: 1000 rows in") and "FAILED (2 fatal findings)" in text
    assert "column" in text.splitlines()[1] and "detail" in text.splitlines()[1]
    assert any("tenure" in line and "range" in line and "fatal" in line for line in text.splitlines())
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["rows_in"] == 1000
    assert {"column": "customerID", "rule": "duplicate", "rows": 10, "action": "dropped"}.items() <= \
        next(f for f in data["findings"] if f["rule"] == "duplicate").items()
    assert "no findings" in ValidationReport(3, 3, []).to_text()


def test_validate_or_raise():
    clean, report = validate_or_raise(CLEAN)
    assert report.ok and len(clean) == 1000
    with pytest.raises(ValidationFailed) as raised:
        validate_or_raise(CLEAN.drop(columns="Contract"))
    assert not raised.value.report.ok
    assert str(raised.value) == raised.value.report.to_text()
    assert "Contract" in str(raised.value)


def test_finding_is_a_value():
    assert Finding("tenure", "range", 3, "dropped", "x") == Finding("tenure", "range", 3, "dropped", "x")


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="max_bad_share must be a share between 0 and 1"):
        validate(CLEAN, max_bad_share=5)


@pytest.mark.parametrize("text, rule", [("nan", "type"), ("NaN", "type"), ("inf", "range"), ("-inf", "range"),
                                        ("1e999", "range")])
@pytest.mark.parametrize("column", ["MonthlyCharges", "TotalCharges", "tenure"])
def test_nan_and_infinity_are_dropped_like_check_record_refuses_them(column, text, rule):
    frame = CLEAN.head(20).astype({column: object})
    frame.loc[4, column] = text
    clean, report = validate(frame)
    assert findings(report) >= {(column, rule, 1, "dropped")}
    assert frame.loc[4, "customerID"] not in set(clean["customerID"])
    assert [v.rule for v in check_record(frame.loc[4].to_dict())] == [rule]


def test_the_row_number_note_appears_only_with_row_numbers():
    note = "(row numbers are 0-based positions in the input table)"
    with_blanks = CLEAN.head(50).astype({"TotalCharges": object})
    with_blanks.loc[[3, 7], "TotalCharges"] = " "
    fixed_only = validate(with_blanks)[1].to_text()
    assert "blank after first month" in fixed_only and note not in fixed_only and "row " not in fixed_only
    missing_column = validate(CLEAN.drop(columns="gender"))[1].to_text()
    assert "missing column" in missing_column and note not in missing_column
    bad_value = validate(CLEAN.head(50).assign(Contract="Monthly"), max_bad_share=1.0)[1].to_text()
    assert "first at row 0" in bad_value and bad_value.endswith(note)


def test_only_a_finding_that_dropped_rows_says_so():
    _, refused = validate(CLEAN.head(50).assign(Contract="Monthly"))
    [fatal] = [finding for finding in refused.findings if finding.column == "Contract"]
    assert fatal.action == "fatal"
    assert "rows dropped" not in fatal.detail and "fails 100.0% of the rows" in fatal.detail
    _, passed = validate(CLEAN.head(50).assign(Contract="Monthly"), max_bad_share=1.0)
    [dropped] = [finding for finding in passed.findings if finding.column == "Contract"]
    assert dropped.action == "dropped" and dropped.detail.endswith("; rows dropped")


def test_summary_says_what_was_dropped_and_fixed():
    frame = CLEAN.head(50).astype({"TotalCharges": object, "tenure": object}).assign(Extra=1)
    frame.loc[[3, 7], "TotalCharges"] = " "
    frame.loc[9, "tenure"] = "nan"
    _, report = validate(frame)
    assert report.summary() == ("validation: 50 rows in, 1 rows dropped, 3 values fixed (TotalCharges blank in "
                                "first month: 1, TotalCharges blank after first month: 2), columns left out: Extra")


@pytest.mark.parametrize("text", ["1_0", "\u0661\u0660", "\uff11"])
@pytest.mark.parametrize("column", ["MonthlyCharges", "TotalCharges", "tenure"])
def test_digit_separators_and_non_ascii_digits_are_dropped_like_check_record_refuses_them(column, text):
    frame = CLEAN.head(20).astype({column: object})
    frame.loc[4, column] = text
    clean, report = validate(frame)
    assert findings(report) >= {(column, "type", 1, "dropped")}
    assert frame.loc[4, "customerID"] not in set(clean["customerID"])
    assert [v.rule for v in check_record(frame.loc[4].to_dict())] == ["type"]
