"""``churn``: one command for the whole project, with exit codes that scripts can rely on.

Exit codes:
    0  success (churn drift: whether or not it finds drift; drift is information, not an error)
    1  refused: the data broke a fatal validation rule, the promotion gate said no, a promotion or
       rollback without --approved-by, a record to score breaks the contract, a tampered audit log
       (``churn audit verify`` names the first bad entry), an erasure while the service holds the
       live log open, an erasure of a customer found in none of the files (nothing changed), or
       no retraining signal waiting for a confirmation, or a stage of ``churn capstone`` that failed (named)
    2  bad input: wrong arguments, a missing or unreadable file, an invalid configuration,
       a missing setting, a port already in use, a tracking server that does not answer, an
       unreadable audit log; one "error:" line names the argument or the file (and the line or
       position in it), and nothing is written
    3  registry state: nothing to promote or gate, no champion to score with (or, for drift, to
       compare with), nothing to roll back to, no such model version or alias
    4  model not stored: the trained model could not be exported to ONNX or logged to MLflow;
       nothing was registered; or ``churn explain`` lacks what the model's kind needs (the
       linear model's explain/linear.json, or the shap package for a tree model)
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


def _config(args: argparse.Namespace, *, probe_tracking: bool = True):
    """The experiment config with ``--tracking-uri`` applied; a tracking server that does not answer fails here."""
    from churn.config import load_config

    config = load_config(args.config)
    if getattr(args, "tracking_uri", None):
        tracking = config.tracking.model_copy(update={"uri": args.tracking_uri})
        config = config.model_copy(update={"tracking": tracking})
    from churn.registry import check_reachable

    if probe_tracking:  # before any work: a stopped server is found in a second, not after training
        check_reachable(config.tracking.uri)
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


# --8<-- [start:cmd_train]
def cmd_train(args: argparse.Namespace) -> int:
    """Train, evaluate, log to MLflow and register the model as challenger."""
    from churn.tracking import log_run
    from churn.train import load_training_data, train

    config = _config(args)
    if args.data:  # the run's params then say which file it trained on (data.path), as its tags do
        config = config.model_copy(update={"data": config.data.model_copy(update={"path": str(args.data)})})
    data = load_training_data(config)
    # stdout stays the one JSON document below (scripts and labs parse it); what validation did goes to stderr
    print(f"{data.report.summary()}; the full report is logged to the run as validation_report.txt",
          file=sys.stderr)
    result = train(config, data)
    with contextlib.redirect_stdout(sys.stderr):  # MLflow prints "View run ... at: <url>" for a tracking server
        registered = log_run(result, config)
    print(json.dumps({"run_id": registered.run_id, "version": registered.version,
                      "metrics": {key: round(value, 4) for key, value in result.metrics.items()}}, indent=2))
    return EXIT_OK
# --8<-- [end:cmd_train]


def cmd_pipeline(args: argparse.Namespace) -> int:
    """Run the whole training pipeline in order, with no orchestrator; exit 0 if the gate passed (nothing promoted)."""
    from churn.pipeline.run import run_pipeline

    outcome = run_pipeline(_config(args), args.data)
    print(outcome.summary())
    return EXIT_OK if outcome.gate.passed else EXIT_REFUSED


def _approval(args: argparse.Namespace):
    """The approval given on the command line, or None; a name without a reason is bad input."""
    from churn.governance.approvals import Approval

    if args.approved_by is None:
        return None
    if args.reason is None:
        raise BadArguments("argument --reason: required with --approved-by (why this version, in one line)")
    try:
        return Approval(args.approved_by, args.reason)
    except ValueError as error:
        raise BadArguments(f"argument {error}") from None


def cmd_gate(args: argparse.Namespace) -> int:
    """Run the promotion gate only: tag the challenger with the verdict, move no alias; exit 0 passed, 1 refused."""
    from churn.registry import run_gate
    from churn.train import load_training_data

    config = _config(args)
    result = run_gate(config, load_training_data(config, args.data).test)
    print(result.summary())
    return EXIT_OK if result.passed else EXIT_REFUSED


def cmd_promote(args: argparse.Namespace) -> int:
    """Run the promotion gate on the held-out split; with an approval, record it and move champion."""
    from churn.governance import approvals
    from churn.train import load_training_data

    config = _config(args)
    approval = _approval(args)
    evaluation = load_training_data(config, args.data).test  # bad data is bad input (exit 2), approved or not
    result = approvals.promote(config, evaluation, approval, args.audit_log)
    print(result.summary())
    if result.promoted:
        print(f"approved by {approval.approved_by}; recorded in the audit log {_audit_path(args)}")
    return EXIT_OK if result.promoted else EXIT_REFUSED


def cmd_rollback(args: argparse.Namespace) -> int:
    """Point champion back at the previous champion, with an approver; logged."""
    from churn.governance import approvals

    current, restored = approvals.rollback(_config(args), _approval(args), args.audit_log)
    print(f"champion: v{current} -> v{restored}")
    return EXIT_OK


# --8<-- [start:cmd_predict]
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
# --8<-- [end:cmd_predict]


def cmd_export(args: argparse.Namespace) -> int:
    """Write the champion as a model bundle folder (model.onnx + bundle.json) for the service image."""
    from churn.model_bundle import export_champion

    config = _config(args)
    metadata = export_champion(args.output, config.tracking.uri, config.tracking.registered_model)
    print(f"wrote {metadata.model_name} v{metadata.model_version} (threshold {metadata.threshold:g}) to {args.output}")
    return EXIT_OK


# --- feedback and retraining (Section 12): outcomes, realised performance, the retraining trigger ---
def cmd_feedback(args: argparse.Namespace) -> int:
    """Join the prediction log with the outcomes; write realised performance per week."""
    from churn.config import load_config
    from churn.monitoring.feedback import (
        default_log_path,
        performance_report,
        read_predictions,
        summary_lines,
        write_report,
    )
    from churn.monitoring.outcomes import load_outcomes
    from churn.service.prediction_log import log_files

    config = load_config(args.config)
    outcomes = load_outcomes(args.outcomes)
    log = args.log or default_log_path()
    predictions = read_predictions(log)
    sources = {"log": [str(file) for file in log_files(log)], "outcomes": str(args.outcomes)}
    report = performance_report(predictions, outcomes, config, sources=sources)
    write_report(report, args.output)
    print("\n".join([*summary_lines(report), f"wrote {args.output}"]))
    return EXIT_OK


def cmd_outcomes(args: argparse.Namespace) -> int:
    """Write an outcomes file from a customer table's Churn column (the lab's stand-in for billing)."""
    from churn.generate import write_table
    from churn.ingest import load_table
    from churn.monitoring.outcomes import CHURNED, outcomes_from_table

    labelled_at = args.labelled_at or tomorrow_utc()
    outcomes = outcomes_from_table(load_table(args.from_table), labelled_at, flip_share=args.flip_share,
                                   seed=args.seed, source=args.from_table)
    write_table(outcomes, args.output)
    flipped = f", a share of {args.flip_share:g} flipped" if args.flip_share else ""
    print(f"wrote {len(outcomes)} outcomes ({int((outcomes[CHURNED] == 'Yes').sum())} churned{flipped}) "
          f"labelled at {labelled_at.isoformat()} to {args.output}")
    return EXIT_OK


def cmd_retrain_check(args: argparse.Namespace) -> int:
    """Decide from the performance and drift reports whether to retrain; write the sensor's signal file."""
    from churn.monitoring.trigger import check

    result = check(args.performance, args.drift, args.signal)
    said = {"written": f"wrote {result.signal_path}", "unchanged": f"{result.signal_path} already says so; unchanged",
            "none": f"{result.signal_path} not touched"}[result.action]
    lines = [result.decision.summary, said]
    if result.decision.signal and result.decision.signal["needs_confirmation"] and result.action == "written":
        lines.append("a person confirms with: churn retrain-confirm --by NAME --reason TEXT")
    print("\n".join(lines))
    return EXIT_OK


