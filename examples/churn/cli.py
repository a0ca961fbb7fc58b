"""``churn``: one command for the whole project, with exit codes that scripts can rely on.

Exit codes:
    0  success
    1  refused: the data broke a fatal validation rule, the promotion gate said no,
       or a record to score breaks the contract
    2  bad input: wrong arguments, a missing or unreadable file, an invalid configuration,
       a missing setting, a port already in use
    3  registry state: nothing to promote, no champion to score with, nothing to roll back to
    4  model not stored: the trained model could not be exported to ONNX or logged to MLflow;
       nothing was registered
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT, EXIT_REGISTRY, EXIT_NOT_STORED = 0, 1, 2, 3, 4


def _config(args: argparse.Namespace):
    from churn.config import load_config

    config = load_config(args.config)
    if getattr(args, "tracking_uri", None):
        tracking = config.tracking.model_copy(update={"uri": args.tracking_uri})
        config = config.model_copy(update={"tracking": tracking})
    return config


def cmd_generate(args: argparse.Namespace) -> int:
    """Write a synthetic customer table."""
    from churn.generate import Drift, Quality, generate_customers, write_table

    drift = Drift(month_to_month_share=args.month_to_month_share, monthly_charges_factor=args.charges_factor,
                  new_payment_method_share=args.new_payment_method_share, churn_shift=args.churn_shift)
    quality = Quality(null_share=args.null_share, blank_total_charges_share=args.blank_share,
                      duplicate_share=args.duplicate_share, out_of_range_share=args.out_of_range_share)
    frame = generate_customers(args.rows, seed=args.seed, drift=drift, quality=quality)
    write_table(frame, args.output)
    print(f"wrote {len(frame)} rows to {args.output}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a table against the contract; print the report."""
    from churn.ingest import load_table
    from churn.validate import validate

    _, report = validate(load_table(args.path), max_bad_share=args.max_bad_share)
    print(report.to_text())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
    return EXIT_OK if report.ok else EXIT_REFUSED


def cmd_train(args: argparse.Namespace) -> int:
    """Train, evaluate, log to MLflow and register the model as challenger."""
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    config = _config(args)
    data = load_training_data(config, args.data)
    result = train(config, data)
    registered = log_run(result, config)
    print(json.dumps({"run_id": registered.run_id, "version": registered.version,
                      "metrics": {key: round(value, 4) for key, value in result.metrics.items()}}, indent=2))
    return EXIT_OK


def cmd_promote(args: argparse.Namespace) -> int:
    """Run the promotion gate on the held-out split of the configured data."""
    from churn.registry import promote
    from churn.train import load_training_data

    config = _config(args)
    result = promote(config, load_training_data(config, args.data).test)
    print(result.summary())
    return EXIT_OK if result.promoted else EXIT_REFUSED


def cmd_rollback(args: argparse.Namespace) -> int:
    """Point champion back at the previous champion."""
    from churn.registry import rollback

    current, restored = rollback(_config(args))
    print(f"champion: v{current} -> v{restored}")
    return EXIT_OK


