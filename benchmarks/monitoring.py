"""Benchmark of drift monitoring: how long ``churn drift`` takes on a large window.

Run from the repository root::

    .venv/bin/python benchmarks/monitoring.py [--current 100000] [--reference 10000] [--repeat 5]

Prints, for a current window of ``--current`` generated customers (with more month-to-month
contracts and higher prices, so several features drift) against a reference of ``--reference``:

1. the drift computation itself, [`compare()`][churn.monitoring.drift.compare]: PSI and a test for
   each of the 19 features and for the scores (the fastest of ``--repeat`` runs, and the median);
2. reading the same window from a prediction log in the service's format
   ([`read_prediction_log()`][churn.monitoring.windows.read_prediction_log]), JSON parsing and checks included;
3. drawing the HTML report ([`render_html()`][churn.monitoring.report.render_html]).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from churn.config import MonitoringConfig
from churn.generate import Drift, generate_customers
from churn.monitoring.drift import compare
from churn.monitoring.report import render_html, summary
from churn.monitoring.windows import Window, model_inputs, read_prediction_log
from churn.predict import Prediction
from churn.service.prediction_log import format_lines

DRIFTED = Drift(month_to_month_share=0.8, monthly_charges_factor=1.2)


def timed(action, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` runs of ``action``."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def windows(current_rows: int, reference_rows: int) -> tuple[Window, Window]:
    """The reference and current windows, with scores from two beta distributions as stand-ins for a model's."""
    rng = np.random.default_rng(0)
    reference = model_inputs(generate_customers(reference_rows, seed=1), "reference")
    current = model_inputs(generate_customers(current_rows, seed=2, drift=DRIFTED), "current")
    return (Window(reference.assign(churn_probability=rng.beta(2, 5, reference_rows)), "reference"),
            Window(current.assign(churn_probability=rng.beta(2.5, 4.5, current_rows)), ["current"],
                   start="2026-05-04T09:00:00+00:00", end="2026-05-04T10:00:00+00:00"))


def write_log(path: Path, rows: int) -> None:
    """``rows`` predictions in the prediction log's format, in requests of 100."""
    frame = generate_customers(rows, seed=2, drift=DRIFTED).drop(columns="Churn")
    frame["TotalCharges"] = frame["TotalCharges"].map(lambda value: None if value == " " else float(value))
    records = frame.to_dict(orient="records")
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    with path.open("wb") as file:
        for offset in range(0, rows, 100):
            batch = records[offset:offset + 100]
            predictions = [Prediction(record["customerID"], 0.3, False, "3") for record in batch]
            file.write(format_lines(batch, predictions, "bench", start + timedelta(seconds=offset)))


def main(argv: list[str] | None = None) -> int:
    """Print the three figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--current", type=int, default=100_000, help="rows of the current window (default 100000)")
    parser.add_argument("--reference", type=int, default=10_000, help="rows of the reference (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the drift computation (default 5)")
    args = parser.parse_args(argv)
    thresholds = MonitoringConfig()
    reference, current = windows(args.current, args.reference)

    seconds = timed(lambda: compare(reference.frame, current.frame, thresholds), args.repeat)
    result = compare(reference.frame, current.frame, thresholds)
    print(f"drift computation, {args.current:,} current rows vs {args.reference:,} reference rows, 19 features "
          f"and the scores: best {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s "
          f"of {args.repeat} (drifted: {', '.join(result.drifted_features)})")

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "prediction_log.jsonl"
        write_log(log, args.current)
        size = log.stat().st_size
        read = timed(lambda: read_prediction_log(log), 1)[0]
    print(f"reading the window from the prediction log ({size / 1e6:.0f} MB, {args.current:,} lines): {read:.2f} s")

    document = summary(result, reference, current, thresholds)
    drawn = timed(lambda: render_html(document, reference.frame, current.frame), 1)[0]
    page = render_html(document, reference.frame, current.frame)
    print(f"drawing the HTML report ({len(result.drifted_features)} drifted features and the scores, "
          f"{len(page) / 1e3:.0f} kB): {drawn:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
