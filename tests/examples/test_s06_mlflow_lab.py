"""Lecture 6.5: the MLflow tracking lab run as a student runs it, and the comparison script.

The lab's shell steps are read from the page and run in one bash session, with ``churn`` on the
PATH as this interpreter's ``python -m churn.cli``, ``mlflow`` and ``python`` from this
environment, ``mktemp -d`` inside a pytest folder and ``PORT=5000`` replaced by a free port:
generate 2,000 customers, train the default and the tuned config into one SQLite store, start
``mlflow server`` on 127.0.0.1, fetch the UI's page and list the runs through the REST API, compare
the runs with the script, try a mistyped store, stop the server. The script's functions then run in
this process on the lab's store, so the regions the page includes are measured.
"""

from __future__ import annotations

import re
import runpy
import socket

import pytest

from tests.examples.lab_session import ROOT, LecturePage, free_port, run_session, scratch_folder

pytestmark = pytest.mark.lab  # two trainings and a server, each a process of its own

PAGE = LecturePage.of("6.5")
SCRIPT = ROOT / "examples/lectures/s06/compare_runs.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab, in order, in one bash session; return (result, scratch folder, port)."""
    base = tmp_path_factory.mktemp("lab65")
    port = free_port()
    script = "\n".join(PAGE.steps())
    assert "PORT=5000" in script, "step 3 sets PORT=5000, which the test replaces by a free port"
    result = run_session(script.replace("PORT=5000", f"PORT={port}"), base)  # the server goes with the session
    return result, scratch_folder(base, "mlflow.db"), port


def test_the_lab_trains_serves_and_compares(lab):
    result, folder, port = lab
    out = result.stdout
    assert "wrote 2000 rows to customers.csv" in out
    assert '"version": "1"' in out and '"version": "2"' in out, result.stderr
    assert re.search(r"^OK$", out, re.MULTILINE), "step 3: the server answers /health"
    assert "<title>MLflow</title>" in out, "step 4: the UI's index page"
    assert re.search(r"^1 +churn ", out, re.MULTILINE), "step 4: experiments search lists churn with id 1"
    log = (folder / "server.log").read_text()
    assert "/api/2.0/mlflow/runs/search HTTP/1.1\" 200" in log, "step 4 and 6 query the REST API"
    assert not (folder / "mlflow-typo.db").exists(), "step 6: a mistyped store is not created"
    assert re.findall(r"^exit code: (\d+)$", out, re.MULTILINE) == ["2"]
    assert "error: sqlite:///mlflow-typo.db: no such database file" in result.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "step 7 stops the server"


def test_the_page_shows_the_real_comparison(lab):
    result, _, port = lab
    real = (result.stdout + result.stderr).replace(f"127.0.0.1:{port}", "127.0.0.1:5000").splitlines()
    shown = PAGE.output_block("Output of step 6")
    table = [line for line in shown[:-2] if not line.startswith(("run name", "run id"))]  # names are random
    start = real.index(table[0])
    printed = [line for line in real[start : start + len(shown) - 2] if not line.startswith(("run name", "run id"))]
    assert printed == table, "the page shows the script's table as it printed it (run names and ids aside)"
    assert shown[-2] in real and shown[-1] in real, "the mistyped store's error line and exit code"


def test_the_page_quotes_the_real_metrics(lab):
    result, _, _ = lab
    scores = re.findall(r'"roc_auc": ([0-9.]+)', result.stdout)
    assert scores == ["0.8767", "0.8832"], scores


def test_the_script_compares_the_lab_store_in_process(lab, capsys):
    _, folder, _ = lab
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main([f"sqlite:///{folder / 'mlflow.db'}"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[4].split() == ["model.kind", "hist_gradient_boosting", "logistic_regression"]
    assert "-- params that differ (7 of 28)" in lines
    roc = next(line for line in lines if line.startswith("roc_auc"))
    assert roc.split()[1:] == ["0.8832", "0.8767"]


@pytest.mark.parametrize(("argument", "message"), [
    ("file:///tmp/x", "is not a tracking URI with a model registry"),
    ("http://127.0.0.1:9", "cannot reach the tracking server"),
])
def test_the_script_refuses_bad_input_with_one_line(argument, message, capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main([argument]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and "Traceback" not in error


def test_the_script_names_a_missing_experiment(lab, capsys):
    _, folder, _ = lab
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main([f"sqlite:///{folder / 'mlflow.db'}", "--experiment", "nope"]) == 2
    assert "no experiment 'nope' (experiments there: " in capsys.readouterr().err


def test_the_script_names_a_missing_database_file_and_creates_none(tmp_path, capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    missing = tmp_path / "mlflow.db"
    assert main([f"sqlite:///{missing}"]) == 2
    assert "no such database file" in capsys.readouterr().err
    assert not missing.exists()


def test_the_script_says_how_many_finished_runs_are_missing(tmp_path, capsys):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    run = client.create_run(client.create_experiment("churn"))
    client.set_terminated(run.info.run_id, status="FINISHED")
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main([uri]) == 2
    assert "experiment 'churn' has 1 finished run(s), 2 are needed" in capsys.readouterr().err
