"""'Delete my data': one customer leaves the tables and every prediction log file; nothing else changes."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, main
from churn.generate import generate_customers, write_table
from churn.governance.audit import read_entries, verify
from churn.governance.erasure import ErasureRefused, erase
from churn.ingest import DataError

CUSTOMER = "7590-VHVEG"


def prediction_line(customer_id: str, number: int) -> bytes:
    return (json.dumps({"time": f"2026-05-0{number % 9 + 1}T09:00:00.000+00:00", "request_id": f"r{number}",
                        "model_version": "1", "input": {"customerID": customer_id, "tenure": number},
                        "output": {"churn_probability": 0.5, "churn": True}}) + "\n").encode()


@pytest.fixture
def stored(tmp_path):
    """A CSV and a Parquet table and a prediction log (two rotated files and the live one), each holding CUSTOMER."""
    frame = generate_customers(50, seed=1)
    frame.loc[[3, 17], "customerID"] = CUSTOMER  # twice in the tables: a re-exported customer
    csv_path, parquet_path = tmp_path / "customers.csv", tmp_path / "data" / "raw.parquet"
    write_table(frame, csv_path)
    write_table(frame, parquet_path)
    os.chmod(csv_path, 0o640)
    logs = tmp_path / "predictions"
    logs.mkdir()
    files = {logs / "prediction_log.2026-05-04T00-00-00.000000Z.jsonl": ["A-1", CUSTOMER, "A-2"],
             logs / "prediction_log.2026-05-05T00-00-00.000000Z.jsonl": ["B-1", "B-2"],
             logs / "prediction_log.jsonl": [CUSTOMER, "C-1", CUSTOMER]}
    for path, ids in files.items():
        path.write_bytes(b"".join(prediction_line(customer, number) for number, customer in enumerate(ids)))
        os.chmod(path, 0o600)
    return {"csv": csv_path, "parquet": parquet_path, "live": logs / "prediction_log.jsonl", "logs": list(files),
            "frame": frame}


def snapshot(paths):
    return {path: path.read_bytes() for path in paths}


def test_the_customer_leaves_every_file_and_every_other_line_stays_byte_identical(stored, tmp_path):
    before = snapshot([stored["csv"], *stored["logs"]])
    audit = tmp_path / "audit.jsonl"
    report = erase(CUSTOMER, [stored["csv"], stored["parquet"]], stored["live"], audit, request_id="ticket-881")
    assert [(result.path.name, result.removed) for result in report.files] == [
        ("customers.csv", 2), ("raw.parquet", 2), ("prediction_log.2026-05-04T00-00-00.000000Z.jsonl", 1),
        ("prediction_log.2026-05-05T00-00-00.000000Z.jsonl", 0), ("prediction_log.jsonl", 2)]
    assert report.removed == 7 and report.found

    for path in [stored["csv"], *stored["logs"]]:
        old = [line for line in before[path].splitlines(keepends=True) if CUSTOMER.encode() not in line]
        assert path.read_bytes().splitlines(keepends=True) == old, f"{path.name}: only the customer's lines go"
    assert CUSTOMER.encode() not in b"".join(path.read_bytes() for path in [stored["csv"], *stored["logs"]])
    parquet = pd.read_parquet(stored["parquet"])
    expected = stored["frame"][stored["frame"]["customerID"] != CUSTOMER].reset_index(drop=True)
    pd.testing.assert_frame_equal(parquet.reset_index(drop=True), expected)

    assert stat.S_IMODE(stored["csv"].stat().st_mode) == 0o640, "permissions kept"
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in stored["logs"])
    assert not list(tmp_path.rglob("*partial*")), "no partial file left behind"

    [entry] = read_entries(audit)
    assert entry["event"] == "erasure" and entry["details"]["request_id"] == "ticket-881"
    assert entry["details"]["rows_removed"] == 7
    assert CUSTOMER not in audit.read_text(), "the audit entry holds no customer ID"
    assert verify(audit) is None


def test_an_unknown_customer_changes_no_file(stored, tmp_path, capsys):
    paths = [stored["csv"], stored["parquet"], *stored["logs"]]
    before = snapshot(paths)
    audit = tmp_path / "audit.jsonl"
    code = main(["erase", "0000-NOBODY", "--data", str(stored["csv"]), "--data", str(stored["parquet"]),
                 "--log", str(stored["live"]), "--audit-log", str(audit)])
    assert code == EXIT_REFUSED
    assert "customer 0000-NOBODY is in none of these files; nothing changed" in capsys.readouterr().out
    assert snapshot(paths) == before
    [entry] = read_entries(audit)
    assert entry["details"]["rows_removed"] == 0 and "0000-NOBODY" not in audit.read_text()


def test_the_command_reports_each_file(stored, tmp_path, capsys):
    code = main(["erase", CUSTOMER, "--data", str(stored["csv"]), "--log", str(stored["live"]),
                 "--audit-log", str(tmp_path / "audit.jsonl")])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert f"removed 5 row(s) of customer {CUSTOMER}" in out and f"{stored['csv']} (csv): 2 of 50 removed" in out
    assert f"{stored['live']} (prediction log): 2 of 3 removed" in out and "not reached: models already trained" in out


def test_bad_input_stops_before_any_file_changes(stored, tmp_path, capsys):
    paths = [stored["csv"], *stored["logs"]]
    before = snapshot(paths)
    no_id = tmp_path / "no_id.csv"
    no_id.write_text("gender,tenure\nFemale,3\n")
    assert main(["erase", CUSTOMER, "--data", str(stored["csv"]), "--data", str(no_id),
                 "--audit-log", str(tmp_path / "audit.jsonl")]) == EXIT_BAD_INPUT
    assert "no_id.csv: no customerID column" in capsys.readouterr().err
    assert main(["erase", CUSTOMER, "--data", str(stored["csv"]), "--log", str(tmp_path / "none.jsonl")]) == \
        EXIT_BAD_INPUT
    assert "none.jsonl: no prediction log there" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["erase", "bad\nid", "--data", str(stored["csv"])])
    assert caught.value.code == EXIT_BAD_INPUT and "is not a customer ID" in capsys.readouterr().err
    assert snapshot(paths) == before and not (tmp_path / "audit.jsonl").exists()


def test_the_live_log_is_refused_while_a_process_holds_it_open(stored, tmp_path):
    import subprocess
    import sys

    before = snapshot(stored["logs"])
    service = subprocess.Popen([sys.executable, "-c", f"f = open({str(stored['live'])!r}, 'ab'); print('open', "
                                "flush=True); input()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout.readline() == "open\n"
        with pytest.raises(ErasureRefused, match=f"process {service.pid} has the live prediction log open"):
            erase(CUSTOMER, [], stored["live"], tmp_path / "audit.jsonl")
    finally:
        service.communicate("\n", timeout=30)
    assert snapshot(stored["logs"]) == before and not (tmp_path / "audit.jsonl").exists()
    report = erase(CUSTOMER, [], stored["live"], tmp_path / "audit.jsonl")  # the service stopped: now it goes
    assert report.removed == 3


def test_a_customer_id_must_be_one_printable_line():
    with pytest.raises(ValueError, match="not a customer ID"):
        erase("", [])
    with pytest.raises(DataError, match=r"cannot erase from '\.txt'"):
        erase(CUSTOMER, ["table.txt"])


def test_a_csv_with_a_byte_order_mark_is_matched_and_keeps_it(tmp_path):
    table = tmp_path / "excel.csv"
    table.write_bytes(b"\xef\xbb\xbfcustomerID,tenure\r\nA-1,3\r\n" + CUSTOMER.encode() + b",4\r\n")
    report = erase(CUSTOMER, [table], None, tmp_path / "audit.jsonl")
    assert report.removed == 1 and table.read_bytes() == b"\xef\xbb\xbfcustomerID,tenure\r\nA-1,3\r\n"


def test_an_erasure_with_no_file_to_erase_from_is_bad_input(tmp_path, capsys):
    assert main(["erase", CUSTOMER, "--audit-log", str(tmp_path / "audit.jsonl")]) == EXIT_BAD_INPUT
    assert "give at least one table (--data) or the prediction log (--log)" in capsys.readouterr().err
    assert not (tmp_path / "audit.jsonl").exists()


def test_a_second_erasure_waits_for_the_first(stored, tmp_path):
    """Two erasures reading the same file before either rewrites it would restore each other's customer."""
    import fcntl
    import threading

    audit = tmp_path / "governance" / "audit.jsonl"
    audit.parent.mkdir()
    with open(audit.with_name(".audit.jsonl.erasure-lock"), "w") as lock:  # a first erasure in progress
        fcntl.flock(lock, fcntl.LOCK_EX)
        second = threading.Thread(target=erase, args=(CUSTOMER, [stored["csv"]], None, audit))
        second.start()
        second.join(0.5)
        assert second.is_alive() and CUSTOMER.encode() in stored["csv"].read_bytes(), "it waits for the lock"
    second.join(30)
    assert not second.is_alive() and CUSTOMER.encode() not in stored["csv"].read_bytes()


def test_without_proc_the_live_log_needs_service_stopped(stored, tmp_path, monkeypatch):
    from churn.governance import erasure

    monkeypatch.setattr(erasure, "PROC", tmp_path / "no-proc")  # macOS, or a /proc that is not mounted
    before = snapshot(stored["logs"])
    with pytest.raises(ErasureRefused, match="cannot check whether the service has the live log open"):
        erase(CUSTOMER, [], stored["live"], tmp_path / "audit.jsonl")
    assert snapshot(stored["logs"]) == before
    assert erase(CUSTOMER, [], stored["live"], tmp_path / "audit.jsonl", service_stopped=True).removed == 3
