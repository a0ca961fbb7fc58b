"""'Delete my data': remove one customer from the stored tables and from every prediction log file.

``churn erase CUSTOMER_ID --data data/customers.csv --data data/raw.parquet --log
predictions/prediction_log.jsonl`` removes the customer's rows from each table (CSV or Parquet,
matched on ``customerID``) and the lines of the prediction log whose ``input.customerID`` is theirs,
in the rotated files and the live one (``log_files()`` of ``churn.service.prediction_log``).
Every other line stays byte for byte as it was: CSV rows are copied as the text they were, not
re-formatted. Each changed file is rewritten whole into a partial file next to it, with the
original's mode (0600 for the log) and, where the user running it may set them (root), its owner
and group, fsynced, and renamed over it, so a reader sees the old file or the new one, never half
of one. It runs in three steps, under a lock next to the audit log so that two erasures never
rewrite the same file from the same old copy: find the rows in every file (a file that cannot be
read, or a table without ``customerID``, stops everything before anything changes), rewrite the
files that hold the customer, then record an ``erasure`` entry in the audit log and
print what it touched. An unknown customer (no row anywhere) changes no file: it is reported,
recorded with zero rows (the request was answered) and the exit code is 1.

The service and the live file: the service appends to the live file through an open handle, so
renaming a rewritten copy over it would send the service's next lines to the replaced file, where
they are lost. The rule: erase from the live file only while the service is stopped; rotated files
can be erased at any time (the service never writes to them). ``churn erase`` enforces it on Linux
by refusing, before anything changes, when a process has the live file open (it looks in
``/proc/*/fd``; it sees the processes of its own user, or all of them when run as root). It does
not see a service run by another user (the log is 0600, so only its owner or root can write it),
and it sees only its own PID namespace: a service in another container, even one that shares the
log's volume, or on another host is invisible, and the check passes. Stop such a service first.
Where there is no ``/proc`` (macOS) the check cannot run and the command refuses until you stop the
service and pass ``--service-stopped``. The check is made once, before the rewrite; a service
started during the erasure is not seen.

The audit entry holds a request id (a random one, or ``--request-id`` from the ticket system),
the files and the rows removed from each, never the customer ID. Not even its hash: a customer ID
has few possible values and the same ID always gives the same hash, so anyone holding the list of
IDs can find whom the entry is about. Data that can be attributed to a person with additional
information is pseudonymised, and pseudonymised data is still personal data (GDPR recital 26,
https://eur-lex.europa.eu/eli/reg/2016/679/oj). The link between request id and person belongs in
the system that received the request, under its access rules.

What erasure does not reach, and the policy for each. This describes what the project does; it is
not legal advice. GDPR Art. 17(1) obliges the controller to erase personal data "without undue
delay" where one of its grounds applies (among them: the data are no longer necessary for their
purpose, consent is withdrawn, the person objects under Art. 21, the processing was unlawful), and
Art. 17(3) lists exceptions (freedom of expression, a legal obligation to keep the data, public
health, archiving and research, legal claims). Whether a request must be granted is the
controller's decision, not this command's; it carries out the erasure once that is decided. Art.
12(3) gives one month to inform the person of the action taken, extendable by two further months
where necessary.

- Models already trained on the customer's row: a model does not store its rows, and it is not
  edited; but what it learned from them is not anonymous in every case (the EDPB's Opinion 28/2024
  on AI models asks for a case-by-case assessment), so the policy does not rely on that. The next
  scheduled retraining runs on the erased tables; a model that must not reflect the customer at all
  is retrained and promoted, and the old versions deleted from the registry.
- MLflow artifacts of past runs: the validation report (counts only), plots, and the training-time
  reference data of the drift monitor (the training inputs without ``customerID``, so the row cannot
  be found there by ID, but it still holds the customer's feature values). They go with the run:
  delete runs older than the retention period (``mlflow gc`` after deleting them).
- Backups, the DVC cache (``.dvc/cache``, old versions of ``data/*.parquet``), Git history and
  copies outside the project (exports, notebooks, the data platform's source tables): not rewritten.
  Backups expire on their own schedule and are not restored into use without re-running the
  erasures recorded since (the audit log lists them by request id); the data platform erases at the
  source, which it owns.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from churn.governance.audit import AuditLog, AuditLogError, audit_log_path, fcntl, invoking_user
from churn.ingest import DataError
from churn.service.prediction_log import log_files

ID_COLUMN = "customerID"
PROC = Path("/proc")  # Linux's process table: each process's open files are links in /proc/PID/fd


class ErasureRefused(Exception):
    """The erasure would be unsafe now (the service holds the live log open); nothing changed."""


@dataclass
class FileResult:
    """One file the erasure looked at: what it is, how many rows or lines it had, how many went."""

    path: Path
    kind: str  # "csv", "parquet" or "prediction log"
    rows: int
    removed: int
    _content: bytes | None = field(default=None, repr=False)  # the rewritten file, until it is written


@dataclass
class ErasureReport:
    """What one erasure request touched; ``found`` is false for a customer with no row anywhere."""

    request_id: str
    files: list[FileResult]
    audit_seq: int | None = None

    @property
    def removed(self) -> int:
        """Rows and lines removed in all files together."""
        return sum(result.removed for result in self.files)

    @property
    def found(self) -> bool:
        """True if the customer had at least one row or line."""
        return self.removed > 0

    def details(self) -> dict:
        """The audit entry's details: request id, files and counts, and no personal data."""
        return {"request_id": self.request_id, "rows_removed": self.removed,
                "files": [{"path": str(result.path), "kind": result.kind, "rows_removed": result.removed}
                          for result in self.files]}

    def to_text(self, customer_id: str) -> str:
        """The report for the person who ran the erasure."""
        head = (f"erasure {self.request_id}: removed {self.removed} row(s) of customer {customer_id}" if self.found
                else f"erasure {self.request_id}: customer {customer_id} is in none of these files; nothing changed")
        lines = [head] + [f"  {result.path} ({result.kind}): {result.removed} of {result.rows} removed"
                          for result in self.files]
        if self.audit_seq is not None:
            lines.append(f"recorded as audit entry {self.audit_seq} (request id and counts, no customer ID)")
        lines.append("not reached: models already trained, MLflow run artifacts, backups, the DVC cache and copies "
                     "elsewhere (see churn.governance.erasure)")
        return "\n".join(lines)


