"""A fake predictor for the service tests and the serving benchmark: no MLflow, no model file.

The real uvicorn test and ``benchmarks/serving.py --model fake`` start the service in another
process with ``CHURN_PREDICTOR=tests.examples.service_fakes:make_fake_predictor`` (run from the
repository root, so that ``tests`` is importable); ``CHURN_FAKE_COST_MS`` makes every call cost
that much CPU time (holding the GIL, like scikit-learn's per-call overhead), whatever the batch size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from churn.predict import Prediction, PredictionInputError


def fake_probability(tenure: float) -> float:
    """The fake model: long-standing customers churn less (0.9 at tenure 0, 0.1 at tenure 72)."""
    return round(0.9 - 0.8 * float(tenure) / 72, 6)


class FakePredictor:
    """Implements the ``churn.predict.Predictor`` protocol with :func:`fake_probability`.

    Args:
        cost_seconds: CPU time every call burns, regardless of the number of records.
        fail_for: A customerID that makes the predictor raise :class:`PredictionInputError`.
        crash_for: A customerID that makes it raise ``RuntimeError`` (a bug, for the 500 test).
        exit_for: A customerID that makes it end its process at once, like a batch worker killed for
            its memory (use it only where the predictor runs in a process of its own).
    """

    model_version = "fake-7"
    threshold = 0.5

    def __init__(self, cost_seconds: float = 0.0, fail_for: str | None = None, crash_for: str | None = None,
                 exit_for: str | None = None):
        self.cost_seconds = cost_seconds
        self.fail_for = fail_for
        self.crash_for = crash_for
        self.exit_for = exit_for
        self.batch_sizes: list[int] = []

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """P(churn) per row of a frame with a ``tenure`` column."""
        return np.array([fake_probability(tenure) for tenure in frame["tenure"]])

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """One prediction per record, in order."""
        self.batch_sizes.append(len(records))
        deadline = time.perf_counter() + self.cost_seconds
        while time.perf_counter() < deadline:  # busy, like Python-level overhead: holds the GIL
            pass
        ids = {record["customerID"] for record in records}
        if self.fail_for in ids:
            raise PredictionInputError(f"customerID {self.fail_for}: refused by the fake predictor")
        if self.crash_for in ids:
            raise RuntimeError("the fake predictor crashed")
        if self.exit_for in ids:
            os._exit(9)
        return [Prediction(record["customerID"], p, p >= self.threshold, self.model_version)
                for record, p in ((record, fake_probability(record["tenure"])) for record in records)]


def make_fake_predictor() -> FakePredictor:
    """The ``CHURN_PREDICTOR`` loader: a fake whose per-call cost is ``CHURN_FAKE_COST_MS``."""
    return FakePredictor(cost_seconds=float(os.environ.get("CHURN_FAKE_COST_MS", "0")) / 1000)
