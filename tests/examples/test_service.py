"""The prediction API with a fake predictor: endpoints, every bad input, auth, metrics, logs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

import pytest
from churn.contract import Column
from churn.service import routes
from churn.service.app import champion_loader, create_app
from churn.service.routes import refuse_oversized_batch
from churn.service.schemas import EXAMPLE_CUSTOMER, CustomerRequest, field_from_column
from churn.service.settings import ServiceSettings, SettingsError
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from tests.examples.service_fakes import FakePredictor, fake_probability

API_KEY = "test-key-123"
AUTH = {"X-API-Key": API_KEY}
MAX_BATCH = 5


def settings_for(tmp_path, **overrides) -> ServiceSettings:
    """Settings of a test app: a known key, a prediction log in ``tmp_path``, a small batch limit.

    Batches are scored in a thread, so a test can watch and hold the fake predictor; that the
    worker process answers exactly the same is tested in ``test_service_batch_worker.py``.
    """
    values = {"api_key": API_KEY, "prediction_log": tmp_path / "predictions.jsonl", "max_batch": MAX_BATCH,
              "batch_window_ms": 1.0, "load_retry_seconds": 0.05, "batch_worker": "thread"} | overrides
    return ServiceSettings(**values)


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def wait_ready(client: TestClient) -> None:
    wait_until(lambda: client.get("/ready").status_code == 200)


def customer(**changes) -> dict:
    """The documented example customer with some fields changed (a value of ``...`` removes the field)."""
    record = {**EXAMPLE_CUSTOMER, **changes}
    return {key: value for key, value in record.items() if value is not ...}


@pytest.fixture
def predictor() -> FakePredictor:
    return FakePredictor(fail_for="9999-REFUS", crash_for="6666-CRASH")


@pytest.fixture
def client(tmp_path, predictor) -> Iterator[TestClient]:
    app = create_app(settings_for(tmp_path), lambda: predictor)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        wait_ready(test_client)
        yield test_client


# --- endpoints ------------------------------------------------------------------------------------
def test_health_answers_without_a_key(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_the_model_version(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["model_version"] == "fake-7"
    assert response.json()["ready"] is True


def test_predict_scores_one_customer(client):
    response = client.post("/predict", json=customer(tenure=36), headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"customerID": "7590-VHVEG", "churn_probability": fake_probability(36),
                               "churn": fake_probability(36) >= 0.5, "model_version": "fake-7"}


def test_batch_answers_in_the_order_of_the_request(client):
    customers = [customer(customerID=f"000{i}-ABCDE", tenure=10 * i) for i in range(MAX_BATCH)]
    response = client.post("/predict/batch", json={"customers": customers}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert [row["customerID"] for row in body] == [c["customerID"] for c in customers]
    assert [row["churn_probability"] for row in body] == [fake_probability(10 * i) for i in range(MAX_BATCH)]


@pytest.mark.parametrize("total_charges", [None, " ", ...])
def test_total_charges_may_be_null_blank_or_absent(client, total_charges):
    response = client.post("/predict", json=customer(tenure=0, TotalCharges=total_charges), headers=AUTH)
    assert response.status_code == 200, response.text


def test_request_id_is_echoed_or_generated(client):
    given = client.post("/predict", json=customer(), headers={**AUTH, "X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/health")
    assert len(generated.headers["X-Request-ID"]) == 32
    smuggled = client.get("/health", headers={"X-Request-ID": 'bad id\n{"admin": true}'[:20]})
    assert smuggled.headers["X-Request-ID"] != 'bad id\n{"admin": tr' and len(smuggled.headers["X-Request-ID"]) == 32


# --- bad input: 4xx naming the field, never 500 --------------------------------------------------------
BAD_BODIES = {
    "missing field": (customer(tenure=...), "tenure"),
    "extra field": (customer(Churn="Yes"), "Churn"),
    "typo in a field name": ({**customer(tenure=...), "tenur": 3}, "tenur"),
    "string for an integer": (customer(tenure="ten"), "tenure"),
    "number as a string": (customer(tenure="12"), "tenure"),
    "fraction for an integer": (customer(tenure=1.5), "tenure"),
    "boolean for an integer": (customer(SeniorCitizen=True), "SeniorCitizen"),
    "string for a number": (customer(MonthlyCharges="cheap"), "MonthlyCharges"),
    "above the range": (customer(tenure=73), "tenure"),
    "below the range": (customer(MonthlyCharges=-1), "MonthlyCharges"),
    "unknown category": (customer(Contract="Weekly"), "Contract"),
    "wrong case category": (customer(gender="female"), "gender"),
    "null in a required field": (customer(PaymentMethod=None), "PaymentMethod"),
    "bad customer id": (customer(customerID="12"), "customerID"),
    "list instead of an object": ([customer()], "body"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_customer_is_a_422_naming_the_field(client, case):
    body, field = BAD_BODIES[case]
    response = client.post("/predict", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]
    assert field in [error["field"] for error in response.json()["errors"]]
    batch = client.post("/predict/batch", json={"customers": [customer(), body]}, headers=AUTH)
    assert batch.status_code == 422
    assert f"customers.1.{field}" in batch.json()["detail"] or "customers.1" in batch.json()["detail"]


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
@pytest.mark.parametrize("raw, reason, column", [
    (b"{bad json", "key must be a string", 2),
    (b'{"tenure": 1,}', "trailing comma", 14),
    (b"\xff\xfe", "expected value", 1),
    (b"NaN-ish", "trailing characters", 4),
    (b'{"customerID": "\xff\xfe"}', "invalid unicode code point", 17),
    (b'{"tenure": ' + b"9" * 5000 + b"}", "number out of range", 4313),
    (b"[" * 5000 + b"]" * 5000, "recursion limit exceeded", 202),
])
def test_invalid_json_is_a_400_with_line_and_column(client, path, raw, reason, column):
    response = client.post(path, content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == f"body is not valid JSON: {reason} at line 1 column {column}"
    assert response.json()["errors"] == [{"field": "body", "message": f"{reason} at line 1 column {column}",
                                          "type": "json_invalid", "line": 1, "column": column}]


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_missing_body_is_a_4xx(client, path):
    response = client.post(path, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert "body" in response.json()["detail"]


@pytest.mark.parametrize("path, body", [("/predict", customer()), ("/predict/batch", {"customers": [customer()]})])
@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_is_a_415(client, path, body, content_type):
    headers = {**AUTH, "Content-Type": content_type} if content_type else AUTH
    response = client.post(path, content=json.dumps(body), headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["detail"] == ("send the body as JSON with Content-Type: application/json "
                                         f"(got {content_type or ''!r})")


def test_a_number_with_one_bound_still_refuses_nan_and_infinity():
    from pydantic import TypeAdapter, ValidationError

    annotation, field = field_from_column(Column("discount", "number", minimum=0.0))
    adapter = TypeAdapter(Annotated[annotation, field])
    assert adapter.validate_python(1e6) == 1e6
    for value in (float("nan"), float("inf")):
        with pytest.raises(ValidationError, match="finite number"):
            adapter.validate_python(value)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("field", ["MonthlyCharges", "TotalCharges"])
def test_nan_and_infinity_are_refused_as_not_finite(client, literal, field):
    raw = json.dumps(customer(**{field: 1.25})).replace("1.25", literal).encode()
    response = client.post("/predict", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"invalid request: {field}: Input should be a finite number"
    batch = b'{"customers": [' + raw + b"]}"
    response = client.post("/predict/batch", content=batch, headers={**AUTH, "Content-Type": "application/json"})
    assert response.json()["detail"] == f"invalid request: customers.0.{field}: Input should be a finite number"


def test_a_customer_id_with_arabic_indic_digits_is_refused(client, predictor):
    response = client.post("/predict", json=customer(customerID="\u0667\u0665\u0669\u0660-VHVEG"), headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "customerID"
    assert predictor.batch_sizes == [], "nothing scored"


@pytest.mark.parametrize("customers, message", [([], "at least 1"), ([customer()] * (MAX_BATCH + 1), "at most 5"),
                                               ([{}] * (MAX_BATCH + 1), "at most 5 items, not 6"),
                                               ([0] * 1000, "at most 5 items, not 1000")])
def test_empty_or_oversized_batch_is_a_422(client, customers, message):
    response = client.post("/predict/batch", json={"customers": customers}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customers"
    assert message in response.json()["detail"]


def test_an_oversized_batch_is_refused_before_its_rows_are_validated(client):
    rows = [customer(tenure=999)] * (MAX_BATCH + 1)
    response = client.post("/predict/batch", json={"customers": rows}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "customers", "message": "List should have at most 5 items, not 6",
                                          "type": "too_long"}]


def test_an_allowed_batch_with_nested_objects_is_validated_row_by_row(client):
    rows = [customer(tenure={"a": {}}) for _ in range(MAX_BATCH)]  # many braces, but only 5 customers
    response = client.post("/predict/batch", json={"customers": rows}, headers=AUTH)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [f"customers.{i}.tenure" for i in range(5)]


# The byte-count pre-check of refuse_oversized_batch may overcount (braces and commas in strings,
# nested objects, pretty-printing) but must never refuse an allowed batch nor let more than
# MAX_BATCH objects through to validation. Pydantic's own too_long says "after validation", the
# pre-check's does not, which tells the two apart.
def oversized_message(customers: int) -> str:
    return f"List should have at most {MAX_BATCH} items, not {customers}"


def refusal(body: bytes) -> str | None:
    """The message of refuse_oversized_batch for ``body``, or None when it lets the body through."""
    try:
        refuse_oversized_batch(body, MAX_BATCH)
    except RequestValidationError as error:
        return error.errors()[0]["msg"]
    return None


@pytest.mark.parametrize("body", [
    json.dumps({"customers": [customer(customerID="{{{,,,}}}" * 50)] * MAX_BATCH}).encode(),  # braces in strings
    json.dumps({"customers": [customer(tenure={"a": [{}, {}], "b": ","})] * MAX_BATCH}).encode(),  # nested
    json.dumps({"customers": [customer()] * MAX_BATCH}, indent=4).encode(),  # pretty-printed
    json.dumps({"customers": [customer(customerID="{" * 10)] * MAX_BATCH}, ensure_ascii=True).encode(),
    ('{"customers": [' + ", ".join(['{"\u007b,": "\u007d,"}'] * MAX_BATCH) + "]}").encode(),  # escapes
    json.dumps({"{,": "{,,," * 100, "customers": [customer()] * MAX_BATCH}).encode(),  # another key
    json.dumps([customer()] * (MAX_BATCH + 1)).encode(),  # not the batch shape: validation says so
    json.dumps({"customers": {str(i): {} for i in range(MAX_BATCH + 1)}}).encode(),  # not a list
    b'{"customers": [' + b"{}," * (MAX_BATCH + 1) + b"",  # broken JSON: validation names the syntax error
])
def test_the_oversize_pre_check_lets_every_allowed_or_unparsable_body_through(body):
    assert refusal(body) is None


@pytest.mark.parametrize("body", [
    json.dumps({"customers": [customer()] * (MAX_BATCH + 1)}).encode(),
    json.dumps({"customers": [customer()] * (MAX_BATCH + 1)}, indent=2).encode(),
    json.dumps({"customers": [{}] * (MAX_BATCH + 1)}, separators=(",", ":")).encode(),
    json.dumps({"customers": [customer(customerID="}}}}")] * (MAX_BATCH + 1)}).encode(),  # closing braces only
    json.dumps({"customers": [customer()] * (MAX_BATCH + 1), "customers_again": []}).encode(),
])
def test_the_oversize_pre_check_refuses_more_objects_than_the_limit(body):
    assert refusal(body) == oversized_message(MAX_BATCH + 1)


def test_a_full_allowed_batch_is_never_parsed_by_the_pre_check(monkeypatch):
    monkeypatch.setattr("churn.service.routes.from_json", lambda body: pytest.fail("parsed an allowed batch"))
    full = customer(TotalCharges=29.85)  # every field, the most commas a row can have
    assert len(full) == len(CustomerRequest.model_fields)
    for separators in ((",", ":"), (", ", ": ")):
        assert refusal(json.dumps({"customers": [full] * MAX_BATCH}, separators=separators).encode()) is None


def test_an_oversized_batch_of_non_objects_gets_pydantics_too_long(client):
    response = client.post("/predict/batch", json={"customers": [None] * (MAX_BATCH + 1)}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "customers", "type": "too_long", "message":
                                          f"List should have at most {MAX_BATCH} items after validation, not 6"}]


class OverlapDetector(FakePredictor):
    """A fake that, in its first call, waits a while for a second call to start (a batch scored alongside)."""

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()
        self.second_call = threading.Event()

    def predict_records(self, records):
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            first = self.running == 1 and not self.batch_sizes
            if self.running > 1:
                self.second_call.set()
        if first:
            self.second_call.wait(0.3)  # returns at once if a second batch is scored meanwhile
        try:
            return super().predict_records(records)
        finally:
            with self.lock:
                self.running -= 1


def test_concurrent_batches_are_scored_one_at_a_time(tmp_path):
    overlap = OverlapDetector()
    with TestClient(create_app(settings_for(tmp_path), lambda: overlap)) as test_client:
        wait_ready(test_client)
        answers: list[int] = []
        posts = [threading.Thread(target=lambda: answers.append(test_client.post(
            "/predict/batch", json={"customers": [customer()] * MAX_BATCH}, headers=AUTH).status_code))
            for _ in range(3)]
        for post in posts:
            post.start()
        for post in posts:
            post.join()
    assert answers == [200, 200, 200]
    assert overlap.batch_sizes == [MAX_BATCH] * 3
    assert overlap.most_at_once == 1, "a second batch was scored while the first one was"


class HeldPredictor(FakePredictor):
    """A fake whose scoring waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.scoring = threading.Event()
        self.release = threading.Event()

    def predict_records(self, records):
        self.scoring.set()
        self.release.wait(30)
        return super().predict_records(records)


