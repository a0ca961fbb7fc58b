"""The two windows drift compares: the current one from the prediction log, the reference one from training.

- **Current**: every prediction in the service's log, rotated files included
  (``churn.service.prediction_log.log_files``), optionally from ``since`` (inclusive) to
  ``until`` (exclusive). Each line's ``input`` is the model input, ``output.churn_probability`` the score.
- **Reference**: what the champion learned from. At training time
  [`log_run`][churn.tracking.log_run] stores the training split's model inputs (the 19 features,
  without ``customerID``) and the model's scores on them as the run's artifact ``reference/reference.parquet``
  ([`reference_table`][churn.monitoring.windows.reference_table]); here it is read back from the run
  of the version the ``champion`` alias points at. A CSV or Parquet file of the contract's columns
  works too (``churn drift --reference FILE``); with a ``churn_probability`` column it also gives
  prediction drift.

Both pass through [`model_inputs`][churn.monitoring.windows.model_inputs], which refuses a window with a
missing, unknown or wrong-typed column in one line naming the column and the file (a
[`DataError`][churn.ingest.DataError], exit 2 in the CLI). Values outside the contract (a payment method
it does not know) are not refused: they are what drift detection is for.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic_core import from_json

from churn.contract import ID_COLUMN, TARGET_COLUMN, feature_columns, get_column, parse_number, parse_total_charges
from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, feature_frame
from churn.ingest import DataError, load_table
from churn.monitoring.drift import SCORE_COLUMN

REFERENCE_ARTIFACT = "reference/reference.parquet"
IGNORED_COLUMNS = (ID_COLUMN, TARGET_COLUMN)  # in the contract but no model input: dropped, not refused


@dataclass(frozen=True)
class Window:
    """Model inputs (and scores, if known) with where they came from.

    Attributes:
        frame: The 19 feature columns in the contract's order, numbers as float64 and categories as
            text, plus ``churn_probability`` when the scores are known.
        source: A description (the reference) or the files its rows came from (the current window).
        start: ISO time of the first prediction (current window only).
        end: ISO time of the last prediction (current window only).
        model_version: The champion's version (reference), or the version of the last prediction (current).
        model_versions: Predictions per model version (current window only).
    """

    frame: pd.DataFrame
    source: str | list[str]
    start: str | None = None
    end: str | None = None
    model_version: str | None = None
    model_versions: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """How many rows the window has."""
        return len(self.frame)


# --8<-- [start:reference_table]
def reference_table(pipeline: Any, train: pd.DataFrame) -> pd.DataFrame:
    """What training stores for drift: the training split's model inputs and the fitted model's scores on them."""
    features = feature_frame(train).reset_index(drop=True)
    return features.assign(**{SCORE_COLUMN: pipeline.predict_proba(features)[:, 1]})
# --8<-- [end:reference_table]


def _row(source: str) -> Callable[[int], str]:
    return lambda index: f"{source}, data row {index + 1}"


def model_inputs(frame: pd.DataFrame, source: str, where: Callable[[int], str] | None = None) -> pd.DataFrame:
    """Check a window's columns and types; return the model inputs (and the scores, if present).

    ``customerID`` and ``Churn`` are dropped. A blank ``TotalCharges`` gets the validation's rule
    (0 in the first month, else tenure x MonthlyCharges), as the model saw it. Numbers may be given as
    text (CSV's form of a column with blanks).

    Args:
        frame: The raw window.
        source: The file (or files), for the messages.
        where: Describes row ``i`` in a message (default: ``"<source>, data row <i + 1>"``).

    Raises:
        DataError: A column is missing or unknown, a number is not a finite number, a category not
            text, a value is missing, or the window has no rows; the message names the column and the file.
    """
    where = where or _row(source)
    if frame.empty:
        raise DataError(f"{source}: the window has no rows; there is nothing to compare")
    missing = [name for name in feature_columns() if name not in frame.columns]
    if missing:
        raise DataError(f"{source}: column {missing[0]!r} is missing" + (f" (and {len(missing) - 1} more)"
                        if len(missing) > 1 else "") + "; a window needs the model's 19 input columns "
                        "(the contract's columns without customerID and Churn)")
    allowed = {*feature_columns(), *IGNORED_COLUMNS, SCORE_COLUMN}
    unknown = [str(name) for name in frame.columns if name not in allowed]
    if unknown:
        raise DataError(f"{source}: unknown column {unknown[0]!r}; a window has the contract's columns "
                        f"(and optionally {SCORE_COLUMN}), check the spelling")
    columns = {name: _numbers(frame, name, where) for name in NUMERIC_COLUMNS}
    columns |= {name: _categories(frame[name], name, where) for name in CATEGORICAL_COLUMNS}
    if SCORE_COLUMN in frame.columns:
        columns[SCORE_COLUMN] = _numbers(frame, SCORE_COLUMN, where, low=0.0, high=1.0)
    return pd.DataFrame(columns)[[*feature_columns(), *([SCORE_COLUMN] if SCORE_COLUMN in frame.columns else [])]]


def _first(mask: pd.Series) -> int:
    return int(np.argmax(mask.to_numpy()))


def _shown(value: Any) -> str:
    """A value as a message shows it: ``1.5``, ``'twelve'``, not ``np.float64(1.5)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _blank(values: pd.Series) -> pd.Series:
    """Missing values and blank text (CSV's form of a missing number)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    return values.isna() | values.map(lambda value: isinstance(value, str) and not value.strip())


def _not_a_number(value: Any) -> bool:
    """True for a value that is neither a number nor text holding one (blanks are judged elsewhere)."""
    if isinstance(value, str):
        return bool(value.strip()) and not _is_number(value)
    return isinstance(value, bool) or not (isinstance(value, int | float | np.integer | np.floating) or pd.isna(value))


def _is_number(text: str) -> bool:
    try:
        parse_number(text)  # the contract's reading: no '1_0', no non-ASCII digits
    except ValueError:
        return False
    return True


def _numbers(frame: pd.DataFrame, name: str, where: Callable[[int], str], low: float = -math.inf,
             high: float = math.inf) -> pd.Series:
    """A numeric column as float64; TotalCharges blanks filled as validation fills them."""
    values = frame[name].reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        wrong = values.map(_not_a_number)
        if wrong.any():
            index = _first(wrong)
            raise DataError(f"{where(index)}: column {name!r} holds {_shown(values[index])}, not a number")
    blank = _blank(values)
    numbers = pd.to_numeric(values.mask(blank), errors="coerce").astype("float64")
    if name == "TotalCharges":
        tenure, monthly = (pd.to_numeric(frame[column].reset_index(drop=True), errors="coerce")
                           for column in ("tenure", "MonthlyCharges"))
        numbers = numbers.mask(blank, pd.Series(parse_total_charges(numbers, tenure, monthly), index=numbers.index))
    elif blank.any():
        raise DataError(f"{where(_first(blank))}: column {name!r} has a missing value; every row needs one")
    outside = ~np.isfinite(numbers) | (numbers < low) | (numbers > high)
    if outside.any():
        bounds = "" if math.isinf(low) else f" from {low:g} to {high:g}"
        raise DataError(f"{where(_first(outside))}: column {name!r} holds {_shown(values[_first(outside)])}, "
                        f"not a finite number{bounds}")
    return numbers


def _categories(values: pd.Series, name: str, where: Callable[[int], str]) -> pd.Series:
    """A categorical column as text; a number, a missing value or a blank there is refused."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_string_dtype(values) and values.dtype != object:  # text or missing, nothing else
        wrong = values.isna() | (values.str.strip() == "")
    else:
        wrong = ~values.map(lambda value: isinstance(value, str) and bool(value.strip()))
    if wrong.any():
        found = values[_first(wrong)]
        problem = "a missing value" if _blank(pd.Series([found], dtype=object))[0] else f"{_shown(found)}, not text"
        raise DataError(f"{where(_first(wrong))}: column {name!r} holds {problem}; a category is text such as "
                        f"{get_column(name).allowed[0]!r}")
    return values.astype(str)


# --8<-- [start:read_prediction_log]
def read_prediction_log(path: str | Path, since: datetime | None = None, until: datetime | None = None) -> Window:
    """The current window: the predictions logged from ``since`` (inclusive) to ``until`` (exclusive).

    Reads the rotated files and the live one, oldest first, with
    [`logged_predictions()`][churn.monitoring.windows.logged_predictions]. ``since`` and ``until``
    without a time zone are UTC.

    Raises:
        DataError: ``since`` is not before ``until``, there is no log, a line is not a prediction record
            (the message gives file and line), a column is missing, unknown or of the wrong type, or no
            prediction falls in the window.
    """
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and since >= until:
        raise DataError(f"--since {since.isoformat()} is not before --until {until.isoformat()}: the window "
                        "is from since (inclusive) to until (exclusive); swap them or widen the window")
    files = prediction_log_files(path)
    kept = [prediction for prediction in logged_predictions(files)
            if (since is None or prediction.time >= since) and (until is None or prediction.time < until)]
    if not kept:
        span = f" from {since.isoformat() if since else 'the start'} to {until.isoformat() if until else 'the end'}"
        raise DataError(f"{path}: no predictions{span if since or until else ''} in {len(files)} file(s) "
                        f"({', '.join(map(str, files))}); score some customers first, or widen --since/--until")
    sources = list(dict.fromkeys(str(prediction.file) for prediction in kept))  # the files that had some
    frame = pd.DataFrame.from_records([prediction.inputs for prediction in kept])
    frame = frame.assign(**{SCORE_COLUMN: [prediction.probability for prediction in kept]})
    frame = model_inputs(frame, str(path), where=lambda index: kept[index].place)
    counts = dict(Counter(prediction.model_version for prediction in kept))
    return Window(frame, sources, start=_stamp(kept[0].time), end=_stamp(kept[-1].time),
                  model_version=kept[-1].model_version, model_versions=counts)
# --8<-- [end:read_prediction_log]


def _stamp(moment: datetime) -> str:
    """A time as the service logs it: ISO 8601, UTC, milliseconds."""
    return moment.isoformat(timespec="milliseconds")


# The prediction log's reader, for drift (above) and feedback (churn.monitoring.feedback) alike --------------
LINE_FORMAT = ("a prediction log line is a JSON object with time (ISO 8601 with its UTC offset), model_version, "
               "input (the customer's fields, customerID included) and output.churn_probability, "
               "as `churn serve` writes it")
_REQUIRED = (("time",), ("input", ID_COLUMN), ("model_version",), ("output", "churn_probability"))


@dataclass(frozen=True)
class LoggedPrediction:
    """One checked line of the prediction log.

    Attributes:
        file: The log file it is in.
        line: Its line number in the file, from 1.
        time: When it was scored, in UTC.
        customer_id: ``input.customerID``.
        model_version: The model version that scored it.
        probability: ``output.churn_probability``, from 0 to 1.
        inputs: The logged ``input``: the customer's fields as the service validated them.
    """

    file: Path
    line: int
    time: datetime
    customer_id: str
    model_version: str
    probability: float
    inputs: dict[str, Any]

    @property
    def place(self) -> str:
        """Where the line is, for messages: ``<file>: line <n>``."""
        return f"{self.file}: line {self.line}"


def prediction_log_files(path: str | Path) -> list[Path]:
    """The files of the prediction log whose live file is ``path``: the rotated ones, oldest first, then the live one.

    Raises:
        DataError: ``path`` is a folder, or there is neither the file nor a rotated file next to it.
    """
    from churn.service.prediction_log import log_files

    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the live log file, e.g. {path / 'prediction_log.jsonl'}")
    files = log_files(path)
    if not files:
        raise DataError(f"{path}: no prediction log there (no such file, and no rotated files next to it); "
                        "`churn serve` writes it (CHURN_PREDICTION_LOG): pass its path with --log")
    return files


def logged_predictions(files: Sequence[Path]) -> Iterator[LoggedPrediction]:
    """Every prediction in ``files``, in order (as [`churn.monitoring.windows.prediction_log_files`][] lists them).

    The one reader of the prediction log: the drift window
    ([`read_prediction_log()`][churn.monitoring.windows.read_prediction_log]) and the feedback join
    ([`churn.monitoring.feedback.read_predictions()`][churn.monitoring.feedback.read_predictions]) both
    take their predictions from it, so a line one of them accepts the other accepts too. Blank lines
    are skipped. It reads one line at a time (pydantic's Rust JSON parser, about 3x faster than
    ``json.loads`` on these lines); what the caller keeps is up to the caller.

    Raises:
        DataError: A file cannot be read, or a line is not JSON, lacks a field of ``LINE_FORMAT``, has a
            time without its UTC offset or a probability outside 0..1; the message names file and line.
    """
    for file in files:
        try:
            with file.open("rb") as lines:
                for number, line in enumerate(lines, start=1):
                    if line.strip():
                        yield _logged(file, number, line)
        except OSError as error:
            raise DataError(f"{file}: cannot read the file ({error.strerror or error})") from None


def _logged(file: Path, number: int, line: bytes) -> LoggedPrediction:
    where = f"{file}: line {number}"
    try:
        record = from_json(line)
    except ValueError as error:
        raise DataError(f"{where}: not valid JSON ({error}); {LINE_FORMAT}") from None
    values = []
    for keys in _REQUIRED:
        value: Any = record
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            raise DataError(f"{where}: not a prediction record: no {'.'.join(keys)}; {LINE_FORMAT}")
        values.append(value)
    text, customer, version, probability = values
    try:
        time = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        time = None
    if time is None or time.tzinfo is None:
        raise DataError(f"{where}: time {text!r} is not an ISO 8601 time with its UTC offset; {LINE_FORMAT}")
    if (isinstance(probability, bool) or not isinstance(probability, int | float)
            or not (math.isfinite(probability) and 0 <= probability <= 1)):
        raise DataError(f"{where}: output.churn_probability {probability!r} is not a probability from 0 to 1")
    return LoggedPrediction(file, number, time.astimezone(UTC), str(customer), str(version), float(probability),
                            record["input"])


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def reference_from_file(path: str | Path) -> Window:
    """A reference window from a CSV or Parquet file of the contract's columns (``churn_probability`` optional).

    Raises:
        DataError: The file is missing, unreadable, empty, or has a missing, unknown or wrong-typed column.
    """
    frame = model_inputs(load_table(path), str(path))
    return Window(frame, str(path))


# --8<-- [start:reference_from_champion]
def reference_from_champion(tracking_uri: str, model_name: str = "churn", alias: str = "champion") -> Window:
    """The reference window the champion's training run stored (``reference/reference.parquet``).

    Raises:
        LookupError: No version carries the alias.
        churn.registry.RegistryError: The champion's run has no reference (trained before runs stored one).
    """
    import mlflow

    from churn.registry import RegistryError, registry_client

    client = registry_client(tracking_uri)
    try:
        version = client.get_model_version_by_alias(model_name, alias)
    except Exception as error:  # MLflow raises RestException for a missing model or alias
        raise LookupError(f"no model version of {model_name!r} has the alias {alias!r}, so there is no training "
                          "data to compare with: promote a model (churn train, churn promote) or pass "
                          f"--reference FILE. MLflow said: {str(error).splitlines()[0]}") from None
    try:
        local = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path=REFERENCE_ARTIFACT,
                                                    tracking_uri=client.tracking_uri)
    except Exception:  # MLflow raises MlflowException or OSError for a missing artifact
        raise RegistryError(f"{model_name} v{version.version} (run {version.run_id}) has no {REFERENCE_ARTIFACT}: "
                            "it was trained before training runs stored their data; train and promote a new "
                            "version, or pass --reference FILE") from None
    source = f"models:/{model_name}/{version.version} run {version.run_id} training split"
    frame = model_inputs(pd.read_parquet(local), source)
    return Window(frame, source, model_version=str(version.version))
# --8<-- [end:reference_from_champion]
