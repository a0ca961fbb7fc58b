"""The HTTP routes: health, readiness, one prediction, a batch of predictions, one explanation.

``POST /explain`` takes the body of ``POST /predict`` and answers per-feature contributions
(``churn.governance.explain``). The service scores with ONNX only, so it explains exactly what it
can compute with NumPy: the linear model, from the constants ``churn export`` puts into
``bundle.json`` (or the registry run's ``explain/linear.json``). A tree model's exact SHAP values need
its scikit-learn trees and ``shap``, which the image does not carry: for those the answer is 501
naming ``churn explain``, which loads the model from the registry. A linear model's bundle written
before ``/explain`` existed has no constants either and gets the same 501 (export it again).

``POST /predict/batch`` is tuned for its target (1,000 rows, p50 <= 25 ms); the first version
took 51 ms, the present one 14-24 ms on the benchmark VM. Each step was measured:

- pydantic parses the raw bytes itself (``TypeAdapter.validate_json``, one pass in Rust) instead of
  FastAPI's ``json.loads`` followed by validation of the Python objects;
- into plain dicts, through a ``TypedDict`` twin of the request model: no 1,000 model instances
  and no ``model_dump`` (validation 4.4 ms instead of 8 ms); ``POST /predict`` reads its body the
  same way, so both answer 415 for a body not sent as JSON and 400 with line and column for bad JSON;
- the answer and the prediction-log lines are serialised by ``pydantic_core.to_json`` (3-5x faster
  than ``json.dumps``), and the score histogram takes the batch in one call (``churn.service.metrics``).

Not on the event loop, and not under the server's GIL. A first version scored batches on the loop:
with 4 clients posting 1,000-row batches ``/health`` fell from 2,400 to 52 requests/s and single
``/predict`` calls saw p99 600 ms. The second one did everything a batch costs (size check,
validation, scoring, log lines, serialisation) in a worker thread; the loop kept reading requests,
but the batch's ~20 ms of Python held the GIL, which the loop wins back only every 5 ms (the
switch interval) for each step of a request: mixed-load ``/predict`` p99 100 ms on a quiet VM (with a
closed-loop ``/health`` client, as below).
Now the same work runs in a worker process (``churn.service.batch_worker``;
``CHURN_BATCH_WORKER=thread`` keeps the thread), and the server only reads the body, queues the
log lines and sends the answer bytes. Measured back to back on the shared 2-CPU VM while other
jobs kept its load average at 3-9 (``benchmarks/serving.py --mixed-only`` and full runs, three
pairs), thread -> process: single ``/predict`` 127-165 -> 301-593 req/s, p50 46-56 -> 10-24 ms,
p99 114-188 -> 49-145 ms; ``/health`` p99 36-96 -> 14-95 ms. On that busy machine neither meets
the 50 ms p99 every time. These figures were measured with ``/health`` asked by a closed-loop
``wrk`` client, itself a load of thousands of requests a second: they compare thread and process
with each other, not with lecture 4.2's, whose probe asks every 100 ms (``/predict`` p99 7.6 ms).
The worker process costs ~158 MiB of resident memory.
At most ``CONCURRENT_BATCHES`` (1) batches are scored at once: more batches queue on a semaphore
(without the limit, in the thread, batches got 2-3x the throughput and single ``/predict`` calls
fell to 53-97 req/s against 147-252).
Every waiting batch keeps its body (at most ``CHURN_MAX_BODY_BYTES``) in memory until its turn,
so at most ``MAX_WAITING_BATCHES`` (8) wait: one more gets 503 with ``Retry-After: 1`` at once,
and memory stays bounded (8 x 4 MB by default) however many clients post batches.

An oversized batch is refused before a single row is validated (``refuse_oversized_batch``):
7,043 rows got their 422 after 130-180 ms of validation, now after 26-41 ms end to end.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import from_json, to_json

from churn.service.logging_setup import REQUEST_ID
from churn.service.schemas import (
    CustomerRecord,
    CustomerRequest,
    ErrorResponse,
    ExplanationResponse,
    PredictionResponse,
    batch_request_model,
    fill_defaults,
)
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
        415: "The body is not sent as application/json.",
        422: "A field is missing, unknown, of the wrong type, out of range or not an allowed value.",
        503: "The model is not loaded yet; see /ready.",
    }.items()
}
ONE_CUSTOMER_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/CustomerRequest"}}}}}
CONCURRENT_BATCHES = 1  # batches scored at the same time; the others wait their turn
MAX_WAITING_BATCHES = 8  # batches that may wait for their turn; one more is refused with 503
COMMAS_PER_ROW = len(CustomerRequest.model_fields)  # 19 between the fields of a full row, 1 after it


def service_of(request: Request) -> Service:
    """The app's ``churn.service.app.Service``."""
    return request.app.state.service