def test_a_batch_beyond_the_waiting_bound_is_refused_at_once_with_503(tmp_path, monkeypatch):
    monkeypatch.setattr(routes, "MAX_WAITING_BATCHES", 0)  # no batch may wait: the second one is refused
    held = HeldPredictor()
    with TestClient(create_app(settings_for(tmp_path), lambda: held)) as test_client:
        wait_ready(test_client)
        first: list[int] = []
        post = threading.Thread(target=lambda: first.append(test_client.post(
            "/predict/batch", json={"customers": [customer()]}, headers=AUTH).status_code))
        post.start()
        assert held.scoring.wait(30), "the first batch never reached the model"
        refused = test_client.post("/predict/batch", json={"customers": [customer()]}, headers=AUTH)
        held.release.set()
        post.join()
        again = test_client.post("/predict/batch", json={"customers": [customer()]}, headers=AUTH)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert "busy" in refused.json()["detail"]
    assert first == [200] and again.status_code == 200, "the bound is released when a batch is done"


def test_batch_without_the_customers_key_is_a_422(client):
    response = client.post("/predict/batch", json={"people": [customer()]}, headers=AUTH)
    assert response.status_code == 422
    assert {"customers", "people"} <= {error["field"] for error in response.json()["errors"]}


def test_body_over_the_size_limit_is_a_413(tmp_path, predictor):
    app = create_app(settings_for(tmp_path, max_body_bytes=2_000), lambda: predictor)
    with TestClient(app) as client:
        wait_ready(client)
        response = client.post("/predict/batch", json={"customers": [customer()] * 5}, headers=AUTH)
    assert response.status_code == 413


