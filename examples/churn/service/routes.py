"""The HTTP routes: health, readiness, one prediction, a batch of predictions.

This module does not use ``from __future__ import annotations``: FastAPI reads the parameter
annotations to know what to validate, and the batch model is created at run time (its size limit
comes from the settings), so the annotations must be real objects, not strings.
"""

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from churn.service.schemas import CustomerRequest, ErrorResponse, PredictionResponse, batch_request_model
from churn.service.security import require_api_key
from churn.service.settings import ServiceSettings

if TYPE_CHECKING:
    from churn.predict import Prediction
    from churn.service.app import Service

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text} for code, text in {
        400: "The body is not valid JSON.",
        401: "The X-API-Key header is missing or wrong.",
        413: "The body is larger than CHURN_MAX_BODY_BYTES.",
        422: "A field is missing, unknown, of the wrong type, out of range or not an allowed value.",
        503: "The model is not loaded yet; see /ready.",
    }.items()
}


def service_of(request: Request) -> "Service":
    """The app's :class:`~churn.service.app.Service`."""
    return request.app.state.service


def ready_service(request: Request) -> "Service":
    """The service, or 503 when its model is not loaded yet."""
    service = service_of(request)
    if not service.ready:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"model not ready: {service.status}",
                            headers={"Retry-After": "5"})
    return service


def as_response(prediction: "Prediction") -> dict[str, Any]:
    """The JSON body for one prediction (the shape of :class:`PredictionResponse`)."""
    return {"customerID": prediction.customer_id, "churn_probability": prediction.probability,
            "churn": prediction.churn, "model_version": prediction.model_version}


def build_router(settings: ServiceSettings) -> APIRouter:
    """Return the routes; ``/predict*`` require the API key, the batch size limit comes from settings."""
    router = APIRouter()
    guarded = APIRouter(dependencies=[Depends(require_api_key(settings.api_key))], responses=ERRORS)
    batch_model: type[BaseModel] = batch_request_model(settings.max_batch)

    @router.get("/health", summary="The process is up (liveness)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready", summary="The model is loaded (readiness)", responses={503: {"description": "Not ready"}})
    async def ready(request: Request) -> JSONResponse:
        service = service_of(request)
        body = {"ready": service.ready, "status": service.status, "model_name": settings.model_name,
                "model_version": service.predictor.model_version if service.predictor else None}
        return JSONResponse(body, status_code=200 if service.ready else 503)

    # --8<-- [start:predict_endpoint]
    @guarded.post("/predict", response_model=PredictionResponse, summary="Score one customer")
    async def predict(customer: CustomerRequest, request: Request) -> JSONResponse:  # type: ignore[valid-type]
        """Return the churn probability of one customer (scored in a micro-batch with concurrent calls)."""
        service = ready_service(request)
        record = customer.model_dump()
        prediction = await service.batcher.predict(record)
        service.record([record], [prediction])
        return JSONResponse(as_response(prediction))  # already valid: skip re-validating the response

    @guarded.post("/predict/batch", response_model=list[PredictionResponse], summary="Score up to CHURN_MAX_BATCH")
    async def predict_batch(batch: batch_model, request: Request) -> JSONResponse:  # type: ignore[valid-type]
        """Return one prediction per customer, in the order of the request."""
        service = ready_service(request)
        records = [customer.model_dump() for customer in batch.customers]
        predictions = await asyncio.to_thread(service.predictor.predict_records, records)
        service.metrics.batch_size.observe(len(records))
        service.record(records, predictions)
        return JSONResponse([as_response(prediction) for prediction in predictions])
    # --8<-- [end:predict_endpoint]

    router.include_router(guarded)
    return router
