"""The audit log: appends chain each entry to the one before, and verify names the first entry that was altered."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import stat

import pytest
from churn.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, main
from churn.governance.audit import GENESIS, AuditLog, AuditLogError, canonical, entry_hash, read_entries, verify


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "governance" / "audit.jsonl"
    audit = AuditLog(path)
    for number in range(1, 6):
        audit.append("approval", f"person-{number}", {"version": str(number), "reason": "ünïcode ok"})
    return path


def lines_of(path):
    return path.read_bytes().splitlines(keepends=True)


def test_entries_are_chained_and_the_intact_log_verifies(log):
    entries = read_entries(log)
    assert [entry["seq"] for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev_hash"] == GENESIS
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(entries))
    assert all(entry["hash"] == entry_hash(entry) for entry in entries)
    assert verify(log) is None
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_the_hash_is_over_sorted_compact_json_without_the_hash_key():
    entry = {"seq": 1, "event": "x", "hash": "ignored", "details": {"b": 1, "a": "é"}}
    assert canonical(entry) == '{"details":{"a":"é","b":1},"event":"x","seq":1}'.encode()


def test_a_changed_field_is_named_with_its_line_and_seq(log):
    lines = lines_of(log)
    entry = json.loads(lines[2])
    entry["actor"] = "mallory"
    lines[2] = (json.dumps(entry) + "\n").encode()
    log.write_bytes(b"".join(lines))
    problem = verify(log)
    assert (problem.line, problem.seq) == (3, 3) and problem.problem.startswith("hash mismatch")


def test_a_key_written_twice_is_named_although_json_keeps_the_last(log):
    lines = lines_of(log)
    lines[1] = lines[1].replace(b'{"actor": ', b'{"actor": "mallory", "actor": ', 1)
    log.write_bytes(b"".join(lines))
    assert json.loads(lines[1])["hash"] == entry_hash(json.loads(lines[1])), "the hash alone would not notice"
    problem = verify(log)
    assert (problem.line, problem.seq) == (2, 2) and "'actor' appears twice" in problem.problem


def test_a_deleted_line_breaks_the_chain_at_the_next_entry(log):
    lines = lines_of(log)
    del lines[1]
    log.write_bytes(b"".join(lines))
    problem = verify(log)
    assert (problem.line, problem.seq) == (2, 3) and problem.problem.startswith("broken chain")


def test_reordered_lines_break_the_chain(log):
    lines = lines_of(log)
    lines[1], lines[2] = lines[2], lines[1]
    log.write_bytes(b"".join(lines))
    problem = verify(log)
    assert (problem.line, problem.seq) == (2, 3) and problem.problem.startswith("broken chain")


def test_a_line_cut_in_the_middle_is_named_and_blocks_appends(log):
    data = log.read_bytes()
    log.write_bytes(data[:-40])
    problem = verify(log)
    assert problem.line == 5 and "incomplete last line" in problem.problem
    with pytest.raises(AuditLogError, match="last line is incomplete"):
        AuditLog(log).append("approval", "ana", {})
    assert log.read_bytes() == data[:-40], "a refused append writes nothing"


def test_bad_json_and_a_rehashed_seq_gap_are_named(log):
    lines = lines_of(log)
    bad = [*lines[:3], b"{not json\n", *lines[3:]]
    log.write_bytes(b"".join(bad))
    problem = verify(log)
    assert problem.line == 4 and problem.seq is None and problem.problem.startswith("bad JSON")

    entry = json.loads(lines[3])  # someone renumbers entry 4 and recomputes its hash: the chain holds, seq does not
    entry["seq"] = 9
    entry["hash"] = entry_hash(entry)
    log.write_bytes(b"".join([*lines[:3], (json.dumps(entry) + "\n").encode()]))
    problem = verify(log)
    assert (problem.line, problem.seq) == (4, 9) and problem.problem == "seq gap: expected seq 4 after seq 3"


def _append_many(path: str, worker: int, count: int) -> None:
    audit = AuditLog(path)
    for number in range(count):
        audit.append("test", f"worker-{worker}", {"n": number})


def test_concurrent_appends_from_several_processes_keep_one_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("spawn")  # fresh interpreters: separate processes, as CI jobs would be
    workers = [context.Process(target=_append_many, args=(str(path), worker, 25)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    entries = read_entries(path)
    assert len(entries) == 100 and [entry["seq"] for entry in entries] == list(range(1, 101))
    assert verify(path) is None
    assert {entry["actor"] for entry in entries} == {f"worker-{worker}" for worker in range(4)}


def test_the_verify_command_exit_codes(log, tmp_path, capsys):
    assert main(["audit", "verify", "--audit-log", str(log)]) == EXIT_OK
    head = read_entries(log)[-1]["hash"]
    assert f"intact, 5 entries; head: seq 5 sha256 {head}" in capsys.readouterr().out
    log.write_bytes(log.read_bytes().replace(b"person-2", b"person-X"))
    assert main(["audit", "verify", "--audit-log", str(log)]) == EXIT_REFUSED
    assert "TAMPERED at line 2 (seq 2): hash mismatch" in capsys.readouterr().err
    assert main(["audit", "verify", "--audit-log", str(tmp_path / "missing.jsonl")]) == EXIT_BAD_INPUT
    assert "missing.jsonl: no audit log there" in capsys.readouterr().err