def test_record_refused_by_the_predictor_is_a_422(client):
    response = client.post("/predict", json=customer(customerID="9999-REFUS"), headers=AUTH)
    assert response.status_code == 422
    assert "9999-REFUS" in response.json()["detail"]
    batch = client.post("/predict/batch", json={"customers": [customer(customerID="9999-REFUS")]}, headers=AUTH)
    assert batch.status_code == 422


def test_a_bug_is_a_500_with_the_request_id_and_a_logged_traceback(tmp_path, predictor, capsys):
    app = create_app(settings_for(tmp_path), lambda: predictor)  # after capsys: the logs go to its stderr
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client)
        response = client.post("/predict", json=customer(customerID="6666-CRASH"),
                               headers={**AUTH, "X-Request-ID": "r-1"})
    assert response.status_code == 500
    assert response.json()["request_id"] == "r-1"
    assert response.headers["X-Request-ID"] == "r-1"
    assert "RuntimeError" not in response.text, "no internals in the answer"
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    errors = [entry for entry in logged if entry["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "r-1" and "fake predictor crashed" in errors[0]["exception"]


def test_unknown_path_and_method_are_404_and_405(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/predict", headers=AUTH).status_code == 405


# --- API key ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, body", [("/predict", customer()), ("/predict/batch", {"customers": [customer()]})])
def test_missing_or_wrong_api_key_is_a_401(client, path, body):
    missing = client.post(path, json=body)
    assert missing.status_code == 401
    assert missing.json()["detail"] == "missing API key: send it in the X-API-Key header"
    wrong = client.post(path, json=body, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "wrong API key in the X-API-Key header"


def test_without_a_key_nothing_is_scored_or_logged(client, predictor, tmp_path):
    assert client.post("/predict", json=customer(), headers={"X-API-Key": API_KEY + "x"}).status_code == 401
    assert client.post("/predict/batch", content=b"{bad", headers={"Content-Type": "application/json"}).status_code \
        == 401, "the batch body is read after the key check"
    assert predictor.batch_sizes == []


# --- readiness and start-up ------------------------------------------------------------------------
def test_not_ready_while_the_model_loads(tmp_path, predictor):
    release = threading.Event()

    def slow_loader() -> FakePredictor:
        release.wait(5)
        return predictor

    with TestClient(create_app(settings_for(tmp_path), slow_loader)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {"ready": False, "status": "loading the model", "model_name": "churn",
                                "model_version": None}
        refused = client.post("/predict", json=customer(), headers=AUTH)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        release.set()
        wait_ready(client)
        assert client.post("/predict", json=customer(), headers=AUTH).status_code == 200


def test_a_failed_load_is_reported_and_retried(tmp_path, predictor):
    attempts = []

    def flaky_loader() -> FakePredictor:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise LookupError("no model version of 'churn' has the alias 'champion'")
        return predictor

    with TestClient(create_app(settings_for(tmp_path, load_retry_seconds=0.3), flaky_loader)) as client:
        wait_until(lambda: attempts)
        status = client.get("/ready")
        assert status.status_code == 503
        assert "could not load the model (LookupError: no model version" in status.json()["status"]
        wait_ready(client)
    assert len(attempts) == 2


def test_predictor_named_by_the_environment_is_loaded(tmp_path):
    settings = settings_for(tmp_path, predictor="tests.examples.service_fakes:make_fake_predictor")
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        assert client.get("/ready").json()["model_version"] == "fake-7"


def test_default_loader_asks_the_registry_for_the_champion(tmp_path, monkeypatch, predictor):
    calls = []
    monkeypatch.setattr("churn.predict.load_champion", lambda uri, name: calls.append((uri, name)) or predictor)
    load = champion_loader(settings_for(tmp_path, tracking_uri="sqlite:///x.db", model_name="churn-eu"))
    assert load() is predictor
    assert calls == [("sqlite:///x.db", "churn-eu")]


# --- settings ---------------------------------------------------------------------------------------
def test_settings_come_from_the_environment():
    settings = ServiceSettings.from_env({"CHURN_API_KEY": "s3cret-value", "CHURN_MAX_BATCH": "50",
                                         "CHURN_BATCH_WINDOW_MS": "0", "CHURN_PREDICTION_LOG": "/tmp/p.jsonl",
                                         "CHURN_MODEL_NAME": "m"})
    assert settings.api_key.get_secret_value() == "s3cret-value"
    assert (settings.max_batch, settings.batch_window_ms, settings.model_name) == (50, 0.0, "m")
    assert "s3cret" not in repr(settings), "the key must not appear in logs or tracebacks"


def test_missing_api_key_stops_the_service_with_a_clear_message(monkeypatch):
    monkeypatch.delenv("CHURN_API_KEY", raising=False)
    with pytest.raises(SettingsError, match="CHURN_API_KEY is required but not set"):
        create_app()


def test_a_predictor_path_that_does_not_import_names_the_variable(tmp_path):
    with pytest.raises(SettingsError, match=r"CHURN_PREDICTOR: cannot load 'tests\.examples\.service_fakes:nothing'"):
        create_app(settings_for(tmp_path, predictor="tests.examples.service_fakes:nothing"))


def test_invalid_setting_names_the_variable():
    with pytest.raises(SettingsError, match=r"CHURN_MAX_BATCH: .*'many'"):
        ServiceSettings.from_env({"CHURN_API_KEY": "k", "CHURN_MAX_BATCH": "many"})


# --- metrics, logs, prediction log, OpenAPI ------------------------------------------------------------
def metric(client: TestClient, line_start: str) -> float:
    text = client.get("/metrics/").text
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start)]
    assert values, f"{line_start} not in /metrics"
    return values[0]


def test_metrics_count_requests_latency_scores_and_batches(client):
    client.post("/predict", json=customer(tenure=72), headers=AUTH)
    client.post("/predict", json=customer(tenure=99), headers=AUTH)
    client.post("/predict/batch", json={"customers": [customer(tenure=0)] * 3}, headers=AUTH)
    client.get("/does-not-exist")
    assert metric(client, 'churn_http_requests_total{method="POST",path="/predict",status="200"}') == 1
    assert metric(client, 'churn_http_requests_total{method="POST",path="/predict",status="422"}') == 1
    assert metric(client, 'churn_http_requests_total{method="GET",path="unmatched",status="404"}') == 1
    assert metric(client, 'churn_http_request_duration_seconds_count{path="/predict/batch"}') == 1
    assert metric(client, "churn_prediction_score_count") == 4
    assert metric(client, 'churn_prediction_score_bucket{le="0.1"}') == 1  # tenure 72 -> 0.1
    assert metric(client, "churn_prediction_score_sum") == pytest.approx(0.1 + 3 * 0.9)
    assert metric(client, 'churn_model_batch_size_bucket{le="4.0"}') == 2
    assert metric(client, "churn_model_loaded") == 1
    assert client.get("/metrics", follow_redirects=False).status_code == 307


def test_the_model_version_served_is_an_info_gauge(tmp_path, predictor):
    app = create_app(settings_for(tmp_path), lambda: predictor)
    with TestClient(app) as client:
        wait_ready(client)
        version = client.get("/ready").json()["model_version"]
        assert metric(client, f'churn_model_info{{alias="custom",version="{version}"}}') == 1
        assert client.get("/metrics/").text.count("churn_model_info{") == 1, "one series: the model served"
    families = [family for family in app.state.service.metrics.registry.collect() if family.name == "churn_model_info"]
    assert families and families[0].samples == [], "shut down: no model served, no series"
    bundle = create_app(settings_for(tmp_path / "bundle", model_dir=tmp_path), None)
    assert bundle.state.service.model_alias == "bundle"
    assert create_app(settings_for(tmp_path / "registry"), None).state.service.model_alias == "champion"


def test_two_apps_in_one_process_count_separately(tmp_path, predictor, client):
    client.post("/predict", json=customer(), headers=AUTH)
    with TestClient(create_app(settings_for(tmp_path / "other"), lambda: predictor)) as other:
        wait_ready(other)
        assert 'path="/predict"' not in other.get("/metrics/").text
    assert metric(client, 'churn_http_requests_total{method="POST",path="/predict",status="200"}') == 1


def test_logs_are_json_lines_with_the_request_id(tmp_path, predictor, capsys):
    with TestClient(create_app(settings_for(tmp_path), lambda: predictor)) as client:
        wait_ready(client)
        client.post("/predict", json=customer(), headers={**AUTH, "X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    access = [line for line in lines if line["message"] == "request" and line["request_id"] == "trace-42"]
    assert len(access) == 1
    assert access[0] | {"duration_ms": 0, "time": ""} == {
        "time": "", "level": "INFO", "logger": "churn.service", "message": "request", "request_id": "trace-42",
        "method": "POST", "path": "/predict", "route": "/predict", "status": 200, "duration_ms": 0}
    assert any(line["message"] == "model loaded" and line["model_version"] == "fake-7" for line in lines)


def test_prediction_log_has_input_output_version_time_and_request_id(tmp_path, predictor):
    with TestClient(create_app(settings_for(tmp_path), lambda: predictor)) as client:
        wait_ready(client)
        client.post("/predict", json=customer(tenure=12), headers={**AUTH, "X-Request-ID": "one"})
        client.post("/predict/batch", json={"customers": [customer(customerID="1111-AAAAA", TotalCharges=...)] * 2},
                    headers={**AUTH, "X-Request-ID": "two"})
        client.post("/predict", json=customer(tenure=99), headers=AUTH)  # refused: not logged
    lines = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [line["request_id"] for line in lines] == ["one", "two", "two"]
    first = lines[0]
    assert first["input"] == CustomerRequest.model_validate(customer(tenure=12)).model_dump()
    assert first["output"] == {"churn_probability": fake_probability(12), "churn": True}
    assert first["model_version"] == "fake-7"
    assert datetime.fromisoformat(first["time"]).utcoffset().total_seconds() == 0
    assert lines[2]["input"]["customerID"] == "1111-AAAAA"
    assert lines[2]["input"].keys() == first["input"].keys(), "a batch logs the same fields as /predict"
    assert lines[2]["input"]["TotalCharges"] is None


def test_openapi_documents_the_contract_with_examples(client):
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["CustomerRequest"]
    assert "Churn" not in schema["properties"]
    assert schema["additionalProperties"] is False
    assert schema["examples"] == [EXAMPLE_CUSTOMER]
    assert schema["properties"]["Contract"]["enum"] == ["Month-to-month", "One year", "Two year"]
    assert (schema["properties"]["tenure"]["minimum"], schema["properties"]["tenure"]["maximum"]) == (0, 72)
    assert "customerID" in schema["required"] and "TotalCharges" not in schema["required"]
    batch_body = spec["paths"]["/predict/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch_body["properties"]["customers"]["items"] == {"$ref": "#/components/schemas/CustomerRequest"}
    assert batch_body["properties"]["customers"]["maxItems"] == MAX_BATCH
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "422" in spec["paths"]["/predict"]["post"]["responses"]
