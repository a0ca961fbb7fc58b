"""The monitoring exporter: drift.json and performance.json as Prometheus metrics, read at scrape time.

Scrapes go through prometheus_client's own text format and parser
(``generate_latest`` then ``text_string_to_metric_families``), the way Prometheus reads them.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from churn.cli import EXIT_BAD_INPUT, build_parser, main
from churn.monitoring import exporter
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.examples.monitoring_fixtures import DRIFT, PERFORMANCE, write
from tests.examples.real_servers import free_port, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONTRACT_NAMES = {"churn_feature_drift_psi", "churn_feature_drifted", "churn_prediction_drift_psi",
                  "churn_drift_detected", "churn_drift_report_timestamp_seconds", "churn_monitored_model_info",
                  "churn_realised_roc_auc", "churn_realised_labelled_customers",
                  "churn_performance_report_timestamp_seconds"}


def scrape(text: str) -> dict[str, dict[tuple, float]]:
    """Metric name -> {sorted label items: value}, from Prometheus' text format."""
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def collect(drift: Path, performance: Path) -> dict[str, dict[tuple, float]]:
    return scrape(generate_latest(exporter.build_registry(drift, performance)).decode())


def test_both_reports_become_the_contract_metrics(tmp_path):
    metrics = collect(*write(tmp_path, DRIFT, PERFORMANCE))
    assert set(metrics) >= CONTRACT_NAMES
    assert metrics["churn_feature_drift_psi"] == {(("feature", "tenure"),): 0.012, (("feature", "Contract"),): 0.31}
    assert metrics["churn_feature_drifted"] == {(("feature", "tenure"),): 0.0, (("feature", "Contract"),): 1.0}
    assert metrics["churn_prediction_drift_psi"] == {(): 0.25}
    assert metrics["churn_prediction_drifted"] == {(): 1.0}
    assert metrics["churn_drift_detected"] == {(): 1.0}
    assert metrics["churn_drift_report_timestamp_seconds"] == {(): 1777971600.0}  # 2026-05-05T09:00:00Z
    assert metrics["churn_monitored_model_info"] == {(("report", "drift"), ("version", "3")): 1.0,
                                                     (("report", "performance"), ("version", "3")): 1.0}
    assert metrics["churn_realised_roc_auc"] == {(): 0.83}
    assert metrics["churn_realised_labelled_customers"] == {(): 4800.0}
    assert metrics["churn_realised_below_threshold"] == {(): 0.0}
    assert metrics["churn_performance_report_timestamp_seconds"] == {(): 1778058000.0}
    assert metrics["churn_monitoring_report_up"] == {(("report", "drift"),): 1.0, (("report", "performance"),): 1.0}


def test_a_new_report_is_seen_at_the_next_scrape_without_a_restart(tmp_path):
    drift, performance = write(tmp_path, DRIFT)
    registry = exporter.build_registry(drift, performance)
    assert scrape(generate_latest(registry).decode())["churn_drift_detected"] == {(): 1.0}
    calm = copy.deepcopy(DRIFT) | {"drift": False}
    drift.write_text(json.dumps(calm), encoding="utf-8")
    assert scrape(generate_latest(registry).decode())["churn_drift_detected"] == {(): 0.0}


def test_missing_files_leave_only_the_up_gauge_at_zero(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger=exporter.__name__):
        metrics = collect(tmp_path / "drift.json", tmp_path / "performance.json")
    assert metrics == {"churn_monitoring_report_up": {(("report", "drift"),): 0.0,
                                                      (("report", "performance"),): 0.0}}
    assert "drift.json: no such file yet (churn drift writes it)" in caplog.text
    assert "performance.json: no such file yet (churn feedback writes it)" in caplog.text


@pytest.mark.parametrize(("text", "reason"), [
    ('{"generated_at": ', "line 1 column 18: not JSON (Expecting value)"),
    (json.dumps(DRIFT | {"features": [{"feature": "tenure", "psi": "high", "drifted": False}]}),
     "field features.0.psi: Input should be a valid number"),
    (json.dumps({k: v for k, v in DRIFT.items() if k != "drift"}), "field drift: Field required"),
    (json.dumps(DRIFT | {"generated_at": "2026-05-05T09:00:00"}), "field generated_at: Input should have timezone"),
    ("[1, 2]", "field (the document): Input should be a valid dictionary"),
    (json.dumps(DRIFT | {"features": DRIFT["features"] + DRIFT["features"][:1]}),
     "field features: Value error, feature 'tenure' is listed twice"),
    (json.dumps(DRIFT).replace('"psi": 0.012', '"psi": NaN'), "field features.0.psi: Input should be a finite number"),
    (json.dumps(DRIFT | {"features": [{"feature": "tenure", "psi": -0.1, "drifted": False}]}),
     "field features.0.psi: Input should be greater than or equal to 0"),
    (json.dumps(DRIFT | {"features": [{"feature": "tenure", "psi": 0.1, "drifted": "yes"}]}),
     "field features.0.drifted: Input should be a valid boolean"),
    (json.dumps(DRIFT | {"features": [{"feature": "", "psi": 0.1, "drifted": False}]}),
     "field features.0.feature: String should have at least 1 character"),
], ids=["truncated", "psi-not-a-number", "no-drift-flag", "naive-time", "not-an-object", "feature-twice",
        "psi-nan", "psi-negative", "verdict-not-boolean", "feature-unnamed"])
