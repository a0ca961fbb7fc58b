"""Prometheus metrics of the service, in a registry of its own.

Each app gets its own :class:`prometheus_client.CollectorRegistry` instead of the process-wide
default one, so tests can create several apps without "Duplicated timeseries" errors. The
registry is exposed by mounting ``prometheus_client.make_asgi_app(registry)`` at ``/metrics``.

With several uvicorn workers each process would count on its own; that needs the client's
multi-process mode (``PROMETHEUS_MULTIPROC_DIR``). The course runs one worker per container and
scales with containers instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app
from starlette.types import ASGIApp

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(round(0.1 * step, 1) for step in range(1, 11))
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)


# --8<-- [start:metrics]
class ServiceMetrics:
    """The service's request, latency, score and batching metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("churn_http_requests", "HTTP requests by route, method and status",
                                ["path", "method", "status"], registry=self.registry)
        self.latency = Histogram("churn_http_request_duration_seconds", "Time to answer a request",
                                 ["path"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.scores = Histogram("churn_prediction_score", "Predicted churn probabilities",
                                buckets=SCORE_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("churn_model_batch_size", "Customers scored per model call",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.model_loaded = Gauge("churn_model_loaded", "1 once the model is loaded and the service is ready",
                                  registry=self.registry)
# --8<-- [end:metrics]

    def observe_request(self, path: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and record how long it took."""
        self.requests.labels(path, method, str(status)).inc()
        self.latency.labels(path).observe(seconds)

    def observe_scores(self, probabilities: Iterable[float]) -> None:
        """Add predicted probabilities to the score distribution (drift shows up here first)."""
        for probability in probabilities:
            self.scores.observe(probability)

    def asgi_app(self) -> ASGIApp:
        """Return the ASGI app that serves this registry in Prometheus' text format."""
        return make_asgi_app(registry=self.registry)
