"""Lecture 9.5: the training pipeline on Dagster, run from the command line and the UI, and its run record.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli``, ``mktemp -d`` inside a
pytest folder and ``PORT=3000`` replaced by a free port: validate the definitions, run the training
job with ``dagster job execute`` into a scratch ``DAGSTER_HOME``, read the run's record and the
registry, run it again on a broken delivery, start ``dagster dev`` in the background, ask it for the
runs and stop it with SIGINT. The page's output block must be the lines of that real run, in order
(``…`` for run ids and times), and ``dagster dev`` must be gone when the session ends. The lecture
script then runs in this process (its ``dg.materialize`` demo and its ``show`` command), so the
regions the page includes are measured, and its bad input is refused with exit code 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import runpy
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, free_port, run_session

pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra")

pytestmark = pytest.mark.lab  # two Dagster runs and a `dagster dev`, each a process of its own

PAGE = LecturePage.of("9.5")
SCRIPT = ROOT / "examples/lectures/s09/run_record.py"


def processes_with(dagster_home: Path) -> list[int]:
    """The processes whose environment has this DAGSTER_HOME: only the ones this test's lab started."""
    wanted = f"DAGSTER_HOME={dagster_home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab in one bash session; return (result, scratch folder, port, leftovers)."""
    base = tmp_path_factory.mktemp("lab95")
    port = free_port()
    script = "\n".join(PAGE.steps())
    assert "PORT=3000" in script, "step 5 sets PORT=3000, which the test replaces by a free port"
    result = run_session(script.replace("PORT=3000", f"PORT={port}"), base, timeout=900)
    folders = sorted(path.parent for path in base.glob("*/.dagster"))
    assert len(folders) == 1, f"the lab makes one scratch folder with .dagster in it: {folders}"
    home = folders[0] / ".dagster"
    deadline = time.monotonic() + 30  # the code server exits a few seconds after dagster dev
    while processes_with(home) and time.monotonic() < deadline:
        time.sleep(1)
    leftovers = processes_with(home)
    for pid in leftovers:  # a failed run must not leave a server behind: these are the lab's own processes
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return result, folders[0], port, leftovers


def test_the_lab_runs_the_job_reads_its_record_and_stops_the_ui(lab):
    result, folder, port, leftovers = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "All code locations passed validation." in out, "step 1 validates the definitions"
    assert re.search(r"^exit code: 0\nRUN_SUCCESS$", out, re.MULTILINE), "step 2: the job succeeds"
    assert re.search(r"^exit code: 1$", out, re.MULTILINE), "step 4: the broken delivery fails the run"
    assert "dagster dev exit: 0" in out, "step 6 stops dagster dev cleanly"
    assert leftovers == [], "no Dagster process of the lab may outlive the session"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the UI's port is free again"
    assert "Dagster services shut down." in (folder / "dev.log").read_text(encoding="utf-8")
    timings = re.findall(r"^real\s+(\d+)m([\d.]+)s$", result.stderr, re.MULTILINE)
    assert len(timings) == 2, "steps 2 and 5 are timed"


def test_the_page_shows_the_real_output_of_the_lab_in_order(lab):
    result, _, _, _ = lab
    real = result.stdout.splitlines()
    position = 0
    for line in PAGE.output_block("Output of steps 2 to 6", prefix=True):
        pattern = as_pattern(line)
        found = next((i for i in range(position, len(real)) if pattern.fullmatch(real[i])), None)
        assert found is not None, f"{PAGE.name}: not in the lab's run after line {position}: {line!r}"
        position = found + 1


def test_the_broken_delivery_registered_nothing(lab):
    from mlflow import MlflowClient

    _, folder, _, _ = lab
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    assert [str(v.version) for v in client.search_model_versions("name='churn'")] == ["1"]
    assert client.get_registered_model("churn").aliases == {"challenger": 1}


@pytest.fixture(scope="module")
def script():
    return runpy.run_path(str(SCRIPT))


def test_the_demo_materializes_in_process_and_reads_the_record_back(script, tmp_path):
    instance, run_id = script["materialize_training"](tmp_path)
    lines = script["run_record"](instance, run_id)
    assert lines[0].startswith(f"run {run_id} of job __ephemeral_asset_job__: SUCCESS in ")
    steps = [line.split()[1] for line in lines if line.startswith("  step ")]
    assert steps == ["raw_customers", "validated_customers", "training_data", "trained_model",
                     "evaluation_metrics", "registered_challenger", "promotion_decision"]
    assert "  asset raw_customers         rows=2000" in lines
    assert "  asset registered_challenger version=1" in lines
    assert [line for line in lines if "FAILED" in line] == ["  check contract_blank_in_first_month FAILED (WARN)"]
    assert lines[-1] == "  checks passed: 12"


def test_show_reads_a_dagster_home_and_refuses_bad_input(script, lab, capsys, monkeypatch):
    _, folder, _, _ = lab
    main = script["main"]
    assert main(["show", "--dagster-home", str(folder / ".dagster")]) == 0
    assert ": FAILURE in " in capsys.readouterr().out.splitlines()[0], "the latest run is the broken delivery's"
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["show"]) == 2
    assert "set DAGSTER_HOME" in capsys.readouterr().err
    assert main(["show", "--dagster-home", str(folder / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["show", "--dagster-home", str(folder / ".dagster"), "--run-id", "nope"]) == 2
    assert "no run 'nope'" in capsys.readouterr().err
    empty = folder / "empty-home"
    empty.mkdir()
    assert main(["show", "--dagster-home", str(empty)]) == 2
    assert "no run in" in capsys.readouterr().err
