"""``/predict/batch`` in the batch worker process (``CHURN_BATCH_WORKER=process``, the default).

The rest of the service tests score batches in a thread, where a test can watch and hold the fake
predictor. Here the same requests go to an app whose batches are scored in a worker process, and
must get exactly the answers of the thread; the process must leave the prediction log and the
metrics as the thread does, survive its own death and never outlive the server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from churn.service.app import create_app
from fastapi.testclient import TestClient

from tests.examples.real_servers import free_port
from tests.examples.service_fakes import FakePredictor
from tests.examples.test_service import API_KEY, AUTH, customer, settings_for, wait_until

ROOT = Path(__file__).resolve().parents[2]
FAKE = {"fail_for": "9999-REFUS", "crash_for": "6666-CRASH", "exit_for": "4444-EXITS"}
STARTS_IN = 60  # seconds: a fresh interpreter imports pandas, pydantic and the model (1-2 s on a quiet machine)


LOADED_VERSION = "fake-7-as-loaded"  # set on the instance: only a pickled copy of the server's predictor has it


def loaded_fake() -> FakePredictor:
    """The model the server loads: its version is the instance's, not ``FakePredictor``'s default."""
    predictor = FakePredictor(**FAKE)
    predictor.model_version = LOADED_VERSION
    return predictor


def wait_ready(client: TestClient) -> None:
    wait_until(lambda: client.get("/ready").status_code == 200, seconds=STARTS_IN)


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux: read from /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def worker_pids(server_pid: int) -> list[int]:
    """The batch worker processes (started by multiprocessing's spawn) whose parent is ``server_pid``."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == server_pid and b"spawn_main" in command:
            pids.append(int(stat.parent.name))
    return pids


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("process")
    app = create_app(settings_for(folder, batch_worker="process"), loaded_fake)
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client)
        yield client


@pytest.fixture
def in_thread(tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path), loaded_fake),
                    raise_server_exceptions=False) as client:
        wait_ready(client)
        yield client


def answer(client: TestClient, body: bytes, request_id: str, content_type: str = "application/json") -> tuple:
    response = client.post("/predict/batch", content=body,
                           headers={**AUTH, "Content-Type": content_type, "X-Request-ID": request_id})
    return response.status_code, response.json(), response.headers.get("Retry-After")


BODIES = {
    "three customers": json.dumps({"customers": [customer(), customer(tenure=70), customer(TotalCharges=None)]}),
    "fields out of range, with their positions": json.dumps({"customers": [customer(), customer(tenure=999),
                                                                             customer(gender="X", tenure=-1)]}),
    "a customer with a missing and an unknown field": json.dumps({"customers": [customer(tenure=..., tenur=1)]}),
    "not JSON": '{"customers": [',
    "invalid UTF-8": b'{"customers": ["\xff"]}',
    "NaN": '{"customers": [' + json.dumps(customer()).replace("29.85", "NaN", 1) + "]}",
    "more customers than the limit": json.dumps({"customers": [customer()] * 6}),
    "more non-objects than the limit": json.dumps({"customers": [None] * 6}),
    "no customers key": json.dumps({"people": [customer()]}),
    "refused by the predictor": json.dumps({"customers": [customer(customerID="9999-REFUS")]}),
    "a bug in the predictor": json.dumps({"customers": [customer(customerID="6666-CRASH")]}),
}


@pytest.mark.parametrize("name", BODIES)
def test_the_worker_process_answers_exactly_like_the_thread(in_process, in_thread, name):
    body = BODIES[name]
    body = body if isinstance(body, bytes) else body.encode()
    assert answer(in_process, body, "same-id") == answer(in_thread, body, "same-id")


def test_a_body_not_sent_as_json_is_a_415_before_the_worker(in_process):
    status, body, _ = answer(in_process, json.dumps({"customers": [customer()]}).encode(), "r", "text/plain")
    assert status == 415 and "application/json" in body["detail"]


