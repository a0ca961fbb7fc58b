"""Batch scoring: score a Parquet or CSV file of any size in chunks, with constant memory, whole or not at all.

``churn score customers.parquet --output scores.parquet`` is the weekly job that builds Monday's
call list (lecture 3.5's batch path). It reads the file ``chunk_rows`` rows at a time (Parquet with
``pyarrow.parquet.ParquetFile.iter_batches``, CSV with ``pyarrow.csv.open_csv``), checks every row
against the data contract, scores the chunk with the champion's ONNX copy and appends the scores to
a partial output file, which is renamed to its name at the end. Memory holds one chunk, however
large the file (measured with ``--bundle``, peak RSS: Parquet 435, 475 and 485 MB for 200,000, 1,000,000
and 3,000,000 rows; CSV 364, 430 and 459 MB). A Parquet file is read one row group at a time, so one
row group decides what a chunk costs to read: ``churn generate`` writes up to 1,048,576 rows in one.

The rules, the same as ``churn predict``'s (one contract for every way of scoring):

- A record that breaks the contract (a missing value, ``nan`` or ``inf``, a number out of range, a
  category the contract does not know, a customerID not like ``7590-VHVEG``) refuses the *whole
  file*: [`PredictionInputError`][churn.predict.PredictionInputError] (exit 1) names the first records
  by their 0-based position in the file and their customerID, with the column and the rule, and
  counts every bad record; no output file is written. A call list that silently leaves out
  customers is worse than last week's list, and one bad row usually means a broken export (lecture
  5.3): fix the source, or clean it with ``churn validate`` first. There is no rejects file.
- A missing contract column, or a column the contract does not have, refuses the file too (exit 1),
  before any row is read. ``Churn`` may be present and is ignored.
- A blank TotalCharges is filled as ``churn predict`` fills it, by one function
  ([`parse_total_charges()`][churn.contract.parse_total_charges]): 0 in the first month, else
  tenure x MonthlyCharges.
- A missing, empty or unreadable file is a [`DataError`][churn.ingest.DataError] (exit 2).

The output has one row per input row, in the input's order: ``customerID``, ``churn_probability``,
``churn`` (probability at or above the model version's threshold tag, as ``churn predict`` decides),
``model_version``, ``scoring_run_id`` and ``scored_at`` (UTC; one time for the whole run). The run id
is a UUID4 made for the run, or the id the caller passes (the Dagster job passes its run's id, which
is a UUID too): it ties every row to the run's log and the scheduler's record without making a
scoring run in MLflow, which holds the training runs, and without needing MLflow at all when the
model comes from a bundle folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from churn.contract import CUSTOMER_CONTRACT, ID_COLUMN, TARGET_COLUMN, parse_total_charges
from churn.features import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS
from churn.ingest import SUPPORTED_SUFFIXES, DataError, check_table_file, first_line, write_whole
from churn.predict import OnnxPredictor, PredictionInputError, record_problems
from churn.validate import check_column

DEFAULT_CHUNK_ROWS = 100_000
SHOWN_RECORDS = 5  # records named in a refusal; the rest are counted
# What pyarrow's CSV reader parses at a time: its default, 1 MiB. Its background thread reads blocks ahead of
# the scoring, so memory grows with the block: with 8 MiB blocks it held up to 260 MB of a 3,000,000-row file
# ahead (measured), with 1 MiB about 40 MB, for about the same speed.
CSV_BLOCK_BYTES = 1 << 20
OUTPUT_COLUMNS = ("customerID", "churn_probability", "churn", "model_version", "scoring_run_id", "scored_at")
SCORED_COLUMNS = [column for column in CUSTOMER_CONTRACT if column.name != TARGET_COLUMN]


@dataclass(frozen=True)
class ScoringResult:
    """What one scoring run did."""

    input: str
    output: str
    rows: int
    at_or_above_threshold: int
    model_version: str
    threshold: float
    run_id: str
    scored_at: str
    seconds: float

    def summary(self) -> str:
        """One line for the terminal or a log."""
        return (f"scored {self.rows} rows of {self.input} with model v{self.model_version} in {self.seconds:.1f} s: "
                f"{self.at_or_above_threshold} at or above the threshold {self.threshold:g}; wrote {self.output} "
                f"(run {self.run_id})")


# --8<-- [start:score_file]
def score_file(input_path: str | Path, output_path: str | Path, predictor: OnnxPredictor, *,
               chunk_rows: int = DEFAULT_CHUNK_ROWS, run_id: str | None = None) -> ScoringResult:
    """Score every row of ``input_path`` and write the scores to ``output_path`` (``.parquet`` or ``.csv``).

    Args:
        input_path: A ``.parquet`` or ``.csv`` file with the contract's columns (``Churn`` optional).
        output_path: The file to write; it appears whole at the end, or not at all.
        predictor: The model, e.g. [`load_champion()`][churn.predict.load_champion] or a bundle's.
        chunk_rows: Rows read, checked and scored at a time; memory grows with it, not with the file.
        run_id: The id written on every row; a new UUID4 by default.

    Raises:
        PredictionInputError: A column is missing or unknown, or a record breaks the contract.
        DataError: The input cannot be read, or the output cannot be written.
    """
    started = datetime.now(UTC)
    input_path, output_path = Path(input_path), Path(output_path)
    check_paths(input_path, output_path)
    run_id = run_id or str(uuid.uuid4())
    scored_at = started.replace(microsecond=0)
    counts = {"rows": 0, "called": 0}
    # Parquet keeps the time as a timestamp; CSV gets ISO 8601 text, made once (pyarrow's CSV writer would
    # format the same timestamp again on each of a million rows, the slowest part of writing them)
    stamp = (pa.scalar(scored_at, pa.timestamp("ms", tz="UTC")) if output_path.suffix.lower() == ".parquet"
             else pa.scalar(scored_at.isoformat().replace("+00:00", "Z"), pa.string()))

    def write(partial: Path) -> None:
        with _ScoresWriter(partial, output_path.suffix.lower()) as sink:
            bad: list[str] = []
            bad_records = 0
            for chunk in _chunks(input_path, chunk_rows):
                numbers, categories, broken = _checked(chunk)
                if broken.any() or bad_records:  # refused: go on reading only to count the bad records
                    bad += _describe(chunk, broken, counts["rows"], SHOWN_RECORDS - len(bad))
                    bad_records += int(broken.sum())
                else:
                    probability = predictor.predict_columns(numbers, categories).astype("float64")
                    called = probability >= predictor.threshold
                    counts["called"] += int(called.sum())
                    sink.write(_scores(chunk.column(ID_COLUMN), probability, called, predictor.model_version, run_id,
                                       stamp))
                counts["rows"] += chunk.num_rows
            if bad_records:
                more = f"; {bad_records} records in all break it" if bad_records > len(bad) else ""
                raise PredictionInputError(f"{input_path}: {'; '.join(bad)}{more} (records are numbered from 0 "
                                           "in file order); fix the export, or clean it with churn validate")
            if counts["rows"] == 0:
                raise DataError(f"{input_path}: the table has no rows; export it again with its data")

    write_whole(output_path, write)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return ScoringResult(str(input_path), str(output_path), counts["rows"], counts["called"],
                         predictor.model_version, predictor.threshold, run_id, scored_at.isoformat(), seconds)
# --8<-- [end:score_file]


def check_paths(input_path: str | Path, output_path: str | Path) -> None:
    """Refuse an input that is not a non-empty table file, an output of another type, or the input as output.

    Called by [`score_file()`][churn.scoring.score_file]; the CLI calls it first too, before it loads a model.

    Raises:
        DataError: Naming the path and the fix.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    check_table_file(input_path)
    if output_path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DataError(f"{output_path}: unsupported output file type {output_path.suffix or '(no suffix)'!r}; "
                        f"use {' or '.join(SUPPORTED_SUFFIXES)}")
    if output_path.exists() and output_path.resolve() == input_path.resolve():
        raise DataError(f"{output_path}: is the input file; write the scores to another file")