def ready_service(request: Request) -> Service:
    """The service, or 503 when its model is not loaded yet."""
    service = service_of(request)
    if not service.ready:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"model not ready: {service.status}",
                            headers={"Retry-After": "5"})
    return service


def as_response(prediction: Prediction) -> dict[str, Any]:
    """The JSON body for one prediction (the shape of ``PredictionResponse``)."""
    return {"customerID": prediction.customer_id, "churn_probability": float(prediction.probability),
            "churn": bool(prediction.churn), "model_version": prediction.model_version}


def json_response(content: Any) -> Response:
    """A JSON response serialised by pydantic's Rust core (a 1,000-row answer: 0.3 ms instead of 1.5 ms)."""
    return Response(to_json(content), media_type="application/json")


# --8<-- [start:validate_json]
async def json_body(request: Request) -> bytes:
    """The raw body, or 415 when it is not sent as ``application/json`` (both ``/predict`` routes)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"send the body as JSON with Content-Type: application/json (got {content_type!r})")
    return await request.body()


def validate_json(body: bytes, adapter: TypeAdapter[Any]) -> Any:
    """Validate the raw body with pydantic's own JSON parser; errors look exactly like FastAPI's.

    FastAPI would run ``json.loads`` and then validate the Python objects; ``validate_json`` does
    both in one pass in Rust (1,000 rows: 5.6 ms instead of 9 ms), and its syntax errors give the
    line and column (invalid UTF-8, a number too large, nesting too deep included).
    """
    try:
        return adapter.validate_json(body)
    except ValidationError as error:
        raise RequestValidationError([{**issue, "loc": ("body", *issue["loc"])}
                                      for issue in error.errors(include_url=False)]) from None
# --8<-- [end:validate_json]


def refuse_oversized_batch(body: bytes, max_batch: int) -> None:
    """422 for more than ``max_batch`` customers, before a single row is validated.

    Pydantic checks a list's ``max_length`` only after validating the items: 7,043 valid rows took
    93 ms to be told "at most 1,000". Counting bytes is cheap (0.3 ms for 1,000 rows) and can only
    overcount: every object opens with a literal ``{`` (braces inside strings only add to the
    count), so a body with at most ``max_batch + 1`` braces holds at most ``max_batch`` customers
    that are objects. Other values are invalid rows, which pydantic refuses cheaply in an oversized
    list (19,000 ``null`` rows got their ``too_long`` in 2 ms), and the comma count caps how many
    of them can get past. Only a body beyond the counts is parsed, without validation (22 ms for
    7,043 rows), to count its customers exactly; a valid batch of ``max_batch`` rows never is.
    """
    if body.count(b"{") <= max_batch + 1 and body.count(b",") <= max_batch * COMMAS_PER_ROW:
        return
    try:
        document = from_json(body)
    except ValueError:
        return  # not JSON: the validation names the syntax error
    customers = document.get("customers") if isinstance(document, dict) else None
    if isinstance(customers, list) and len(customers) > max_batch:
        raise RequestValidationError([{"type": "too_long", "loc": ("body", "customers"), "input": None,
                                       "msg": f"List should have at most {max_batch} items, not {len(customers)}"}])


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """The ``requestBody`` entry of the OpenAPI document for a body read by ``json_body``."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # CustomerRequest: a component, added by document_request_models
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def document_request_models(app: FastAPI) -> None:
    """Add ``CustomerRequest`` to the OpenAPI components (the routes read their bodies themselves)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas["CustomerRequest"] = CustomerRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_router(settings: ServiceSettings) -> APIRouter:
    """Return the routes; ``/predict*`` require the API key, the batch size limit comes from settings."""
    router = APIRouter()
    guarded = APIRouter(dependencies=[Depends(require_api_key(settings.api_key))], responses=ERRORS)
    batch_model: type[BaseModel] = batch_request_model(settings.max_batch)  # for the OpenAPI document
    one_customer: TypeAdapter[Any] = TypeAdapter(CustomerRecord)
    batch_slots = asyncio.Semaphore(CONCURRENT_BATCHES)
    admitted = 0  # batches being scored or waiting for their turn
    most_admitted = CONCURRENT_BATCHES + MAX_WAITING_BATCHES

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
    @guarded.post("/predict", response_model=PredictionResponse, summary="Score one customer",
                  openapi_extra=ONE_CUSTOMER_BODY)
    async def predict(request: Request) -> Response:
        """Return the churn probability of one customer (scored in a micro-batch with concurrent calls)."""
        record = fill_defaults([validate_json(await json_body(request), one_customer)])[0]
        service = ready_service(request)
        prediction = await service.batcher.predict(record)  # the model runs in a worker thread
        service.record([record], [prediction])
        return json_response(as_response(prediction))  # already valid: skip re-validating the response

    @guarded.post("/predict/batch", response_model=list[PredictionResponse], summary="Score up to CHURN_MAX_BATCH",
                  openapi_extra=openapi_body(batch_model))
    async def predict_batch(request: Request) -> Response:
        """Return one prediction per customer, in the order of the request."""
        nonlocal admitted
        body = await json_body(request)
        service = ready_service(request)
        if admitted >= most_admitted:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                f"busy: {admitted} batches are being scored or waiting; retry in a second",
                                headers={"Retry-After": "1"})
        admitted += 1
        try:
            async with batch_slots:  # a flood of batches queues here instead of crowding out /predict
                # validated, scored and serialised in the batch worker (a process: churn.service.batch_worker)
                scored = await service.batch_worker.score(body, REQUEST_ID.get(), service.prediction_log.now())
        finally:
            admitted -= 1
        service.record_batch(scored)
        return Response(scored.answer, media_type="application/json")
    # --8<-- [end:predict_endpoint]

    # --8<-- [start:explain_endpoint]
    @guarded.post("/explain", response_model=ExplanationResponse, summary="Explain one customer's score",
                  openapi_extra=ONE_CUSTOMER_BODY,
                  responses={501: {"model": ErrorResponse, "description": "The served model has no explainer "
                                   "constants (a tree model, or a bundle exported before /explain): use "
                                   "`churn explain`."}})
    async def explain(request: Request) -> Response:
        """Per-feature contributions that, added to the base value, give the model's log-odds for this customer."""
        record = fill_defaults([validate_json(await json_body(request), one_customer)])[0]
        service = ready_service(request)
        explainer = getattr(service.predictor, "explainer", None)
        if explainer is None:
            raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED,
                                f"model v{service.predictor.model_version} carries no explainer constants: the service "
                                "explains only the linear model (a tree model needs scikit-learn and shap); use "
                                "`churn explain --customer FILE.json`, which loads the model from the registry, or, "
                                "for a linear model's bundle exported before /explain, run `churn export` again")
        explanation = (await asyncio.to_thread(explainer.explain_records, [record]))[0]  # NumPy work: off the loop
        prediction = await service.batcher.predict(record)  # the same score /predict answers
        return json_response({"customerID": prediction.customer_id, "model_version": prediction.model_version,
                              "churn_probability": float(prediction.probability), "churn": bool(prediction.churn),
                              **{key: value for key, value in explanation.to_dict().items()
                                 if key not in ("customerID", "churn_probability")}})
    # --8<-- [end:explain_endpoint]

    router.include_router(guarded)
    return router