def test_the_worker_is_another_process_and_the_server_logs_and_counts_its_predictions(in_process):
    service = in_process.app.state.service
    assert service.batch_worker.pid not in (None, os.getpid())
    assert alive(service.batch_worker.pid)
    customers = [customer(customerID=f"{i:04d}-BATCH", TotalCharges=...) for i in range(5)]
    response = in_process.post("/predict/batch", json={"customers": customers}, headers={**AUTH, "X-Request-ID": "b-1"})
    assert response.status_code == 200
    log = service.settings.prediction_log
    wait_until(lambda: sum(b'"b-1"' in line for line in log.read_bytes().splitlines()) == 5)
    lines = [json.loads(line) for line in log.read_bytes().splitlines() if b'"b-1"' in line]
    assert [line["input"]["customerID"] for line in lines] == [f"{i:04d}-BATCH" for i in range(5)]
    assert all(line["input"]["TotalCharges"] is None and line["model_version"] == LOADED_VERSION for line in lines)
    assert [line["output"]["churn_probability"] for line in lines] == [row["churn_probability"]
                                                                       for row in response.json()]
    metrics = in_process.get("/metrics/").text
    assert "churn_model_batch_size_bucket{le=\"4.0\"}" in metrics and "churn_prediction_score_count" in metrics


def test_batches_are_scored_by_the_model_the_server_loaded(in_process):
    """/ready, /predict and /predict/batch name one version, also after the worker was replaced."""
    assert in_process.get("/ready").json()["model_version"] == LOADED_VERSION
    single = in_process.post("/predict", json=customer(), headers=AUTH).json()
    in_process.post("/predict/batch", json={"customers": [customer(customerID="4444-EXITS")]}, headers=AUTH)
    batch = in_process.post("/predict/batch", json={"customers": [customer()]}, headers=AUTH).json()
    assert single["model_version"] == batch[0]["model_version"] == LOADED_VERSION
    assert single["churn_probability"] == batch[0]["churn_probability"]


def test_a_worker_that_dies_fails_its_batch_and_is_replaced(in_process):
    service = in_process.app.state.service
    dead = service.batch_worker.pid
    response = in_process.post("/predict/batch", json={"customers": [customer(customerID="4444-EXITS")]},
                               headers=AUTH)
    assert response.status_code == 500
    assert not alive(dead) and service.batch_worker.pid != dead
    assert in_process.post("/predict/batch", json={"customers": [customer()]}, headers=AUTH).status_code == 200


def test_a_predictor_that_cannot_be_pickled_names_the_setting_to_use(tmp_path):
    class Unpicklable(FakePredictor):
        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()

    settings = settings_for(tmp_path, batch_worker="process", load_retry_seconds=30)
    with TestClient(create_app(settings, Unpicklable)) as client:
        wait_until(lambda: "could not" in client.get("/ready").json()["status"])
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert "cannot be sent to the batch worker process" in ready.json()["status"]
    assert "CHURN_BATCH_WORKER=thread" in ready.json()["status"]


def test_stopping_the_app_stops_the_worker_process(tmp_path):
    app = create_app(settings_for(tmp_path, batch_worker="process"), FakePredictor)
    with TestClient(app) as client:
        wait_ready(client)
        pid = app.state.service.batch_worker.pid
        assert alive(pid)
    assert not alive(pid), "the worker process outlived the app"


def test_the_worker_process_exits_when_the_server_is_killed(tmp_path):
    port = free_port()
    env = {**os.environ, "CHURN_API_KEY": API_KEY, "CHURN_PREDICTION_LOG": str(tmp_path / "log.jsonl"),
           "CHURN_PREDICTOR": "tests.examples.service_fakes:make_fake_predictor",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "examples"), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "churn.service.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        def ready() -> bool:
            assert server.poll() is None, "uvicorn exited"
            try:
                return httpx2.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200
            except httpx2.TransportError:
                return False

        wait_until(ready, seconds=STARTS_IN)
        (worker,) = workers = worker_pids(server.pid)
        server.send_signal(signal.SIGKILL)  # no shutdown at all: nothing stops the worker but itself
        server.wait(timeout=10)
        wait_until(lambda: not alive(worker), seconds=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        for pid in workers:  # if the test failed, do not leave the worker behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _refuse_to_load() -> FakePredictor:
    raise RuntimeError("this model does not load in the worker")


class LoadsOnlyInTheServer(FakePredictor):
    """Pickles, but fails to unpickle in the worker: its initializer fails, as without the __main__ guard."""

    def __reduce__(self):
        return _refuse_to_load, ()


def test_a_worker_that_cannot_start_names_the_main_guard_and_the_setting(tmp_path):
    settings = settings_for(tmp_path, batch_worker="process", load_retry_seconds=30)
    with TestClient(create_app(settings, LoadsOnlyInTheServer)) as client:
        wait_until(lambda: "could not" in client.get("/ready").json()["status"], seconds=STARTS_IN)
        status = client.get("/ready").json()["status"]
    assert "failed to start" in status
    assert 'if __name__ == "__main__":' in status and "CHURN_BATCH_WORKER=thread" in status
