"""The audit log: an append-only JSON-lines file in which every entry carries the hash of the one before.

One entry per line::

    {"seq": 2, "time": "2026-05-05T09:00:00.123456+00:00", "event": "promotion", "actor": "ana",
     "details": {...}, "prev_hash": "<hash of entry 1>", "hash": "<hash of this entry>"}

``hash`` is the SHA-256 (hex) of the entry's *canonical JSON* without the ``hash`` key:
``json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)``
encoded as UTF-8, so the same entry always gives the same bytes whatever the key order or spacing
of the line. The first entry's ``prev_hash`` is 64 zeros. The default file is
``governance/audit.jsonl`` in the working directory (``CHURN_AUDIT_LOG`` or ``--audit-log``
elsewhere); it is created with mode 0600, since approvers' names are personal data too.

What the chain proves: editing any field of an entry changes its hash (a key written twice in one
object, which JSON parsers resolve differently, is refused rather than resolved), and deleting, inserting or
reordering entries breaks the link from one entry's ``prev_hash`` to the hash before it, so
[`verify()`][churn.governance.audit.verify] finds the first entry that is no longer what was
written, and names its line. What it does not prove: someone who can write the file can rewrite
it *whole*, recomputing every hash from the first changed entry on, or drop the newest entries, and
the chain is valid again. A hash chain only moves the question to "is the latest hash the one we
saw before?". So the latest hash must also live somewhere the writer of the file cannot rewrite:
each promotion stores the hash of its approval entry as the registry tags ``audit_seq`` and
``audit_hash`` on the model version (``churn audit verify --check-registry`` checks them), and
``churn audit verify`` prints the head hash, which a CI job's log keeps. The registry anchors reach
only as far as the last approval: entries after it (refusals, erasures) can be cut off unnoticed
unless a head hash printed after them was kept. Stronger anchors are a
write-once store (object lock), a signed timestamp (RFC 3161) or a transparency log.

Writers take an exclusive ``fcntl.flock`` on the file for the read-last-entry-then-append step, so
several processes (two CI jobs, a person and a pipeline) can append at once and the chain stays one
chain; ``flock`` is POSIX (Linux, macOS), the systems this project runs on. Each append is flushed
and fsynced before the lock is released: entries are rare and must not be lost.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock; appending refuses rather than risk a forked chain
    fcntl = None  # type: ignore[assignment]

DEFAULT_AUDIT_LOG = Path("governance/audit.jsonl")
GENESIS = "0" * 64
FIELDS = ("seq", "time", "event", "actor", "details", "prev_hash", "hash")


class AuditLogError(Exception):
    """The audit log cannot be read or appended to (missing folder rights, a damaged last line, ...)."""


def audit_log_path(path: str | Path | None = None) -> Path:
    """The audit log to use: ``path`` if given, else ``CHURN_AUDIT_LOG``, else ``governance/audit.jsonl``."""
    return Path(path or os.environ.get("CHURN_AUDIT_LOG") or DEFAULT_AUDIT_LOG)


def invoking_user() -> str:
    """The operating-system user running the command: the actor of a refusal that names no approver."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database (some containers)
        return "unknown"


# --8<-- [start:hash]
def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes that are hashed: sorted keys, no spaces, UTF-8, the ``hash`` key left out."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of the entry's canonical JSON."""
    return hashlib.sha256(canonical(entry)).hexdigest()
# --8<-- [end:hash]


