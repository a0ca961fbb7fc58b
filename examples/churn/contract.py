"""The data contract of the churn project.

A data contract is the written agreement between the team that produces a data set and the teams
that consume it: which columns exist, what type each one has, which values are allowed. This
module states the contract for the customer table of the public Telco customer-churn data set
(21 columns) as plain, typed Python, so that the generator, the validator, the training pipeline
and the API all read the same definition instead of each keeping its own copy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# --8<-- [start:columns]
YES_NO = ("Yes", "No")
INTERNET_ADDON = ("Yes", "No", "No internet service")


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Attributes:
        name: Column name exactly as it appears in the CSV header.
        kind: ``"id"``, ``"category"``, ``"integer"`` or ``"number"``.
        allowed: The allowed values of a categorical column (empty for other kinds).
        minimum: Smallest allowed value of a numeric column.
        maximum: Largest allowed value of a numeric column.
        nullable: Whether the value may be missing.
        description: What the column means, in one line.
    """

    name: str
    kind: str
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    description: str = ""
# --8<-- [end:columns]


# --8<-- [start:contract]
CUSTOMER_CONTRACT: tuple[Column, ...] = (
    Column("customerID", "id", description="Account identifier, e.g. 7590-VHVEG"),
    Column("gender", "category", ("Female", "Male")),
    Column("SeniorCitizen", "integer", minimum=0, maximum=1, description="1 if 65 or older"),
    Column("Partner", "category", YES_NO),
    Column("Dependents", "category", YES_NO),
    Column("tenure", "integer", minimum=0, maximum=72, description="Months as a customer"),
    Column("PhoneService", "category", YES_NO),
    Column("MultipleLines", "category", ("Yes", "No", "No phone service")),
    Column("InternetService", "category", ("DSL", "Fiber optic", "No")),
    Column("OnlineSecurity", "category", INTERNET_ADDON),
    Column("OnlineBackup", "category", INTERNET_ADDON),
    Column("DeviceProtection", "category", INTERNET_ADDON),
    Column("TechSupport", "category", INTERNET_ADDON),
    Column("StreamingTV", "category", INTERNET_ADDON),
    Column("StreamingMovies", "category", INTERNET_ADDON),
    Column("Contract", "category", ("Month-to-month", "One year", "Two year")),
    Column("PaperlessBilling", "category", YES_NO),
    Column(
        "PaymentMethod",
        "category",
        ("Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"),
    ),
    Column("MonthlyCharges", "number", minimum=0.0, maximum=200.0, description="Current bill"),
    Column(
        "TotalCharges",
        "number",
        minimum=0.0,
        maximum=15_000.0,
        nullable=True,
        description="Billed so far; blank for customers in their first month",
    ),
    Column("Churn", "category", YES_NO, description="Target: left within the month"),
)

ID_COLUMN = "customerID"
TARGET_COLUMN = "Churn"
# --8<-- [end:contract]

CUSTOMER_ID_PATTERN = re.compile(r"^[0-9]{4}-[A-Z]{5}$")  # [0-9], not \d: no Arabic-Indic digits
_BY_NAME: dict[str, Column] = {column.name: column for column in CUSTOMER_CONTRACT}


def column_names() -> list[str]:
    """Return the 21 column names in the order of the public data set's CSV header."""
    return [column.name for column in CUSTOMER_CONTRACT]


def feature_columns() -> list[str]:
    """Return the columns a model may learn from: everything except the id and the target."""
    return [name for name in column_names() if name not in (ID_COLUMN, TARGET_COLUMN)]


def get_column(name: str) -> Column:
    """Return the contract entry for ``name``.

    Raises:
        KeyError: If the contract has no such column; the message lists the known names.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no column {name!r} in the contract; known columns: {column_names()}") from None


@dataclass(frozen=True)
class Violation:
    """One broken rule in one record: which column, which rule, and what was found."""

    column: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.column}: {self.rule} ({self.detail})"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def check_value(column: Column, value: Any) -> Violation | None:
    """Check one value against its column's rules; return the violation or ``None``."""
    if _is_missing(value):
        return None if column.nullable else Violation(column.name, "required", "value is missing")
    if column.kind == "id":
        if not isinstance(value, str) or not CUSTOMER_ID_PATTERN.match(value):
            return Violation(column.name, "format", f"{value!r} is not like 7590-VHVEG")
        return None
    if column.kind == "category":
        if value not in column.allowed:
            return Violation(column.name, "allowed values", f"{value!r} not in {list(column.allowed)}")
        return None
    return _check_number(column, value)


class NumberTextError(ValueError):
    """Text that Python's ``float()`` reads but the contract does not: its message says why."""


def parse_number(value: Any) -> float:
    """Read one number as the contract does: a Python number as it is, text only in ASCII digits without ``_``.

    ``float()`` alone is too lenient for data: it reads ``"1_0"`` as 10 (the digit separators of
    Python source, PEP 515) and any Unicode decimal digit, so Arabic-Indic ten (U+0661 U+0660) and a
    fullwidth one (U+FF11) would pass as 10 and 1. No export writes numbers that way, and pandas, which
    [`churn.validate`][churn.validate] parses whole columns with, reads neither. ``nan`` and ``inf``
    are read as such; [`number_rules()`][churn.contract.number_rules] refuses them.

    Raises:
        NumberTextError: The text holds ``_`` or a character that is not ASCII (a ``ValueError``).
        ValueError: The text is not a number at all.
        TypeError: The value is neither a number nor text (a list, None).
    """
    if isinstance(value, str):
        text = value.strip()
        if "_" in text:
            raise NumberTextError(f"{value!r} is not a number: '_' digit separators are not allowed")
        if not text.isascii():
            hint = "write it with the ASCII digits 0-9" if any(char.isdigit() for char in text) else "not ASCII"
            raise NumberTextError(f"{value!r} is not a number: {hint}")
        return float(text)
    return float(value)


