"""Benchmarks of the course project: data, training, registry, start-up and model quality.

Run from the repository root::

    make bench-project          # in .venv-project: the churn project alone, as a training job runs it
    .venv/bin/python benchmarks/project.py   # or in the course's full environment

Each figure is printed next to its target. The serving throughput and latency benchmark is
``benchmarks/serving.py`` (``make bench-project`` runs both). The first ``log_run`` of a process
(every ``churn train``) also pays one-time costs inside MLflow: importing skops (its scikit-learn
serialiser) and a scan of every installed package's file list to check the given pip requirements
against the environment. That scan grows with the environment: about 0.3 s for the project alone
(96 distributions), about 0.9 s in the course's full environment, where Material for MkDocs alone
lists 14,667 files. It is timed on its own too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from churn.config import load_config
from churn.generate import Quality, generate_customers
from churn.governance.approvals import Approval, promote
from churn.tracking import log_run
from churn.train import load_training_data, train
from churn.validate import validate
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent


def timed(action):
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def best_of(times: int, action) -> float:
    """The fastest of ``times`` runs of ``action``, in seconds (the least disturbed by other work)."""
    return min(timed(action)[1] for _ in range(times))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_to_ready(tracking_uri: str) -> float:
    port = free_port()
    env = {**os.environ, "CHURN_API_KEY": "benchmark", "CHURN_TRACKING_URI": tracking_uri,
           "CHURN_PREDICTION_LOG": os.devnull}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "churn.cli", "serve", "--port", str(port), "--tracking-uri",
                               tracking_uri], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the service never became ready")
    finally:
        server.terminate()
        server.wait(timeout=30)


def environment_scan() -> tuple[int, float]:
    """How many distributions are installed, and how long MLflow's scan of them takes.

    MLflow makes this call once per process when it saves a model, to check the given pip
    requirements against the environment: ``importlib_metadata.packages_distributions()`` (the
    backport MLflow depends on), which reads every distribution's file list and checks that each
    listed file exists, so the time grows with the environment.
    """
    import importlib_metadata  # MLflow's dependency, not the standard library's importlib.metadata

    count = sum(1 for _ in importlib_metadata.distributions())
    _, seconds = timed(importlib_metadata.packages_distributions)
    return count, seconds


def main() -> None:
    rows = []
    frame, seconds = timed(lambda: generate_customers(10_000, seed=42, with_probability=True))
    rows.append(("generate 10,000 customers", f"{seconds:.2f} s", "", ""))
    blemished = Quality(null_share=0.02, blank_total_charges_share=0.02, duplicate_share=0.02,
                        out_of_range_share=0.02)
    seconds = best_of(3, lambda: generate_customers(10_000, seed=3, quality=blemished))
    rows.append(("generate 10,000 customers with blemishes (best of 3)", f"{seconds:.2f} s", "< 0.5 s",
                 "ok" if seconds < 0.5 else "MISSED"))
    dirty = generate_customers(10_000, seed=5, quality=blemished)
    seconds = best_of(3, lambda: validate(dirty))
    rows.append(("validate 10,000 rows against the contract (best of 3)", f"{seconds:.2f} s", "< 0.5 s",
                 "ok" if seconds < 0.5 else "MISSED"))
    signal_auc = roc_auc_score(frame["Churn"] == "Yes", frame["churn_probability"])

    with tempfile.TemporaryDirectory() as folder:
        uri = f"sqlite:///{folder}/mlflow.db"
        config = load_config(None, tracking={"uri": uri})
        _, create = timed(lambda: __import__("mlflow").MlflowClient(uri).search_experiments())
        rows.append(("create the SQLite tracking store (once per machine)", f"{create:.2f} s", "", ""))
        data = load_training_data(config)
        result, seconds = timed(lambda: train(config, data))
        rows.append(("train the default model on 10,000 rows", f"{seconds:.2f} s", "< 5 s", "ok" if seconds < 5 else
                     "MISSED"))
        _, cold = timed(lambda: log_run(result, config))
        rows.append(("log and register it, first run in a fresh process", f"{cold:.2f} s", "< 2 s",
                     "ok" if cold < 2 else "MISSED"))
        count, scan = environment_scan()
        rows.append((f"  of which MLflow's one-time scan of the {count} installed distributions", f"{scan:.2f} s", "",
                     ""))
        _, seconds = timed(lambda: log_run(result, config))
        rows.append(("log and register it, steady state", f"{seconds:.2f} s", "< 2 s", "ok" if seconds < 2 else
                     "MISSED"))
        promote(config, data.test, Approval("benchmark", "a model to start the service with"),
                f"{folder}/audit.jsonl")
        seconds = start_to_ready(uri)
        rows.append(("service start to ready (churn serve)", f"{seconds:.2f} s", "< 5 s", "ok" if seconds < 5 else
                     "MISSED"))
        auc = result.metrics["roc_auc"]
        rows.append(("ROC AUC the generator's signal allows (true probabilities)", f"{signal_auc:.3f}", "", ""))
        rows.append(("default model ROC AUC, held-out 20%", f"{auc:.3f}", ">= 0.84 (real-data LR baseline)",
                     "ok" if auc >= 0.84 else "MISSED"))

    width = max(len(row[0]) for row in rows)
    print(f"{'measure'.ljust(width)}  {'result':>10}  {'target':>32}  verdict")
    for name, result_text, target, verdict in rows:
        print(f"{name.ljust(width)}  {result_text:>10}  {target:>32}  {verdict}")


if __name__ == "__main__":
    main()
