"""Prometheus metrics of the service, in a registry of its own.

Each app gets its own ``prometheus_client.CollectorRegistry`` instead of the process-wide
default one, so tests can create several apps without "Duplicated timeseries" errors. The
registry is exposed by mounting ``prometheus_client.make_asgi_app(registry)`` at ``/metrics``
(``/metrics`` answers with a redirect to ``/metrics/``, which Prometheus follows).

The score distribution is a small custom collector rather than a ``Histogram``: a 1,000-row batch
would call ``Histogram.observe`` 1,000 times (3.3 ms, a seventh of the batch's latency budget),
while ``BatchHistogram.observe_many`` counts the whole batch under one lock (0.3 ms).

With several uvicorn workers each process would count on its own; that needs the client's
multi-process mode (``PROMETHEUS_MULTIPROC_DIR``). The course runs one worker per container and
scales with containers instead.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app
from prometheus_client.metrics_core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from starlette.types import ASGIApp

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(round(0.1 * step, 1) for step in range(1, 11))
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)


class BatchHistogram(Collector):
    """A Prometheus histogram that takes a whole batch of observations in one call."""

    def __init__(self, name: str, documentation: str, buckets: Iterable[float]) -> None:
        self.name, self.documentation = name, documentation
        self._bounds = [*sorted(buckets), math.inf]
        self._counts = [0] * len(self._bounds)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe_many(self, values: Iterable[float]) -> None:
        """Add every value to the bucket of the smallest upper bound ``le`` that is >= the value."""
        counts, total = [0] * len(self._bounds), 0.0
        for value in values:
            counts[bisect_left(self._bounds, value)] += 1
            total += value
        with self._lock:
            self._counts = [old + new for old, new in zip(self._counts, counts, strict=True)]
            self._sum += total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        """Yield the histogram with cumulative bucket counts, as Prometheus expects."""
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative = [sum(counts[: index + 1]) for index in range(len(counts))]
        yield HistogramMetricFamily(self.name, self.documentation, sum_value=total,
                                    buckets=[(floatToGoString(bound), count)
                                             for bound, count in zip(self._bounds, cumulative, strict=True)])

    def describe(self) -> Iterator[HistogramMetricFamily]:
        """Let the registry check the metric name without collecting."""
        yield HistogramMetricFamily(self.name, self.documentation)


# --8<-- [start:metrics]
class ServiceMetrics:
    """The service's request, latency, score and batching metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("churn_http_requests", "HTTP requests by route, method and status",
                                ["path", "method", "status"], registry=self.registry)
        self.latency = Histogram("churn_http_request_duration_seconds", "Time to answer a request",
                                 ["path"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.scores = BatchHistogram("churn_prediction_score", "Predicted churn probabilities", SCORE_BUCKETS)
        self.registry.register(self.scores)
        self.batch_size = Histogram("churn_model_batch_size", "Customers scored per model call",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.model_loaded = Gauge("churn_model_loaded", "1 once the model is loaded and the service is ready",
                                  registry=self.registry)
        self.model_info = Gauge("churn_model_info", "The model version served and how it was found (1 while "
                                "served)", ["version", "alias"], registry=self.registry)
# --8<-- [end:metrics]

    def show_model(self, version: str | None, alias: str = "") -> None:
        """Export which model is served: one ``churn_model_info{version, alias}`` series at 1, none for ``None``.

        ``alias`` says where the version came from: ``champion`` (the registry alias the service loads),
        ``bundle`` (a bundle folder, ``CHURN_MODEL_DIR``) or ``custom`` (``CHURN_PREDICTOR``, or a loader
        given in code). An info gauge, as Prometheus' own ``*_build_info`` metrics: the value is always
        1 and the labels carry the information, so ``count by (version) (churn_model_info)`` counts the
        replicas serving each version, mid-rollout too.
        """
        self.model_info.clear()
        if version is not None:
            self.model_info.labels(version, alias).set(1)

    def observe_request(self, path: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and record how long it took."""
        self.requests.labels(path, method, str(status)).inc()
        self.latency.labels(path).observe(seconds)

    def observe_scores(self, probabilities: Iterable[float]) -> None:
        """Add predicted probabilities to the score distribution (drift shows up here first)."""
        self.scores.observe_many(probabilities)

    def asgi_app(self) -> ASGIApp:
        """Return the ASGI app that serves this registry in Prometheus' text format."""
        return make_asgi_app(registry=self.registry)