# Reading ------------------------------------------------------------------------------------------
def _chunks(path: Path, chunk_rows: int) -> Iterator[pa.Table]:
    """The file's contract columns, ``chunk_rows`` rows at a time, after checking its columns."""
    batches = _parquet_batches(path, chunk_rows) if path.suffix.lower() == ".parquet" else _csv_batches(path)
    try:
        yield from _rechunk(batches, chunk_rows)
    except (pa.ArrowException, OSError) as error:  # e.g. a CSV row with too many fields, a truncated Parquet page
        raise DataError(f"{path}: not a readable {path.suffix.lower().lstrip('.')} file past its start "
                        f"({first_line(error)}); export it again") from None


def _check_columns(path: Path, names: list[str]) -> list[str]:
    """Refuse a file without every contract column or with columns the contract does not know."""
    wanted = [column.name for column in SCORED_COLUMNS]
    missing = [name for name in wanted if name not in names]
    unknown = [name for name in dict.fromkeys(names) if name not in wanted and name != TARGET_COLUMN]
    twice = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if missing or unknown or twice:
        problems = ([f"missing column {name!r}" for name in missing]
                    + [f"unknown column {name!r} (not in the contract: drop it)" for name in unknown]
                    + [f"duplicate column {name!r} (the name appears more than once)" for name in twice])
        raise PredictionInputError(f"{path}: {'; '.join(problems)}; a file to score has the contract's "
                                   f"{len(wanted)} columns ({TARGET_COLUMN} may be left in), names are case-sensitive")
    return wanted


