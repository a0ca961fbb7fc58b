"""The exit-code contract of ``churn``: every bad argument or unreadable input is one line and exit 2.

The matrix runs every subcommand in-process on bad arguments and inputs and checks what a script
relies on: the exit code, a single ``error:`` line on stderr that names the argument or the file,
no traceback anywhere, nothing on stdout and no file written. Records that break the contract are
refused with exit 1 by the same check that ``churn validate`` uses. A few cases run as real
processes to prove that no traceback leaks from the entry point either.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, main
from churn.generate import Quality, generate_customers, write_table

ROWS = 40


def _with_value(frame, row: int, column: str, value: str):
    frame = frame.astype({column: object})
    frame.loc[row, column] = value
    return frame


@pytest.fixture(autouse=True)
def no_leaked_service_settings(monkeypatch):
    """``churn serve`` exports its settings to the environment for uvicorn: undo that after each test."""
    for name in ("CHURN_TRACKING_URI", "CHURN_MODEL_NAME"):
        monkeypatch.setenv(name, "")  # records the value before the test (often: not set) for the undo
        monkeypatch.delenv(name)


def test_serve_tracking_uri_on_the_command_line_beats_the_environment(monkeypatch):
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen: dict[str, str] = {}
    monkeypatch.setenv("CHURN_API_KEY", "k")
    monkeypatch.setenv("CHURN_TRACKING_URI", "sqlite:///elsewhere.db")
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(uri=os.environ["CHURN_TRACKING_URI"]))
    assert main(["serve", "--tracking-uri", "http://127.0.0.1:5000", "--port", str(port)]) == EXIT_OK
    assert seen == {"uri": "http://127.0.0.1:5000"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """One folder with a good table and every kind of bad input the matrix feeds the commands."""
    folder = tmp_path_factory.mktemp("inputs")
    good = generate_customers(ROWS, seed=5)
    write_table(good, folder / "good.csv")
    for name, value in {"nan": "nan", "inf": "inf", "ninf": "-inf", "big": "1e999"}.items():
        write_table(_with_value(good, 3, "MonthlyCharges", value), folder / f"{name}.csv")
    write_table(_with_value(good, 3, "TotalCharges", "NaN"), folder / "nan_total.csv")
    record = good.iloc[3].to_dict()
    text = {
        "broken.json": '{"customerID": "7590-VHVEG",\n  "tenure": }',
        "one.json": "[1]",
        "mixed.json": json.dumps([record, "customer"]),
        "empty.json": "[]",
        "scalar.json": "42",
        "nan_string.json": json.dumps([record, {**record, "tenure": "nan"}]),
        "nan_token.json": json.dumps({**record, "MonthlyCharges": float("nan")}),  # Python writes the token NaN
        "inf_token.json": json.dumps({**record, "TotalCharges": float("inf")}),
        "huge_int.json": json.dumps({**record, "MonthlyCharges": 10**400}),
        "notes.txt": "not a table",
        "broken.parquet": "PAR1 but not really",
        "bad.yaml": "sed: 3\n",
        "broken.yaml": "seed: [1\n",
        "wrong_type.yaml": "seed: abc\n",
        "bad_uri.yaml": "tracking:\n  uri: foo://x\n",
        "bom.json": "\ufeff[1]",
        "nested.json": json.dumps([[record]]),
        "huge_digits.json": '{"tenure": ' + "9" * 5000 + "}",
    }
    for name, content in text.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "latin1.yaml").write_bytes(b"seed: \xff\n")
    (folder / "folder.csv").mkdir()
    (folder / "folder.yaml").mkdir()
    return folder


def run(folder: Path, argv: list[str], monkeypatch, capsys) -> tuple[int, str, str, set[str]]:
    """Run ``churn argv`` in ``folder``; return the exit code, stdout, stderr and the files it added."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before = {str(path.relative_to(folder)) for path in folder.rglob("*")}
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    out, err = capsys.readouterr()
    added = {str(path.relative_to(folder)) for path in folder.rglob("*")} - before
    return code, out, err, added


