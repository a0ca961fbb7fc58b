"""Exception handlers: bad input is the client's mistake (4xx naming the field), never a 500.

Every error body has the same shape, ``{"detail": ..., "errors": [...], "request_id": ...}``:

| cause | status |
|---|---|
| body is not valid JSON (syntax, invalid UTF-8, a number too large, nesting too deep) | 400, with line and column |
| missing, extra, mistyped, out-of-range or non-finite field, unknown category, batch size | 422, one per field |
| a record the predictor's own contract check refuses | 422 |
| body larger than ``CHURN_MAX_BODY_BYTES`` | 413 (plain text, from Starlette's body limit) |
| body not sent as ``application/json`` (``/predict`` and ``/predict/batch``) | 415 |
| missing or wrong API key | 401 |
| model not loaded yet | 503 |
| a bug in the service | 500, logged with its traceback and request id |
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from churn.service.logging_setup import LOGGER_NAME

logger = logging.getLogger(LOGGER_NAME)
MAX_ERRORS_IN_DETAIL = 10
JSON_POSITION = re.compile(r"at line (?P<line>\d+) column (?P<column>\d+)")


def error_response(request: Request, status_code: int, detail: str, errors: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """Return the service's standard error body, with the request id for support tickets."""
    request_id = getattr(request.state, "request_id", None)
    body = {"detail": detail, "errors": errors or [], "request_id": request_id}
    return JSONResponse(body, status_code=status_code, headers=headers)


def field_name(location: tuple[Any, ...]) -> str:
    """``("body", "customers", 0, "tenure")`` -> ``"customers.0.tenure"`` (``"body"`` for the body itself)."""
    parts = [str(part) for part in location[1:]] if location[:1] == ("body",) else [str(p) for p in location]
    return ".".join(parts) or "body"


# --8<-- [start:validation_handler]
async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """400 for a body that is not JSON (with the line and column), 422 naming every missing, extra or invalid field."""
    issues = error.errors()
    syntax = next((issue for issue in issues if issue["type"] == "json_invalid"), None)
    if syntax is not None:  # pydantic's parser: "key must be a string at line 1 column 2"
        reason = str(syntax.get("ctx", {}).get("error", syntax["msg"]))
        entry: dict[str, Any] = {"field": "body", "message": reason, "type": "json_invalid"}
        if position := JSON_POSITION.search(reason):
            entry |= {"line": int(position["line"]), "column": int(position["column"])}
        return error_response(request, status.HTTP_400_BAD_REQUEST, f"body is not valid JSON: {reason}", [entry])
    errors = [{"field": field_name(issue["loc"]), "message": issue["msg"], "type": issue["type"]} for issue in issues]
    shown = "; ".join(f"{entry['field']}: {entry['message']}" for entry in errors[:MAX_ERRORS_IN_DETAIL])
    more = f" (and {len(errors) - MAX_ERRORS_IN_DETAIL} more)" if len(errors) > MAX_ERRORS_IN_DETAIL else ""
    return error_response(request, status.HTTP_422_UNPROCESSABLE_CONTENT, f"invalid request: {shown}{more}", errors)
# --8<-- [end:validation_handler]


async def on_http_error(request: Request, error: HTTPException) -> JSONResponse:
    """401, 404, 405, 413, 503 ...: the same body shape as every other error."""
    return error_response(request, error.status_code, str(error.detail), headers=error.headers)


async def on_prediction_input_error(request: Request, error: Exception) -> JSONResponse:
    """A record that passed the request model but not the predictor's contract check."""
    return error_response(request, status.HTTP_422_UNPROCESSABLE_CONTENT, f"invalid customer record: {error}")


async def on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """A genuine bug: log it with its traceback, answer 500 without internals."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    request_id = getattr(request.state, "request_id", None)
    return error_response(request, status.HTTP_500_INTERNAL_SERVER_ERROR,
                          f"internal error; please report it with the request id {request_id}",
                          headers={"X-Request-ID": request_id} if request_id else None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    from churn.predict import PredictionInputError

    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(PredictionInputError, on_prediction_input_error)
    app.add_exception_handler(Exception, on_unexpected_error)
