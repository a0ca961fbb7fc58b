"""What a training run records of where it was tracked: the tracking URI, never its password."""

from __future__ import annotations

import pytest
from churn.config import load_config
from churn.tracking import _flat_params, without_password


@pytest.mark.parametrize(("uri", "logged"), [
    ("postgresql://churn:secret@db:5432/mlflow", "postgresql://churn:***@db:5432/mlflow"),
    ("postgresql+psycopg2://churn:p%40ss@db/mlflow?sslmode=require",
     "postgresql+psycopg2://churn:***@db/mlflow?sslmode=require"),
    ("postgresql://churn@db/mlflow", "postgresql://churn@db/mlflow"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
])
def test_a_password_in_the_tracking_uri_is_replaced_and_nothing_else_changes(uri, logged):
    assert without_password(uri) == logged


def test_the_logged_params_carry_the_uri_without_its_password():
    config = load_config(None, tracking={"uri": "postgresql://churn:secret@db:5432/mlflow"})
    params = _flat_params(config)
    assert params["tracking.uri"] == "postgresql://churn:***@db:5432/mlflow"
    assert "secret" not in repr(params)
    assert config.tracking.uri == "postgresql://churn:secret@db:5432/mlflow"  # the run itself still connects
