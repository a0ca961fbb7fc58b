"""``churn``: one command for the whole project, with exit codes that scripts can rely on.

Exit codes:
    0  success
    1  refused: the data broke a fatal validation rule, the promotion gate said no,
       or a record to score breaks the contract
    2  bad input: wrong arguments, a missing or unreadable file, an invalid configuration,
       a missing setting, a port already in use; one "error:" line names the argument or
       the file (and the line or position in it), and nothing is written
    3  registry state: nothing to promote, no champion to score with, nothing to roll back to
    4  model not stored: the trained model could not be exported to ONNX or logged to MLflow;
       nothing was registered
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
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


class BadArguments(Exception):
    """Arguments that are each valid but not together; printed like argparse's own errors, exit 2."""


def cmd_generate(args: argparse.Namespace) -> int:
    """Write a synthetic customer table."""
    from churn.generate import Drift, Quality, generate_customers, write_table

    try:
        drift = Drift(month_to_month_share=args.month_to_month_share, monthly_charges_factor=args.charges_factor,
                      new_payment_method_share=args.new_payment_method_share, churn_shift=args.churn_shift)
        quality = Quality(null_share=args.null_share, blank_total_charges_share=args.blank_share,
                          duplicate_share=args.duplicate_share, out_of_range_share=args.out_of_range_share)
    except ValueError as error:  # e.g. the four quality shares together need more rows than there are
        raise BadArguments(f"arguments --null-share, --blank-share, --duplicate-share, --out-of-range-share: "
                           f"{error}") from None
    frame = generate_customers(args.rows, seed=args.seed, drift=drift, quality=quality)
    write_table(frame, args.output)
    print(f"wrote {len(frame)} rows to {args.output}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a table against the contract; print the report (and write it as JSON if asked)."""
    from churn.ingest import load_table
    from churn.validate import validate

    _, report = validate(load_table(args.path), max_bad_share=args.max_bad_share)
    if args.json:  # first: if it cannot be written, nothing is printed (exit 2, nothing on stdout)
        _write_text(Path(args.json), json.dumps(report.to_dict(), indent=2))
    print(report.to_text())
    return EXIT_OK if report.ok else EXIT_REFUSED


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all; a failure is a [`DataError`][churn.ingest.DataError]."""
    from churn.ingest import write_whole

    write_whole(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def cmd_train(args: argparse.Namespace) -> int:
    """Train, evaluate, log to MLflow and register the model as challenger."""
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    config = _config(args)
    data = load_training_data(config, args.data)
    # stdout stays the one JSON document below (scripts and labs parse it); what validation did goes to stderr
    print(f"{data.report.summary()}; the full report is logged to the run as validation_report.txt",
          file=sys.stderr)
    result = train(config, data)
    with contextlib.redirect_stdout(sys.stderr):  # MLflow prints "View run ... at: <url>" for a tracking server
        registered = log_run(result, config)
    print(json.dumps({"run_id": registered.run_id, "version": registered.version,
                      "metrics": {key: round(value, 4) for key, value in result.metrics.items()}}, indent=2))
    return EXIT_OK


def cmd_pipeline(args: argparse.Namespace) -> int:
    """Run the whole training pipeline in order, with no orchestrator."""
    from churn.pipeline.run import run_pipeline

    outcome = run_pipeline(_config(args), args.data)
    print(outcome.summary())
    return EXIT_OK if outcome.gate.promoted else EXIT_REFUSED


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
    from churn.ingest import load_records
    from churn.predict import predict

    records = load_records(args.input)
    config = _config(args)
    predictions = predict(records, tracking_uri=config.tracking.uri, model_name=config.tracking.registered_model)
    # strict JSON: a NaN probability raises here, before any line is printed, instead of printing NaN
    lines = [json.dumps({"customerID": prediction.customer_id, "churn_probability": round(prediction.probability, 6),
                         "churn": prediction.churn, "model_version": prediction.model_version}, allow_nan=False)
             for prediction in predictions]
    print("\n".join(lines))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write the champion as a model bundle folder (model.onnx + bundle.json) for the service image."""
    from churn.model_bundle import export_champion

    config = _config(args)
    metadata = export_champion(args.output, config.tracking.uri, config.tracking.registered_model)
    print(f"wrote {metadata.model_name} v{metadata.model_version} (threshold {metadata.threshold:g}) to {args.output}")
    return EXIT_OK


class PortInUse(Exception):
    """``churn serve`` cannot listen on its address: another process holds it, or the host is not this machine's."""


def _check_port_free(host: str, port: int) -> None:
    """Raise [`PortInUse`][churn.cli.PortInUse] with a fix if nothing can listen on ``host:port`` now.

    uvicorn would exit with its own code 3 after logging the error, which scripts would confuse with
    this command's registry code 3.
    """
    import errno
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: only a listener blocks
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EACCES:
                raise PortInUse(f"cannot listen on {host}:{port} ({error.strerror}); ports below 1024 need "
                                "administrator rights: pass a --port from 1024 up, e.g. --port 8080") from None
            if error.errno != errno.EADDRINUSE:  # e.g. a --host that is no address of this machine
                raise PortInUse(f"cannot listen on {host}:{port} ({error.strerror or error}); pass a --host "
                                "of this machine, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (all)") from None
            raise PortInUse(f"cannot listen on {host}:{port} ({error.strerror}); another server holds it: "
                            f"stop it (find it with: ss -ltnp 'sport = :{port}') or pass --port {port + 1}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API with uvicorn (one server process; ``/predict/batch`` runs in its batch worker process)."""
    import os

    import uvicorn

    from churn.service.settings import ServiceSettings

    config = _config(args)
    if args.tracking_uri:  # said on the command line: it wins over the environment
        os.environ["CHURN_TRACKING_URI"] = config.tracking.uri
    os.environ.setdefault("CHURN_TRACKING_URI", config.tracking.uri)
    os.environ.setdefault("CHURN_MODEL_NAME", config.tracking.registered_model)
    ServiceSettings.from_env()  # fail here, with the variable's name, rather than inside uvicorn
    _check_port_free(args.host, args.port)
    uvicorn.run("churn.service.app:create_app", factory=True, host=args.host, port=args.port, log_config=None)
    return EXIT_OK


def finite_number(text: str) -> float:
    """argparse type: a finite number (argparse's ``float`` would take ``nan`` and ``inf``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def share(text: str) -> float:
    """argparse type: a share of the rows, a number from 0 to 1 (0.05 is 5%)."""
    value = finite_number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1 (0.05 is 5%), got {text}")
    return value


def positive_number(text: str) -> float:
    """argparse type: a finite number above 0, e.g. a factor."""
    value = finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


def _whole(text: str, lowest: int, highest: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < lowest or (highest is not None and value > highest):
        bounds = f"from {lowest} to {highest}" if highest is not None else f"{lowest} or more"
        raise argparse.ArgumentTypeError(f"must be a whole number {bounds}, got {text}")
    return value


MAX_ROWS = 1_000_000  # about 25 s and 1.5 GB of memory; the public Telco table has 7,043


def row_count(text: str) -> int:
    """argparse type: a number of rows to generate, 1 to ``MAX_ROWS``."""
    return _whole(text, 1, MAX_ROWS)


def seed(text: str) -> int:
    """argparse type: a random seed, 0 or more."""
    return _whole(text, 0)


def port(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    return _whole(text, 1, 65_535)


def tracking_uri(text: str) -> str:
    """argparse type: an MLflow tracking URI with a model registry, e.g. ``sqlite:///mlflow.db``."""
    from churn.config import check_tracking_uri

    try:
        return check_tracking_uri(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def table_path(text: str) -> str:
    """argparse type: a file name ending in .csv or .parquet (the folder is made if missing)."""
    from churn.ingest import SUPPORTED_SUFFIXES

    if Path(text).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise argparse.ArgumentTypeError(f"{text}: name the file with one of {', '.join(SUPPORTED_SUFFIXES)}")
    return text


def folder_path(text: str) -> str:
    """argparse type: a folder to write into, made if missing; an existing file is refused."""
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder; give a folder, e.g. model-bundle")
    return text


def report_path(text: str) -> str:
    """argparse type: a file to write, in a folder that exists."""
    folder = Path(text).parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: the folder {folder} does not exist; create it or pick another")
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name, e.g. {Path(text) / 'report.json'}")
    return text


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
            command.add_argument("--tracking-uri", default=None, type=tracking_uri,
                                 help="MLflow tracking URI (default: from the config, "
                                 "sqlite:///mlflow.db)")
        return command

    generate = add("generate", cmd_generate, "write a synthetic customer table (CSV or Parquet)", config=False)
    generate.add_argument("--rows", type=row_count, default=10_000, help="customers to generate (default 10000)")
    generate.add_argument("--seed", type=seed, default=42, help="the same seed gives the same table (default 42)")
    generate.add_argument("--output", required=True, type=table_path, help="file to write: .csv or .parquet")
    generate.add_argument("--month-to-month-share", type=share, default=None, help="drift: share of Month-to-month")
    generate.add_argument("--charges-factor", type=positive_number, default=1.0, help="drift: multiply MonthlyCharges")
    generate.add_argument("--new-payment-method-share", type=share, default=0.0, help="drift: new category share")
    generate.add_argument("--churn-shift", type=finite_number, default=0.0,
                          help="concept drift: add to the churn log-odds")
    generate.add_argument("--null-share", type=share, default=0.0, help="quality: rows with a missing value")
    generate.add_argument("--blank-share", type=share, default=0.0, help="quality: blank TotalCharges")
    generate.add_argument("--duplicate-share", type=share, default=0.0, help="quality: duplicated rows")
    generate.add_argument("--out-of-range-share", type=share, default=0.0, help="quality: out-of-range values")

    validate = add("validate", cmd_validate, "validate a CSV or Parquet file against the data contract", config=False)
    validate.add_argument("path", help="the .csv or .parquet file to check")
    validate.add_argument("--json", type=report_path, help="also write the machine-readable report to this file")
    validate.add_argument("--max-bad-share", type=share, default=0.05,
                          help="share of the rows one rule may drop before it is fatal, 0 to 1 (default 0.05)")

    train = add("train", cmd_train, "train, evaluate, log to MLflow, register as challenger")
    train.add_argument("--data", help="CSV or Parquet file (default: generated data as configured)")

    pipeline = add("pipeline", cmd_pipeline, "ingest, validate, train, evaluate, register and run the gate, in order")
    pipeline.add_argument("--data", help="CSV or Parquet file (default: generated data as configured)")

    promote = add("promote", cmd_promote, "promote the challenger to champion if it passes the gate")
    promote.add_argument("--data", help="data whose held-out split both models are scored on")

    add("rollback", cmd_rollback, "point champion back at the previous champion")

    predict = add("predict", cmd_predict, "score customers from a file with the champion")
    predict.add_argument("input", help=".csv, .parquet or .json (one record or a list)")

    export = add("export", cmd_export, "write the champion as a model bundle folder for the service image")
    export.add_argument("--output", required=True, type=folder_path,
                        help="folder to write model.onnx and bundle.json into")

    serve = add("serve", cmd_serve, "serve the prediction API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=port, default=8080, help="port to listen on (default 8080)")
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

    args = build_parser().parse_args(argv)  # a bad argument: argparse prints usage and the error, exits 2
    try:
        return args.handler(args)
    except BadArguments as error:
        print(f"churn {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ConfigError, DataError, SettingsError, PortInUse, BundleError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationFailed as error:
        print(f"error: the data breaks the contract; nothing was trained or registered.\n{error}", file=sys.stderr)
        return EXIT_REFUSED
    except PredictionInputError as error:
        print(f"error: a record to score breaks the contract; nothing was scored: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except (RegistryError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REGISTRY
    except (ExportError, TrackingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOT_STORED


if __name__ == "__main__":
    sys.exit(main())
