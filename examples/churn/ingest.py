"""Ingestion: read a customer table from a CSV or Parquet file, or fail with a clear message.

Loading does not judge the data; [`churn.validate`][churn.validate] does. It only turns a path into a
DataFrame, keeping the values as they are in the file (a blank stays a blank, so validation can
apply its documented rule to it), and turns every way a file can be unusable into a
[`DataError`][churn.ingest.DataError] that names the file and says what to do, never a raw pandas traceback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

SUPPORTED_SUFFIXES = (".csv", ".parquet")


class DataError(Exception):
    """A data file cannot be used: the message names the file and says how to fix it."""


# --8<-- [start:load]
def load_table(path: str | Path) -> pd.DataFrame:
    """Read a customer table from ``path``: ``.csv`` or ``.parquet``, chosen by the suffix.

    CSV is read with ``keep_default_na=False``: a blank or ``NA`` stays the string it is, and
    the validator decides what it means.

    Raises:
        DataError: The file is missing, has another suffix, cannot be parsed, is empty or has no rows.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {suffix or '(no suffix)'!r}; "
                        f"save the table as {' or '.join(SUPPORTED_SUFFIXES)}")
    if not path.is_file():
        raise DataError(f"{path}: no such file; check the path (or create data with `churn generate --output {path}`)")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; expected a header and at least one row")
    frame = _read_csv(path) if suffix == ".csv" else _read_parquet(path)
    if frame.empty:
        raise DataError(f"{path}: the table has no rows (columns: {list(frame.columns)}); "
                        "export it again with its data")
    return frame
# --8<-- [end:load]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                        "export the CSV as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as error:
        raise DataError(f"{path}: not a readable CSV file ({_first_line(error)}); check the file's "
                        "delimiter (comma), quoting and header") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, ValueError, OSError) as error:
        raise DataError(f"{path}: not a readable Parquet file, corrupt or in another format "
                        f"({_first_line(error)}); write it again, e.g. with `churn generate`") from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
