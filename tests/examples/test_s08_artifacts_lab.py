"""Lecture 8.5: a tracking server with proxied artifacts, the artifact tour script, and its lab.

The lab's shell steps are read from the page and run in one bash session, as a student runs them,
with ``churn`` on the PATH as this interpreter's ``python -m churn.cli``, ``mlflow`` and ``python``
from this environment, ``mktemp -d`` inside a pytest folder and ``PORT=5085`` replaced by a free
port: start ``mlflow server`` with ``--artifacts-destination`` on a local folder, train from a
separate client folder through it, find the files, tour and download them by alias, stop the
server and run a step that needs it. The script's functions then run in this process on a local
store, so the regions the page includes are measured.
"""

from __future__ import annotations

import re
import runpy
import socket

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, free_port, run_session

pytestmark = pytest.mark.lab  # a server, a training through it, a tour and a download, each a process

PAGE = LecturePage.of("8.5")
SCRIPT = ROOT / "examples/lectures/s08/artifact_tour.py"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab in one bash session; return (result, scratch folder, port)."""
    base = tmp_path_factory.mktemp("lab85")
    port = free_port()
    script = "\n".join(PAGE.steps())
    assert "PORT=5085" in script, "step 1 sets PORT=5085, which the test replaces by a free port"
    result = run_session(script.replace("PORT=5085", f"PORT={port}"), base)  # the server goes with the session
    folders = sorted(path.parent for path in base.glob("*/server.log"))
    assert len(folders) == 1, f"the lab makes one scratch folder with server.log: {folders}"
    return result, folders[0], port


def test_the_client_keeps_nothing_and_the_server_keeps_everything(lab):
    result, folder, _ = lab
    out, err = result.stdout, result.stderr
    assert re.search(r"^OK$", out, re.MULTILINE), "step 1: the server answers /health"
    assert "Created version '1' of model 'churn'." in err, err[-3000:]
    assert sorted(path.name for path in (folder / "client").iterdir()) == ["customers.csv", "v1.json"], "step 2"
    assert re.search(r"^customers\.csv\nv1\.json$", out, re.MULTILINE), "step 2's ls"
    onnx = list((folder / "server/artifacts").glob("1/*/artifacts/onnx/model.onnx"))
    assert len(onnx) == 1 and f"server/artifacts/1/{onnx[0].parts[-4]}/artifacts/onnx/model.onnx" in out, "step 3"
    size = sum(path.stat().st_size for path in (folder / "server/artifacts").rglob("*") if path.is_file())
    assert 250_000 < size < 420_000, f"the page says about 336K; the store holds {size} bytes"
    assert (folder / "fetched/MLmodel").is_file() and (folder / "fetched/model.skops").is_file(), "step 5"
    assert len(list((folder / "fetched").iterdir())) == 8, "the page lists three files and five more"
    assert "Traceback" not in err


def test_a_stopped_server_is_one_error_line(lab):
    result, _, port = lab
    assert re.findall(r"^exit code: (\d+)$", result.stdout, re.MULTILINE) == ["2"], "step 6"
    assert f"error: cannot reach the tracking server at http://127.0.0.1:{port}" in result.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "step 6 stops the server"


def test_the_page_shows_what_the_tour_printed(lab):
    result, _, _ = lab
    block = PAGE.output_block("Output of step 4", prefix=True)
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    start = next(index for index, line in enumerate(lines) if line.startswith("churn@challenger is v1"))
    printed = lines[start : start + len(block)]
    for shown, real in zip(block, printed, strict=True):
        assert as_pattern(" ".join(shown.split())).fullmatch(real), f"{PAGE.name}: {shown!r}, the lab: {real!r}"


def test_the_tour_runs_in_process_and_refuses_bad_input(tmp_path, capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main([]) == 0, "the demo: a local store, no server"
    out = capsys.readouterr().out
    assert "run artifacts  file://" in out and "fetched onnx/model.onnx" in out
    store = tmp_path / "store"
    store.mkdir()
    cases = {("churn", "--tracking-uri", "sqlite:///x.db"): "no store at",
             ("churn/1", "--tracking-uri", "http://127.0.0.1:1"): "cannot reach the tracking server",
             ("churn/1", "--tracking-uri", "file:///tmp/mlruns"): "is not a tracking URI with a model registry",
             ("churn/1", "--tracking-uri", "http://127.0.0.1:1", "--store", str(tmp_path / "none")): "no such folder"}
    for arguments, message in cases.items():
        assert main(list(arguments)) == 2, arguments
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, (arguments, err)
    functions = runpy.run_path(str(SCRIPT))
    reference = functions["reference"]
    assert reference("churn@champion") == ("churn", None, "champion") and reference("churn/3") == ("churn", "3", None)
    with pytest.raises(functions["BadInput"], match="write name@alias"):
        reference("churn")
    stored = store / "1" / "abcdef0123" / "artifacts" / "onnx" / "model.onnx"  # the server's layout
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"onnx")
    assert functions["stored_copy"](store, "abcdef0123", "onnx/model.onnx") == stored
    with pytest.raises(functions["BadInput"], match=r"holds no onnx/model\.onnx of run 99999999"):
        functions["stored_copy"](store, "9999999999", "onnx/model.onnx")