class AuditLog:
    """Append entries to the hash-chained log at ``path`` (see the module docstring for the format)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = audit_log_path(path)

    # --8<-- [start:append]
    def append(self, event: str, actor: str, details: dict[str, Any]) -> dict[str, Any]:
        """Append one entry chained to the last one, under an exclusive lock; return it (with its hash).

        Raises:
            AuditLogError: The file cannot be opened or written, or its last line is not an intact entry
                (an append would chain to something that was not written by this code: verify first).
        """
        if fcntl is None:
            raise AuditLogError(f"{self.path}: appending needs fcntl.flock (POSIX); use Linux or macOS")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as error:
            raise AuditLogError(f"{self.path}: cannot open the audit log ({error.strerror or error}); "
                                "pass --audit-log with a file you can write") from None
        with os.fdopen(fd, "r+b") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)  # released when the file closes
            last = _last_entry(file, self.path)
            entry = {"seq": last["seq"] + 1 if last else 1, "time": datetime.now(UTC).isoformat(),
                     "event": event, "actor": actor, "details": details,
                     "prev_hash": last["hash"] if last else GENESIS}
            entry["hash"] = entry_hash(entry)
            try:
                file.write(json.dumps(entry, sort_keys=True, ensure_ascii=False, allow_nan=False).encode() + b"\n")
                file.flush()
                os.fsync(file.fileno())
            except OSError as error:
                raise AuditLogError(f"{self.path}: cannot append to the audit log "
                                    f"({error.strerror or error})") from None
        return entry
    # --8<-- [end:append]


def _last_entry(file: Any, path: Path) -> dict[str, Any] | None:
    """The last entry of the open log, read from its end; None for an empty file."""
    size = file.seek(0, os.SEEK_END)
    if size == 0:
        return None
    chunk, start = b"", size
    while start > 0 and chunk.count(b"\n") < 2:  # the last line and the newline before it
        start = max(0, start - 4096)
        file.seek(start)
        chunk = file.read(size - start)
    if not chunk.endswith(b"\n"):
        raise AuditLogError(f"{path}: the last line is incomplete (a write was cut off or the file was "
                            "truncated); run 'churn audit verify' and restore the log from a copy")
    line = chunk[:-1].rsplit(b"\n", 1)[-1]
    problem = _check_line(line, None)
    if problem:
        raise AuditLogError(f"{path}: the last entry is damaged ({problem}); run 'churn audit verify'")
    return json.loads(line)


@dataclass(frozen=True)
class Problem:
    """The first entry of the log that is not what was written: where it is and what is wrong."""

    line: int
    seq: int | None
    problem: str

    def __str__(self) -> str:
        seq = f" (seq {self.seq})" if self.seq is not None else ""
        return f"line {self.line}{seq}: {self.problem}"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice: ``json`` keeps the last one silently, so a
    line with ``"actor": "eve", "actor": "ana"`` would hash like the original while other readers
    (the first key wins in some) show ``eve``."""
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"the key {duplicates[0]!r} appears twice in one object")
    return dict(pairs)


def _check_line(line: bytes, previous: dict[str, Any] | None) -> str | None:
    """What is wrong with one line, given the entry before it (None: not checked against one)."""
    try:
        entry = json.loads(line, object_pairs_hook=_no_duplicate_keys)
    except ValueError as error:
        return f"bad JSON ({error})"
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        found = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        return f"not an audit entry: expected the fields {', '.join(FIELDS)}, found {found}"
    if not isinstance(entry["seq"], int) or not isinstance(entry["hash"], str):
        return "not an audit entry: seq must be a whole number and hash a string"
    try:
        recomputed = entry_hash(entry)
    except ValueError as error:  # NaN or infinity smuggled into the JSON
        return f"bad JSON value ({error})"
    if recomputed != entry["hash"]:
        return "hash mismatch: the entry was changed after it was written"
    if previous is None:
        return None
    if entry["prev_hash"] != previous["hash"]:
        return (f"broken chain: prev_hash does not match the hash of the entry before it (seq {previous['seq']}); "
                "an entry was removed, inserted or moved here")
    if entry["seq"] != previous["seq"] + 1:
        return f"seq gap: expected seq {previous['seq'] + 1} after seq {previous['seq']}"
    return None


# --8<-- [start:verify]
def verify(path: str | Path) -> Problem | None:
    """Check every entry's hash and its link to the one before; return the first bad entry, or None if intact.

    Raises:
        AuditLogError: The file does not exist or cannot be read.
    """
    genesis = {"seq": 0, "hash": GENESIS}
    previous: dict[str, Any] = genesis
    for number, line in enumerate(_read_lines(Path(path)), start=1):
        if not line.endswith(b"\n"):
            return Problem(number, _seq_of(line), "incomplete last line: the file was truncated or a write was cut off")
        problem = _check_line(line[:-1], previous)
        if problem:
            return Problem(number, _seq_of(line), problem)
        previous = json.loads(line)
    return None
# --8<-- [end:verify]


def read_entries(path: str | Path) -> list[dict[str, Any]]:
    """Every entry of the log, in order (an empty list if the file does not exist); does not verify them.

    Raises:
        AuditLogError: The file cannot be read or a line is not JSON.
    """
    if not Path(path).exists():
        return []
    entries = []
    for number, line in enumerate(_read_lines(Path(path)), start=1):
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AuditLogError(f"{path}: line {number} is not JSON; run 'churn audit verify'") from None
    return entries


def _read_lines(path: Path) -> list[bytes]:
    try:
        with path.open("rb") as file:
            return file.readlines()
    except FileNotFoundError:
        raise AuditLogError(f"{path}: no audit log there; pass --audit-log (default {DEFAULT_AUDIT_LOG}, "
                            "or CHURN_AUDIT_LOG)") from None
    except OSError as error:
        raise AuditLogError(f"{path}: cannot read the audit log ({error.strerror or error})") from None


def _seq_of(line: bytes) -> int | None:
    try:
        seq = json.loads(line).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) else None
