"""The data contract of the churn project: shape, rules and error messages."""

from __future__ import annotations

import math

import pytest
from churn.contract import CUSTOMER_CONTRACT, check_record, check_value, column_names, feature_columns, get_column

TELCO_HEADER = (
    "customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,"
    "OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,"
    "PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn"
)

GOOD = {
    "customerID": "7590-VHVEG", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No",
    "tenure": 1, "PhoneService": "No", "MultipleLines": "No phone service", "InternetService": "DSL",
    "OnlineSecurity": "No", "OnlineBackup": "Yes", "DeviceProtection": "No", "TechSupport": "No",
    "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month", "PaperlessBilling": "Yes",
    "PaymentMethod": "Electronic check", "MonthlyCharges": 29.85, "TotalCharges": 29.85, "Churn": "No",
}


def test_columns_match_the_public_data_set_header():
    assert ",".join(column_names()) == TELCO_HEADER
    assert len(CUSTOMER_CONTRACT) == 21
    assert "customerID" not in feature_columns() and "Churn" not in feature_columns()
    assert len(feature_columns()) == 19


def test_get_column_and_unknown_name():
    assert get_column("tenure").maximum == 72
    with pytest.raises(KeyError, match=r"no column 'Tenure'.*known columns"):
        get_column("Tenure")


def test_a_real_record_passes():
    assert check_record(GOOD) == []
    assert check_record({k: v for k, v in GOOD.items() if k != "Churn"}, require_target=False) == []


def test_blank_total_charges_is_allowed_but_blank_tenure_is_not():
    assert check_record({**GOOD, "TotalCharges": " "}) == []
    assert check_record({**GOOD, "TotalCharges": math.nan}) == []
    [violation] = check_record({**GOOD, "tenure": None})
    assert (violation.column, violation.rule) == ("tenure", "required")


@pytest.mark.parametrize("column, value, rule", [
    ("customerID", "12345", "format"),
    ("Contract", "Monthly", "allowed values"),
    ("tenure", 99, "range"),
    ("tenure", 1.5, "type"),
    ("MonthlyCharges", "cheap", "type"),
    ("MonthlyCharges", -1, "range"),
])
def test_each_rule_reports_column_rule_and_value(column, value, rule):
    [violation] = check_record({**GOOD, column: value})
    assert (violation.column, violation.rule) == (column, rule)
    assert repr(value)[:4] in str(violation) or f"{float(value):g}" in str(violation)


def test_missing_and_unknown_columns():
    record = {k: v for k, v in GOOD.items() if k != "gender"} | {"Gender": "Female"}
    rules = {(v.column, v.rule) for v in check_record(record)}
    assert rules == {("gender", "missing column"), ("Gender", "unknown column")}


def test_check_value_accepts_numeric_strings():
    assert check_value(get_column("MonthlyCharges"), "70.35") is None
    assert check_value(get_column("SeniorCitizen"), "1") is None


@pytest.mark.parametrize("column, value, rule, detail", [
    ("MonthlyCharges", "nan", "type", "'nan' is not a number"),
    ("TotalCharges", "NaN", "type", "'NaN' is not a number"),  # nullable: a blank is allowed, the text nan is not
    ("tenure", "nan", "type", "'nan' is not a number"),
    ("MonthlyCharges", "inf", "range", "'inf' is not a finite number"),
    ("MonthlyCharges", "-inf", "range", "'-inf' is not a finite number"),
    ("TotalCharges", "1e999", "range", "'1e999' is not a finite number"),
    ("MonthlyCharges", math.inf, "range", "inf is not a finite number"),
    ("tenure", -math.inf, "range", "-inf is not a finite number"),
    ("MonthlyCharges", 10**400, "range", "(401 characters) is not a finite number"),
])
def test_nan_and_infinity_break_the_contract(column, value, rule, detail):
    """A NaN compares false with both bounds; the range check must not read that as inside."""
    [violation] = check_record({**GOOD, column: value})
    assert (violation.column, violation.rule) == (column, rule)
    assert detail in violation.detail


def test_number_rules_is_the_vectorised_form_of_check_value():
    from churn.contract import number_rules

    values = [0.0, 1.0, 72.0, 1.5, -1.0, 73.0, math.nan, math.inf, -math.inf]
    masks = number_rules(get_column("tenure"), values)
    assert masks["type"].tolist() == [False, False, False, True, False, False, True, False, False]
    assert masks["range"].tolist() == [False, False, False, False, True, True, False, True, True]
    for value, broken_type, broken_range in zip(values, masks["type"], masks["range"], strict=True):
        violation = check_value(get_column("tenure"), value if not math.isnan(value) else "nan")
        assert (violation.rule if violation else None) == ("type" if broken_type else "range" if broken_range else None)


@pytest.mark.parametrize("value, detail", [
    ("1_0", "'1_0' is not a number: '_' digit separators are not allowed"),
    ("29_85.5", "'29_85.5' is not a number: '_' digit separators are not allowed"),
    ("\u0661\u0660", "'\u0661\u0660' is not a number: write it with the ASCII digits 0-9"),  # Arabic-Indic 10
    ("\uff11", "'\uff11' is not a number: write it with the ASCII digits 0-9"),  # fullwidth 1
    ("2\u0665.5", "'2\u0665.5' is not a number: write it with the ASCII digits 0-9"),
])
@pytest.mark.parametrize("column", ["MonthlyCharges", "TotalCharges", "tenure", "SeniorCitizen"])
def test_numbers_float_reads_but_data_does_not_write_are_refused_naming_the_field(column, value, detail):
    """Python's float() reads '1_0' as 10 and any Unicode digit; the contract reads ASCII digits only."""
    float(value)  # the trap: Python accepts every one of them
    [violation] = check_record({**GOOD, column: value})
    assert (violation.column, violation.rule, violation.detail) == (column, "type", detail)
    assert str(violation).startswith(f"{column}: type (")


def test_parse_number_reads_plain_numbers_and_refuses_separators_and_other_digits():
    from churn.contract import NumberTextError, parse_number

    assert [parse_number(text) for text in ("10", " 29.85 ", "+1e3", ".5")] == [10.0, 29.85, 1000.0, 0.5]
    assert math.isnan(parse_number("nan")) and parse_number("-inf") == -math.inf and parse_number(7) == 7.0
    for text in ("1_0", "\u0661\u0660", "\uff11"):
        with pytest.raises(NumberTextError):
            parse_number(text)
