"""The app factory: settings, model loading, middleware, error handlers and routes, wired together.

Run it with ``churn serve`` or ``uvicorn churn.service.app:create_app --factory``. There is no
module-level ``app``: importing this module loads nothing, and tests build as many apps as they
need, each with its own settings, predictor and metrics registry.

Start-up: ``/health`` answers as soon as the process is up; the model is loaded by the lifespan in
the background, and ``/ready`` says 503 until it is there (and keeps retrying when there is no
champion yet). Kubernetes uses the first as liveness probe and the second as readiness probe, so
a slow model load neither gets the pod killed nor sends it traffic too early.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from churn import __version__
from churn.service.batch_worker import BatchWorker
from churn.service.batching import MicroBatcher
from churn.service.errors import install_error_handlers
from churn.service.logging_setup import REQUEST_ID, configure_logging
from churn.service.metrics import ServiceMetrics
from churn.service.middleware import RequestContextMiddleware
from churn.service.prediction_log import PredictionLog
from churn.service.settings import ServiceSettings, SettingsError

if TYPE_CHECKING:
    from churn.predict import Prediction, Predictor
    from churn.service.batch_worker import ScoredBatch

PredictorLoader = Callable[[], "Predictor"]
logger = logging.getLogger("churn.service")


@dataclass
class Service:
    """What the routes need at request time; one per app, kept in ``app.state.service``."""

    settings: ServiceSettings
    metrics: ServiceMetrics
    predictor: Predictor | None = None
    batcher: MicroBatcher | None = None
    batch_worker: BatchWorker | None = None
    prediction_log: PredictionLog | None = None
    status: str = "starting"
    model_alias: str = "custom"  # where the model comes from, for churn_model_info: champion, bundle or custom

    @property
    def ready(self) -> bool:
        """Whether a model is loaded and requests can be scored."""
        return self.predictor is not None and self.batcher is not None

    def record(self, records: Sequence[Mapping[str, Any]], predictions: Sequence[Prediction]) -> None:
        """Count the scores in the metrics and queue the predictions for the prediction log."""
        self.metrics.observe_scores(prediction.probability for prediction in predictions)
        if self.prediction_log is not None:
            self.prediction_log.append(records, predictions, REQUEST_ID.get())

    def record_batch(self, scored: ScoredBatch) -> None:
        """Count a scored batch in the metrics and queue its log lines (formatted by the batch worker)."""
        self.metrics.batch_size.observe(len(scored.probabilities))
        self.metrics.observe_scores(scored.probabilities)
        if self.prediction_log is not None:
            self.prediction_log.append_lines(scored.time, scored.log_lines)


def champion_loader(settings: ServiceSettings) -> PredictorLoader:
    """Return a loader for the registry's ``champion`` (MLflow is imported only when it runs)."""

    def load() -> Predictor:
        from churn.predict import load_champion

        return load_champion(settings.tracking_uri, settings.model_name)

    return load


def bundle_loader(folder: Path) -> PredictorLoader:
    """Return a loader for the model bundle in ``folder`` (``CHURN_MODEL_DIR``; no MLflow needed)."""

    def load() -> Predictor:
        from churn.model_bundle import load_bundle

        return load_bundle(folder)

    return load


def imported_loader(path: str) -> PredictorLoader:
    """Return the function named by ``"package.module:function"`` (``CHURN_PREDICTOR``).

    Raises:
        SettingsError: The module cannot be imported or has no such function.
    """
    module_name, _, function_name = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        raise SettingsError(f"CHURN_PREDICTOR: cannot load {path!r} ({error}); give an importable "
                            "'package.module:function' that returns a predictor") from None


