"""The outcomes file: what became of the customers, the labels that arrive a month after the scores.

Labels arrive monthly (lecture 4.1's case card): when billing closes a month, the company knows which
customers left in it. An outcomes file records that, one row per customer and label date, as CSV or
Parquet with exactly these columns (others are ignored):

| column | values | meaning |
|---|---|---|
| ``customerID`` | text, e.g. ``7590-VHVEG`` | the customer, as the service logged it |
| ``churned`` | ``Yes`` or ``No`` | ``Yes``: the customer left within the month before ``labelled_at`` |
| ``labelled_at`` | a date, ``YYYY-MM-DD`` (UTC) | the day the outcome was recorded, the end of the month it covers |

``churned`` uses the contract's spelling of ``Churn`` (``Yes``/``No``, case-sensitive), not ``1``/``0``,
so a file exported from the customer table needs no translation and a ``1`` is not silently read as
"left". In Parquet, ``labelled_at`` may also be a date or a timestamp at midnight. Each customer has
at most one row per ``labelled_at``. Which predictions an outcome labels is the rule of
[`churn.monitoring.feedback`][churn.monitoring.feedback];
[`outcomes_from_table()`][churn.monitoring.outcomes.outcomes_from_table] makes a file for the lab
from a generated table (``churn outcomes``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from churn.contract import ID_COLUMN, TARGET_COLUMN
from churn.ingest import DataError, load_table

CUSTOMER, CHURNED, LABELLED_AT = "customerID", "churned", "labelled_at"
COLUMNS = (CUSTOMER, CHURNED, LABELLED_AT)
CHURNED_VALUES = {"Yes": 1, "No": 0}
FORMAT = "an outcomes file has the columns customerID, churned (Yes or No) and labelled_at (YYYY-MM-DD)"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _where(path: Path, index: int) -> str:
    """Where a row is, as a person finds it: the line of a CSV (the header is line 1), the row of a Parquet file."""
    return f"line {index + 2}" if path.suffix.lower() == ".csv" else f"row {index + 1}"


# --8<-- [start:load_outcomes]
def load_outcomes(path: str | Path) -> pd.DataFrame:
    """Read and check an outcomes file (the format of this module's docstring).

    Returns:
        One row per outcome, in file order: ``customerID`` (str), ``churned`` (1 for ``Yes``, 0 for
        ``No``) and ``labelled_at`` (midnight UTC of the date, a pandas timestamp).

    Raises:
        churn.ingest.DataError: The file is missing, empty or unreadable, lacks a column, or a row has a
            bad value (the message names the file, the line or row, and the column), or a customer has
            two rows for one date.
    """
    path = Path(path)
    frame = load_table(path)
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}; {FORMAT}")
    outcomes = pd.DataFrame({CUSTOMER: _customer_ids(path, frame[CUSTOMER]),
                             CHURNED: _churned(path, frame[CHURNED]),
                             LABELLED_AT: _dates(path, frame[LABELLED_AT])})
    twice = outcomes.duplicated([CUSTOMER, LABELLED_AT], keep=False)
    if twice.any():
        first, second = np.flatnonzero(twice.to_numpy())[:2]
        raise DataError(f"{path}: {_where(path, first)} and {_where(path, second)}: customer "
                        f"{outcomes[CUSTOMER].iat[first]!r} has two outcomes labelled at "
                        f"{outcomes[LABELLED_AT].iat[first]:%Y-%m-%d}; keep one row per customer and date")
    return outcomes
# --8<-- [end:load_outcomes]


def _customer_ids(path: Path, values: pd.Series) -> list[str]:
    ids = []
    for index, value in enumerate(values):
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            value = str(value)  # a CSV column of digits-only ids is read as numbers
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{path}: {_where(path, index)}, column {CUSTOMER}: {_shown(value)} is not a customer "
                            "id; give the id the service logged, e.g. 7590-VHVEG")
        ids.append(value.strip())
    return ids


def _churned(path: Path, values: pd.Series) -> list[int]:
    churned = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or value not in CHURNED_VALUES:
            raise DataError(f"{path}: {_where(path, index)}, column {CHURNED}: {_shown(value)} is not Yes or No "
                            "(Yes: the customer left within the month before labelled_at)")
        churned.append(CHURNED_VALUES[value])
    return churned


def _dates(path: Path, values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):  # Parquet timestamps
        stamps = values.dt.tz_convert("UTC") if values.dt.tz is not None else values.dt.tz_localize("UTC")
        values = pd.Series([stamp.to_pydatetime() if pd.notna(stamp) else None for stamp in stamps], dtype=object)
    days = []
    for index, value in enumerate(values):
        day = _date(value)
        if day is None:
            fix = ("a label date has no time of day: midnight UTC" if isinstance(value, dt.datetime)
                   else "e.g. 2026-06-01")
            raise DataError(f"{path}: {_where(path, index)}, column {LABELLED_AT}: {_shown(value)} is not a date "
                            f"written YYYY-MM-DD; {fix}")
        days.append(day)
    return pd.Series(pd.to_datetime(days), dtype="datetime64[us]").dt.tz_localize("UTC")


def _date(value: object) -> dt.date | None:
    """A date from ``YYYY-MM-DD`` text, a date, or a datetime at midnight; ``None`` for anything else."""
    if isinstance(value, dt.datetime):
        at_midnight = value.time() == dt.time(0) and value.utcoffset() in (None, dt.timedelta(0))
        return value.date() if at_midnight else None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:  # e.g. 2026-02-30
            return None
    return None


def _shown(value: object) -> str:
    if isinstance(value, np.generic):  # e.g. numpy's int64 from a CSV column of numbers: show 1, not np.int64(1)
        value = value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "a missing value"
    if isinstance(value, str) and not value.strip():
        return "a blank"
    if isinstance(value, dt.date):  # a Parquet timestamp with a time of day: show 2026-05-01T10:00:00+00:00
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


# --8<-- [start:outcomes_from_table]
def outcomes_from_table(table: pd.DataFrame, labelled_at: dt.date, *, flip_share: float = 0.0, seed: int = 0,
                        source: str | Path = "the table") -> pd.DataFrame:
    """Turn a customer table with its ``Churn`` column (e.g. ``churn generate``'s) into an outcomes file's rows.

    Every customer of the table gets the outcome ``churned = Churn``, labelled at ``labelled_at``.

    Args:
        table: Rows with ``customerID`` and ``Churn`` (``Yes``/``No``), one per customer.
        labelled_at: The label date of every row.
        flip_share: A lab switch: the share of customers, drawn with ``seed``, whose outcome is the
            opposite of ``Churn``. The world stops behaving as the model learned, and the realised
            ROC AUC falls: scored with the generator's true probability, 10,000 customers of seed 42
            have a ROC AUC of 0.859; with 0.1 of them flipped 0.756, with 0.2 flipped 0.680.
        seed: Which customers are flipped.
        source: Named in error messages.

    Raises:
        churn.ingest.DataError: A column is missing, ``Churn`` is not ``Yes``/``No``, or a customer appears twice.
    """
    missing = [column for column in (ID_COLUMN, TARGET_COLUMN) if column not in table.columns]
    if missing:
        raise DataError(f"{source}: missing column {', '.join(missing)}; give a customer table with its "
                        f"{TARGET_COLUMN} column, e.g. from `churn generate`")
    churn = table[TARGET_COLUMN].to_numpy()
    bad = np.flatnonzero(~np.isin(churn, list(CHURNED_VALUES)))
    if len(bad):
        raise DataError(f"{source}: row {bad[0] + 1}, column {TARGET_COLUMN}: {_shown(churn[bad[0]])} is not Yes "
                        "or No")
    twice = np.flatnonzero(table[ID_COLUMN].duplicated(keep=False).to_numpy())
    if len(twice):
        raise DataError(f"{source}: rows {twice[0] + 1} and {twice[1] + 1} are both customer "
                        f"{table[ID_COLUMN].iat[twice[0]]!r}; one outcome per customer: drop the duplicates first "
                        "(`churn validate` reports them)")
    flipped = np.zeros(len(table), dtype=bool)
    flipped[np.random.default_rng(seed).permutation(len(table))[:round(flip_share * len(table))]] = True
    churned = np.where(flipped, np.where(churn == "Yes", "No", "Yes"), churn)
    return pd.DataFrame({CUSTOMER: table[ID_COLUMN].astype(str).to_numpy(), CHURNED: churned,
                         LABELLED_AT: labelled_at.isoformat()})
# --8<-- [end:outcomes_from_table]