def test_an_unreadable_report_is_logged_once_and_its_metrics_are_absent(tmp_path, caplog, text, reason):
    drift, performance = write(tmp_path, performance=PERFORMANCE)
    drift.write_text(text, encoding="utf-8")
    registry = exporter.build_registry(drift, performance)
    with caplog.at_level(logging.INFO, logger=exporter.__name__):
        first, second = (scrape(generate_latest(registry).decode()) for _ in range(2))
    assert first == second
    assert first["churn_monitoring_report_up"] == {(("report", "drift"),): 0.0, (("report", "performance"),): 1.0}
    assert "churn_feature_drift_psi" not in first and "churn_drift_detected" not in first
    assert first["churn_monitored_model_info"] == {(("report", "performance"), ("version", "3")): 1.0}
    [record] = caplog.records  # said once, not at every scrape
    assert record.levelno == logging.WARNING and f"{drift}: {reason}" in record.getMessage(), record.getMessage()


def test_a_week_without_verdict_gives_the_timestamp_but_no_realised_figures(tmp_path):
    metrics = collect(*write(tmp_path, performance=PERFORMANCE | {"weeks": [], "latest": None}))
    assert metrics["churn_performance_report_timestamp_seconds"] == {(): 1778058000.0}
    assert not {"churn_realised_roc_auc", "churn_realised_labelled_customers"} & set(metrics)
    assert metrics["churn_monitoring_report_up"][(("report", "performance"),)] == 1.0


def test_a_numeric_model_version_is_read_as_text(tmp_path):
    metrics = collect(*write(tmp_path, DRIFT | {"model_version": 7}))
    assert metrics["churn_monitored_model_info"] == {(("report", "drift"), ("version", "7")): 1.0}


def test_cli_defaults_are_the_modules_defaults():
    args = build_parser().parse_args(["monitor-exporter"])
    assert (args.host, args.port) == (exporter.DEFAULT_HOST, exporter.DEFAULT_PORT) == ("127.0.0.1", 9108)
    assert (Path(args.drift), Path(args.performance)) == (exporter.DEFAULT_DRIFT, exporter.DEFAULT_PERFORMANCE)


@pytest.mark.parametrize(("argv", "message"), [
    (["--port", "0"], "argument --port: must be a whole number from 1 to 65535, got 0"),
    (["--drift", "."], "argument --drift: . is a folder; give the JSON file"),
    (["--host", "203.0.113.7"], "cannot listen on 203.0.113.7:9108"),
], ids=["port", "folder", "foreign-host"])
def test_bad_arguments_are_one_line_and_exit_2(capsys, argv, message):
    try:
        code = main(["monitor-exporter", *argv])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT and message in err and "Traceback" not in err and not out, err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1, err


def test_the_exporter_process_serves_the_files_and_stops_cleanly_on_sigterm(tmp_path):
    """As compose.yaml runs it: ``python -m churn.monitoring.exporter``, scraped over HTTP, stopped by SIGTERM."""
    drift, performance = write(tmp_path, DRIFT, PERFORMANCE)
    port, log = free_port(), tmp_path / "exporter.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "churn.monitoring.exporter", "--port", str(port),
                                    "--drift", str(drift), "--performance", str(performance)],
                                   stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        wait_until(lambda: _listening(port), process, log, seconds=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            metrics = scrape(answer.read().decode())
        assert metrics["churn_feature_drift_psi"][(("feature", "Contract"),)] == 0.31
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_second_exporter_on_a_taken_port_says_so_and_exits_2(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "churn.monitoring.exporter", "--port", str(port)],
                                capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_fixed_report_is_read_again_and_said_so(tmp_path, caplog):
    drift, performance = write(tmp_path, performance=PERFORMANCE)
    drift.write_text("{", encoding="utf-8")
    registry = exporter.build_registry(drift, performance)
    with caplog.at_level(logging.INFO, logger=exporter.__name__):
        broken = scrape(generate_latest(registry).decode())
        drift.write_text(json.dumps(DRIFT), encoding="utf-8")
        fixed = scrape(generate_latest(registry).decode())
    assert broken["churn_monitoring_report_up"][(("report", "drift"),)] == 0.0
    assert fixed["churn_monitoring_report_up"][(("report", "drift"),)] == 1.0 and "churn_drift_detected" in fixed
    assert [record.levelname for record in caplog.records] == ["WARNING", "INFO"]
    assert caplog.records[1].getMessage() == f"{drift}: read again"


@pytest.mark.parametrize(("latest", "reason"), [
    ({"roc_auc": 1.7}, "field latest.roc_auc: Input should be less than or equal to 1"),
    ({"labelled": -3}, "field latest.labelled: Input should be greater than or equal to 0"),
], ids=["roc-auc-above-1", "negative-count"])
def test_an_impossible_performance_figure_is_refused_naming_the_field(tmp_path, latest, reason):
    drift, performance = write(tmp_path, DRIFT, PERFORMANCE | {"latest": PERFORMANCE["latest"] | latest})
    with pytest.raises(exporter.ReportUnreadable, match=f"^{re.escape(str(performance))}: {re.escape(reason)}"):
        exporter.read_summary(performance, "performance")
    assert collect(drift, performance)["churn_monitoring_report_up"][(("report", "performance"),)] == 0.0
