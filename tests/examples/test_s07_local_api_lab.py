"""Lecture 7.6: testing the churn API from outside (curl, httpx2, /openapi.json, /docs), and its lab.

The lab's shell steps are read from the page and run in one bash session of their own process
group, with ``churn`` and ``python`` on the PATH as this interpreter (``churn`` is ``python -m
churn.cli``), ``mktemp -d`` inside a pytest folder and ``PORT=8080`` replaced by a free port of
127.0.0.1: train, promote, ``churn serve`` in the background, ``curl -i`` on ``/health``, ``curl
--fail-with-body --json`` with a good customer (exit 0) and an unknown category (422, exit 22), a body
sent without ``Content-Type`` (415), the smoke-test script against the live server, then
``/openapi.json`` and the CDN addresses of ``/docs``. The output blocks of the page must be lines of
that real run (generated request ids shown as ``<generated id>``). The smoke-test script runs in
this process too, in process through ``TestClient`` and against a uvicorn server with the fake
predictor, so the regions the page includes from it are measured.
"""

from __future__ import annotations

import os
import re
import runpy
import signal
import subprocess
import sys

import httpx2
import pytest
from churn.service.app import create_app
from churn.service.settings import ServiceSettings
from fastapi.testclient import TestClient

from tests.examples.lab_session import ROOT, LecturePage, free_port, run_session, scratch_folder
from tests.examples.service_fakes import make_fake_predictor

pytestmark = pytest.mark.lab  # train, promote and a uvicorn server, each a process of its own

PAGE = LecturePage.of("7.6")
SCRIPT = ROOT / "examples/lectures/s07/smoke_test_api.py"
IN_PROCESS_STEP = "python examples/lectures/s07/smoke_test_api.py"
GENERATED_ID = re.compile(r"\b[0-9a-f]{32}\b")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab but the in-process script of step 1, in order, in one bash session."""
    base = tmp_path_factory.mktemp("lab76")
    steps = PAGE.steps()
    assert steps[0] == IN_PROCESS_STEP, "step 1 runs the smoke test in process; this test runs it with runpy"
    script = "\n".join(steps[1:])
    assert "PORT=8080" in script, "step 3 sets PORT=8080, which the test replaces by a free port"
    return run_session(script.replace("PORT=8080", f"PORT={free_port()}"), base), base


def test_the_lab_runs_every_step_and_gets_the_codes_the_page_gives(lab):
    result, base = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    scratch_folder(base, "mlflow.db")  # step 2 trains in one scratch folder made by mktemp -d
    assert "PROMOTED: challenger v1" in result.stdout, "step 2: churn promote prints its verdict"
    assert re.findall(r"^curl exit code: (\d+)$", result.stdout, re.MULTILINE) == ["0", "22"], result.stdout
    assert "curl: (22) The requested URL returned error: 422" in result.stderr, "step 6: -sS still shows the error"
    assert re.findall(r"^HTTP (\d+)$", result.stdout, re.MULTILINE) == ["415"], "step 7: no Content-Type"
    assert "6 of 6 checks passed" in result.stdout and "smoke test exit code: 0" in result.stdout


def test_the_page_shows_the_real_output_of_the_lab(lab):
    result, _ = lab
    real = [GENERATED_ID.sub("<generated id>", line) for line in (result.stdout + result.stderr).splitlines()]
    for line in PAGE.output_block("Output of steps 4 to 9 (date lines left out)") + PAGE.output_block(
            "What /docs loads (lab step 9)"):
        assert line in real, f"{PAGE.name}: this line of the output block is not in the lab's run: {line!r}"


def test_the_service_keeps_fastapis_default_docs_which_load_from_a_cdn(tmp_path):
    settings = ServiceSettings(api_key="k", prediction_log=tmp_path / "log.jsonl", batch_worker="thread")
    with TestClient(create_app(settings, make_fake_predictor)) as client:
        docs, redoc = client.get("/docs"), client.get("/redoc")
        spec = client.get("/openapi.json").json()
    assert docs.status_code == redoc.status_code == 200, "the project leaves docs_url and redoc_url on"
    assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" in docs.text
    assert "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js" in redoc.text
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"] == "Churn prediction API"
    assert sorted(spec["paths"]) == ["/explain", "/health", "/predict", "/predict/batch", "/ready"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey", "description": "the value of CHURN_API_KEY", "in": "header", "name": "X-API-Key"}
    page = PAGE.text
    for fact in ("swagger-ui-dist@5", "redoc@2", "cdn.jsdelivr.net", "OpenAPI 3.1", "Authorize"):
        assert fact in page, f"{PAGE.name} should say {fact!r}"


def test_testclient_is_an_httpx2_client_so_one_smoke_test_serves_both():
    assert issubclass(TestClient, httpx2.Client), "the page says TestClient is an httpx2.Client"


def test_the_page_shows_the_real_output_of_the_in_process_run(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT)])  # as `python examples/lectures/s07/smoke_test_api.py`
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit_info.value.code == 0
    real = capsys.readouterr().out.splitlines()
    assert PAGE.output_block("Output of step 1") == real


def test_the_smoke_test_fails_when_the_service_answers_wrong(tmp_path):
    namespace = runpy.run_path(str(SCRIPT))
    settings = ServiceSettings(api_key="right", prediction_log=tmp_path / "log.jsonl", batch_worker="thread")
    with TestClient(create_app(settings, make_fake_predictor)) as client:
        namespace["wait_until_ready"](client)
        results = namespace["smoke_test"](client, "wrong")
    failed = [description for passed, description in results if not passed]
    assert failed == ["POST /predict -> 401, churn_probability 0.000000",
                      "POST /predict, unknown PaymentMethod -> 401"]
    assert namespace["report"](results) == 1, "a failed check makes the script exit 1"


def test_the_script_checks_a_live_server_over_http(tmp_path, monkeypatch, capsys):
    port = free_port()
    env = {**os.environ, "CHURN_API_KEY": "live-key", "CHURN_PREDICTION_LOG": str(tmp_path / "log.jsonl"),
           "CHURN_PREDICTOR": "tests.examples.service_fakes:make_fake_predictor", "CHURN_BATCH_WORKER": "thread",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "churn.service.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    namespace = runpy.run_path(str(SCRIPT))
    try:
        monkeypatch.setenv("CHURN_API_KEY", "live-key")
        assert namespace["main"](["--url", f"http://127.0.0.1:{port}"]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "6 of 6 checks passed"
        monkeypatch.delenv("CHURN_API_KEY")
        assert namespace["main"](["--url", f"http://127.0.0.1:{port}"]) == 2, "no key: bad input"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    monkeypatch.setenv("CHURN_API_KEY", "live-key")
    with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=1) as client, pytest.raises(TimeoutError):
        namespace["wait_until_ready"](client, seconds=0.5)  # a stopped server is reported, not waited for forever