def check_customer_id(text: str) -> str:
    """The customer ID to erase: one line of printable characters (raises ``ValueError`` otherwise)."""
    if not text.strip() or len(text) > 100 or not text.isprintable():
        raise ValueError(f"{text!r} is not a customer ID: expected one line of printable characters, "
                         "e.g. 7590-VHVEG")
    return text


# --8<-- [start:erase]
def erase(customer_id: str, data: Sequence[str | Path] = (), prediction_log: str | Path | None = None,
          audit_log: str | Path | None = None, *, request_id: str | None = None,
          service_stopped: bool = False) -> ErasureReport:
    """Remove the customer from the tables and every prediction log file; record and return what went.

    Raises:
        churn.ingest.DataError: A file is missing, unreadable, or a table has no ``customerID`` column.
        ErasureRefused: The live prediction log is open in a running process (nothing changed).
        churn.governance.audit.AuditLogError: The audit log's folder cannot be written (nothing changed), or
            the final append failed (the files were erased; the entry is missing).
    """
    check_customer_id(customer_id)
    with _one_erasure_at_a_time(audit_log_path(audit_log)):
        return _erase(customer_id, data, prediction_log, audit_log, request_id, service_stopped)


def _erase(customer_id: str, data: Sequence[str | Path], prediction_log: str | Path | None,
           audit_log: str | Path | None, request_id: str | None, service_stopped: bool) -> ErasureReport:
    found = [_scan_table(Path(path), customer_id) for path in data]
    if prediction_log is not None:
        live = Path(prediction_log)
        files = log_files(live)
        if not files:
            raise DataError(f"{live}: no prediction log there (nor rotated files next to it); check --log")
        found += [_scan_log(path, customer_id) for path in files]
        if any(result.removed and result.path == live for result in found) and not service_stopped:
            _refuse_if_open(live)
    report = ErasureReport(request_id or uuid.uuid4().hex, found)
    for result in found:
        if result.removed:
            _replace(result.path, result._content)
        result._content = None
    report.audit_seq = AuditLog(audit_log_path(audit_log)).append("erasure", invoking_user(), report.details())["seq"]
    return report
# --8<-- [end:erase]


@contextmanager
def _one_erasure_at_a_time(audit_log: Path) -> Iterator[None]:
    """Hold an exclusive lock next to the audit log for one whole erasure (read, rewrite, record).

    Two erasures that read the same file before either rewrites it would each write back the
    other's customer: the second rename restores what the first removed. Taking the lock first
    also finds an unwritable audit log folder before any file changes.
    """
    lock = audit_log.with_name(f".{audit_log.name}.erasure-lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise AuditLogError(f"{audit_log}: cannot use the audit log's folder ({error.strerror or error}); "
                            "pass --audit-log with a file you can write; nothing was changed") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file closes
        yield
    finally:
        os.close(fd)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; check the --data or --log path") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror or error})") from None


def _scan_table(path: Path, customer_id: str) -> FileResult:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _scan_csv(path, customer_id)
    if suffix == ".parquet":
        return _scan_parquet(path, customer_id)
    raise DataError(f"{path}: cannot erase from {suffix or 'a file without suffix'!r}; "
                    "--data takes .csv or .parquet tables")