def cmd_retrain_confirm(args: argparse.Namespace) -> int:
    """Confirm a retraining signal that waits for a person."""
    from churn.monitoring.trigger import confirm, default_signal_path

    path = args.signal or default_signal_path()
    signal = confirm(args.by, args.reason, path, audit_log=args.audit_log)
    print(f"confirmed by {signal['confirmed_by']}: {signal['reason']}\n"
          f"recorded in the audit log {_audit_path(args)} (entry {signal['confirmation_audit_seq']})\n"
          f"wrote {path}; the retraining sensor starts the training job")
    return EXIT_OK


def iso_date(text: str):
    """argparse type: a date written YYYY-MM-DD."""
    import datetime as dt
    import re

    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD, e.g. 2026-06-01")


def tomorrow_utc():
    """The day after today in UTC: labels recorded then cover every prediction made up to today."""
    import datetime as dt

    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)


def text(value: str) -> str:
    """argparse type: text that is not blank (a name, a reason)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    return value.strip()


def reason_text(value: str) -> str:
    """argparse type: a reason for the audit log, not blank and naming no customer."""
    from churn.monitoring.trigger import check_reason

    value = text(value)
    try:
        check_reason(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value
# --- end of feedback and retraining ---
# --8<-- [start:governance]
def _audit_path(args: argparse.Namespace) -> Path:
    from churn.governance.audit import audit_log_path

    return audit_log_path(args.audit_log)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check the audit log's hash chain; name the first bad entry (exit 1), or print the head hash."""
    from churn.governance.audit import read_entries, verify

    path = _audit_path(args)
    problem = verify(path)
    if problem:
        print(f"{path}: TAMPERED at {problem}", file=sys.stderr)
        return EXIT_REFUSED
    entries = read_entries(path)
    head = f"seq {entries[-1]['seq']} sha256 {entries[-1]['hash']}" if entries else "empty"
    print(f"{path}: intact, {len(entries)} entries; head: {head}")
    if args.check_registry:
        from churn.governance.approvals import check_registry_anchors

        config = _config(args)
        mismatches, checked = check_registry_anchors(entries, config.tracking.uri, config.tracking.registered_model)
        for mismatch in mismatches:
            print(f"{path}: TAMPERED: {mismatch}", file=sys.stderr)
        if mismatches:
            return EXIT_REFUSED
        print(f"registry anchors: {checked} approval(s) of {config.tracking.registered_model!r} found in the log")
    return EXIT_OK