def _parquet_batches(path: Path, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{path}: not a readable Parquet file, corrupt or in another format "
                        f"({first_line(error)}); write it again, e.g. with `churn generate`") from None
    index = {name for name in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(name, str)}
    columns = _check_columns(path, [name for name in schema.names if name not in index])  # pandas' index: not data
    # the categories as Parquet stores them, a dictionary of a few values: no string per row is made
    categories = [column.name for column in SCORED_COLUMNS if column.kind == "category"]
    # pre_buffer=False: pyarrow's default (True, for object stores) caches every column chunk it has read until
    # the file is closed, so memory would grow with the file (measured: +110 MB for 3,000,000 rows)
    parquet = pq.ParquetFile(path, read_dictionary=categories, pre_buffer=False)
    yield from parquet.iter_batches(batch_size=chunk_rows, columns=columns)


def _csv_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """Every column as text, blanks and ``NA`` kept as text (as ``load_table`` reads CSV): the contract judges."""
    import pyarrow.csv as csv

    # the categories as dictionaries straight from the parser: a few strings per block, not one per row
    types = {column.name: pa.dictionary(pa.int32(), pa.string()) if column.kind == "category" else pa.string()
             for column in CUSTOMER_CONTRACT}
    try:
        reader = csv.open_csv(path, read_options=csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                              convert_options=csv.ConvertOptions(
                                  column_types=types, strings_can_be_null=False,
                                  quoted_strings_can_be_null=False, null_values=[]))
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{path}: not a readable CSV file ({first_line(error)}); check the file's "
                        "encoding (UTF-8), delimiter (comma), quoting and header") from None
    columns = _check_columns(path, reader.schema.names)
    for batch in reader:
        yield batch.select(columns)


