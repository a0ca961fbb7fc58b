"""Fixtures of the course project's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory) -> str:
    """A fresh MLflow SQLite store for the test session (the default store, in a temp folder)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