def cmd_erase(args: argparse.Namespace) -> int:
    """Remove one customer from stored tables and every prediction log file; record the erasure."""
    from churn.governance.erasure import erase

    if not args.data and not args.log:
        raise BadArguments("argument --data/--log: give at least one table (--data) or the prediction log (--log) "
                           "to erase from")
    report = erase(args.customer_id, args.data, args.log, args.audit_log, request_id=args.request_id,
                   service_stopped=args.service_stopped)
    print(report.to_text(args.customer_id))
    return EXIT_OK if report.found else EXIT_REFUSED
# --8<-- [end:governance]
# --- governance: the model card and explanations (issue 14, part "card") -------------------------------
def _one_version(args: argparse.Namespace) -> None:
    if args.version is not None and args.alias is not None:
        raise BadArguments(f"give a VERSION or --alias, not both (got {args.version} and --alias {args.alias})")


def cmd_model_card(args: argparse.Namespace) -> int:
    """Write the model card of a registered version as Markdown and HTML."""
    from churn.governance.model_card import read_card_data, write_model_card

    _one_version(args)
    config = _config(args)
    card = read_card_data(config.tracking.uri, config.tracking.registered_model, args.version, args.alias)
    markdown, page = write_model_card(card, args.output_dir, args.gap_tolerance)
    print(f"wrote the model card of {card.model_name} v{card.version} to {markdown} and {page}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain customers' scores: per-feature contributions plus a base value, for every model kind."""
    from churn.governance.explain import explain_registered
    from churn.ingest import load_records, load_table
    from churn.predict import check_records

    _one_version(args)
    if (args.row is None) != (args.data is None):
        raise BadArguments("arguments --row and --data go together: --row N --data FILE (or --customer FILE.json)")
    if args.customer is not None:
        records = load_records(args.customer)
    else:
        table = load_table(args.data)
        if args.row >= len(table):
            raise BadArguments(f"argument --row: {args.data} has {len(table)} rows (0 to {len(table) - 1}), "
                               f"so there is no row {args.row}")
        records = [table.iloc[args.row].to_dict()]
    records = [{key: value for key, value in record.items() if key != "Churn"} for record in records]
    check_records(records)
    config = _config(args)
    result = explain_registered(records, config.tracking.uri, config.tracking.registered_model, args.version,
                                args.alias)
    for explanation in result.explanations:
        document = {"model_name": result.model_name, "model_version": result.model_version, "kind": result.kind,
                    **explanation.to_dict(), "churn": explanation.probability >= result.threshold}
        print(json.dumps(document, allow_nan=False) if args.json else explanation_text(document))
    return EXIT_OK


def _shown_value(value: object) -> str:
    """A feature's value for people: ``21`` rather than ``21.0`` for a whole number."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def explanation_text(document: dict) -> str:
    """An explanation for people: the base value, one line per feature, the sum and the probability."""
    space = "log-odds" if document["space"] == "log_odds" else "probability"
    lines = [f"customer {document['customerID'] or '(no customerID)'}: {document['model_name']} "
             f"v{document['model_version']} ({document['kind']}), contributions in {space}",
             f"  method: {document['method']}", f"  {'base value':<44} {document['base_value']:+.4f}"]
    lines += [f"  {row['feature'] + ' = ' + _shown_value(row['value']):<44} {row['contribution']:+.4f}"
              for row in document["contributions"]]
    lines.append(f"  {'sum = the model' + chr(39) + 's ' + space:<44} {document['value']:+.4f}   "
                 f"P(churn) {document['churn_probability']:.4f}, call: {'yes' if document['churn'] else 'no'}")
    return "\n".join(lines)
# --- end of governance -----------------------------------------------------------------------------------
def _tracking(args: argparse.Namespace):
    """The tracking section alone, unless ``--config`` names a file (then the whole file is checked).

    The defaults need no check of the model's parameters, which imports scikit-learn (1-3 s):
    a scoring job has no use for the training library.
    """
    if args.config:
        return _config(args).tracking
    from churn.config import TrackingConfig

    return TrackingConfig(**({"uri": args.tracking_uri} if args.tracking_uri else {}))


def cmd_score(args: argparse.Namespace) -> int:
    """Score a Parquet or CSV file of any size in chunks; write the scores whole or not at all."""
    from churn.scoring import check_paths, score_file

    check_paths(args.input, args.output)  # before the model is loaded: a wrong path costs no registry call
    if args.bundle:
        from churn.model_bundle import load_bundle

        predictor = load_bundle(args.bundle)
    else:
        from churn.predict import load_champion

        tracking = _tracking(args)
        predictor = load_champion(tracking.uri, tracking.registered_model)
    result = score_file(args.input, args.output, predictor, chunk_rows=args.chunk_rows)
    print(result.summary())
    return EXIT_OK


def chunk_size(text: str) -> int:
    """argparse type: rows per chunk of ``churn score``, 1 to 10,000,000."""
    return _whole(text, 1, 10_000_000)


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

    # not probed: the service starts without the registry and loads the champion when it answers (/ready says)
    config = _config(args, probe_tracking=False)
    if args.tracking_uri:  # said on the command line: it wins over the environment
        os.environ["CHURN_TRACKING_URI"] = config.tracking.uri
    os.environ.setdefault("CHURN_TRACKING_URI", config.tracking.uri)
    os.environ.setdefault("CHURN_MODEL_NAME", config.tracking.registered_model)
    ServiceSettings.from_env()  # fail here, with the variable's name, rather than inside uvicorn
    _check_port_free(args.host, args.port)
    uvicorn.run("churn.service.app:create_app", factory=True, host=args.host, port=args.port, log_config=None)
    return EXIT_OK


def cmd_capstone(args: argparse.Namespace) -> int:
    """Run the whole project end to end (churn.capstone); exit 1 naming the stage that failed."""
    from churn.capstone import StageFailed, run_capstone, summary

    _check_port_free("127.0.0.1", args.port)  # before anything starts: a taken port is exit 2, nothing written
    print(f"churn capstone: working in {Path(args.workdir).resolve()}")
    try:
        run = run_capstone(args.workdir, args.port)
    except StageFailed as error:
        print(f"churn capstone: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(summary(run))
    return EXIT_OK


def cmd_monitor_exporter(args: argparse.Namespace) -> int:
    """Serve the drift and performance summaries as Prometheus metrics (churn.monitoring.exporter)."""
    import logging

    from churn.monitoring.exporter import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _check_port_free(args.host, args.port)
    serve(Path(args.drift), Path(args.performance), host=args.host, port=args.port)
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


def row_index(text: str) -> int:
    """argparse type: a 0-based row number."""
    return _whole(text, 0)


def version_number(text: str) -> str:
    """argparse type: a registered model version number, 1 or more (kept as text, as MLflow does)."""
    return str(_whole(text, 1))


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


def customer_id(text: str) -> str:
    """argparse type: a customerID, one line of printable characters."""
    from churn.governance.erasure import check_customer_id

    try:
        return check_customer_id(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _audit_log_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--audit-log", default=None, metavar="PATH",
                         help="the audit log (default: $CHURN_AUDIT_LOG, else governance/audit.jsonl)")


def _approval_arguments(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--approved-by", metavar="NAME", help=f"who approves the {what} (the model owner); "
                         "without it the command is refused and the refusal logged")
    command.add_argument("--reason", metavar="TEXT", help=f"why, in one line (recorded with the {what})")
    _audit_log_argument(command)
def summary_file(text: str) -> str:
    """argparse type: a JSON file to read later (it may not exist yet); a folder is refused."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the JSON file, e.g. {Path(text) / 'drift.json'}")
    return text
