"""Lecture 6.4: train once with the project's own code and print what the run recorded, grouped by kind.

The script generates a small customer table, trains the default pipeline with
``churn.train.train`` and records it with ``churn.tracking.log_run``, exactly what ``churn train``
does, into a fresh SQLite tracking store in a temporary folder. Then it reads the run back through
the tracking API and prints its parameters, metrics, tags and artifacts, the model it logged, and
where each part is stored. Last, it logs one parent run with a child run per split seed and
compares the children by a metric. The temporary folder is deleted at the end unless ``--keep``
names a folder to keep the store in (lecture 6.5 opens such a store in the MLflow UI).

Run it from the repository root::

    python examples/lectures/s06/what_a_run_records.py
    python examples/lectures/s06/what_a_run_records.py --rows 5000 --keep /tmp/store
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from churn.config import ConfigError, ExperimentConfig, load_config
from churn.evaluate import evaluate
from churn.features import build_pipeline, feature_frame, target
from churn.tracking import log_run
from churn.train import load_training_data, train

HEADLINE = ("roc_auc", "pr_auc", "precision", "recall", "f1", "cost_per_1000", "saving_per_1000")
PROJECT_TAGS = ("data_fingerprint", "data_source", "rows_train", "rows_test", "mlflow.source.git.commit", "git_dirty")
SPLIT_SEEDS = (0, 1, 2)


class BadInput(ValueError):
    """An argument the script cannot work with; the message says which one and what would work."""


def configure(rows: int, folder: Path) -> ExperimentConfig:
    """The default experiment on ``rows`` generated customers, tracked in ``folder/mlflow.db``.

    Raises:
        BadInput: ``rows`` is below the configuration's minimum, or ``folder`` is a file.
    """
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"--keep {folder}: is a file; give a folder (it is created if missing)")
    try:
        return load_config(None, data={"generated_rows": rows},
                           tracking={"uri": f"sqlite:///{folder.resolve() / 'mlflow.db'}"})
    except ConfigError as error:
        raise BadInput(f"--rows {rows}: {str(error).removeprefix('configuration: ')}") from None


def artifact_files(client: Any, run_id: str, folder: str | None = None) -> list[tuple[str, int]]:
    """Every file of a run's artifacts, as (path inside the run, size in bytes), depth first."""
    files: list[tuple[str, int]] = []
    for entry in client.list_artifacts(run_id, folder):
        files += artifact_files(client, run_id, entry.path) if entry.is_dir else [(entry.path, entry.file_size or 0)]
    return files


# --8<-- [start:read_back]
def run_record(client: Any, run_id: str) -> dict[str, Any]:
    """Read one run back from the tracking store, grouped by kind of record."""
    import mlflow

    run = client.get_run(run_id)
    models = mlflow.search_logged_models(filter_string=f"source_run_id = '{run_id}'", output_format="list")
    return {
        "params": run.data.params,  # inputs, written once: the flattened experiment config
        "metrics": run.data.metrics,  # numbers out, comparable across runs (latest value per key)
        "tags": run.data.tags,  # labels about the run: lineage, provenance, status notes
        "artifacts": artifact_files(client, run_id),  # files, in the artifact store, not the database
        "models": [(model.model_id, model.name) for model in models],  # MLflow 3: LoggedModels of this run
        "status": run.info.status,
        "artifact_uri": run.info.artifact_uri,
    }
# --8<-- [end:read_back]


# --8<-- [start:child_runs]
def log_seed_runs(config: ExperimentConfig, seeds: tuple[int, ...] = SPLIT_SEEDS) -> str:
    """One parent run, one child run per split seed (same data, same model); return the parent's id."""
    import mlflow

    with mlflow.start_run(run_name="split-seeds") as parent:
        mlflow.log_param("seeds", ",".join(map(str, seeds)))
        for seed in seeds:
            data = load_training_data(config.model_copy(update={"seed": seed}))
            with mlflow.start_run(run_name=f"seed-{seed}", nested=True):  # tags mlflow.parentRunId
                mlflow.log_param("seed", seed)
                pipeline = build_pipeline(config.model.kind, config.model.params, seed=seed)
                pipeline.fit(feature_frame(data.train), target(data.train))
                probability = pipeline.predict_proba(feature_frame(data.test))[:, 1]
                mlflow.log_metric("roc_auc", evaluate(target(data.test).to_numpy(), probability,
                                                      config.threshold, config.costs)["roc_auc"])
    return parent.info.run_id