def _records(text: str) -> Iterator[tuple[list[str], str]]:
    """Each CSV record with the exact text it was read from (a quoted field may span lines)."""
    lines = io.StringIO(text, newline="")
    consumed: list[str] = []

    def source() -> Iterator[str]:
        for line in lines:
            consumed.append(line)
            yield line

    for record in csv.reader(source()):
        raw = "".join(consumed)
        consumed.clear()
        yield record, raw


def _scan_csv(path: Path, customer_id: str) -> FileResult:
    try:
        text = _read(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text at byte {error.start}") from None
    records = _records(text)
    try:
        header, header_text = next(records)
    except (StopIteration, csv.Error):
        raise DataError(f"{path}: the file is empty or not CSV; expected a header with {ID_COLUMN}") from None
    if header:  # a UTF-8 byte order mark (Excel writes one; pandas reads past it) is not part of the first name
        header[0] = header[0].removeprefix("\ufeff")
    if ID_COLUMN not in header:
        raise DataError(f"{path}: no {ID_COLUMN} column in the header; erasure matches customers on {ID_COLUMN}")
    column = header.index(ID_COLUMN)
    kept, rows, removed = [header_text], 0, 0
    try:
        for record, raw in records:
            rows += 1
            if len(record) > column and record[column] == customer_id:
                removed += 1
            else:
                kept.append(raw)
    except csv.Error as error:
        raise DataError(f"{path}: not valid CSV after row {rows} ({error})") from None
    return FileResult(path, "csv", rows, removed, "".join(kept).encode("utf-8") if removed else None)


def _scan_parquet(path: Path, customer_id: str) -> FileResult:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    _read(path)  # the same "not found" / "cannot read" errors as the other files
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{path}: not a readable Parquet file ({error})") from None
    if ID_COLUMN not in table.column_names:
        raise DataError(f"{path}: no {ID_COLUMN} column; erasure matches customers on {ID_COLUMN}")
    matches = pc.fill_null(pc.equal(table[ID_COLUMN].cast(pa.string()), customer_id), False)
    removed = pc.sum(matches).as_py() or 0
    content = None
    if removed:
        sink = pa.BufferOutputStream()
        pq.write_table(table.filter(pc.invert(matches)), sink)  # the schema, pandas metadata included, is kept
        content = sink.getvalue().to_pybytes()
    return FileResult(path, "parquet", table.num_rows, removed, content)


def _scan_log(path: Path, customer_id: str) -> FileResult:
    lines = _read(path).splitlines(keepends=True)
    kept = [line for line in lines if not _is_customers_line(line, customer_id)]
    removed = len(lines) - len(kept)
    return FileResult(path, "prediction log", len(lines), removed, b"".join(kept) if removed else None)


def _is_customers_line(line: bytes, customer_id: str) -> bool:
    """True for a prediction of the customer; a damaged line is theirs if it contains their ID as a JSON string."""
    try:
        record = json.loads(line)
    except ValueError:
        return json.dumps(customer_id).encode() in line
    value = record.get("input") if isinstance(record, dict) else None
    return isinstance(value, dict) and value.get(ID_COLUMN) == customer_id


def _refuse_if_open(live: Path) -> None:
    """Raise ErasureRefused if a process of ours has ``live`` open, or if that cannot be checked here."""
    proc = PROC
    if not (proc / "self" / "fd").is_dir():
        raise ErasureRefused(f"{live}: cannot check whether the service has the live log open on this system; "
                             "stop the service, then pass --service-stopped")
    target = str(live.resolve())
    for fd_folder in proc.glob("[0-9]*/fd"):
        try:
            held = any(os.readlink(fd) == target for fd in fd_folder.iterdir())
        except OSError:  # another user's process, or one that just exited or closed a file
            continue
        if held:
            raise ErasureRefused(f"{live}: process {fd_folder.parent.name} has the live prediction log open "
                                 "(the service?); stop it and run again, or erase after the file is rotated; "
                                 "nothing was changed")


def _replace(path: Path, content: bytes) -> None:
    """Write ``content`` next to ``path`` with its mode (and owner, where allowed), fsync, rename it over ``path``."""
    partial = path.with_name(f".{path.name}.erasure-partial")
    status = path.stat()
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            if (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
                # root erasing the service's log: the file stays the service's, or it could not append to
                # it; not root: PermissionError, and the copy is ours (the mode below still applies)
                with suppress(PermissionError):
                    os.fchown(file.fileno(), status.st_uid, status.st_gid)
            os.fchmod(file.fileno(), status.st_mode & 0o7777)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataError(f"{path}: cannot rewrite the file ({error.strerror or error}); "
                        "it is unchanged, but files listed before it were already erased: run again") from None
