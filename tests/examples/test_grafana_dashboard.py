"""The Grafana dashboards (examples/deploy/grafana/dashboards): data source, PromQL and metric names, per panel.

Three checks, each run on the real dashboards and on a broken copy that must fail naming the panel:

- every panel and every query uses the data source Grafana provisions (its ``uid``);
- every query is valid PromQL. Grafana has no offline PromQL linter, but promtool parses PromQL
  when it checks a rules file: every query goes into a temporary rules file as a recording rule
  (one group per panel, named after the panel), and ``promtool check rules`` names the group of
  each query it cannot parse;
- every metric a query selects is exported by the service (the app's ``ServiceMetrics`` registry,
  with the ``_bucket``/``_count``/``_sum``/``_total`` series Prometheus sees) or by the monitoring
  exporter (``churn.monitoring.exporter`` reading the contract's drift.json and performance.json).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.examples.promql_names import exported_names, metric_names

GRAFANA = Path(__file__).resolve().parents[2] / "examples" / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
MAIN = GRAFANA / "dashboards" / "churn-service.json"


def provisioned_uid() -> str:
    (source,) = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())["datasources"]
    return source["uid"]


def query_panels(dashboard: dict) -> list[dict]:
    """Every panel that queries (rows are layout; a collapsed row keeps its panels inside it)."""
    found = []
    for panel in dashboard["panels"]:
        found += [panel] if panel["type"] != "row" else panel.get("panels", [])
    return [panel for panel in found if panel["type"] != "row"]


def name(path: Path, panel: dict) -> str:
    return f"{path.name}: panel {panel['id']} {panel['title']!r}"


def datasource_problems(path: Path, dashboard: dict, uid: str) -> list[str]:
    problems = []
    for panel in query_panels(dashboard):
        if not panel.get("targets"):
            problems.append(f"{name(path, panel)}: no queries")
        used = [panel.get("datasource") or {}] + [target.get("datasource") or {} for target in panel.get("targets", [])]
        for source in used:
            if source.get("uid") != uid:
                problems.append(f"{name(path, panel)}: data source uid {source.get('uid')!r}, but Grafana provisions "
                                f"{uid!r} (provisioning/datasources/prometheus.yaml)")
    return problems


def query_problems(path: Path, dashboard: dict, folder: Path) -> list[str]:
    """promtool's parse errors, one line per bad query, naming the panel."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed: on Debian `apt-get install prometheus` "
                    "(or run .ci/run, which extracts promtool from that package)")
    groups = [{"name": f"panel {panel['id']}",
               "rules": [{"record": f"panel_{panel['id']}_{target['refId']}", "expr": target["expr"]}
                         for target in panel["targets"]]} for panel in query_panels(dashboard)]
    rules = folder / f"{path.stem}.queries.yml"
    rules.write_text(yaml.safe_dump({"groups": groups}), encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True, timeout=60)
    titles = {f"panel {panel['id']}": panel for panel in query_panels(dashboard)}
    problems = []
    for line in (result.stdout + result.stderr).splitlines():
        found = re.search(r'group "(panel \d+)", rule \d+, "panel_\d+_(\w+)": (.*)', line)
        if found:
            problems.append(f"{name(path, titles[found[1]])}: query {found[2]}: {found[3]}")
    if result.returncode != 0 and not problems:
        problems.append(f"{path.name}: promtool check rules failed: {result.stdout}{result.stderr}")
    return problems


def metric_problems(path: Path, dashboard: dict, known: dict[str, str]) -> list[str]:
    return [f"{name(path, panel)}: query {target['refId']}: {metric} is exported neither by the service nor by "
            "the monitoring exporter"
            for panel in query_panels(dashboard) for target in panel["targets"]
            for metric in sorted(metric_names(target["expr"]) - set(known))]


@pytest.fixture(scope="module")
def known() -> dict[str, str]:
    return exported_names()


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---- the real dashboards

@pytest.mark.parametrize("path", DASHBOARDS, ids=[path.name for path in DASHBOARDS])
def test_every_panel_uses_the_provisioned_data_source(path):
    assert datasource_problems(path, load(path), provisioned_uid()) == []


@pytest.mark.parametrize("path", DASHBOARDS, ids=[path.name for path in DASHBOARDS])
def test_every_query_is_valid_promql(path, tmp_path):
    assert query_problems(path, load(path), tmp_path) == []


@pytest.mark.parametrize("path", DASHBOARDS, ids=[path.name for path in DASHBOARDS])
def test_every_metric_is_exported_by_the_service_or_the_exporter(path, known):
    assert metric_problems(path, load(path), known) == []


def test_the_dashboard_shows_what_the_monitoring_needs(known):
    """Latency quantiles, error rate, throughput, score distribution, drift per feature, model version."""
    exprs = [target["expr"] for panel in query_panels(load(MAIN)) for target in panel["targets"]]
    text = "\n".join(exprs)
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(churn_http_request_duration_seconds_bucket" in text
    assert 'status=~"5.."' in text and "sum by (status) (rate(churn_http_requests_total" in text
    used = set().union(*map(metric_names, exprs))
    assert {"churn_prediction_score_bucket", "churn_feature_drift_psi", "churn_monitored_model_info"} <= used
    assert "count by (version, alias) (churn_model_info)" in text and known["churn_model_info"] == "service"
    assert {known[metric] for metric in used} == {"service", "exporter"}


def test_panels_have_unique_ids_and_do_not_overlap():
    for path in DASHBOARDS:
        panels = load(path)["panels"]
        assert len({panel["id"] for panel in panels}) == len(panels), path.name
        cells = {}
        for panel in panels:
            box = panel["gridPos"]
            assert box["x"] + box["w"] <= 24, f"{name(path, panel)}: wider than the 24-column grid"
            for x in range(box["x"], box["x"] + box["w"]):
                for y in range(box["y"], box["y"] + box["h"]):
                    assert (x, y) not in cells, f"{name(path, panel)} overlaps panel {cells[(x, y)]}"
                    cells[(x, y)] = panel["id"]


# ---- broken copies: each check fails, naming the panel

def broken(change) -> dict:
    dashboard = copy.deepcopy(load(MAIN))
    change({panel["title"]: panel for panel in query_panels(dashboard)})
    return dashboard


def test_a_wrong_uid_is_named_with_its_panel():
    def change(panels):
        panels["Error rate: 5xx share of prediction requests"]["targets"][0]["datasource"]["uid"] = "prometheus"
    problems = datasource_problems(MAIN, broken(change), provisioned_uid())
    assert len(problems) == 1 and "panel 5 'Error rate: 5xx share of prediction requests': data source uid " \
        "'prometheus', but Grafana provisions 'churn-prometheus'" in problems[0], problems


def test_a_bad_query_is_named_with_its_panel(tmp_path):
    def change(panels):
        panels["Drift per feature (PSI, last drift report)"]["targets"][0]["expr"] = "sort_desc(churn_feature_drift_psi"
    problems = query_problems(MAIN, broken(change), tmp_path)
    assert len(problems) == 1 and problems[0].startswith(
        "churn-service.json: panel 11 'Drift per feature (PSI, last drift report)': query A: could not parse"), problems


def test_an_unknown_metric_is_named_with_its_panel(known):
    def change(panels):
        panels["Customers scored per second"]["targets"][1]["expr"] = "sum(rate(churn_model_batches_total[5m]))"
    problems = metric_problems(MAIN, broken(change), known)
    assert problems == ["churn-service.json: panel 7 'Customers scored per second': query B: churn_model_batches_total "
                        "is exported neither by the service nor by the monitoring exporter"]
