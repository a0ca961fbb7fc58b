"""Metric names for the checks of the alert rules and the Grafana dashboard.

- [`exported_names`][tests.examples.promql_names.exported_names]: every series name the service and
  the monitoring exporter expose, with the suffixes Prometheus sees (``_total``, ``_bucket``,
  ``_count``, ``_sum``, ``_created``), built from the real registries, not from a list kept by hand.
- [`metric_names`][tests.examples.promql_names.metric_names]: the metric names a PromQL expression
  selects. PromQL has no Python parser to rely on, so this is a small lexer that drops strings,
  label matchers, ranges, grouping clauses, function calls, keywords and numbers; whatever
  identifier is left is a metric name. promtool (``promtool check rules``) proves the expression
  parses; this only has to find the names in one that does.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from churn.monitoring import exporter
from churn.service.metrics import ServiceMetrics

from tests.examples.monitoring_fixtures import DRIFT, PERFORMANCE, write

SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
            "gauge": ("",), "info": ("_info",), "summary": ("_count", "_sum", "_created")}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan"}
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def service_names() -> set[str]:
    """Series names of the app's ServiceMetrics registry (labelled metrics have no samples yet, so by type)."""
    names = set()
    for family in ServiceMetrics().registry.collect():
        names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def exporter_names() -> set[str]:
    """Series names of the monitoring exporter with both summaries present (every metric it can export)."""
    with tempfile.TemporaryDirectory() as folder:
        registry = exporter.build_registry(*write(Path(folder), DRIFT, PERFORMANCE))
        return {sample.name for family in registry.collect() for sample in family.samples}


def exported_names() -> dict[str, str]:
    """Series name -> who exports it ("service" or "exporter")."""
    return {**{name: "exporter" for name in exporter_names()}, **{name: "service" for name in service_names()}}


def metric_names(expr: str) -> set[str]:
    """The metric names ``expr`` selects (recording-rule names with a colon included)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings (label values)
    text = re.sub(r"\{[^}]*\}", " ", text)       # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)      # ranges and subqueries
    text = GROUPING.sub(" ", text)               # by (le, path), on (feature), ...
    text = re.sub(r"\b[a-zA-Z_]\w*\s*\(", "(", text)  # function and aggregation names
    names = set(re.findall(r"(?<![\w.])[a-zA-Z_:][\w:]*", text))
    return {name for name in names if name.lower() not in KEYWORDS}
