"""API-key authentication: clients send the key in the ``X-API-Key`` header.

The key comes from ``CHURN_API_KEY`` (see ``churn.service.settings``); it is compared in
constant time so that response timing does not reveal how much of a guess was right. Declaring the
header with ``fastapi.security.APIKeyHeader`` also puts it into the OpenAPI documentation, so
the "Authorize" button of ``/docs`` works.

Order of checks: the ``/predict*`` and ``/explain`` routes declare no body parameter; they read the
body inside the endpoint (``churn.service.routes.json_body``), after this dependency has run. So a
request without a valid key gets 401 whatever its body, before 415, 400 or 422.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Security, status
from fastapi.security import APIKeyHeader
from pydantic import SecretStr

API_KEY_HEADER = "X-API-Key"


# --8<-- [start:api_key]
def require_api_key(expected: SecretStr) -> Callable[[str | None], Awaitable[None]]:
    """Return a FastAPI dependency that answers 401 unless the request carries the expected key."""
    header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="the value of CHURN_API_KEY")
    expected_bytes = expected.get_secret_value().encode()

    async def check(api_key: str | None = Security(header)) -> None:  # async: no thread hop per request
        if not api_key:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing API key: send it in the {API_KEY_HEADER} "
                                "header", headers={"WWW-Authenticate": API_KEY_HEADER})
        if not secrets.compare_digest(api_key.encode(), expected_bytes):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"wrong API key in the {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": API_KEY_HEADER})

    return check
# --8<-- [end:api_key]
