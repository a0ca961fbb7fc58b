"""The prediction log: every prediction appended to a JSON-lines file, for monitoring and audits.

One line per scored customer::

    {"time": "2026-05-04T09:12:03.512+00:00", "request_id": "1f3c...", "model_version": "3",
     "input": {...the 20 fields...}, "output": {"churn_probability": 0.62, "churn": true}}

Requests are handled concurrently, and two writers appending to one file can interleave or lose
lines. So request handlers never touch the file: they format their lines and put them on a
``queue.Queue`` (thread-safe, never blocks the event loop), and a single writer thread takes
them off and appends them. The thread is there for the blocking file I/O, not for the formatting:
Python code in a second thread still competes for the GIL, and formatting 1,000 lines there
slowed the *next* request by as much as formatting them in the handler (measured), so the
handler does it where its cost is visible. On shutdown ``PredictionLog.close`` waits until
the queue is empty and the file flushed, so nothing accepted is lost. (A crash of the process can
still lose what was queued but not yet written; fsync per line would make every request wait for
the disk.)
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

if TYPE_CHECKING:
    from churn.predict import Prediction

logger = logging.getLogger("churn.service.prediction_log")

_STOP = object()


# --8<-- [start:prediction_log]
class PredictionLog:
    """Append predictions to a JSON-lines file from one writer thread fed by a queue."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._queue: queue.Queue[Any] = queue.Queue()  # bytes to append, or _STOP
        self._thread = threading.Thread(target=self._write_forever, name="prediction-log", daemon=True)

    def append(self, records: Sequence[Mapping[str, Any]], predictions: Sequence[Prediction],
               request_id: str | None) -> None:
        """Format one request's lines and queue them; the writer thread does the (blocking) file I/O."""
        self._queue.put(format_lines(records, predictions, request_id, datetime.now(UTC)))

    def close(self) -> None:
        """Write everything still queued, flush and close the file, stop the writer thread."""
        self._queue.put(_STOP)
        self._thread.join()
        self._file.close()

    def _write_forever(self) -> None:
        while (lines := self._queue.get()) is not _STOP:
            self._write(lines)
            if self._queue.empty():
                self._file.flush()  # one flush per burst of requests, not per line
# --8<-- [end:prediction_log]

    def start(self) -> None:
        """Open the file (creating its folder) and start the writer thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("ab")
        self._thread.start()

    def _write(self, lines: bytes) -> None:
        try:
            self._file.write(lines)
        except OSError:  # disk full, file removed ...: say so, keep the writer alive for the next lines
            logger.exception("could not write %d prediction(s) to %s", lines.count(b"\n"), self.path)


def format_lines(records: Sequence[Mapping[str, Any]], predictions: Sequence[Prediction], request_id: str | None,
                 time: datetime) -> bytes:
    """One JSON line per prediction, serialised by pydantic's Rust core (3-4x faster than ``json.dumps``)."""
    stamp = time.isoformat(timespec="milliseconds")
    return b"".join(to_json({"time": stamp, "request_id": request_id, "model_version": prediction.model_version,
                             "input": record, "output": {"churn_probability": float(prediction.probability),
                                                         "churn": bool(prediction.churn)}}) + b"\n"
                    for record, prediction in zip(records, predictions, strict=True))
