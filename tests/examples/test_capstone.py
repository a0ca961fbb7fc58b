"""``churn capstone``: the whole project in one command, every artifact listed, no process left behind.

The full run starts a real uvicorn process (marked ``integration``, which the default suite runs);
the other two tests check the refusals: a taken port is exit 2 before anything is written, and a
stage that fails is named, exits 1 and leaves no API process running.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from churn import capstone
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, main

from tests.examples.real_servers import free_port

pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                      "pip install -e 'examples[pipeline]'")

ARTIFACTS = ["capstone.log", "data/customers.parquet", "data/drifted.parquet", "data/batch.parquet", "mlflow.db",
             "governance/audit.jsonl", "service/prediction_log.jsonl", "service/uvicorn.log", "monitoring/drift.html",
             "monitoring/drift.json", "monitoring/retrain_signal.json", "governance/model_card_v1.md",
             "governance/model_card_v1.html", "scores/scores.parquet"]


def processes_mentioning(text: str) -> list[int]:
    """The ids of live processes whose command line contains ``text`` (the run's own folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in command:
                found.append(int(entry.name))
    return found


@pytest.mark.integration
def test_the_capstone_runs_every_stage_lists_every_artifact_and_leaves_no_process(tmp_path, capsys):
    workdir = tmp_path / "run"
    code = main(["capstone", "--workdir", str(workdir), "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    for name, _ in capstone.stages():
        assert re.search(rf"^  {re.escape(name)} +\d+\.\d s$", out, re.MULTILINE), f"no timing line for {name}"
    for relative in ARTIFACTS:
        path = workdir.resolve() / relative
        assert path.is_file() and path.stat().st_size > 0, f"{relative} is missing or empty"
        assert str(path) in out, f"the summary does not list {path}"
    assert "drift: 0 of" not in out and "retrained challenger:  v2" in out
    assert "audit log:             intact" in out
    assert not processes_mentioning(str(workdir.resolve())), "a process of the run survived it"


def test_a_taken_port_is_exit_2_before_anything_is_created(tmp_path, capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        code = main(["capstone", "--workdir", str(tmp_path / "run"), "--port", str(taken)])
    _, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    line = err.strip().splitlines()[-1]
    assert f"127.0.0.1:{taken}" in line and f"--port {taken + 1}" in line and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [], "nothing may be created"


def test_a_failing_stage_is_named_exits_1_and_stops_the_api(tmp_path, monkeypatch, capsys):
    def not_ready(run):
        raise RuntimeError("forced: the API did not answer")

    def start_then_fail(run):
        """The real start, whose model never loads here (nothing was trained), then a forced failure."""
        monkeypatch.setattr(capstone, "READY_SECONDS", 3.0)
        with pytest.raises(RuntimeError, match="not ready"):
            capstone.start_api(run)
        assert run.server is not None and run.server.poll() is None, "the real uvicorn child runs"
        not_ready(run)

    monkeypatch.setattr(capstone, "stages", lambda: [("generate data", capstone.generate_data),
                                                     ("start the API", start_then_fail),
                                                     ("send normal traffic", capstone.send_normal_traffic)])
    workdir = tmp_path / "run"
    code = main(["capstone", "--workdir", str(workdir), "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert code == EXIT_REFUSED
    assert err.strip().splitlines()[-1] == ("churn capstone: stage 'start the API' failed: "
                                            "forced: the API did not answer")
    assert "send normal traffic" not in out, "the run stops at the failing stage"
    assert not processes_mentioning(str(workdir.resolve())), "the uvicorn child survived the failure"
