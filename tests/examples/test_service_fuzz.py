"""Property-based fuzzing of the API: whatever the body, the answer is never a server error.

The oracle is stronger than "no 5xx": a body the request model accepts must be scored (200), and a
body it refuses must be a 4xx, so the endpoint, the error handlers and the model agree.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from churn.contract import CUSTOMER_CONTRACT, TARGET_COLUMN
from churn.service.app import create_app
from churn.service.schemas import EXAMPLE_CUSTOMER, CustomerRequest
from churn.service.settings import ServiceSettings
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.examples.service_fakes import FakePredictor, fake_probability

AUTH = {"X-API-Key": "fuzz"}
MAX_BATCH = 4
FIELDS = [column for column in CUSTOMER_CONTRACT if column.name != TARGET_COLUMN]
FUZZ = settings(max_examples=60, deadline=None, database=None)  # no .hypothesis folder in the repository

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def valid_value(column) -> st.SearchStrategy[Any]:
    """A value the contract allows for ``column``."""
    if column.kind == "category":
        return st.sampled_from(column.allowed)
    if column.kind == "id":
        return st.builds("{:04d}-{}".format, st.integers(0, 9999),
                         st.text(alphabet=string.ascii_uppercase, min_size=5, max_size=5))
    if column.kind == "integer":
        return st.integers(int(column.minimum), int(column.maximum))
    return st.floats(column.minimum, column.maximum)


def near_miss(column) -> st.SearchStrategy[Any]:
    """A value just outside what the contract allows: the edge cases hand-written tests forget."""
    if column.kind == "category":
        return st.sampled_from([value.upper() for value in column.allowed] + ["", " ", "Unknown"])
    if column.kind == "id":
        return st.sampled_from(["7590-vhveg", "7590VHVEG", "", "7590-VHVEG\n", "٧٥٩٠-VHVEG"])
    bounds = [column.minimum - 1, column.maximum + 1, column.minimum - 0.001, column.maximum + 0.5]
    return st.sampled_from([*bounds, str(column.minimum), True, 1e308, -1e308])


@st.composite
def customer_bodies(draw) -> dict[str, Any]:
    """Mostly valid customers with some fields dropped, broken or replaced, and unknown ones added."""
    body = {}
    for column in FIELDS:
        choice = draw(st.sampled_from(["valid"] * 6 + ["near miss", "anything", "drop"]))
        if choice == "valid":
            body[column.name] = draw(valid_value(column))
        elif choice == "near miss":
            body[column.name] = draw(near_miss(column))
        elif choice == "anything":
            body[column.name] = draw(json_values)
    body |= draw(st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=2))
    return body


def accepted(body: Any) -> bool:
    try:
        CustomerRequest.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings_ = ServiceSettings(api_key="fuzz", prediction_log=tmp_path_factory.mktemp("fuzz") / "log.jsonl",
                                max_batch=MAX_BATCH, batch_window_ms=0)
    with TestClient(create_app(settings_, FakePredictor)) as test_client:
        while test_client.get("/ready").status_code != 200:
            pass
        yield test_client


@FUZZ
@given(body=customer_bodies())
def test_predict_accepts_exactly_what_the_model_accepts(client, body):
    response = client.post("/predict", json=body, headers=AUTH)
    if accepted(body):
        assert response.status_code == 200, response.text
        assert response.json()["churn_probability"] == fake_probability(body["tenure"])
    else:
        assert response.status_code == 422, response.text
        assert response.json()["errors"], "a refusal names at least one field"


@FUZZ
@given(body=json_values)
def test_any_json_document_is_a_4xx_not_a_5xx(client, body):
    for path in ("/predict", "/predict/batch"):
        response = client.post(path, json=body, headers=AUTH)
        assert 400 <= response.status_code < 500, (path, response.text)


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_are_a_4xx_not_a_5xx(client, raw):
    for path in ("/predict", "/predict/batch"):
        response = client.post(path, content=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)


@FUZZ
@given(customers=st.lists(st.just(EXAMPLE_CUSTOMER) | customer_bodies(), max_size=MAX_BATCH + 1))
def test_batch_accepts_exactly_what_the_model_accepts(client, customers):
    response = client.post("/predict/batch", content=json.dumps({"customers": customers}),
                           headers={**AUTH, "Content-Type": "application/json"})
    if 1 <= len(customers) <= MAX_BATCH and all(accepted(c) for c in customers):
        assert response.status_code == 200, response.text
        assert len(response.json()) == len(customers)
    else:
        assert response.status_code == 422, response.text
