"""Lecture 6.5: compare the two newest runs of the churn experiment, params and metrics side by side.

Run it with the tracking URI the runs were logged to, a local SQLite store or a running server::

    python examples/lectures/s06/compare_runs.py sqlite:///mlflow.db
    python examples/lectures/s06/compare_runs.py http://127.0.0.1:5000

Without an argument it makes its own store first: it trains ``examples/configs/default.yaml`` and
``tuned.yaml`` on 1,000 generated customers into a temporary SQLite file, then compares those runs.
A URI with no store, no ``churn`` experiment or fewer than two finished runs is bad input: one
``error:`` line says which, and the exit code is 2.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from churn.config import check_tracking_uri, load_config
from churn.registry import TrackingUnreachable, registry_client

ROOT = Path(__file__).resolve().parents[3]
CONFIGS = (ROOT / "examples/configs/default.yaml", ROOT / "examples/configs/tuned.yaml")


class NoRuns(Exception):
    """The tracking URI holds no two finished runs to compare; the message says what is missing."""


# --8<-- [start:newest_runs]
def newest_runs(tracking_uri: str, experiment: str = "churn", count: int = 2) -> list[Any]:
    """The ``count`` newest FINISHED runs of ``experiment``, newest first, read through ``MlflowClient``.

    Raises:
        NoRuns: The SQLite file does not exist, the experiment does not, or it has fewer finished runs.
        TrackingUnreachable: The URI names a server that does not answer.
    """
    if tracking_uri.startswith("sqlite:///") and not Path(tracking_uri.removeprefix("sqlite:///")).is_file():
        raise NoRuns(f"{tracking_uri}: no such database file; run churn train in that folder first, "
                     "or give the path of its mlflow.db")
    client = registry_client(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = [e.name for e in client.search_experiments()]
        raise NoRuns(f"{tracking_uri}: no experiment {experiment!r} (experiments there: {', '.join(names)})")
    runs = client.search_runs([found.experiment_id], filter_string="attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"], max_results=count)
    if len(runs) < count:
        raise NoRuns(f"{tracking_uri}: experiment {experiment!r} has {len(runs)} finished run(s), "
                     f"{count} are needed; train the default and the tuned config first")
    return runs
# --8<-- [end:newest_runs]


def number(value: float) -> str:
    """A metric as the table shows it: money without decimals, a score with four."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4f}"


# --8<-- [start:side_by_side]
def side_by_side(runs: list[Any]) -> list[str]:
    """Lines of a table: the params that differ between the runs, then their headline metrics.

    Slice metrics (names with a dot, e.g. ``slice.gender.Female.roc_auc``) and the params every run
    shares are counted, not printed.
    """
    params = [run.data.params for run in runs]
    keys = sorted(set().union(*params))
    differ = [key for key in keys if len({p.get(key, "-") for p in params}) > 1]
    metrics = sorted({key for run in runs for key in run.data.metrics if "." not in key})
    width = max(len(key) for key in [*differ, *metrics, "run name"]) + 2
    rows = [["run name", *[run.info.run_name or "-" for run in runs]],
            ["run id", *[run.info.run_id[:8] for run in runs]],
            [f"-- params that differ ({len(differ)} of {len(keys)})"]]
    rows += [[key, *[p.get(key, "-") for p in params]] for key in differ]
    rows.append([f"-- metrics ({len(metrics)} headline)"])
    rows += [[key, *[number(run.data.metrics.get(key, float("nan"))) for run in runs]] for key in metrics]
    cell = max(len(value) for row in rows for value in row[1:]) + 2
    lines = [row[0] if len(row) == 1 else (row[0].ljust(width) + "".join(v.ljust(cell) for v in row[1:])).rstrip()
             for row in rows]
    return lines
# --8<-- [end:side_by_side]


def demo_store(folder: Path) -> str:
    """Train the default and the tuned config on 1,000 generated rows into ``folder``; return its URI."""
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    for path in CONFIGS:
        config = load_config(path)
        config = config.model_copy(update={
            "data": config.data.model_copy(update={"generated_rows": 1000}),
            "tracking": config.tracking.model_copy(update={"uri": uri})})
        log_run(train(config, load_training_data(config)), config)
    return uri


def main(argv: list[str] | None = None) -> int:
    """Print the comparison; exit 0, or 2 with one ``error:`` line for a URI with nothing to compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tracking_uri", nargs="?", help="e.g. sqlite:///mlflow.db or http://127.0.0.1:5000")
    parser.add_argument("--experiment", default="churn", help="experiment name (default: churn)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        try:
            uri = check_tracking_uri(args.tracking_uri) if args.tracking_uri else demo_store(Path(folder))
            runs = newest_runs(uri, args.experiment)
        except (ValueError, NoRuns, TrackingUnreachable) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"the 2 newest finished runs of {args.experiment!r} at {uri}, newest first")
        print("\n".join(side_by_side(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
