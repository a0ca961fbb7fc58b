"""Validation: check a customer table against the data contract, clean it, and report every problem.

Every rule is explicit, and every finding names the column, the rule and the number of rows it
affected. The rules, in the order they run:

- missing contract column (``Churn`` only when ``require_target``) -> fatal ("missing column").
- extra column -> dropped from the output ("unknown column"); the rows are kept.
- the same column name twice -> fatal ("duplicate column"); only the first copy is checked.
- empty input, or no row left after cleaning -> fatal ("empty table", "no valid rows").
- missing value in a required column -> rows dropped ("required").
- a value that is not a number (the text ``nan`` included), or not a whole number for
  tenure/SeniorCitizen -> rows dropped ("type").
- a number outside the contract's range, or infinite (``inf``, ``1e999``) -> rows dropped ("range").
- a category the contract does not allow -> rows dropped ("allowed values").
- a customerID not like ``7590-VHVEG`` -> rows dropped ("format").
- any one of these five row rules dropping more than ``max_bad_share`` of the input rows
  (across all columns) -> fatal: the source is broken, not a few rows.
- duplicate customerID -> the first row is kept, the others dropped ("duplicate").
- blank TotalCharges with tenure 0 -> fixed to 0.0: the public data's blemish, nothing billed
  yet ("blank in first month").
- blank TotalCharges with tenure > 0 -> fixed to tenure * MonthlyCharges ("blank after first month").

The checks are vectorised per column from the contract's [`Column`][churn.contract.Column]
definitions (allowed values, ranges, nullability); they agree with
[`churn.contract.check_record()`][churn.contract.check_record], which checks one record at a time, and
the numeric rules are one function both call, [`churn.contract.number_rules()`][churn.contract.number_rules].
The cleaned frame has typed columns: SeniorCitizen and tenure ``int64``, MonthlyCharges and
TotalCharges ``float64``, the rest ``str``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from churn.contract import (
    CUSTOMER_CONTRACT,
    CUSTOMER_ID_PATTERN,
    ID_COLUMN,
    TARGET_COLUMN,
    Column,
    number_rules,
    parse_total_charges,
)

Action = Literal["fatal", "dropped", "fixed", "kept"]
ROW_RULES = ("required", "type", "range", "allowed values", "format")
TABLE = "(table)"
_EXAMPLES = 3


@dataclass(frozen=True)
class Finding:
    """One problem found: which column, which rule, how many rows, and what was done about it."""

    column: str
    rule: str
    rows: int
    action: Action
    detail: str


@dataclass
class ValidationReport:
    """Everything validation found, for people and for machines.

    [`to_text()`][churn.validate.ValidationReport.to_text] gives the text report and
    [`to_dict()`][churn.validate.ValidationReport.to_dict] the same as plain data.
    """

    rows_in: int
    rows_out: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no finding is fatal: the cleaned table may be used."""
        return not any(finding.action == "fatal" for finding in self.findings)

    def to_text(self) -> str:
        """Return a human-readable report: a summary line and a table column | rule | rows | action | detail."""
        fatal = sum(finding.action == "fatal" for finding in self.findings)
        status = "OK" if self.ok else f"FAILED ({fatal} fatal finding{'s' if fatal != 1 else ''})"
        summary = f"validation: {self.rows_in} rows in, {self.rows_out} rows out: {status}"
        if not self.findings:
            return f"{summary}\nno findings: the table honours the contract"
        header = ("column", "rule", "rows", "action", "detail")
        lines = [header] + [(f.column, f.rule, str(f.rows), f.action, f.detail) for f in self.findings]
        widths = [max(len(line[i]) for line in lines) for i in range(4)]
        table = [" | ".join([*(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)), line[4]])
                 for line in lines]
        table.insert(1, "-+-".join("-" * width for width in [*widths, len("detail")]))
        shows_rows = any(finding.rule in ROW_RULES for finding in self.findings)  # their details name rows
        note = ["(row numbers are 0-based positions in the input table)"] if shows_rows else []
        return "\n".join([summary, *table, *note])

    def summary(self) -> str:
        """Return one line of what validation did: rows in, rows dropped, values fixed by rule, columns left out.

        For a log or a terminal next to other output, e.g. ``churn train``'s: ``validation: 10000 rows in,
        0 rows dropped, 22 values fixed (TotalCharges blank in first month: 22)``.
        """
        fixed = [finding for finding in self.findings if finding.action == "fixed"]
        fixes = f" ({', '.join(f'{f.column} {f.rule}: {f.rows}' for f in fixed)})" if fixed else ""
        parts = [f"{self.rows_in} rows in", f"{self.rows_in - self.rows_out} rows dropped",
                 f"{sum(finding.rows for finding in fixed)} values fixed{fixes}"]
        unknown = [finding.column for finding in self.findings if finding.rule == "unknown column"]
        if unknown:
            parts.append(f"columns left out: {', '.join(unknown)}")
        return f"validation: {', '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain, JSON-serialisable data."""
        return {"ok": self.ok, "rows_in": int(self.rows_in), "rows_out": int(self.rows_out),
                "findings": [{**asdict(finding), "rows": int(finding.rows)} for finding in self.findings]}