def _check_number(column: Column, value: Any) -> Violation | None:
    try:
        number = parse_number(value)
    except OverflowError:  # an integer too large for a float, e.g. 10**400: a number, far out of range
        number = math.inf if value > 0 else -math.inf
    except NumberTextError as error:
        return Violation(column.name, "type", str(error))
    except (TypeError, ValueError):
        return Violation(column.name, "type", f"{value!r} is not a number")
    broken = number_rules(column, number)
    if broken["type"]:
        what = "a number" if math.isnan(number) else "a whole number"
        return Violation(column.name, "type", f"{value!r} is not {what}")
    if broken["range"]:
        if not math.isfinite(number):
            return Violation(column.name, "range", f"{_shown(value)} is not a finite number")
        if column.minimum is not None and number < column.minimum:
            return Violation(column.name, "range", f"{number:g} < minimum {column.minimum:g}")
        return Violation(column.name, "range", f"{number:g} > maximum {column.maximum:g}")
    return None


def _shown(value: Any, limit: int = 30) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# --8<-- [start:total_charges]
def parse_total_charges(total: ArrayLike, tenure: ArrayLike, monthly: ArrayLike, *,
                        decimals: int | None = None) -> np.ndarray:
    """TotalCharges as float64, a blank filled by the contract's rule: 0 in the first month, else tenure x monthly.

    The one place the rule lives: validation ([`churn.validate`][churn.validate]), ``churn predict`` and
    the service ([`churn.predict`][churn.predict]), batch scoring ([`churn.scoring`][churn.scoring]) and
    the drift windows call it. A blank is ``None``, NaN or blank text; other text is read with
    [`parse_number()`][churn.contract.parse_number]. Check the values against the contract first:
    a value that is not a number raises here.

    Args:
        total: The TotalCharges values: numbers (NaN for blank) or raw values (text, ``None``).
        tenure: Months as a customer, one per value, already valid numbers.
        monthly: MonthlyCharges, one per value, already valid numbers.
        decimals: Round the estimate ``tenure * monthly`` to this many decimals; validation rounds to
            cents (2), as a stored bill is, and scoring keeps the product as it is (``None``).
    """
    tenure, monthly = np.asarray(tenure, dtype="float64"), np.asarray(monthly, dtype="float64")
    values = np.asarray(total)
    if values.dtype.kind not in "fiu":  # text, None or a mix: read one by one
        values = np.array([math.nan if _is_missing(value) else parse_number(value) for value in values.tolist()],
                          dtype="float64")
    values = values.astype("float64")
    estimate = tenure * monthly if decimals is None else np.round(tenure * monthly, decimals)
    return np.where(np.isnan(values), np.where(tenure == 0, 0.0, estimate), values)
# --8<-- [end:total_charges]


# --8<-- [start:number_rules]
def number_rules(column: Column, numbers: ArrayLike) -> dict[str, np.ndarray]:
    """Return which parsed numbers break the rules of a numeric column: a mask for ``"type"`` and one for ``"range"``.

    The one numeric check that [`check_record()`][churn.contract.check_record] (one record: the CLI's
    ``predict``, the lecture scripts) and [`churn.validate`][churn.validate] (a whole column) share.
    NaN, from the text ``nan`` or from text that is not a number, breaks ``"type"``; so does a fraction
    in an integer column. Infinity (``inf``, ``-inf``, ``1e999``) and numbers outside the column's
    minimum..maximum break ``"range"``. The range test asks "finite and inside", never "below the
    minimum or above the maximum": every comparison with NaN is false, so the second form lets NaN through.

    Args:
        column: A column of kind ``"integer"`` or ``"number"``.
        numbers: One number or an array of them, already parsed to float (NaN where parsing failed).
    """
    numbers = np.asarray(numbers, dtype="float64")
    finite = np.isfinite(numbers)
    broken_type = np.isnan(numbers)
    if column.kind == "integer":
        broken_type = broken_type | (finite & (numbers != np.floor(numbers)))
    lowest = -math.inf if column.minimum is None else column.minimum
    highest = math.inf if column.maximum is None else column.maximum
    inside = finite & (numbers >= lowest) & (numbers <= highest)
    return {"type": broken_type, "range": ~broken_type & ~inside}
# --8<-- [end:number_rules]


# --8<-- [start:check_record]
def check_record(record: Mapping[str, Any], *, require_target: bool = True) -> list[Violation]:
    """Check one customer record against the contract.

    Args:
        record: Column name to value, e.g. one row of the CSV as a dict.
        require_target: Whether ``Churn`` must be present (training data) or not (scoring).

    Returns:
        Every violation found; an empty list means the record honours the contract.
    """
    expected = set(column_names()) if require_target else set(column_names()) - {TARGET_COLUMN}
    violations = [Violation(name, "missing column", "not in record") for name in sorted(expected - set(record))]
    violations += [Violation(name, "unknown column", "not in contract") for name in sorted(set(record) - set(_BY_NAME))]
    for name in sorted(expected & set(record), key=column_names().index):
        violation = check_value(_BY_NAME[name], record[name])
        if violation is not None:
            violations.append(violation)
    return violations
# --8<-- [end:check_record]