# --8<-- [start:lifespan]
def build_lifespan(service: Service, load: PredictorLoader) -> Callable[[FastAPI], Any]:
    """Return the lifespan: open the prediction log, load the model in the background; undo on exit."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.prediction_log = PredictionLog.from_settings(service.settings)  # rotated and pruned as it grows
        service.prediction_log.start()
        loading = asyncio.create_task(load_until_ready(service, load), name="load-model")
        try:
            yield  # the app serves requests while we are suspended here
        finally:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
            if service.batcher is not None:
                await service.batcher.stop()  # answer the requests still waiting for a batch
            if service.batch_worker is not None:
                await service.batch_worker.stop()  # and stop the batch worker process
            service.metrics.model_loaded.set(0)
            service.metrics.show_model(None)
            await asyncio.to_thread(service.prediction_log.close)  # write out every queued line

    return lifespan
# --8<-- [end:lifespan]


# --8<-- [start:load_model]
async def load_until_ready(service: Service, load: PredictorLoader) -> None:
    """Load the model in a worker thread (retrying while there is none), start the batch worker, then serve."""
    settings = service.settings
    while True:
        service.status = "loading the model"
        # Loading imports MLflow, SQLAlchemy and ONNX Runtime: hundreds of thousands of objects that live
        # as long as the process. Collecting garbage in the middle of that finds nothing and costs
        # about 0.3 s of start-up, so the collector waits until the model is in.
        gc.disable()
        try:
            predictor = await asyncio.to_thread(load)
            service.batch_worker = BatchWorker(predictor, settings.max_batch,
                                               in_process=settings.batch_worker == "process")
            await service.batch_worker.start()  # a worker process loads its copy of the model (1-2 s)
            break
        except Exception as error:  # no champion yet, registry unreachable, corrupt artifact ...
            if service.batch_worker is not None:
                await service.batch_worker.stop()
                service.batch_worker = None
            service.status = f"could not load the model ({type(error).__name__}: {error}); " \
                             f"retrying every {settings.load_retry_seconds:g} s"
            logger.error("model not loaded: %s", error, extra={"retry_in_seconds": settings.load_retry_seconds})
        finally:
            gc.enable()
        await asyncio.sleep(settings.load_retry_seconds)
    # Start-up left ~170,000 long-lived objects (pandas, MLflow, the model); a full garbage
    # collection walks them all and stalls every request for ~100 ms. Freezing them removes the
    # stall (measured: p99 73 ms -> 11 ms; see churn.service.batching).
    gc.collect()
    gc.freeze()
    batcher = MicroBatcher(predictor.predict_records, window_seconds=settings.batch_window_ms / 1000,
                           max_size=settings.batch_max_size,
                           on_batch=service.metrics.batch_size.observe)
    batcher.start()
    service.predictor, service.batcher, service.status = predictor, batcher, "ready"
    service.metrics.model_loaded.set(1)
    service.metrics.show_model(predictor.model_version, service.model_alias)
    logger.info("model loaded", extra={"model_version": predictor.model_version})
# --8<-- [end:load_model]


def create_app(settings: ServiceSettings | None = None, predictor_loader: PredictorLoader | None = None) -> FastAPI:
    """Build the prediction API.

    Args:
        settings: Service settings; by default read from the ``CHURN_*`` environment variables.
        predictor_loader: Returns the predictor to serve; by default the function named by
            ``CHURN_PREDICTOR`` if set, else the bundle in ``CHURN_MODEL_DIR`` if set, else the
            registry's champion (``churn.predict.load_champion``).

    Raises:
        churn.service.settings.SettingsError: A required variable (``CHURN_API_KEY``) is missing, a value is
            invalid, or ``CHURN_PREDICTOR`` names nothing importable.
    """
    from churn.service.routes import build_router, document_request_models

    settings = settings or ServiceSettings.from_env()
    configure_logging(settings.log_level)
    model_alias = "custom"
    if predictor_loader is None and settings.predictor:
        predictor_loader = imported_loader(settings.predictor)
    elif predictor_loader is None and settings.model_dir:
        predictor_loader, model_alias = bundle_loader(settings.model_dir), "bundle"
    elif predictor_loader is None:
        predictor_loader, model_alias = champion_loader(settings), "champion"
    service = Service(settings, ServiceMetrics(), model_alias=model_alias)
    app = FastAPI(title="Churn prediction API", version=__version__, lifespan=build_lifespan(service, predictor_loader),
                  max_body_size=settings.max_body_bytes,
                  description="Scores customers of the Telco churn contract with the registry's champion model.")
    app.state.service = service
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=service.metrics)
    app.include_router(build_router(settings))
    document_request_models(app)
    app.mount("/metrics", service.metrics.asgi_app(), name="metrics")
    return app