def _error_line(err: str) -> str:
    """The one ``error:`` line of stderr; anything else may only be argparse's usage block."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1, err
    usage = lines[:-1]
    assert lines[-1] == errors[0], err
    assert not usage or (usage[0].startswith("usage: churn") and all(line.startswith(" ") for line in usage[1:])), err
    return errors[0]


BAD_ARGUMENTS = [
    # generate: every number is checked by its argparse type, the output name before anything is drawn
    (["generate", "--output", "x.csv", "--null-share", "1.5"], "argument --null-share: must be a share between 0 and"),
    (["generate", "--output", "x.csv", "--null-share", "-0.1"], "argument --null-share"),
    (["generate", "--output", "x.csv", "--blank-share", "nan"], "argument --blank-share: 'nan' is not a finite"),
    (["generate", "--output", "x.csv", "--duplicate-share", "a lot"], "argument --duplicate-share: 'a lot' is not a"),
    (["generate", "--output", "x.csv", "--out-of-range-share", "inf"], "argument --out-of-range-share"),
    (["generate", "--output", "x.csv", "--month-to-month-share", "2"], "argument --month-to-month-share"),
    (["generate", "--output", "x.csv", "--new-payment-method-share", "-1"], "argument --new-payment-method-share"),
    (["generate", "--output", "x.csv", "--charges-factor", "0"], "argument --charges-factor: must be a number above 0"),
    (["generate", "--output", "x.csv", "--charges-factor", "nan"], "argument --charges-factor"),
    (["generate", "--output", "x.csv", "--churn-shift=-inf"], "argument --churn-shift: '-inf' is not a finite number"),
    (["generate", "--output", "x.csv", "--rows", "0"], "argument --rows: must be a whole number from 1 to"),
    (["generate", "--output", "x.csv", "--rows", "-5"], "argument --rows"),
    (["generate", "--output", "x.csv", "--rows", "99999999999999999999"], "argument --rows: must be a whole number "
     "from 1 to 1000000"),
    (["generate", "--output", "x.csv", "--rows", "1.5"], "argument --rows: '1.5' is not a whole number"),
    (["generate", "--output", "x.csv", "--seed", "-1"], "argument --seed: must be a whole number 0 or more"),
    (["generate", "--output", "x.txt"], "argument --output: x.txt: name the file with one of .csv, .parquet"),
    (["generate"], "the following arguments are required: --output"),
    (["generate", "--output", "x.csv", "--null-share", "0.6", "--duplicate-share", "0.3"],
     "churn generate: error: arguments --null-share, --blank-share, --duplicate-share, --out-of-range-share"),
    (["generate", "--rows", "5", "--output", "good.csv/x.csv"], "good.csv/x.csv: cannot write the file"),
    # validate
    (["validate", "good.csv", "--max-bad-share", "5"], "argument --max-bad-share: must be a share between 0 and 1"),
    (["validate", "good.csv", "--max-bad-share", "-0.1"], "argument --max-bad-share"),
    (["validate", "good.csv", "--max-bad-share", "nan"], "argument --max-bad-share"),
    (["validate", "good.csv", "--json", "no-such-folder/report.json"], "argument --json: no-such-folder/report.json"),
    (["validate", "good.csv", "--json", "."], "argument --json: . is a folder"),
    (["validate"], "the following arguments are required: path"),
    (["validate", "nope.csv", "--json", "report.json"], "nope.csv: no such file"),
    (["validate", "notes.txt", "--json", "report.json"], "notes.txt: unsupported file type '.txt'"),
    (["validate", "empty.csv"], "empty.csv: the file is empty"),
    (["validate", "broken.parquet"], "broken.parquet: not a readable Parquet file"),
    (["validate", "folder.csv"], "folder.csv: is a folder, not a file"),
    (["validate", "good.csv", "--json", "good.csv/report.json"], "good.csv/report.json"),
    # train and promote read and validate their data before anything is trained or registered
    (["train", "--data", "nope.csv"], "nope.csv: no such file"),
    (["train", "--data", "notes.txt"], "notes.txt: unsupported file type"),
    (["train", "--data", "broken.parquet"], "broken.parquet: not a readable Parquet file"),
    (["train", "--config", "nope.yaml"], "nope.yaml: configuration file not found"),
    (["train", "--config", "bad.yaml"], "sed: unknown key"),
    (["promote", "--data", "empty.csv"], "empty.csv: the file is empty"),
    (["promote", "--config", "bad.yaml"], "sed: unknown key"),
    (["promote", "--approved-by", "ana"], "argument --reason: required with --approved-by"),
    (["promote", "--approved-by", " ", "--reason", "first"], "argument --approved-by must not be empty"),
    (["promote", "--approved-by", "ana", "--reason", "a\nb"], "argument --reason must be one line"),
    (["promote", "--data", "empty.csv", "--approved-by", "ana", "--reason", "first"], "empty.csv: the file is empty"),
    (["rollback", "--approved-by", "ana"], "argument --reason: required with --approved-by"),
    (["rollback", "--config", "nope.yaml"], "nope.yaml: configuration file not found"),
    (["rollback", "now"], "unrecognized arguments: now"),
    (["rollback", "--config", "broken.yaml"], "broken.yaml: not valid YAML at line 2 column 1: expected ','"),
    (["rollback", "--config", "wrong_type.yaml"], "wrong_type.yaml: seed: Input should be a valid integer"),
    (["rollback", "--config", "latin1.yaml"], "latin1.yaml: not UTF-8 text"),
    (["rollback", "--config", "folder.yaml"], "folder.yaml: is a folder"),
    (["rollback", "--config", "bad_uri.yaml"], "bad_uri.yaml: tracking.uri: 'foo://x' is not a tracking URI"),
    (["rollback", "--tracking-uri", "foo://x"], "argument --tracking-uri: 'foo://x' is not a tracking URI"),
    (["train", "--tracking-uri", "mlruns"], "argument --tracking-uri: 'mlruns' is not a tracking URI"),
    # predict: the file must be readable and hold customer objects
    (["predict", "nope.json"], "nope.json: no such file"),
    (["predict", "nope.csv"], "nope.csv: no such file"),
    (["predict", "broken.json"], "broken.json: not valid JSON at line 2 column 13"),
    (["predict", "one.json"], "one.json: item 0 of the list (0-based) is a number (1), not a customer object"),
    (["predict", "mixed.json"], "mixed.json: item 1 of the list (0-based) is a string"),
    (["predict", "empty.json"], "empty.json: the list is empty"),
    (["predict", "scalar.json"], "scalar.json: the file holds a number (42)"),
    (["predict", "notes.txt"], "notes.txt: unsupported file type '.txt'; give the records as .json, .csv, .parquet"),
    (["predict", "broken.parquet"], "broken.parquet: not a readable Parquet file"),
    (["predict"], "the following arguments are required: input"),
    (["predict", "folder.csv"], "folder.csv: is a folder, not a file"),
    (["predict", "bom.json"], "bom.json: item 0 of the list (0-based) is a number (1)"),  # the BOM is skipped
    (["predict", "nested.json"], "nested.json: item 0 of the list (0-based) is a list"),
    (["predict", "huge_digits.json"], "huge_digits.json: a number in the JSON has more than 4,300 digits"),
    (["predict", "good.csv", "--config", "broken.yaml"], "broken.yaml: not valid YAML"),
    (["predict", "good.csv", "--tracking-uri", "foo://x"], "argument --tracking-uri"),
    # export: the folder is checked before the registry is asked
    (["export"], "the following arguments are required: --output"),
    (["export", "--output", "good.csv"], "argument --output: good.csv is a file, not a folder"),
    (["export", "--output", "bundle", "--config", "folder.yaml"], "folder.yaml: is a folder"),
    (["export", "--output", "bundle", "--tracking-uri", "foo://x"], "argument --tracking-uri"),
    # serve: the port is checked by argparse, the host by trying it
    (["serve", "--port", "0"], "argument --port: must be a whole number from 1 to 65535, got 0"),
    (["serve", "--port", "70000"], "argument --port"),
    (["serve", "--port", "http"], "argument --port: 'http' is not a whole number"),
    (["serve", "--config", "bad.yaml"], "sed: unknown key"),
    (["serve", "--host", "203.0.113.7", "--port", "8080"], "cannot listen on 203.0.113.7:8080"),
    # audit verify: a log that cannot be read is exit 2 (tampered is exit 1: tests/examples/test_audit_log.py)
    (["audit"], "the following arguments are required: COMMAND"),
    (["audit", "verify", "--audit-log", "nope.jsonl"], "nope.jsonl: no audit log there"),
    (["audit", "verify", "--audit-log", "folder.csv"], "folder.csv: cannot read the audit log"),
    # erase: every file is read and checked before any is changed
    (["erase"], "the following arguments are required: CUSTOMER_ID"),
    (["erase", "", "--data", "good.csv"], "argument CUSTOMER_ID: '' is not a customer ID"),
    (["erase", "7590-VHVEG", "--data", "nope.csv"], "nope.csv: file not found"),
    (["erase", "7590-VHVEG", "--data", "notes.txt"], "notes.txt: cannot erase from '.txt'"),
    (["erase", "7590-VHVEG", "--data", "empty.csv"], "empty.csv: the file is empty or not CSV"),
    (["erase", "7590-VHVEG", "--data", "broken.parquet"], "broken.parquet: not a readable Parquet file"),
    (["erase", "7590-VHVEG", "--data", "folder.csv"], "folder.csv: cannot read the file"),
    (["erase", "7590-VHVEG", "--data", "good.csv", "--log", "nope.jsonl"], "nope.jsonl: no prediction log there"),
    # the command itself
    ([], "the following arguments are required: COMMAND"),
    (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "names"), BAD_ARGUMENTS,
                         ids=[" ".join(argv) or "(none)" for argv, _ in BAD_ARGUMENTS])
def test_a_bad_argument_or_input_is_one_line_and_exit_2(inputs, argv, names, monkeypatch, capsys):
    monkeypatch.setenv("CHURN_API_KEY", "a-test-key-of-enough-length")  # so serve gets as far as its host
    code, out, err, added = run(inputs, argv, monkeypatch, capsys)
    assert code == EXIT_BAD_INPUT, (out, err)
    assert names in _error_line(err), err
    assert "Traceback" not in out + err
    assert out == "", "nothing goes to stdout when the input is bad"
    assert not added, f"files written: {added}"


REFUSED_RECORDS = [
    ("nan.csv", "MonthlyCharges: type ('nan' is not a number)"),
    ("inf.csv", "MonthlyCharges: range (inf is not a finite number)"),
    ("ninf.csv", "MonthlyCharges: range (-inf is not a finite number)"),
    ("big.csv", "MonthlyCharges: range (inf is not a finite number)"),
    ("nan_total.csv", "TotalCharges: type ('NaN' is not a number)"),
    ("nan_string.json", "record 1 (customerID '{id}'): tenure: type ('nan' is not a number)"),
    ("nan_token.json", "record 0 (customerID '{id}'): MonthlyCharges: type ('NaN' is not a number)"),
    ("inf_token.json", "TotalCharges: range ('Infinity' is not a finite number)"),
    ("huge_int.json", "MonthlyCharges: range (100000"),
]


@pytest.mark.parametrize(("name", "problem"), REFUSED_RECORDS, ids=[name for name, _ in REFUSED_RECORDS])
def test_predict_refuses_nan_and_infinity_by_record_and_field(inputs, name, problem, monkeypatch, capsys):
    """Exit 1 "a record to score breaks the contract", before any model is loaded: no NaN reaches stdout."""
    customer_id = generate_customers(ROWS, seed=5).loc[3, "customerID"]
    code, out, err, added = run(inputs, ["predict", name], monkeypatch, capsys)
    assert code == EXIT_REFUSED, (out, err)
    line = _error_line(err)
    assert "breaks the contract; nothing was scored" in line
    assert problem.format(id=customer_id) in line
    position = 3 if name.endswith(".csv") else 1 if name == "nan_string.json" else 0  # 0-based, as in the file
    assert f"record {position} (customerID '{customer_id}'): " in line, "the message names the record and its id"
    assert out == "" and "Traceback" not in err and not added


@pytest.mark.parametrize("name", ["nan.csv", "inf.csv", "ninf.csv", "big.csv", "nan_total.csv"])
def test_validate_refuses_the_same_values_with_the_same_rules(inputs, name, monkeypatch, capsys):
    """What predict refuses, validate drops (and, with --max-bad-share 0, refuses): the shared contract check."""
    code, out, _, _ = run(inputs, ["validate", name, "--json", "report.json"], monkeypatch, capsys)
    assert code == EXIT_OK
    [finding] = [finding for finding in json.loads((inputs / "report.json").read_text())["findings"]
                 if finding["rule"] in ("type", "range")]
    (inputs / "report.json").unlink()
    expected_column = "TotalCharges" if name == "nan_total.csv" else "MonthlyCharges"
    assert (finding["column"], finding["rows"], finding["action"]) == (expected_column, 1, "dropped")
    assert finding["rule"] == ("type" if name.startswith("nan") else "range")
    code, out, _, _ = run(inputs, ["validate", name, "--max-bad-share", "0"], monkeypatch, capsys)
    assert code == EXIT_REFUSED and "FAILED (1 fatal finding)" in out


def test_predict_prints_strict_json_lines(inputs, monkeypatch, capsys):
    """Every stdout line parses as strict JSON (no NaN or Infinity tokens)."""
    import churn.predict

    class Fixed:
        model_version, threshold = "7", 0.5

        def predict_records(self, records):
            return [churn.predict.Prediction(str(record["customerID"]), 0.25, False, "7") for record in records]

    monkeypatch.setattr(churn.predict, "load_champion", lambda *args, **kwargs: Fixed())
    code, out, _, _ = run(inputs, ["predict", "good.csv"], monkeypatch, capsys)
    assert code == EXIT_OK

    def refuse(token):
        raise AssertionError(f"not strict JSON: {token}")

    lines = [json.loads(line, parse_constant=refuse) for line in out.splitlines()]
    assert len(lines) == ROWS and lines[0]["churn_probability"] == 0.25

    Fixed.predict_records = lambda self, records: [churn.predict.Prediction("7590-VHVEG", 0.25, False, "7"),
                                                   churn.predict.Prediction("7590-VHVEG", float("nan"), False, "7")]
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        run(inputs, ["predict", "good.csv"], monkeypatch, capsys)
    assert capsys.readouterr().out == "", "a NaN from a broken model is never printed, nor the lines before it"


def test_train_prints_the_validation_summary_it_acted_on_and_keeps_stdout_json(tmp_path, monkeypatch, capsys):
    """11 blank TotalCharges imputed are said on stderr; stdout stays the one JSON document scripts parse."""
    import churn.tracking
    import churn.train

    frame = generate_customers(500, seed=2, quality=Quality(blank_total_charges_share=0.02))
    write_table(frame, tmp_path / "blanks.csv")
    monkeypatch.setattr(churn.train, "train", lambda config, data: SimpleNamespace(metrics={"roc_auc": 0.5}))
    monkeypatch.setattr(churn.tracking, "log_run", lambda result, config: SimpleNamespace(run_id="r", version="1"))
    code, out, err, _ = run(tmp_path, ["train", "--data", "blanks.csv"], monkeypatch, capsys)
    assert code == EXIT_OK, err
    assert json.loads(out) == {"run_id": "r", "version": "1", "metrics": {"roc_auc": 0.5}}
    blank = int(frame["TotalCharges"].eq(" ").sum())
    assert blank > 0
    summary = err.strip().splitlines()[-1]
    assert summary.startswith(f"validation: 500 rows in, 0 rows dropped, {blank} values fixed (TotalCharges ")
    assert summary.endswith("; the full report is logged to the run as validation_report.txt")


def _entry_point(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != "MLFLOW_TRACKING_URI"}
    return subprocess.run([sys.executable, "-m", "churn.cli", *args], cwd=folder, capture_output=True, text=True,
                          timeout=120, check=False, env=env)


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", [["train"], ["promote"], ["rollback"], ["export", "--output", "bundle"],
                                     ["pipeline"], ["predict", "good.csv"]])
def test_a_tracking_server_that_does_not_answer_is_exit_2_at_once_and_nothing_is_written(inputs, command,
                                                                                           monkeypatch, capsys):
    uri = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    code, out, err, added = run(inputs, [*command, "--tracking-uri", uri], monkeypatch, capsys)
    assert code == EXIT_BAD_INPUT, (out, err)
    assert f"cannot reach the tracking server at {uri}" in _error_line(err)
    assert "Connection refused" in err
    assert time.monotonic() - started < 30, "not after MLflow's minutes of retries (or a whole training run)"
    assert not added, f"files written: {added}"


def test_a_password_in_an_unreachable_database_uri_is_not_printed(inputs, monkeypatch, capsys):
    uri = f"postgresql://churn:s3cret@127.0.0.1:{_closed_port()}/mlflow"
    code, _, err, _ = run(inputs, ["promote", "--tracking-uri", uri], monkeypatch, capsys)
    assert code == EXIT_BAD_INPUT
    assert "s3cret" not in err and "churn:***@127.0.0.1" in err


@pytest.mark.parametrize(("args", "code", "names"), [
    (["generate", "--null-share", "1.5", "--output", "x.csv"], EXIT_BAD_INPUT, "argument --null-share"),
    (["predict", "one.json"], EXIT_BAD_INPUT, "one.json: item 0"),
    (["predict", "nan.csv"], EXIT_REFUSED, "MonthlyCharges: type ('nan' is not a number)"),
])
def test_no_traceback_leaks_from_the_real_entry_point(inputs, args, code, names):
    before = set(os.listdir(inputs))
    result = _entry_point(inputs, *args)
    assert result.returncode == code, result.stderr
    assert names in _error_line(result.stderr)
    assert "Traceback" not in result.stdout + result.stderr and result.stdout == ""
    assert set(os.listdir(inputs)) == before
