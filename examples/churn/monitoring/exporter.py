"""A small Prometheus exporter for the drift and performance summaries (``churn monitor-exporter``).

Drift (``churn drift`` writes ``monitoring/drift.json``) and realised performance (``churn feedback``
writes ``monitoring/performance.json``) come from batch jobs that run weekly or monthly. Three ways
to get such figures into Prometheus, and why this project picks the second:

- Gauges in the service: every replica of the API would export the same figures (three replicas,
  three copies of each PSI to deduplicate in every query), each replica needs the files, and a
  model-serving process gains a job that is not serving.
- **A small exporter (this module)**: one process, scraped like any target, that reads the two JSON
  files *at scrape time* through a custom collector (``prometheus_client.registry.Collector``, the
  client's documented way to export state that lives elsewhere). Nothing to keep in sync: a new
  report is visible at the next scrape, a missing one makes its metrics absent, and the report's
  own ``generated_at`` is exported so an alert can tell a stale report from a fresh one.
- The Pushgateway: the Prometheus documentation recommends it for service-level batch jobs, but it
  keeps the last push forever (a deleted or failed report still looks current unless the job also
  deletes it), it becomes a single point every job depends on, and it is one more service to run.
  Here the jobs already leave a file, so reading the file is simpler and has none of those traps.

What the exporter serves (names shared with the alert rules and the Grafana dashboard):

- from drift.json: ``churn_feature_drift_psi{feature}``, ``churn_feature_drifted{feature}`` (0/1),
  ``churn_prediction_drift_psi``, ``churn_prediction_drifted`` (0/1), ``churn_drift_detected`` (0/1),
  ``churn_drift_report_timestamp_seconds``, ``churn_monitored_model_info{version, report}`` (= 1);
- from performance.json (its ``latest`` week; absent while there is none):
  ``churn_realised_roc_auc``, ``churn_realised_labelled_customers``,
  ``churn_realised_below_threshold`` (0/1), ``churn_performance_report_timestamp_seconds``;
- ``churn_monitoring_report_up{report="drift"|"performance"}``: 1 when the file was read, 0 when it
  is missing or unreadable (then that report's other metrics are absent, and the reason is logged
  once, not at every scrape).

Run it with ``churn monitor-exporter`` (or ``python -m churn.monitoring.exporter`` where the training
stack is not installed, as in the service image); it listens on 127.0.0.1:9108 by default.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

DEFAULT_DRIFT = Path("monitoring/drift.json")
DEFAULT_PERFORMANCE = Path("monitoring/performance.json")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 9108

logger = logging.getLogger(__name__)


# ---- the parts of the two summaries the exporter reads (the files carry more; extra keys are ignored)

class _Summary(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


# Values a report can hold: a PSI is finite and never negative (churn drift floors empty bins, so it
# writes no infinity), a ROC AUC lies in [0, 1], a count is a whole number >= 0, and the verdicts are
# JSON true/false (not "yes" or 1). Anything else is a broken report, refused with the field's name,
# rather than a NaN or a negative PSI on the dashboard and in the alerts.
Psi = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
Name = Annotated[str, Field(min_length=1)]


class FeatureDrift(_Summary):
    """One feature's entry in drift.json's ``features`` list."""

    feature: Name
    psi: Psi
    drifted: StrictBool


class PredictionDrift(_Summary):
    """drift.json's ``prediction`` entry: the drift of the predicted scores."""

    psi: Psi
    drifted: StrictBool


class DriftSummary(_Summary):
    """drift.json, written by ``churn drift``."""

    generated_at: AwareDatetime
    model_version: str | None = None
    features: list[FeatureDrift]
    prediction: PredictionDrift | None = None
    drift: StrictBool

    @field_validator("features")
    @classmethod
    def _one_entry_per_feature(cls, features: list[FeatureDrift]) -> list[FeatureDrift]:
        """Two samples with the same labels would make Prometheus reject the whole scrape."""
        seen: set[str] = set()
        for entry in features:
            if entry.feature in seen:
                raise ValueError(f"feature {entry.feature!r} is listed twice")
            seen.add(entry.feature)
        return features