def _rechunk(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Tables of exactly ``rows`` rows (the last may be shorter), whatever size the reader's batches have."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)


# Checking -----------------------------------------------------------------------------------------
def _checked(chunk: pa.Table) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """The model's inputs from one chunk, and which rows break the contract.

    Every column is checked by the validator's own rules ([`check_column()`][churn.validate.check_column]).
    A column with few distinct values (a category, tenure, SeniorCitizen) is checked on its distinct
    values and the verdicts are spread back to the rows by the dictionary codes: 100,000 rows hold 2
    to 73 distinct values, so that is thousands of times less work for the same answer row by row.
    """
    inputs, broken = {}, np.zeros(chunk.num_rows, dtype=bool)
    for column in SCORED_COLUMNS:
        values = chunk.column(column.name)
        few = column.kind == "category" or column.kind == "integer"
        codes, values = _dictionary(values) if few else (None, values)
        parsed, masks = check_column(column, values.to_pandas())
        bad = np.logical_or.reduce([mask.to_numpy() for mask in masks.values()])
        parsed = parsed.to_numpy(dtype="float64" if column.name in NUMERIC_COLUMNS else object)
        inputs[column.name] = parsed if codes is None else parsed[codes]
        broken |= bad if codes is None else bad[codes]
    numbers = {name: inputs[name] for name in NUMERIC_COLUMNS}
    # the one nullable column, blanks NaN here: filled by the contract's rule, as churn predict fills them
    numbers["TotalCharges"] = parse_total_charges(numbers["TotalCharges"], numbers["tenure"], numbers["MonthlyCharges"])
    return numbers, {name: inputs[name] for name in CATEGORICAL_COLUMNS}, broken


def _dictionary(values: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """The column as codes into its distinct values (a missing value is one of them, not a hole)."""
    if pa.types.is_dictionary(values.type):  # Parquet's dictionary pages, read as they are (see _parquet_batches)
        array = values.unify_dictionaries().combine_chunks()
        if array.indices.null_count == 0:
            return array.indices.to_numpy(), array.dictionary
        array = array.dictionary_decode()  # a null among the codes: encoded again below, the null as a value
    else:
        array = values.combine_chunks()
    encoded = array.dictionary_encode(null_encoding="encode")
    return encoded.indices.to_numpy(), encoded.dictionary


def _describe(chunk: pa.Table, broken: np.ndarray, first_row: int, limit: int) -> list[str]:
    """The contract's own words for the first ``limit`` broken records of a chunk, numbered in the file."""
    problems = []
    for position in np.flatnonzero(broken)[:max(limit, 0)]:
        record = chunk.slice(int(position), 1).to_pylist()[0]
        found = record_problems(first_row + int(position), record)
        problems += found or [f"record {first_row + int(position)} (customerID {record.get(ID_COLUMN)!r}): "
                              "breaks the contract"]
    return problems


# Writing ------------------------------------------------------------------------------------------
def _scores(ids: pa.ChunkedArray, probability: np.ndarray, called: np.ndarray, model_version: str, run_id: str,
            scored_at: pa.Scalar) -> pa.Table:
    every_row = pa.array(np.zeros(len(ids), dtype=np.int32))  # the same value on every row, repeated by Arrow
    return pa.table({
        "customerID": ids.cast(pa.string()),
        "churn_probability": pa.array(probability, pa.float64()),
        "churn": pa.array(called, pa.bool_()),
        "model_version": pa.array([model_version], pa.string()).take(every_row),
        "scoring_run_id": pa.array([run_id], pa.string()).take(every_row),
        "scored_at": pa.array([scored_at.as_py()], scored_at.type).take(every_row),
    })


class _ScoresWriter:
    """A Parquet or CSV writer that takes one table per chunk; the file is closed when the block ends."""

    def __init__(self, path: Path, suffix: str):
        self._path, self._suffix, self._file = path, suffix, None

    def __enter__(self) -> _ScoresWriter:
        return self

    def write(self, table: pa.Table) -> None:
        if self._file is None:
            if self._suffix == ".parquet":
                import pyarrow.parquet as pq

                self._file = pq.ParquetWriter(self._path, table.schema)
            else:
                import pyarrow.csv as csv

                self._file = csv.CSVWriter(self._path, table.schema)
        self._file.write_table(table)

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close()

