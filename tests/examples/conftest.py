"""Fixtures of the course project's tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory) -> str:
    """A fresh MLflow SQLite store for the test session (the default store, in a temp folder)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"



def _forget_mlflow_state() -> None:
    """End active runs, forget the tracking and registry URIs a test set, and the stores MLflow opened.

    ``mlflow.set_tracking_uri`` and ``set_registry_uri`` are process-wide and export
    ``MLFLOW_TRACKING_URI`` / ``MLFLOW_REGISTRY_URI``. MLflow also keeps one store per URI string for
    the life of the process (an ``lru_cache`` on its store registries): the relative default
    ``sqlite:///mlflow.db`` stays bound to the folder it was first opened in. MLflow has no public
    call to forget a store, so the two caches are cleared here, in the tests only.
    """
    import mlflow
    from mlflow.tracking._model_registry.registry import ModelRegistryStoreRegistry
    from mlflow.tracking._tracking_service.registry import TrackingStoreRegistry

    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)  # None also removes MLFLOW_TRACKING_URI
    mlflow.set_registry_uri(None)  # this one leaves MLFLOW_REGISTRY_URI behind
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    TrackingStoreRegistry._get_store_with_resolved_uri.cache_clear()
    ModelRegistryStoreRegistry._get_store_with_resolved_uri.cache_clear()


@pytest.fixture(scope="module", autouse=True)
def fresh_mlflow_state():
    """Each test file starts and ends with MLflow's default URIs, no active run and no store opened.

    pytest-xdist runs many files in one worker process: without this, the store one file pointed
    MLflow at (or the ``sqlite:///mlflow.db`` it opened in its scratch folder) would be the store of
    the next file's in-process ``churn`` commands and bare ``MlflowClient(uri)`` calls. Within one
    file, tests that change folder and use a relative URI share its first store: use absolute URIs.
    """
    _forget_mlflow_state()
    yield
    _forget_mlflow_state()


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
