"""Lecture 6.6: reproduce a tracked churn run from its record alone, and prove it with every metric.

Give it a run id, the store the run was logged to and the data file::

    python examples/lectures/s06/reproduce_run.py RUN_ID --tracking-uri sqlite:///mlflow.db --data customers.csv

It reads the run's parameters and tags, rebuilds the experiment config from the parameters, refuses
data whose fingerprint differs from the run's ``data_fingerprint`` tag, refuses an environment whose
key packages differ from the versions the run's model recorded (its ``requirements.txt``), then
retrains, with nothing logged, and compares every metric of the run exactly. Without a run id it
makes its own: 1,000 generated customers trained with ``default.yaml`` into a temporary SQLite store.

Last, it loads the run's own model and checks that it scores the held-out customers exactly as the
retrained one does: the same model, not only the same numbers.

Exit codes: 0 every metric and score identical, 1 one differs, 2 bad input (no store, unknown run,
missing file, other data, other environment), with one ``error:`` line.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from churn.config import ConfigError, ExperimentConfig, check_tracking_uri, load_config
from churn.ingest import DataError
from churn.registry import TrackingUnreachable, registry_client
from churn.tracking import code_version, data_fingerprint
from churn.train import TrainingData, load_training_data, train
from churn.validate import ValidationFailed

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CONFIG = ROOT / "examples/configs/default.yaml"


class CannotReproduce(Exception):
    """The run cannot be reproduced here; the message names what differs or is missing."""


@dataclass(frozen=True)
class Record:
    """What the tracking store holds about one run: the inputs to rebuild and the outputs to match."""

    run_id: str
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, float]
    requirements: list[str]
    model_uri: str


# --8<-- [start:read_record]
def read_record(tracking_uri: str, run_id: str) -> Record:
    """The run's params, tags and metrics, and the ``requirements.txt`` its logged model recorded.

    Raises:
        CannotReproduce: No such SQLite file, no run with that id, or the run logged no model.
        TrackingUnreachable: The URI names a server that does not answer.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # no "To install the dependencies ..." line

    if tracking_uri.startswith("sqlite:///") and not Path(tracking_uri.removeprefix("sqlite:///")).is_file():
        raise CannotReproduce(f"{tracking_uri}: no such database file; give the mlflow.db the run was logged to")
    client = registry_client(tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise CannotReproduce(f"{tracking_uri}: no run with id {run_id!r}; churn train prints the id "
                              "of the run it logs, and the MLflow UI lists them all") from None
    if not run.outputs or not run.outputs.model_outputs:
        raise CannotReproduce(f"run {run_id} logged no model, so it recorded no environment to check")
    mlflow.set_tracking_uri(tracking_uri)
    model_uri = f"models:/{run.outputs.model_outputs[0].model_id}"
    requirements = Path(mlflow.pyfunc.get_model_dependencies(model_uri)).read_text(encoding="utf-8")
    return Record(run_id, dict(run.data.params), dict(run.data.tags), dict(run.data.metrics),
                  [line.strip() for line in requirements.splitlines() if "==" in line], model_uri)
# --8<-- [end:read_record]


# --8<-- [start:config_from_params]
def config_from_params(params: dict[str, str]) -> ExperimentConfig:
    """Rebuild the experiment config from a run's flattened parameters (``model.params.C`` -> ``1.0``).

    MLflow stores every parameter as text, so each value is read back as a Python literal where it is
    one (``"1.0"`` -> 1.0, ``"False"`` -> False, ``"None"`` -> None). ``tracking.*`` is left out: the
    URI was recorded with its password masked, and a reproduction logs nothing.
    """
    nested: dict[str, Any] = {}
    for key, text in params.items():
        if key.startswith("tracking."):
            continue
        try:
            value: Any = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text  # a plain string such as logistic_regression or a file path
        *parents, leaf = key.split(".")
        branch = nested
        for parent in parents:
            branch = branch.setdefault(parent, {})
        branch[leaf] = value
    return ExperimentConfig.model_validate(nested)
# --8<-- [end:config_from_params]


# --8<-- [start:check_inputs]
def check_data(config: ExperimentConfig, path: str | None, recorded: str | None) -> TrainingData:
    """Load, validate and split the data as the run did; refuse it unless its fingerprint is the recorded one.

    The fingerprint is computed exactly as ``log_run`` tags it: over the validated table, in file order.
    """
    data = load_training_data(config, path)
    fingerprint = data_fingerprint(pd.concat([data.train, data.test]).sort_index())
    if fingerprint != recorded:
        raise CannotReproduce(f"{data.source}: data fingerprint {fingerprint[:12]} is not the run's "
                              f"{(recorded or 'none recorded')[:12]}; this is other data, so the metrics "
                              "cannot be expected to match")
    return data


def check_environment(requirements: list[str]) -> list[str]:
    """Compare each ``name==version`` the model recorded with what is installed; refuse any difference."""
    differences, same = [], []
    for line in requirements:
        name, version = line.split("==", 1)
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        if installed == version:
            same.append(f"{name} {version}")
        else:
            differences.append(f"{name} {version} recorded, {installed} installed")
    if differences:
        raise CannotReproduce("environment differs from the run's model: " + "; ".join(differences)
                              + "; install the recorded versions (pip install -r the model's requirements.txt)")
    return same
# --8<-- [end:check_inputs]


# --8<-- [start:compare]
def compare_metrics(recorded: dict[str, float], reproduced: dict[str, float]) -> tuple[list[str], int]:
    """Lines of a table of every recorded metric next to the reproduced one, and how many differ.

    The comparison is exact (``==`` on the stored floats): a reproduction is the same number, not a
    close one. Slice metrics are compared too and counted, not printed.
    """
    keys = sorted(recorded)
    differ = [key for key in keys if reproduced.get(key) != recorded[key]]
    lines = [f"{'metric':<16}{'recorded':>20}{'reproduced':>20}  same"]
    for key in [k for k in keys if "." not in k]:
        value = reproduced.get(key, float("nan"))
        lines.append(f"{key:<16}{recorded[key]:>20.12g}{value:>20.12g}  {'yes' if key not in differ else 'NO'}")
    sliced = [key for key in keys if "." in key]
    lines.append(f"slice metrics: {len(sliced) - len(set(sliced) & set(differ))} of {len(sliced)} identical")
    return lines, len(differ)
# --8<-- [end:compare]


def same_scores(model_uri: str, retrained: Any, data: TrainingData) -> bool:
    """Whether the recorded model and the retrained pipeline give bit-identical scores on the held-out split."""
    import mlflow
    import numpy as np
    from churn.features import feature_frame

    recorded = mlflow.sklearn.load_model(model_uri)
    features = feature_frame(data.test)
    return bool(np.array_equal(recorded.predict_proba(features), retrained.predict_proba(features)))


# --8<-- [start:reproduce]
def reproduce(tracking_uri: str, run_id: str, data_path: str | None = None) -> tuple[list[str], int]:
    """Rebuild the run from its record, check data and environment, retrain and compare every metric."""
    record = read_record(tracking_uri, run_id)
    config = config_from_params(record.params)
    path = data_path or config.data.path  # None: the generator, with the recorded generator_seed
    data = check_data(config, path, record.tags.get("data_fingerprint"))
    packages = check_environment(record.requirements)
    result = train(config, data)
    commit = code_version().get("mlflow.source.git.commit", "unknown")
    recorded_commit = record.tags.get("mlflow.source.git.commit", "not recorded")
    lines = [f"run {run_id}: {config.model.kind}, seed {config.seed}, data {data.source}",
             f"data fingerprint {record.tags['data_fingerprint'][:12]}: same",
             f"environment: same {', '.join(packages)}",
             f"code: run at {recorded_commit[:12]} (dirty: {record.tags.get('git_dirty', '?')}), "
             f"now at {commit[:12]}"]
    table, differ = compare_metrics(record.metrics, result.metrics | result.slices)
    scores = same_scores(record.model_uri, result.pipeline, data)
    differ += not scores
    table.append(f"held-out scores of the recorded model and the retrained one: {'identical' if scores else 'DIFFER'}")
    verdict = "reproduced: every metric identical" if not differ else f"NOT reproduced: {differ} check(s) differ"
    return [*lines, *table, verdict], differ
# --8<-- [end:reproduce]


def demo_run(folder: Path) -> tuple[str, str, str]:
    """Train ``default.yaml`` on 1,000 generated customers into ``folder``; return (uri, run id, data file)."""
    from churn.generate import generate_customers
    from churn.tracking import log_run

    data = folder / "customers.csv"
    generate_customers(1000, seed=42).to_csv(data, index=False)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = load_config(DEFAULT_CONFIG)
    config = config.model_copy(update={"data": config.data.model_copy(update={"path": str(data)}),
                                       "tracking": config.tracking.model_copy(update={"uri": uri})})
    return uri, log_run(train(config, load_training_data(config)), config).run_id, str(data)


def main(argv: list[str] | None = None) -> int:
    """Print the checks and the metric table; exit 0 reproduced, 1 a metric differs, 2 bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_id", nargs="?", help="the run to reproduce (default: make a demo run first)")
    parser.add_argument("--tracking-uri", default="sqlite:///mlflow.db", help="default: sqlite:///mlflow.db")
    parser.add_argument("--data", help="CSV or Parquet file (default: the run's data.path parameter)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        try:
            if args.run_id:
                uri, run_id, data = check_tracking_uri(args.tracking_uri), args.run_id, args.data
            else:
                uri, run_id, data = demo_run(Path(folder))
            lines, differ = reproduce(uri, run_id, data)
        except (CannotReproduce, ConfigError, DataError, ValidationFailed, TrackingUnreachable, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print("\n".join(lines))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
