"""The prediction log: every prediction appended to a JSON-lines file, for monitoring and audits.

One line per scored customer::

    {"time": "2026-05-04T09:12:03.512+00:00", "request_id": "1f3c...", "model_version": "3",
     "input": {...the 20 fields...}, "output": {"churn_probability": 0.62, "churn": true}}

Requests are handled concurrently, and two writers appending to one file can interleave or lose
lines. So request handlers never touch the file: they put entries on a :class:`queue.Queue` (which
is thread-safe and never blocks the event loop), and a single writer thread takes them off and
appends them. On shutdown :meth:`PredictionLog.close` waits until the queue is empty and the file
flushed, so nothing accepted is lost. (A crash of the process can still lose what was queued but
not yet written; fsync per line would make every request wait for the disk.)
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger("churn.service.prediction_log")

_STOP = object()


# --8<-- [start:prediction_log]
class PredictionLog:
    """Append predictions to a JSON-lines file from one writer thread fed by a queue."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._write_forever, name="prediction-log", daemon=True)

    def start(self) -> None:
        """Open the file (creating its folder) and start the writer thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._thread.start()

    def append(self, entries: Sequence[dict[str, Any]], request_id: str | None, model_version: str) -> None:
        """Queue one request's predictions; returns at once, the writer thread does the I/O."""
        self._queue.put((datetime.now(UTC), request_id, model_version, entries))

    def close(self) -> None:
        """Write everything still queued, flush and close the file, stop the writer thread."""
        self._queue.put(_STOP)
        self._thread.join()
        self._file.close()

    def _write_forever(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            self._write(*item)
            if self._queue.empty():
                self._file.flush()  # one flush per burst of requests, not per line
# --8<-- [end:prediction_log]

    def _write(self, time: datetime, request_id: str | None, model_version: str,
               entries: Sequence[dict[str, Any]]) -> None:
        stamp = time.isoformat(timespec="milliseconds")
        try:
            self._file.write("".join(json.dumps({"time": stamp, "request_id": request_id,
                                                 "model_version": model_version, **entry}) + "\n"
                                     for entry in entries))
        except (OSError, ValueError, TypeError):  # disk full, closed file, unserialisable value
            logger.exception("could not write %d prediction(s) to %s", len(entries), self.path)