class WeekPerformance(_Summary):
    """One week of performance.json: realised metrics once the labels arrived."""

    week: str
    labelled: Count
    roc_auc: Share | None = None


class PerformanceSummary(_Summary):
    """performance.json, written by ``churn feedback``."""

    generated_at: AwareDatetime
    model_version: str | None = None
    latest: WeekPerformance | None = None
    below_threshold: StrictBool = False


Report = Literal["drift", "performance"]
SCHEMAS: dict[Report, type[_Summary]] = {"drift": DriftSummary, "performance": PerformanceSummary}
WRITERS: dict[Report, str] = {"drift": "churn drift", "performance": "churn feedback"}


class ReportUnreadable(Exception):
    """A summary file exists but is not JSON in the expected format."""


def read_summary(path: Path, report: Report) -> _Summary | None:
    """Return the parsed summary, or ``None`` if the file does not exist yet.

    Raises [`ReportUnreadable`][churn.monitoring.exporter.ReportUnreadable] naming the file and the line or field.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportUnreadable(f"{path}: cannot read the file ({error})") from None
    try:
        return SCHEMAS[report].model_validate(json.loads(text))
    except json.JSONDecodeError as error:
        raise ReportUnreadable(f"{path}: line {error.lineno} column {error.colno}: not JSON ({error.msg})") from None
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(the document)"
        raise ReportUnreadable(f"{path}: field {field}: {first['msg']} (the {report} summary's format is in "
                               f"churn.monitoring.exporter.{SCHEMAS[report].__name__})") from None


def _gauge(name: str, documentation: str, value: float | None = None,
           labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value, labels=labels)


# --8<-- [start:collector]
class MonitoringCollector(Collector):
    """Reads drift.json and performance.json at every scrape and yields their figures as gauges."""

    def __init__(self, drift_path: Path = DEFAULT_DRIFT, performance_path: Path = DEFAULT_PERFORMANCE) -> None:
        self.paths: dict[Report, Path] = {"drift": Path(drift_path), "performance": Path(performance_path)}
        self._last_problem: dict[Report, str | None] = {"drift": None, "performance": None}
        self._lock = threading.Lock()  # scrapes may run in parallel threads

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the up gauge of both reports, then the metrics of each report that could be read."""
        up = _gauge("churn_monitoring_report_up", "1 if the monitoring report file was read, 0 if it is missing "
                    "or unreadable", labels=["report"])
        families: list[GaugeMetricFamily] = []
        for report, path in self.paths.items():
            summary = self._read(report, path)
            up.add_metric([report], 0.0 if summary is None else 1.0)
            if isinstance(summary, DriftSummary):
                families += drift_metrics(summary)
            elif isinstance(summary, PerformanceSummary):
                families += performance_metrics(summary)
        yield up
        yield from _merge(families)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Nothing up front: which metrics exist depends on the files, so the registry checks no names."""
        return iter(())

    def _read(self, report: Report, path: Path) -> _Summary | None:
        level = logging.INFO  # a report the job has not written yet is normal; a broken one is not
        try:
            summary, problem = read_summary(path, report), None
            if summary is None:
                problem = f"{path}: no such file yet ({WRITERS[report]} writes it); its metrics are absent"
        except ReportUnreadable as error:
            summary, problem, level = None, f"{error}; its metrics are absent until the file is fixed", logging.WARNING
        with self._lock:  # say each new problem once, not at every scrape
            if problem != self._last_problem[report]:
                if problem:
                    logger.log(level, problem)
                elif self._last_problem[report]:
                    logger.info("%s: read again", path)
                self._last_problem[report] = problem
        return summary
# --8<-- [end:collector]


def drift_metrics(summary: DriftSummary) -> list[GaugeMetricFamily]:
    """The gauges of one drift summary."""
    psi = _gauge("churn_feature_drift_psi", "Population stability index of the feature, current window against "
                 "the reference (training data of the monitored model)", labels=["feature"])
    drifted = _gauge("churn_feature_drifted", "1 if the drift job judged the feature drifted (its PSI and test "
                     "rule), else 0", labels=["feature"])
    for entry in summary.features:
        psi.add_metric([entry.feature], entry.psi)
        drifted.add_metric([entry.feature], float(entry.drifted))
    families = [psi, drifted,
                _gauge("churn_drift_detected", "1 if any feature or the prediction drifted, else 0",
                       float(summary.drift)),
                _gauge("churn_drift_report_timestamp_seconds", "When the drift report was generated (Unix time)",
                       summary.generated_at.timestamp())]
    if summary.prediction is not None:
        families += [_gauge("churn_prediction_drift_psi", "Population stability index of the predicted scores",
                            summary.prediction.psi),
                     _gauge("churn_prediction_drifted", "1 if the predicted scores drifted, else 0",
                            float(summary.prediction.drifted))]
    families += _model_info(summary.model_version, "drift")
    return families


def performance_metrics(summary: PerformanceSummary) -> list[GaugeMetricFamily]:
    """The gauges of one performance summary (realised figures only once a week has a verdict)."""
    families = [_gauge("churn_performance_report_timestamp_seconds", "When the performance report was generated "
                       "(Unix time)", summary.generated_at.timestamp())]
    latest = summary.latest
    if latest is not None:
        if latest.roc_auc is not None:
            families.append(_gauge("churn_realised_roc_auc", "ROC AUC on the last complete week with labels",
                                   latest.roc_auc))
        families += [_gauge("churn_realised_labelled_customers", "Labelled predictions in that week",
                            float(latest.labelled)),
                     _gauge("churn_realised_below_threshold", "1 if the realised ROC AUC is below the configured "
                            "minimum (monitoring.min_realised_roc_auc), else 0", float(summary.below_threshold))]
    families += _model_info(summary.model_version, "performance")
    return families


def _model_info(version: str | None, report: Report) -> list[GaugeMetricFamily]:
    if version is None:
        return []
    info = _gauge("churn_monitored_model_info", "The registry version of the model a monitoring report is about "
                  "(always 1)", labels=["version", "report"])
    info.add_metric([version, report], 1.0)
    return [info]


def _merge(families: list[GaugeMetricFamily]) -> Iterator[GaugeMetricFamily]:
    """One family per name (both reports give churn_monitored_model_info; the text format wants it once)."""
    merged: dict[str, GaugeMetricFamily] = {}
    for family in families:
        if family.name in merged:
            merged[family.name].samples.extend(family.samples)
        else:
            merged[family.name] = family
    yield from merged.values()


def build_registry(drift_path: Path = DEFAULT_DRIFT, performance_path: Path = DEFAULT_PERFORMANCE) -> CollectorRegistry:
    """A registry of its own holding only the monitoring collector (no process or platform metrics)."""
    registry = CollectorRegistry()
    registry.register(MonitoringCollector(drift_path, performance_path))
    return registry


def serve(drift_path: Path, performance_path: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the metrics at ``http://host:port/metrics`` until SIGINT or SIGTERM (e.g. ``docker stop``)."""
    server, thread = start_http_server(port, addr=host, registry=build_registry(drift_path, performance_path))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    logger.info("serving %s and %s at http://%s:%d/metrics (Ctrl+C stops)", drift_path, performance_path, host, port)
    stop.wait()
    server.shutdown()
    thread.join()


def main(argv: list[str] | None = None) -> int:
    """``python -m churn.monitoring.exporter [options]``: ``churn monitor-exporter`` without the CLI's other imports.

    The ``churn`` command imports the training stack's error types before it runs any command; the
    service image (which runs the exporter in compose.yaml) has no training stack, so it starts this way.
    The options, defaults and exit codes are the ones of ``churn monitor-exporter``.
    """
    from churn.cli import EXIT_BAD_INPUT, PortInUse, build_parser

    args = build_parser().parse_args(["monitor-exporter", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.handler(args)
    except PortInUse as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
