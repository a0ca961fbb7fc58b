"""Lecture 7.3: the FastAPI service's answers, and its lab run as a student runs it.

The lab's shell steps are read from the page and run in one bash session of their own process
group, with ``churn`` on the PATH as this interpreter's ``python -m churn.cli``, ``mktemp -d`` inside
a pytest folder and ``PORT=8080`` replaced by a free port of 127.0.0.1 (other test runs share the
machine): train, promote, ``churn serve`` in the background, ``curl`` on ``/ready``, ``/health`` and
``/predict`` (a good record: 200, an unknown category: 422, no key: 401), stop the server and count
the prediction log's lines. The output blocks of the page must be lines of that real run. The
lecture script of step 1 runs in this process (``runpy``), so the regions the page includes from it
and from the service are measured.
"""

from __future__ import annotations

import json
import re
import runpy
import time

import pytest
from churn.service.app import create_app
from churn.service.settings import ServiceSettings
from fastapi.testclient import TestClient

from tests.examples.lab_session import ROOT, LecturePage, free_port, run_session, scratch_folder

pytestmark = pytest.mark.lab  # train, promote and a uvicorn server, each a process of its own

PAGE = LecturePage.of("7.3")
SCRIPT = ROOT / "examples/lectures/s07/what_the_api_answers.py"
CUSTOMER = json.loads((ROOT / "examples/lectures/s04/customer.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab but the script of step 1, in order, in one bash session."""
    base = tmp_path_factory.mktemp("lab73")
    script = "\n".join(step for step in PAGE.steps() if not step.startswith("python "))
    assert "PORT=8080" in script, "step 3 sets PORT=8080, which the test replaces by a free port"
    return run_session(script.replace("PORT=8080", f"PORT={free_port()}"), base), base


def test_the_lab_serves_scores_and_refuses_as_the_page_says(lab):
    result, base = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    folder = scratch_folder(base, "mlflow.db")  # step 2 trains in one scratch folder made by mktemp -d
    assert '"version": "1"' in result.stdout, "step 2: churn train prints the version it registered"
    assert "PROMOTED: challenger v1" in result.stdout, "step 2: churn promote prints its verdict"
    codes = re.findall(r"^HTTP (\d+)$", result.stdout, re.MULTILINE)
    assert codes == ["200", "422", "401"], result.stdout
    assert result.stdout.splitlines()[-1] == "1", "step 7: only the scored customer is in the prediction log"
    log = (folder / "prediction_log.jsonl").read_text().splitlines()
    assert len(log) == 1 and json.loads(log[0])["input"]["customerID"] == "7590-VHVEG"


def test_the_served_probability_is_the_one_churn_predict_gives(lab):
    result, _ = lab
    answer = next(json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"customerID"'))
    assert answer["churn_probability"] == pytest.approx(0.715314, abs=1e-6), "lecture 7.2's lab, step 3"
    assert answer["churn"] is True and answer["model_version"] == "1"


def test_the_page_shows_the_real_output_of_the_lab(lab):
    result, _ = lab
    real = result.stdout.splitlines()
    for line in PAGE.output_block("Output of steps 3 to 7 (churn train and promote left out)"):
        assert line in real, f"{PAGE.name}: this line of the output block is not in the lab's run: {line!r}"


def test_the_server_stopped_cleanly(lab):
    _, base = lab
    served = (scratch_folder(base, "mlflow.db") / "serve.log").read_text()
    assert "Application shutdown complete." in served, served[-2000:]


@pytest.fixture(scope="module")
def script():
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def predictor(script):
    return script["trained_predictor"]()


def test_every_bad_request_gets_the_status_the_page_gives(script, predictor, tmp_path):
    results = script["answers"](predictor, tmp_path)
    statuses = {case: status for case, (status, _) in results.items()}
    assert statuses == {"as given": 200, "unknown PaymentMethod": 422, "tenure as text": 422,
                        "typo in a field name": 422, "not JSON": 400, "no API key": 401, "wrong API key": 401}
    typo = results["typo in a field name"][1]
    assert [(entry["field"], entry["type"]) for entry in typo["errors"]] == [("tenure", "missing"),
                                                                            ("tenur", "extra_forbidden")]
    assert results["not JSON"][1]["errors"][0] | {"message": None} == {
        "field": "body", "message": None, "type": "json_invalid", "line": 1, "column": 29}
    assert all(body.get("request_id") for status, body in results.values() if status != 200)


def test_the_page_shows_the_real_output_of_the_script(capsys):
    runpy.run_path(str(SCRIPT), run_name="__main__")
    real = capsys.readouterr().out.splitlines()
    shown = PAGE.output_block("Output of step 1 (the service's JSON logs on stderr left out)")
    assert shown[1:] == real[1:], "the page shows the script's lines as it prints them"
    assert json.loads(shown[0].split(maxsplit=3)[3])["churn_probability"] == pytest.approx(
        json.loads(real[0].split(maxsplit=3)[3])["churn_probability"], abs=1e-6)


def test_the_key_is_checked_before_the_body_401_says_how_and_a_non_json_body_gets_415(predictor, tmp_path):
    settings = ServiceSettings(api_key="k", prediction_log=tmp_path / "log.jsonl", batch_worker="thread")
    with TestClient(create_app(settings, lambda: predictor)) as client:
        answer = client.post("/predict", content=b"not json", headers={"Content-Type": "application/json"})
        assert answer.status_code == 401, "lab: the key is checked before the body is read"
        assert answer.headers["WWW-Authenticate"] == "X-API-Key"
        plain = client.post("/predict", content=json.dumps(CUSTOMER), headers={"X-API-Key": "k",
                                                                              "Content-Type": "text/plain"})
        assert plain.status_code == 415, "the page: a body not sent as application/json gets 415"
        assert set(plain.json()) == {"detail", "errors", "request_id"}, "the service's one error shape"


def test_a_batch_is_scored_off_the_loop_with_the_answers_of_single_calls(predictor, tmp_path):
    settings = ServiceSettings(api_key="k", prediction_log=tmp_path / "log.jsonl", batch_worker="thread")
    customers = [CUSTOMER, {**CUSTOMER, "customerID": "0002-ORFBO", "tenure": 40}]
    with TestClient(create_app(settings, lambda: predictor)) as client:
        deadline = time.monotonic() + 60
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        batch = client.post("/predict/batch", json={"customers": customers}, headers={"X-API-Key": "k"})
        singles = [client.post("/predict", json=customer, headers={"X-API-Key": "k"}).json() for customer in customers]
    assert batch.status_code == 200
    assert [row["churn_probability"] for row in batch.json()] == pytest.approx(
        [row["churn_probability"] for row in singles], abs=1e-9)
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 4, "two batch lines, two single lines"


def test_the_page_quotes_lecture_42s_serving_figures_with_their_command():
    source = LecturePage.of("4.2").text
    page = PAGE.section("What the design buys, measured")
    assert "python benchmarks/serving.py --seconds 10" in source and "python benchmarks/serving.py --seconds 10" in page
    for row in [line for line in page.splitlines() if line.startswith("| `")]:
        figures = row.split("|")[3].strip()
        assert figures in source, f"{PAGE.name}: {figures!r} is not what lecture 4.2 measured"