class ValidationFailed(Exception):
    """The table broke a fatal rule; ``.report`` has every finding and ``str()`` is the text report."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.to_text())
        self.report = report


def validate(frame: pd.DataFrame, *, require_target: bool = True,
             max_bad_share: float = 0.05) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate ``frame`` against the contract and return the cleaned frame and the report.

    Args:
        frame: A customer table, e.g. from [`churn.ingest.load_table()`][churn.ingest.load_table] or the generator.
        require_target: Whether ``Churn`` must be present (training) or may be absent (scoring);
            when it is not required but present, blanks in it are allowed.
        max_bad_share: The largest share of input rows one row rule may drop before it is fatal.

    Returns:
        The cleaned frame (contract columns in contract order, typed, bad rows dropped, blanks
        fixed, index 0..n-1) and the [`ValidationReport`][churn.validate.ValidationReport]; check ``report.ok``.
    """
    if not 0.0 <= max_bad_share <= 1.0:
        raise ValueError(f"max_bad_share must be a share between 0 and 1, got {max_bad_share!r}")
    contract = [column if require_target or column.name != TARGET_COLUMN else replace(column, nullable=True)
                for column in CUSTOMER_CONTRACT]
    rows_in = len(frame)
    findings = _column_findings(frame, contract, require_target)
    if rows_in == 0:
        findings.append(Finding(TABLE, "empty table", 0, "fatal", "the table has no rows; load a file with data"))
    present = [column for column in contract if column.name in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()].reset_index(drop=True)
    parsed, problems = {}, []
    for column in present:
        parsed[column.name], masks = check_column(column, frame[column.name])
        problems += [(column.name, rule, mask) for rule, mask in masks.items() if mask.any()]
    bad = pd.Series(False, index=frame.index)
    for _, _, mask in problems:
        bad |= mask
    findings += _row_findings(frame, problems, max_bad_share)
    clean = pd.DataFrame(parsed, index=frame.index)[~bad]
    clean, more = _drop_duplicates(clean)
    findings += more
    clean, more = _fill_total_charges(clean)
    findings += more
    if rows_in and len(clean) == 0:
        findings.append(Finding(TABLE, "no valid rows", rows_in, "fatal",
                                "every row broke a rule (see the findings above); fix the source data"))
    clean = _typed(clean.reset_index(drop=True), present)
    return clean, ValidationReport(rows_in, len(clean), findings)


def validate_or_raise(frame: pd.DataFrame, **options: Any) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate like [`validate()`][churn.validate.validate], and raise if any finding is fatal.

    Raises:
        ValidationFailed: A finding is fatal; its ``.report`` has every finding.
    """
    clean, report = validate(frame, **options)
    if not report.ok:
        raise ValidationFailed(report)
    return clean, report


def _column_findings(frame: pd.DataFrame, contract: list[Column], require_target: bool) -> list[Finding]:
    """Missing contract columns are fatal; unknown columns are dropped."""
    known = {column.name for column in contract}
    extra = [str(name) for name in frame.columns if name not in known]
    findings = []
    for column in contract:
        if column.name in frame.columns or (column.name == TARGET_COLUMN and not require_target):
            continue
        similar = [name for name in extra if name.strip().lower() == column.name.lower()]
        hint = f"; found {similar[0]!r}: rename it" if similar else "; add it (names are case-sensitive)"
        findings.append(Finding(column.name, "missing column", len(frame), "fatal", f"not in the table{hint}"))
    findings += [Finding(name, "unknown column", len(frame), "dropped", "not in the contract; left out of the output")
                 for name in dict.fromkeys(extra)]
    findings += [Finding(str(name), "duplicate column", len(frame), "fatal", "the name appears more than once; "
                         "rename or remove the copies") for name in frame.columns[frame.columns.duplicated()].unique()]
    return findings


def _missing(values: pd.Series) -> pd.Series:
    """None, NaN and blank strings are missing (as in ``churn.contract``)."""
    missing = values.isna()
    if is_numeric_dtype(values):
        return missing
    try:
        blank = values.str.strip().eq("")
    except AttributeError:  # no strings at all, e.g. an object column of numbers
        blank = values.map(lambda value: isinstance(value, str) and not value.strip())
    return missing | blank.fillna(False).astype(bool)


# --8<-- [start:rules]
def check_column(column: Column, values: pd.Series) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Check one column against its contract entry; return the parsed values and a mask per rule.

    The masks are ``True`` where a row breaks the rule. [`validate()`][churn.validate.validate] drops those
    rows; batch scoring ([`churn.scoring`][churn.scoring]) refuses the file.
    """
    missing = _missing(values)
    masks = {"required": missing & (not column.nullable)}
    if column.kind in ("integer", "number"):
        text = values if is_numeric_dtype(values) else values.astype(str).str.strip()
        parsed = pd.to_numeric(text, errors="coerce").astype("float64")
        broken = number_rules(column, parsed.to_numpy())  # the contract's own check: NaN and infinity fail
        masks["type"] = ~missing & pd.Series(broken["type"], index=values.index)
        masks["range"] = ~missing & pd.Series(broken["range"], index=values.index)
    elif column.kind == "category":
        parsed = values.where(~missing)
        masks["allowed values"] = ~missing & ~values.isin(column.allowed)
    else:  # the customer id
        parsed = values.where(~missing).astype(str)
        masks["format"] = ~missing & ~parsed.str.fullmatch(CUSTOMER_ID_PATTERN.pattern).fillna(False).astype(bool)
    return parsed, masks