# --8<-- [start:cmd_drift]
def cmd_drift(args: argparse.Namespace) -> int:
    """Compare the prediction log with the champion's training data; write drift.html and drift.json.

    Drift is information, not an error: the exit code is 0 whether or not anything drifted (read
    ``"drift"`` in drift.json, or the printed summary). Exit 2 for bad input (no log, an empty window,
    a missing, unknown or wrong-typed column), 3 when there is no champion and no ``--reference``.
    Both files are complete before either is written; each appears whole, drift.json last.
    """
    import os

    from churn.monitoring.drift import compare
    from churn.monitoring.report import render_html, summary, to_json
    from churn.monitoring.windows import read_prediction_log, reference_from_champion, reference_from_file

    config = _config(args, probe_tracking=args.reference is None)  # a reference file needs no registry
    log = args.log or os.environ.get("CHURN_PREDICTION_LOG", "prediction_log.jsonl")
    current = read_prediction_log(log, since=args.since, until=args.until)
    reference = (reference_from_file(args.reference) if args.reference else
                 reference_from_champion(config.tracking.uri, config.tracking.registered_model))
    result = compare(reference.frame, current.frame, config.monitoring)
    document = summary(result, reference, current, config.monitoring)
    page = render_html(document, reference.frame, current.frame)
    folder = Path(args.output_dir)
    _write_text(folder / "drift.html", page)
    _write_text(folder / "drift.json", to_json(document))
    limits = config.monitoring
    print(f"{'drift' if result.drift else 'no drift'}: {len(result.drifted_features)} of {len(result.features)} "
          f"features drifted (PSI >= {limits.psi_threshold:g} and p-value < {limits.p_value:g}); "
          f"{current.rows} predictions against {reference.rows} reference rows")
    for item in sorted((item for item in result.features if item.drifted), key=lambda item: -item.psi):
        print(f"  {item.feature:<18} PSI {item.psi:6.3f}  {item.test} p-value {item.p_value:.2g}")
    if result.prediction is not None:
        state = "drifted" if result.prediction.drifted else "did not drift"
        print(f"  scores {state}: PSI {result.prediction.psi:.3f}, mean {document['prediction']['reference_mean']:.3f}"
              f" -> {document['prediction']['current_mean']:.3f}")
    print(f"wrote {folder / 'drift.html'} and {folder / 'drift.json'}")
    return EXIT_OK