def cmd_predict(args: argparse.Namespace) -> int:
    """Score customers from a CSV, Parquet or JSON file with the champion."""
    from churn.ingest import load_table
    from churn.predict import predict

    if args.input.endswith(".json"):
        records = json.loads(Path(args.input).read_text(encoding="utf-8"))
        records = records if isinstance(records, list) else [records]
    else:
        records = load_table(args.input).to_dict(orient="records")
    config = _config(args)
    for prediction in predict(records, tracking_uri=config.tracking.uri, model_name=config.tracking.registered_model):
        print(json.dumps({"customerID": prediction.customer_id, "churn_probability": round(prediction.probability, 6),
                          "churn": prediction.churn, "model_version": prediction.model_version}))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write the champion as a model bundle folder (model.onnx + bundle.json) for the service image."""
    from churn.model_bundle import export_champion

    config = _config(args)
    metadata = export_champion(args.output, config.tracking.uri, config.tracking.registered_model)
    print(f"wrote {metadata.model_name} v{metadata.model_version} (threshold {metadata.threshold:g}) to {args.output}")
    return EXIT_OK


class PortInUse(Exception):
    """The address ``churn serve`` should listen on is taken by another process."""


def _check_port_free(host: str, port: int) -> None:
    """Raise [`PortInUse`][churn.cli.PortInUse] with a fix if nothing can listen on ``host:port`` now.

    uvicorn would exit with its own code 3 after logging the error, which scripts would confuse with
    this command's registry code 3.
    """
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: only a listener blocks
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(f"cannot listen on {host}:{port} ({error.strerror}); another server holds it: "
                            f"stop it (find it with: ss -ltnp 'sport = :{port}') or pass --port {port + 1}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API with uvicorn (one process)."""
    import os

    import uvicorn

    from churn.service.settings import ServiceSettings

    config = _config(args)
    os.environ.setdefault("CHURN_TRACKING_URI", config.tracking.uri)
    os.environ.setdefault("CHURN_MODEL_NAME", config.tracking.registered_model)
    ServiceSettings.from_env()  # fail here, with the variable's name, rather than inside uvicorn
    _check_port_free(args.host, args.port)
    uvicorn.run("churn.service.app:create_app", factory=True, host=args.host, port=args.port, log_config=None)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``churn`` command and its subcommands."""
    parser = argparse.ArgumentParser(prog="churn", description="The churn prediction system of the MLOps course.",
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], text: str, config: bool = True):
        command = commands.add_parser(name, help=text, description=text)
        command.set_defaults(handler=handler)
        if config:
            command.add_argument("--config", default=None, help="experiment YAML (default: built-in defaults, "
                                 "the same as examples/configs/default.yaml)")
            command.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: from the config, "
                                 "sqlite:///mlflow.db)")
        return command

    generate = add("generate", cmd_generate, "write a synthetic customer table (CSV or Parquet)", config=False)
    generate.add_argument("--rows", type=int, default=10_000, help="customers to generate (default 10000)")
    generate.add_argument("--seed", type=int, default=42, help="the same seed gives the same table (default 42)")
    generate.add_argument("--output", required=True, help="file to write: .csv or .parquet")
    generate.add_argument("--month-to-month-share", type=float, default=None, help="drift: share of Month-to-month")
    generate.add_argument("--charges-factor", type=float, default=1.0, help="drift: multiply MonthlyCharges")
    generate.add_argument("--new-payment-method-share", type=float, default=0.0, help="drift: new category share")
    generate.add_argument("--churn-shift", type=float, default=0.0, help="concept drift: add to the churn log-odds")
    generate.add_argument("--null-share", type=float, default=0.0, help="quality: rows with a missing value")
    generate.add_argument("--blank-share", type=float, default=0.0, help="quality: blank TotalCharges")
    generate.add_argument("--duplicate-share", type=float, default=0.0, help="quality: duplicated rows")
    generate.add_argument("--out-of-range-share", type=float, default=0.0, help="quality: out-of-range values")

    validate = add("validate", cmd_validate, "validate a CSV or Parquet file against the data contract", config=False)
    validate.add_argument("path", help="the .csv or .parquet file to check")
    validate.add_argument("--json", help="also write the machine-readable report to this file")
    validate.add_argument("--max-bad-share", type=float, default=0.05, help="share of bad rows per rule that is fatal")

    train = add("train", cmd_train, "train, evaluate, log to MLflow, register as challenger")
    train.add_argument("--data", help="CSV or Parquet file (default: generated data as configured)")

    promote = add("promote", cmd_promote, "promote the challenger to champion if it passes the gate")
    promote.add_argument("--data", help="data whose held-out split both models are scored on")

    add("rollback", cmd_rollback, "point champion back at the previous champion")

    predict = add("predict", cmd_predict, "score customers from a file with the champion")
    predict.add_argument("input", help=".csv, .parquet or .json (one record or a list)")

    export = add("export", cmd_export, "write the champion as a model bundle folder for the service image")
    export.add_argument("--output", required=True, help="folder to write model.onnx and bundle.json into")

    serve = add("serve", cmd_serve, "serve the prediction API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (documented in this module's docstring)."""
    from churn.config import ConfigError
    from churn.ingest import DataError
    from churn.model_bundle import BundleError
    from churn.onnx_export import ExportError
    from churn.predict import PredictionInputError
    from churn.registry import RegistryError
    from churn.service.settings import SettingsError
    from churn.tracking import TrackingError
    from churn.validate import ValidationFailed

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, DataError, SettingsError, PortInUse, BundleError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationFailed as error:
        print(f"error: the data breaks the contract; nothing was trained or registered.\n{error}", file=sys.stderr)
        return EXIT_REFUSED
    except PredictionInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except (RegistryError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REGISTRY
    except (ExportError, TrackingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOT_STORED


if __name__ == "__main__":
    sys.exit(main())
