"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

A log shipper (Loki, Elasticsearch, CloudWatch) can then filter by field instead of parsing
free text, and one request id finds every line of one request. The id lives in a
``contextvars.ContextVar``: the middleware sets it at the start of a request and every log
call made while handling that request, however deep, picks it up without passing it around.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
LOGGER_NAME = "churn.service"

# Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


# --8<-- [start:json_formatter]
class JsonFormatter(logging.Formatter):
    """Format a log record as one JSON object: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
# --8<-- [end:json_formatter]


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> logging.Logger:
    """Send the service's logs (and uvicorn's) as JSON lines to ``stream`` (default: stderr).

    Calling it again replaces the handler instead of adding a second one, so creating several apps
    in one process (as the tests do) does not duplicate lines.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in (LOGGER_NAME, "uvicorn.error"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h.formatter, JsonFormatter)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # our middleware writes the access log, as JSON
    return logging.getLogger(LOGGER_NAME)