def compare_children(client: Any, experiment_id: str, parent_id: str) -> list[tuple[str, float]]:
    """The parent's child runs, best ROC AUC first: a search on a tag, ordered by a metric."""
    runs = client.search_runs([experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'",
                              order_by=["metrics.roc_auc DESC"])
    return [(run.data.params["seed"], run.data.metrics["roc_auc"]) for run in runs]
# --8<-- [end:child_runs]


def report(record: dict[str, Any], folder: Path) -> list[str]:
    """The lines the script prints for one run's record."""
    params, metrics, tags = record["params"], record["metrics"], record["tags"]
    groups: dict[str, list[str]] = {}
    for key, value in sorted(params.items()):
        group, _, name = key.partition(".") if "." in key else ("(top level)", "", key)
        groups.setdefault(group, []).append(f"{name}={value}")
    lines = [f"PARAMS ({len(params)}): inputs, the flattened experiment config"]
    lines += [f"  {group:<11} {' '.join(values)}" for group, values in groups.items()]
    lines.append(f"METRICS ({len(metrics)}): numbers out, measured on the held-out split")
    lines += [f"  {key:<15} {metrics[key]:.4f}" for key in HEADLINE]
    sliced = [key for key in metrics if key not in HEADLINE]
    example = "slice_gap.gender.recall"
    lines.append(f"  + {len(sliced)} slice metrics, e.g. {example} {metrics[example]:.4f}")
    ours = [key for key in PROJECT_TAGS if key in tags]
    lines.append(f"TAGS ({len(tags)}): {len(ours)} set by the project, the rest by MLflow")
    lines += [f"  {key:<25} {str(tags[key])[:16]}" for key in ours]
    lines += [f"  {key:<25} (MLflow)" for key in sorted(tags) if key not in ours]
    lines.append(f"ARTIFACTS ({len(record['artifacts'])} files of the run)")
    lines += [f"  {path:<28} {size:>8,} bytes" for path, size in record["artifacts"]]
    lines += [f"MODEL: LoggedModel {model_id} (name {name!r}), files in the artifact store"
              for model_id, name in record["models"]]
    lines.append(f"STATUS: {record['status']}")
    database = folder / "mlflow.db"
    files = [path for path in (folder / "mlruns").rglob("*") if path.is_file()]
    models = sum("models" in path.relative_to(folder / "mlruns").parts[:1] for path in files)
    lines.append("STORES")
    lines.append(f"  tracking store  mlflow.db, {database.stat().st_size:,} bytes: params, metrics, tags, runs")
    lines.append(f"  artifact store  mlruns/, {len(files)} files: {len(files) - models} of the run, "
                 f"{models} of the model")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Train, log, read back and print; exit 0, or 2 with one ``error:`` line for bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000, help="generated customers to train on (default 2000)")
    parser.add_argument("--keep", type=Path, help="keep the tracking store in this folder (default: delete it)")
    args = parser.parse_args(argv)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="mlflow")
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        try:
            config = configure(args.rows, folder)
        except BadInput as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        folder.mkdir(parents=True, exist_ok=True)
        import mlflow

        result = train(config, load_training_data(config))
        registered = log_run(result, config)
        client = mlflow.MlflowClient(config.tracking.uri)
        print(f"RUN {registered.run_id} in experiment {config.tracking.experiment!r}")
        print("\n".join(report(run_record(client, registered.run_id), folder)))
        experiment = client.get_experiment_by_name(config.tracking.experiment).experiment_id
        parent = log_seed_runs(config)
        seeds = ", ".join(map(str, SPLIT_SEEDS))
        print(f"CHILD RUNS of split-seeds, best first (same data and model; split seeds {seeds})")
        for seed, auc in compare_children(client, experiment, parent):
            print(f"  seed {seed}  roc_auc {auc:.4f}")
        if args.keep:
            print(f"kept: MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false mlflow ui --backend-store-uri {config.tracking.uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