def iso_time(text: str):
    """argparse type: an ISO 8601 time such as ``2026-05-04`` or ``2026-05-04T09:00:00+00:00`` (no zone: UTC)."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time; use e.g. 2026-05-04 or "
                                         "2026-05-04T09:00:00+00:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _add_drift(add: Callable[..., argparse.ArgumentParser]) -> None:
    drift = add("drift", cmd_drift, "compare recent predictions with the champion's training data (data and "
                "prediction drift); write drift.html and drift.json; exit 0 with or without drift")
    drift.add_argument("--log", default=None, help="the live prediction log; its rotated files are read too "
                       "(default: $CHURN_PREDICTION_LOG, else prediction_log.jsonl)")
    drift.add_argument("--reference", default=None, help="CSV or Parquet file of the contract's columns to compare "
                       "with, optionally with churn_probability (default: the champion's training data)")
    drift.add_argument("--since", type=iso_time, default=None, help="only predictions from this time on (ISO, UTC "
                       "if no zone)")
    drift.add_argument("--until", type=iso_time, default=None, help="only predictions before this time")
    drift.add_argument("--output-dir", type=folder_path, default="monitoring",
                       help="folder for drift.html and drift.json (default: monitoring)")
# --8<-- [end:cmd_drift]


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

    pipeline = add("pipeline", cmd_pipeline, "ingest, validate, train, evaluate, register and run the gate "
                   "(no promotion), in order")
    pipeline.add_argument("--data", help="CSV or Parquet file (default: generated data as configured)")

    gate = add("gate", cmd_gate, "run the promotion gate on the challenger; moves nothing (CI, pipelines)")
    gate.add_argument("--data", help="data whose held-out split both models are scored on")

    promote = add("promote", cmd_promote, "with an approval, promote the challenger to champion if it passes the gate")
    promote.add_argument("--data", help="data whose held-out split both models are scored on")
    _approval_arguments(promote, "promotion")

    rollback = add("rollback", cmd_rollback, "with an approval, point champion back at the previous champion")
    _approval_arguments(rollback, "rollback")

    audit = commands.add_parser("audit", help="the tamper-evident audit log", description="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND",
                                          help="verify: check the hash chain")
    verify = audit_commands.add_parser("verify", help="check the hash chain; name the first bad entry",
                                       description="check the hash chain; exit 0 intact, 1 tampered, 2 unreadable")
    verify.set_defaults(handler=cmd_audit_verify)
    _audit_log_argument(verify)
    verify.add_argument("--check-registry", action="store_true",
                        help="also check that every approval anchored in the registry is in the log")
    verify.add_argument("--config", default=None, help="experiment YAML naming the registry (with --check-registry)")
    verify.add_argument("--tracking-uri", default=None, type=tracking_uri,
                        help="MLflow tracking URI (with --check-registry; default: from the config)")

    erase = add("erase", cmd_erase, "delete one customer from stored tables and the prediction log", config=False)
    erase.add_argument("customer_id", metavar="CUSTOMER_ID", type=customer_id, help="the customerID to erase")
    erase.add_argument("--data", action="append", default=[], metavar="PATH",
                       help="a .csv or .parquet table to erase from (repeat for several)")
    erase.add_argument("--log", metavar="PATH", help="the live prediction log; its rotated files are included")
    erase.add_argument("--request-id", help="the request's id from your ticket system (default: a random one); "
                       "never the customer ID")
    erase.add_argument("--service-stopped", action="store_true",
                       help="the service writing to --log is stopped (needed where its open file cannot be seen)")
    _audit_log_argument(erase)

    predict = add("predict", cmd_predict, "score customers from a file with the champion")
    predict.add_argument("input", help=".csv, .parquet or .json (one record or a list)")

    export = add("export", cmd_export, "write the champion as a model bundle folder for the service image")
    export.add_argument("--output", required=True, type=folder_path,
                        help="folder to write model.onnx and bundle.json into")

    # governance (issue 14, part "card")
    card = add("model-card", cmd_model_card, "write the model card of a registered version (Markdown and HTML)")
    card.add_argument("version", nargs="?", default=None, type=version_number,
                      help="registered version number (default: the version --alias points at)")
    card.add_argument("--alias", default=None, help="the alias whose version to describe (default: champion)")
    card.add_argument("--output-dir", default="governance", type=folder_path,
                      help="folder for model_card_v<version>.md and .html (default: governance)")
    card.add_argument("--gap-tolerance", type=share, default=0.05,
                      help="flag a slice gap in ROC AUC, recall or precision above this (default 0.05)")
    explain = add("explain", cmd_explain, "explain customers' scores: per-feature contributions plus a base value")
    explain.add_argument("version", nargs="?", default=None, type=version_number,
                         help="registered version number (default: the version --alias points at)")
    explain.add_argument("--alias", default=None, help="the alias whose version explains (default: champion)")
    which = explain.add_mutually_exclusive_group(required=True)
    which.add_argument("--customer", metavar="FILE.json",
                       help=".json file: one customer record (or a list), as POST /predict takes")
    which.add_argument("--row", type=row_index, metavar="N", help="0-based row of the --data table to explain")
    explain.add_argument("--data", metavar="FILE", help=".csv or .parquet table that --row points into")
    explain.add_argument("--json", action="store_true", help="print one JSON document per customer")
    score = add("score", cmd_score, "score a Parquet or CSV file of any size in chunks (the weekly call list)")
    score.add_argument("input", help=".parquet or .csv file with the contract's columns (Churn may be left in)")
    score.add_argument("--output", required=True, type=table_path,
                       help="file to write the scores to: .parquet or .csv (written whole or not at all)")
    score.add_argument("--chunk-rows", type=chunk_size, default=100_000,
                       help="rows read, checked and scored at a time; memory grows with it (default 100000)")
    score.add_argument("--bundle", type=folder_path, default=None,
                       help="score with a model bundle folder (churn export) instead of the registry's champion")

    serve = add("serve", cmd_serve, "serve the prediction API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=port, default=8080, help="port to listen on (default 8080)")

    capstone = add("capstone", cmd_capstone, "the whole project end to end from a clean folder: data, Dagster "
                   "pipeline, approval, API, traffic, drift, retraining, model card, audit, scoring", config=False)
    capstone.add_argument("--workdir", default="capstone", type=folder_path,
                          help="folder for every artifact (made if missing; default: capstone)")
    capstone.add_argument("--port", type=port, default=8080, help="port of the API on 127.0.0.1 (default 8080)")

    # feedback and retraining (Section 12)
    feedback = add("feedback", cmd_feedback, "join the prediction log with outcomes: realised performance per week",
                   config=False)
    feedback.add_argument("--outcomes", required=True, metavar="FILE", help="outcomes file, .csv or .parquet: "
                          "customerID, churned (Yes or No), labelled_at (YYYY-MM-DD)")
    feedback.add_argument("--log", default=None, metavar="PATH", help="the prediction log's live file; the rotated "
                          "files next to it are read too (default: $CHURN_PREDICTION_LOG, else prediction_log.jsonl)")
    feedback.add_argument("--config", default=None, help="experiment YAML: threshold, costs, monitoring "
                          "(default: built-in defaults, the same as examples/configs/default.yaml)")
    feedback.add_argument("--output", default="monitoring/performance.json",
                          help="performance report to write (default monitoring/performance.json)")

    outcomes = add("outcomes", cmd_outcomes, "write an outcomes file from a customer table's Churn column (lab)",
                   config=False)
    outcomes.add_argument("--from", dest="from_table", metavar="TABLE", required=True,
                          help="customer table with customerID and Churn, .csv or .parquet (e.g. from churn generate)")
    outcomes.add_argument("--output", required=True, type=table_path, help="outcomes file to write: .csv or .parquet")
    outcomes.add_argument("--labelled-at", type=iso_date, default=None, metavar="DATE",
                          help="label date, YYYY-MM-DD (default: tomorrow, UTC: covers predictions up to today)")
    outcomes.add_argument("--flip-share", type=share, default=0.0, metavar="SHARE",
                          help="lab switch: share of customers whose outcome is flipped (default 0)")
    outcomes.add_argument("--seed", type=seed, default=0, help="which customers are flipped (default 0)")

    check = add("retrain-check", cmd_retrain_check, "decide from performance and drift whether to retrain; "
                "write the retraining signal", config=False)
    check.add_argument("--performance", default=None,
                       help="performance report (default: monitoring/performance.json if it exists)")
    check.add_argument("--drift", default=None, help="drift report (default: monitoring/drift.json if it exists)")
    check.add_argument("--signal", default=None, help="signal file the sensor reads (default: "
                       "$CHURN_RETRAIN_SIGNAL, else monitoring/retrain_signal.json)")

    confirm = add("retrain-confirm", cmd_retrain_confirm, "a person confirms a retraining signal that waits for one",
                  config=False)
    confirm.add_argument("--by", required=True, type=text, help="who confirms (recorded in the signal)")
    confirm.add_argument("--reason", required=True, type=reason_text,
                         help="why: what the data check found (recorded in the audit log: no customer IDs)")
    confirm.add_argument("--signal", default=None, help="signal file (default: $CHURN_RETRAIN_SIGNAL, else "
                         "monitoring/retrain_signal.json)")
    _audit_log_argument(confirm)
    # the monitoring exporter (its defaults are churn.monitoring.exporter.DEFAULT_*)
    exporter = add("monitor-exporter", cmd_monitor_exporter, "serve drift.json and performance.json as Prometheus "
                   "metrics (read at every scrape)", config=False)
    exporter.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    exporter.add_argument("--port", type=port, default=9108, help="port to listen on (default 9108)")
    exporter.add_argument("--drift", default="monitoring/drift.json", type=summary_file,
                          help="drift summary written by churn drift (default monitoring/drift.json)")
    exporter.add_argument("--performance", default="monitoring/performance.json", type=summary_file,
                          help="performance summary written by churn feedback (default monitoring/performance.json)")
    _add_drift(add)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (documented in this module's docstring)."""
    from churn.config import ConfigError
    from churn.governance.approvals import ApprovalRequired
    from churn.governance.audit import AuditLogError
    from churn.governance.erasure import ErasureRefused
    from churn.governance.explain import ExplainError
    from churn.ingest import DataError
    from churn.model_bundle import BundleError
    from churn.monitoring.trigger import NothingToConfirm
    from churn.onnx_export import ExportError
    from churn.predict import PredictionInputError
    from churn.registry import RegistryError, TrackingUnreachable
    from churn.service.settings import SettingsError
    from churn.tracking import TrackingError
    from churn.validate import ValidationFailed

    args = build_parser().parse_args(argv)  # a bad argument: argparse prints usage and the error, exits 2
    try:
        return args.handler(args)
    except BadArguments as error:
        print(f"churn {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ConfigError, DataError, SettingsError, PortInUse, BundleError, TrackingUnreachable, AuditLogError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationFailed as error:
        print(f"error: the data breaks the contract; nothing was trained or registered.\n{error}", file=sys.stderr)
        return EXIT_REFUSED
    except NothingToConfirm as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except (ApprovalRequired, ErasureRefused) as error:
        print(f"churn {args.command}: refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    # --8<-- [start:predict_refused]
    except PredictionInputError as error:
        print(f"error: a record to score breaks the contract; nothing was scored: {error}", file=sys.stderr)
        return EXIT_REFUSED
    # --8<-- [end:predict_refused]
    except (RegistryError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REGISTRY
    except (ExportError, TrackingError, ExplainError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOT_STORED


if __name__ == "__main__":
    sys.exit(main())
