"""Fixtures of the course project's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory) -> str:
    """A fresh MLflow SQLite store for the test session (the default store, in a temp folder)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"



@pytest.fixture(scope="session", autouse=True)
def audit_log(tmp_path_factory):
    """One audit log for the session (``CHURN_AUDIT_LOG``), so no test writes governance/audit.jsonl in the checkout.

    Set for the whole session, so module-scoped fixtures and the subprocesses they start use it too;
    a test that checks entries passes ``--audit-log`` (or ``audit_log=``) with a file of its own.
    """
    path = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHURN_AUDIT_LOG", str(path))
        yield path
