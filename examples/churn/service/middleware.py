"""One middleware for what every request needs: a request id, an access-log line, request metrics.

It is a plain ASGI middleware rather than ``@app.middleware("http")`` (Starlette's
``BaseHTTPMiddleware``), which wraps every request in extra tasks and streams and costs a
measurable share of a sub-millisecond request.

The request id comes from the client's ``X-Request-ID`` header when it looks like an id (so one
id can follow a request through several services), otherwise it is generated; either way it is
echoed in the response's ``X-Request-ID`` header, set in ``churn.service.logging_setup.REQUEST_ID``
for every log line of the request, and kept in ``request.state.request_id``. The context variable
is not reset afterwards on purpose: the server runs each request in a task of its own, so the value
cannot leak into another request, and the 500 handler (which runs after this middleware has
finished) can still log it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from churn.service.logging_setup import LOGGER_NAME, REQUEST_ID
from churn.service.metrics import ServiceMetrics

REQUEST_ID_HEADER = b"x-request-id"
VALID_REQUEST_ID = re.compile(r"^[\w.:-]{1,128}$")  # no spaces, quotes or newlines to smuggle into logs


class RequestContextMiddleware:
    """Give each request an id, then log and count it when the response has been sent."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self.logger = logging.getLogger(LOGGER_NAME)

    # --8<-- [start:request_middleware]
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        REQUEST_ID.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.finish(scope, status, time.perf_counter() - started)
    # --8<-- [end:request_middleware]

    def finish(self, scope: Scope, status: int, seconds: float) -> None:
        """Record the request in the metrics and write its access-log line."""
        path = route_path(scope)
        self.metrics.observe_request(path, scope["method"], status, seconds)
        self.logger.info("request", extra={"method": scope["method"], "path": scope["path"], "route": path,
                                           "status": status, "duration_ms": round(seconds * 1000, 3)})


def incoming_request_id(scope: Scope) -> str | None:
    """The client's ``X-Request-ID`` if it is a plausible id (letters, digits, ``._:-``), else ``None``."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if VALID_REQUEST_ID.match(text) else None
    return None


def route_path(scope: Scope) -> str:
    """The route template (``/predict``), never the raw path: unknown paths must not create new series."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
