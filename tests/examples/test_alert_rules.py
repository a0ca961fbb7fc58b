"""The Prometheus alert rules (examples/deploy/prometheus/alerts.yml): promtool's checks and unit tests.

``promtool test rules alerts_test.yml`` replays the input series of every case and compares the
alerts that fire, with their labels and annotations, at each evaluation time. promtool comes with
Debian's ``prometheus`` package (``.ci/run`` extracts it); without it those tests skip, saying so.
The structural checks (every alert has ``for``, a severity, a runbook, a firing and a quiet case, and
uses only metrics that exist) run without it. Broken copies prove the checks can fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.examples.promql_names import exported_names, metric_names

PROMETHEUS = Path(__file__).resolve().parents[2] / "examples" / "deploy" / "prometheus"
RULES, RULE_TESTS, CONFIG = PROMETHEUS / "alerts.yml", PROMETHEUS / "alerts_test.yml", PROMETHEUS / "prometheus.yml"
SEVERITIES = {"critical", "warning"}
PROMETHEUS_OWN = {"up"}  # written by Prometheus for every scrape target


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed: on Debian `apt-get install prometheus` "
                    "(or run .ci/run, which extracts promtool from that package)")
    return path


def run(*arguments: str | Path, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *map(str, arguments)], capture_output=True, text=True, cwd=cwd, timeout=120)


def rules(path: Path = RULES) -> list[dict]:
    return [rule for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"] for rule in group["rules"]]


def alerts(path: Path = RULES) -> list[dict]:
    return [rule for rule in rules(path) if "alert" in rule]


def rule_problems(path: Path) -> list[str]:
    """One line per alert that lacks what on-call needs, or selects a metric nobody exports."""
    known = set(exported_names()) | PROMETHEUS_OWN | {rule["record"] for rule in rules(path) if "record" in rule}
    problems = []
    for rule in alerts(path):
        name = rule["alert"]
        if not rule.get("for"):
            problems.append(f"{path.name}: {name}: no for: (one bad scrape would page)")
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{path.name}: {name}: labels.severity must be one of {sorted(SEVERITIES)}")
        missing = {"summary", "description", "runbook"} - set(rule.get("annotations", {}))
        if missing:
            problems.append(f"{path.name}: {name}: annotations lack {sorted(missing)}")
        for metric in sorted(metric_names(rule["expr"]) - known):
            problems.append(f"{path.name}: {name}: {metric} is exported neither by the service nor by the exporter")
    return problems


def untested(tests: Path, rules_file: Path = RULES) -> list[str]:
    """Alerts without a case where they fire and a case where they must not."""
    cases = [case for test in yaml.safe_load(tests.read_text(encoding="utf-8"))["tests"]
             for case in test.get("alert_rule_test", [])]
    problems = []
    for name in (rule["alert"] for rule in alerts(rules_file)):
        outcomes = {bool(case.get("exp_alerts")) for case in cases if case["alertname"] == name}
        if outcomes != {True, False}:
            problems.append(f"{tests.name}: {name}: needs a case where it fires and one where it must not, "
                            f"has {sorted(outcomes)}")
    return problems


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the rules (and their tests, which load alerts.yml from their folder) with one change."""
    text = RULES.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in alerts.yml: update the test"
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    (tmp_path / RULES.name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path / RULES.name


# ---- the real files

def test_promtool_check_rules_accepts_the_rules():
    result = run("check", "rules", RULES)
    assert result.returncode == 0 and "SUCCESS: 15 rules found" in result.stdout, result.stdout + result.stderr


def test_promtool_check_config_accepts_prometheus_yml_and_finds_the_rules():
    result = run("check", "config", CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_promtool_unit_tests_of_every_alert_pass():
    result = run("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_every_alert_has_for_severity_annotations_and_known_metrics():
    assert rule_problems(RULES) == []
    assert {rule["alert"] for rule in alerts()} >= {
        "ChurnHighErrorRate", "ChurnLatencyBudgetFastBurn", "ChurnLatencyBudgetSlowBurn", "ChurnFeatureDrift",
        "ChurnNoPredictions", "ChurnModelNotReady"}


def test_every_alert_has_a_firing_and_a_quiet_case():
    assert untested(RULE_TESTS) == []


def test_the_burn_rate_thresholds_are_the_workbooks_for_a_99_percent_slo():
    """14.4x over 1 h and 5 m; 6x over 6 h and 30 m (SRE workbook, "Alerting on SLOs"); 1% budget."""
    by_name = {rule["alert"]: rule["expr"] for rule in alerts()}
    assert re.fullmatch(r"churn:predict_slow_ratio:rate1h > \(14\.4 \* 0\.01\)\s+and "
                        r"churn:predict_slow_ratio:rate5m > \(14\.4 \* 0\.01\)", by_name["ChurnLatencyBudgetFastBurn"])
    assert re.fullmatch(r"churn:predict_slow_ratio:rate6h > \(6 \* 0\.01\)\s+and "
                        r"churn:predict_slow_ratio:rate30m > \(6 \* 0\.01\)", by_name["ChurnLatencyBudgetSlowBurn"])
    recorded = {rule["record"]: rule["expr"] for rule in rules() if "record" in rule}
    for window in ("5m", "30m", "1h", "6h"):
        expr = recorded[f"churn:predict_slow_ratio:rate{window}"]
        assert f'le="0.05"}}[{window}]' in expr and f'path="/predict"}}[{window}]' in expr, expr


# ---- broken copies: each check fails, naming the alert

@pytest.mark.parametrize(("old", "new", "alert"), [
    ('status=~"5.."}[5m]))\n          / sum(rate(churn_http_requests_total{path=~"/predict.*"}[5m])) > 0.05',
     'status=~"5.."}[5m]))\n          / sum(rate(churn_http_requests_total{path=~"/predict.*"}[5m])) > 0.5',
     "ChurnHighErrorRate"),
    ("churn:predict_slow_ratio:rate1h > (14.4 * 0.01)\n          and churn:predict_slow_ratio:rate5m > (14.4 * 0.01)",
     "churn:predict_slow_ratio:rate1h > (14.4 * 0.01)", "ChurnLatencyBudgetFastBurn"),
    ("score_count[1h])) == 0", "score_count[10m])) == 0", "ChurnNoPredictions"),
    ("\n          and on () count(churn_prediction_score_count offset 1h) > 0", "", "ChurnNoPredictions"),
    ("churn_model_loaded == 0", "churn_model_loaded < 0", "ChurnModelNotReady"),
    ("(churn_feature_drifted == 1)", "(churn_feature_drift_psi > 0.2)", "ChurnFeatureDrift"),
], ids=["error-threshold", "single-window-burn", "no-predictions-short-window", "no-predictions-fresh-start",
        "never-fires", "psi-not-verdict"])
def test_promtool_unit_tests_fail_on_a_broken_rule(tmp_path, old, new, alert):
    broken_copy(tmp_path, old, new)
    result = run("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0 and f"alertname: {alert}" in result.stdout + result.stderr, result.stdout


def test_promtool_check_rules_fails_on_bad_promql_naming_the_rule(tmp_path):
    copy = broken_copy(tmp_path, "expr: churn_model_loaded == 0", "expr: churn_model_loaded == = 0")
    result = run("check", "rules", copy)
    assert result.returncode != 0 and '"ChurnModelNotReady": could not parse expression' in result.stderr, \
        result.stdout + result.stderr


@pytest.mark.parametrize(("old", "new", "message"), [
    ("        for: 5m\n        labels:\n          severity: critical\n        annotations:\n"
     '          summary: "The churn API {{ $labels.instance }} has no model loaded"',
     "        labels:\n          severity: critical\n        annotations:\n"
     '          summary: "The churn API {{ $labels.instance }} has no model loaded"',
     "ChurnModelNotReady: no for:"),
    ("severity: critical\n        annotations:\n          summary: \"Prometheus cannot scrape",
     "severity: page-me\n        annotations:\n          summary: \"Prometheus cannot scrape",
     "ChurnApiDown: labels.severity"),
    ('          runbook: "Check the scheduler', '          how: "Check the scheduler',
     "ChurnDriftReportStale: annotations lack ['runbook']"),
    ("expr: churn_prediction_drifted == 1", "expr: churn_prediction_drift == 1",
     "ChurnPredictionDrift: churn_prediction_drift is exported neither"),
], ids=["no-for", "unknown-severity", "no-runbook", "unknown-metric"])
def test_the_structure_check_fails_on_a_broken_rule(tmp_path, old, new, message):
    problems = rule_problems(broken_copy(tmp_path, old, new))
    assert any(message in problem for problem in problems), problems


def test_the_coverage_check_fails_when_an_alert_has_no_quiet_case(tmp_path):
    tests = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    for test in tests["tests"]:
        test["alert_rule_test"] = [case for case in test.get("alert_rule_test", [])
                                   if case["alertname"] != "ChurnModelNotReady" or case["exp_alerts"]]
    copy = tmp_path / RULE_TESTS.name
    copy.write_text(yaml.safe_dump(tests), encoding="utf-8")
    assert untested(copy) == [f"{copy.name}: ChurnModelNotReady: needs a case where it fires and one where it "
                              "must not, has [True]"]


def test_metric_names_finds_the_selected_metrics_only():
    expr = ('histogram_quantile(0.99, sum by (le) (rate(churn_http_request_duration_seconds_bucket'
            '{path="/predict", le="0.05"}[5m]))) and on (feature) (x:recorded:rate5m offset 1h > bool 1e-3)'
            ' or time() - up{job="a b"} > 8 * 86400')
    assert metric_names(expr) == {"churn_http_request_duration_seconds_bucket", "x:recorded:rate5m", "up"}


def test_the_jobs_the_rules_name_are_the_scrape_jobs():
    jobs = {job["job_name"] for job in yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["scrape_configs"]}
    named = set(re.findall(r'job="([^"]+)"', RULES.read_text(encoding="utf-8")))
    tested = set(re.findall(r'job="([^"]+)"', RULE_TESTS.read_text(encoding="utf-8")))
    assert named and named <= jobs and tested <= jobs, (named, tested, jobs)
