"""Ingestion: read a customer table from a CSV or Parquet file, or records to score from JSON, or fail clearly.

Loading does not judge the data; [`churn.validate`][churn.validate] does. It only turns a path into a
DataFrame (or, for ``churn predict``, a list of records), keeping the values as they are in the file
(a blank stays a blank, so validation can apply its documented rule to it), and turns every way a
file can be unusable into a [`DataError`][churn.ingest.DataError] that names the file and says what to
do, never a raw pandas traceback.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

SUPPORTED_SUFFIXES = (".csv", ".parquet")
RECORD_SUFFIXES = (".json", *SUPPORTED_SUFFIXES)


class DataError(Exception):
    """A data file cannot be used: the message names the file and says how to fix it."""


def write_whole(path: Path, write: Callable[[Path], None]) -> None:
    """Have ``write`` fill a partial file next to ``path``, then rename it: ``path`` appears whole or not at all.

    Whatever ``write`` raises, the partial copy is removed and an existing ``path`` is left as it was.

    Raises:
        DataError: The file cannot be written (the partial copy is removed).
    """
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        partial.replace(path)
    except OSError as error:
        _remove(partial)
        raise DataError(f"{path}: cannot write the file ({error.strerror or error}); "
                        "choose a path in a folder you can write to") from None
    except BaseException:  # ``write`` refused its input, or Ctrl-C: no partial copy is left behind either
        _remove(partial)
        raise


def _remove(partial: Path) -> None:
    with contextlib.suppress(OSError):  # e.g. the folder is a file: there is no partial copy
        partial.unlink(missing_ok=True)


# --8<-- [start:load]
def check_table_file(path: str | Path) -> Path:
    """Return ``path`` if it names a non-empty ``.csv`` or ``.parquet`` file; what it holds is not read.

    Raises:
        DataError: The file is missing, is a folder, is empty or has another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {suffix or '(no suffix)'!r}; "
                        f"save the table as {' or '.join(SUPPORTED_SUFFIXES)}")
    _check_is_file(path, f"check the path (or create data with `churn generate --output {path}`)")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; expected a header and at least one row")
    return path


def load_table(path: str | Path) -> pd.DataFrame:
    """Read a customer table from ``path``: ``.csv`` or ``.parquet``, chosen by the suffix.

    CSV is read with ``keep_default_na=False``: a blank or ``NA`` stays the string it is, and
    the validator decides what it means.

    Raises:
        DataError: The file is missing, has another suffix, cannot be parsed, is empty or has no rows.
    """
    path = check_table_file(path)
    frame = _read_csv(path) if path.suffix.lower() == ".csv" else _read_parquet(path)
    if frame.empty:
        raise DataError(f"{path}: the table has no rows (columns: {list(frame.columns)}); "
                        "export it again with its data")
    return frame
# --8<-- [end:load]


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """Read customer records to score: a ``.json`` file (one object or a list of objects), or a table.

    A ``.csv`` or ``.parquet`` file is read by [`load_table()`][churn.ingest.load_table], one record per row.
    JSON is read as it is: the values are judged by the contract, not here. The non-standard tokens
    ``NaN``, ``Infinity`` and ``-Infinity`` are kept as that text, so the contract refuses them by
    record and field instead of a NaN reaching the model.

    Raises:
        DataError: The file is missing, has another suffix, is not valid JSON (the message gives the
            line and column), or is not an object or a non-empty list of objects (it gives the position).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in RECORD_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {suffix or '(no suffix)'!r}; "
                        f"give the records as {', '.join(RECORD_SUFFIXES)}")
    if suffix != ".json":
        return load_table(path).to_dict(orient="records")
    _check_is_file(path, "check the path")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=str)  # -sig: Notepad's BOM
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                        "save the JSON as UTF-8") from None
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: not valid JSON at line {error.lineno} column {error.colno}: {error.msg}; "
                        "fix the file (e.g. check it with `python -m json.tool`)") from None
    except RecursionError:
        raise DataError(f"{path}: the JSON is nested too deeply to be customer records") from None
    except ValueError as error:  # after JSONDecodeError, its subclass: an integer of more than 4,300 digits
        raise DataError(f"{path}: a number in the JSON has more than 4,300 digits ({type(error).__name__}); "
                        "give each value as a number of the column's range") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror})") from None
    return _records(path, data)


def _check_is_file(path: Path, fix: str) -> None:
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file; give the file inside it")
    if not path.is_file():
        raise DataError(f"{path}: no such file; {fix}")


def _records(path: Path, data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise DataError(f"{path}: the file holds {_json_kind(data)}; expected one customer object or a list of them")
    if not data:
        raise DataError(f"{path}: the list is empty; give at least one customer object")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise DataError(f"{path}: item {index} of the list (0-based) is {_json_kind(item)}, not a customer "
                            "object; every item must be an object like {\"customerID\": \"7590-VHVEG\", ...}")
    return data


def _json_kind(value: Any) -> str:
    """Name a JSON value's type and show it briefly, e.g. ``a number (1)``."""
    kind = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
    shown = json.dumps(value)
    return f"{kind} ({shown if len(shown) <= 30 else shown[:30] + '...'})"


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                        "export the CSV as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as error:
        raise DataError(f"{path}: not a readable CSV file ({first_line(error)}); check the file's "
                        "delimiter (comma), quoting and header") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, ValueError, OSError) as error:
        raise DataError(f"{path}: not a readable Parquet file, corrupt or in another format "
                        f"({first_line(error)}); write it again, e.g. with `churn generate`") from None


def first_line(error: Exception) -> str:
    """The first line of an error's message (pyarrow's and pandas' run to many lines), or its type's name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
