"""The pipeline's steps as DVC stages: ``python -m churn.pipeline.stages NAME``, files in, files out.

``examples/dvc.yaml`` runs them in order; each reads what the previous one wrote, so DVC can tell
from the files' hashes which stages a change affects:

- ``ingest``: the configured file, or generated customers -> ``data/raw.parquet``
- ``validate``: the contract -> ``data/validated.parquet`` and ``reports/validation.json``; a fatal
  finding prints the report and exits 1, so ``dvc repro`` stops before training
- ``train``: split and fit -> ``models/model.skops`` (the scikit-learn pipeline, in skops' format,
  which MLflow uses too), ``models/model.onnx`` (the serving copy) and ``data/test.parquet``
- ``evaluate``: the held-out metrics -> ``reports/metrics.json`` (``dvc metrics show``)

The stages write files only: registering a model and the promotion gate are the registry's
business (``churn pipeline`` or the Dagster job), not a file DVC could version.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from churn.config import ConfigError, load_config
from churn.generate import write_table
from churn.ingest import DataError, load_table
from churn.pipeline.steps import ValidatedTable, evaluate_model, ingest, split
from churn.train import train
from churn.validate import Finding, ValidationReport, validate

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2


def _write_json(path: str, data: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _read_report(path: str) -> ValidationReport:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return ValidationReport(data["rows_in"], data["rows_out"], [Finding(**item) for item in data["findings"]])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path}: not a validation report written by the validate stage ({error}); "
                        "run `dvc repro validate`") from None


# --8<-- [start:stages]
def stage_ingest(args: argparse.Namespace) -> int:
    """Read or generate the customer table and write it unchanged."""
    raw = ingest(load_config(args.config))
    write_table(raw.frame, args.output)
    print(f"ingest: {len(raw.frame)} rows from {raw.source} -> {args.output}")
    return EXIT_OK


def stage_validate(args: argparse.Namespace) -> int:
    """Validate against the contract; write the cleaned table and the report, or stop on a fatal finding."""
    clean, report = validate(load_table(args.input))
    _write_json(args.report, report.to_dict())
    if not report.ok:
        print(f"error: {args.input} breaks the contract; nothing was trained.\n{report.to_text()}", file=sys.stderr)
        return EXIT_REFUSED
    write_table(clean, args.output)
    print(f"validate: {report.rows_in} rows in, {report.rows_out} rows out -> {args.output}")
    return EXIT_OK


def stage_train(args: argparse.Namespace) -> int:
    """Split the validated table, fit the configured model, write the model and the held-out part."""
    import skops.io

    config = load_config(args.config)
    data = split(ValidatedTable(load_table(args.input), _read_report(args.report), args.input), config)
    result = train(config, data)
    Path(args.model).parent.mkdir(parents=True, exist_ok=True)
    skops.io.dump(result.pipeline, args.model)
    Path(args.model).with_suffix(".onnx").write_bytes(result.onnx)
    write_table(data.test, args.test)
    print(f"train: {config.model.kind} on {len(data.train)} rows -> {args.model}")
    return EXIT_OK


def stage_evaluate(args: argparse.Namespace) -> int:
    """Score the held-out part with the trained model and write the metrics."""
    import skops.io

    try:
        pipeline = skops.io.load(args.model)  # the file the train stage wrote: scikit-learn types only
    except (OSError, ValueError) as error:
        raise DataError(f"{args.model}: not a model written by the train stage ({error}); "
                        "run `dvc repro train`") from None
    metrics = evaluate_model(pipeline, load_table(args.test), load_config(args.config))
    _write_json(args.metrics, {name: round(value, 6) for name, value in metrics.items()})
    print(f"evaluate: roc_auc={metrics['roc_auc']:.4f} pr_auc={metrics['pr_auc']:.4f} -> {args.metrics}")
    return EXIT_OK
# --8<-- [end:stages]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser: one subcommand per stage, each with its input and output files."""
    parser = argparse.ArgumentParser(prog="python -m churn.pipeline.stages",
                                     description="The training pipeline's steps as DVC stages (see dvc.yaml).")
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    def add(name, handler, text, *files):
        stage = stages.add_parser(name, help=text, description=text)
        stage.set_defaults(handler=handler)
        for option in files:
            stage.add_argument(f"--{option}", required=option != "config",
                               help="experiment YAML (default: built-in defaults)" if option == "config" else None)
        return stage

    add("ingest", stage_ingest, "read or generate the customer table", "config", "output")
    add("validate", stage_validate, "validate against the contract", "input", "output", "report")
    add("train", stage_train, "split and fit the configured model", "config", "input", "report", "model", "test")
    add("evaluate", stage_evaluate, "score the held-out part", "config", "model", "test", "metrics")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one stage; exit 0 on success, 1 when the data breaks the contract, 2 on bad input."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