# --8<-- [end:rules]


def _row_findings(frame: pd.DataFrame, problems: list[tuple[str, str, pd.Series]],
                  max_bad_share: float) -> list[Finding]:
    """One finding per column and rule; a rule dropping too many rows in all is fatal."""
    share = {}
    for rule in ROW_RULES:
        masks = [mask for _, name, mask in problems if name == rule]
        if masks:
            share[rule] = float(pd.concat(masks, axis=1).any(axis=1).mean())
    findings = []
    for name, rule, mask in problems:
        detail = _describe(name, rule, frame[name], mask)
        if share[rule] > max_bad_share:  # the table is refused as a whole: no row is dropped, none is used
            action: Action = "fatal"
            detail += (f"; fatal: rule {rule!r} fails {share[rule]:.1%} of the rows, more than max_bad_share "
                       f"{max_bad_share:.0%}: fix the source data")
        else:
            action = "dropped"
            detail += "; rows dropped"
        findings.append(Finding(name, rule, int(mask.sum()), action, detail))
    return findings


def _describe(name: str, rule: str, values: pd.Series, mask: pd.Series) -> str:
    """Say what was wrong and show the first few offending values with their row numbers."""
    first = int(mask.to_numpy().nonzero()[0][0])
    if rule == "required":
        return f"value missing (first at row {first})"
    bad = values[mask]
    counts = bad.astype(str).value_counts()
    examples = ", ".join(f"{_plain(value)!r} ({_rows(counts[str(value)])}, first at row {row})"
                         for row, value in bad.drop_duplicates().head(_EXAMPLES).items())
    column = next(column for column in CUSTOMER_CONTRACT if column.name == name)
    expected = {
        "type": "a whole number" if column.kind == "integer" else "a number",
        "range": f"between {column.minimum:g} and {column.maximum:g}" if column.maximum is not None else "in range",
        "allowed values": f"one of {list(column.allowed)}",
        "format": "like '7590-VHVEG'",
    }[rule]
    return f"expected {expected}, got {examples}"


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds, so reports read 86, not np.int64(86)."""
    return value.item() if isinstance(value, np.generic) else value


def _drop_duplicates(clean: pd.DataFrame) -> tuple[pd.DataFrame, list[Finding]]:
    if ID_COLUMN not in clean.columns:
        return clean, []
    repeated = clean[ID_COLUMN].duplicated(keep="first")
    if not repeated.any():
        return clean, []
    example = clean.loc[repeated, ID_COLUMN].iloc[0]
    return clean[~repeated], [Finding(ID_COLUMN, "duplicate", int(repeated.sum()), "dropped",
                                      f"repeats an earlier customerID (e.g. {example!r}); kept the first row of each")]


def _fill_total_charges(clean: pd.DataFrame) -> tuple[pd.DataFrame, list[Finding]]:
    """The documented fixes for a blank TotalCharges: 0.0 in the first month, else tenure x MonthlyCharges.

    The rule is [`churn.contract.parse_total_charges()`][churn.contract.parse_total_charges], the one
    scoring uses; here the estimate is rounded to cents, as a stored bill is.
    """
    if not {"TotalCharges", "tenure", "MonthlyCharges"} <= set(clean.columns):
        return clean, []
    blank = clean["TotalCharges"].isna()
    first_month = blank & (clean["tenure"] == 0)
    later = blank & (clean["tenure"] > 0)
    total = pd.Series(parse_total_charges(clean["TotalCharges"], clean["tenure"], clean["MonthlyCharges"], decimals=2),
                      index=clean.index)
    findings = []
    if first_month.any():
        findings.append(Finding("TotalCharges", "blank in first month", int(first_month.sum()), "fixed",
                                "blank with tenure 0 (nothing billed yet, as in the public data); set to 0.0"))
    if later.any():
        findings.append(Finding("TotalCharges", "blank after first month", int(later.sum()), "fixed",
                                "blank although tenure > 0; set to tenure * MonthlyCharges"))
    return clean.assign(TotalCharges=total), findings


def _typed(clean: pd.DataFrame, present: list[Column]) -> pd.DataFrame:
    """Give each column its contract type: int64, float64 or str."""
    dtypes = {"integer": "int64", "number": "float64", "category": "str", "id": "str"}
    return clean.astype({column.name: dtypes[column.kind] for column in present})
