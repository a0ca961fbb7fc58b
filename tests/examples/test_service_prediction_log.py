"""The prediction log's rotation (by size and by UTC day) and retention, under concurrent writers."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from churn.predict import Prediction
from churn.service import prediction_log as prediction_log_module
from churn.service.app import create_app
from churn.service.prediction_log import PredictionLog, format_lines, log_files, rotated_files
from churn.service.schemas import EXAMPLE_CUSTOMER
from churn.service.settings import ServiceSettings, SettingsError

from tests.examples.service_fakes import FakePredictor

PREDICTION = Prediction("0001-ABCDE", 0.25, False, "3")
MIDNIGHT = datetime(2026, 5, 5, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand, so crossing a day takes no waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def append(log: PredictionLog, request_id: str, size: int = 1) -> None:
    log.append([{"request": request_id, "n": n} for n in range(size)], [PREDICTION] * size, request_id)


# A limit that one request of three records fits under but two do not: every such request gets a file of its own.
ONE_REQUEST_A_FILE = len(format_lines([{"request": "r00", "n": n} for n in range(3)], [PREDICTION] * 3, "r00",
                                      MIDNIGHT)) * 3 // 2


def lines_by_file(path: Path) -> list[list[dict]]:
    """Every file of the log in order, each as its parsed lines (fails on a line that is not JSON)."""
    return [[json.loads(line) for line in file.read_text().splitlines()] for file in log_files(path)]


def test_concurrent_writers_across_many_rotations_keep_every_record_exactly_once(tmp_path):
    path = tmp_path / "deep" / "log.jsonl"
    log = PredictionLog(path, max_bytes=4_000, backups=100_000, retention_days=10_000)
    log.start()

    def write(thread: int) -> None:
        for i in range(150):
            append(log, f"{thread}-{i}", size=1 + i % 4)  # batches of 1 to 4 records

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()

    files = lines_by_file(path)
    assert len(files) > 50, "the tiny size limit forced many rotations"
    records = [(line["request_id"], line["input"]["n"]) for lines in files for line in lines]
    expected = [(f"{t}-{i}", n) for t in range(8) for i in range(150) for n in range(1 + i % 4)]
    assert len(records) == len(expected)
    assert sorted(records) == sorted(expected), "every record exactly once across all files"
    file_of_request = {}
    for index, lines in enumerate(files):
        for line in lines:
            assert file_of_request.setdefault(line["request_id"], index) == index, "a request's batch is never split"
    for thread in range(8):
        order = [int(request.split("-")[1]) for request in file_of_request if request.startswith(f"{thread}-")]
        assert order == sorted(order), "the files are listed in the order they were written"
    assert all(file.stat().st_size <= 4_000 for file in log_files(path))
    assert log_files(path)[-1] == path


def test_requests_through_the_app_survive_rotations(tmp_path):
    fake = FakePredictor()
    path = tmp_path / "predictions.jsonl"
    settings = ServiceSettings(api_key="k", prediction_log=path, batch_window_ms=2,
                               prediction_log_max_bytes=2_000, prediction_log_backups=10_000)
    app = create_app(settings, lambda: fake)

    async def run() -> list[httpx2.Response]:
        async with app.router.lifespan_context(app):
            while not app.state.service.ready:
                await asyncio.sleep(0.01)
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
                return await asyncio.gather(*(
                    client.post("/predict", json={**EXAMPLE_CUSTOMER, "customerID": f"{i:04d}-ABCDE"},
                                headers={"X-API-Key": "k", "X-Request-ID": f"req-{i}"})
                    for i in range(120)))

    responses = asyncio.run(run())
    assert [response.status_code for response in responses] == [200] * 120
    files = lines_by_file(path)
    assert len(files) > 5
    assert sorted(line["request_id"] for lines in files for line in lines) == sorted(f"req-{i}" for i in range(120))


def test_retention_keeps_the_newest_backups_and_deletes_the_oldest(tmp_path):
    path = tmp_path / "log.jsonl"
    log = PredictionLog(path, max_bytes=ONE_REQUEST_A_FILE, backups=3)
    log.start()
    for i in range(40):
        append(log, f"r{i:02d}", size=3)  # each request fills a file of its own
    log.close()

    files = lines_by_file(path)
    assert len(files) == 4, "three rotated files and the live one"
    assert [lines[0]["request_id"] for lines in files] == ["r36", "r37", "r38", "r39"]


def test_log_files_are_readable_by_the_service_user_only(tmp_path):
    path = tmp_path / "log.jsonl"
    log = PredictionLog(path, max_bytes=ONE_REQUEST_A_FILE, backups=3)
    log.start()
    for i in range(3):
        append(log, f"r{i}", size=3)  # the live file and two rotated ones
    log.close()
    files = log_files(path)
    assert len(files) == 3
    assert {file.name: oct(file.stat().st_mode & 0o777) for file in files} == {file.name: "0o600" for file in files}


def test_no_backups_keeps_only_the_live_file(tmp_path):
    path = tmp_path / "log.jsonl"
    log = PredictionLog(path, max_bytes=ONE_REQUEST_A_FILE, backups=0)
    log.start()
    for i in range(5):
        append(log, f"r{i}", size=3)
    log.close()
    assert log_files(path) == [path]
    assert [line["request_id"] for line in lines_by_file(path)[0]] == ["r4"] * 3


def test_a_new_utc_day_starts_a_new_file(tmp_path):
    path = tmp_path / "log.jsonl"
    clock = FakeClock(MIDNIGHT - timedelta(minutes=1))
    log = PredictionLog(path, clock=clock, idle_seconds=0.01)
    log.start()
    append(log, "before")
    append(log, "still before")
    clock.now = MIDNIGHT + timedelta(minutes=1)
    append(log, "after")
    log.close()

    files = lines_by_file(path)
    assert [[line["request_id"] for line in lines] for lines in files] == [["before", "still before"], ["after"]]
    assert log_files(path)[0].name == "log.2026-05-05T00-01-00.000000Z.jsonl"


def test_rotated_names_sort_in_time_order_even_when_the_clock_stands_still(tmp_path):
    path = tmp_path / "log.jsonl"
    log = PredictionLog(path, max_bytes=ONE_REQUEST_A_FILE, backups=100, clock=FakeClock(MIDNIGHT))
    log.start()
    for i in range(6):
        append(log, f"r{i}", size=3)
    log.close()

    rotated = rotated_files(path)
    assert len(rotated) == 5
    assert [time for time, _ in rotated] == [MIDNIGHT + timedelta(microseconds=n) for n in range(5)]
    assert [lines[0]["request_id"] for lines in lines_by_file(path)] == [f"r{i}" for i in range(6)]


def test_retention_days_delete_files_rotated_too_long_ago(tmp_path):
    path = tmp_path / "log.jsonl"
    clock = FakeClock(MIDNIGHT)
    log = PredictionLog(path, backups=100, retention_days=14, clock=clock)
    log.start()
    for day in range(20):  # one request a day: every day rotates the previous day's file
        clock.now = MIDNIGHT + timedelta(days=day, hours=9)
        append(log, f"day-{day}")
    log.close()

    # At day 19 09:00 the files rotated at days 1..4 09:00 (holding days 0..3) are older than 14 days.
    assert [lines[0]["request_id"] for lines in lines_by_file(path)] == [f"day-{day}" for day in range(4, 20)]


def test_start_rotates_a_live_file_left_from_an_earlier_day_and_prunes_expired_files(tmp_path):
    path = tmp_path / "log.jsonl"
    expired = tmp_path / "log.2026-04-01T00-00-00.000000Z.jsonl"
    expired.write_text('{"old": true}\n')
    path.write_text('{"yesterday": true}\n')
    yesterday = (MIDNIGHT - timedelta(hours=1)).timestamp()
    os.utime(path, (yesterday, yesterday))
    log = PredictionLog(path, clock=FakeClock(MIDNIGHT + timedelta(hours=8)))
    log.start()
    assert not expired.exists(), "a file older than the retention is deleted at start-up"
    append(log, "today")
    log.close()
    yesterdays, todays = lines_by_file(path)
    assert yesterdays == [{"yesterday": True}]
    assert [line["request_id"] for line in todays] == ["today"]


def test_log_files_lists_only_this_log_in_time_order(tmp_path):
    path = tmp_path / "log.jsonl"
    names = ["log.2026-05-05T00-00-00.000000Z.jsonl", "log.2026-05-04T10-00-00.000000Z.jsonl"]
    for name in [*names, "log.jsonl.bak", "other.2026-05-04T10-00-00.000000Z.jsonl", "log.yesterday.jsonl"]:
        (tmp_path / name).write_text("")
    assert log_files(path) == [tmp_path / name for name in reversed(names)], "no live file yet"
    path.write_text("")
    assert log_files(path)[-1] == path
    assert log_files(tmp_path / "missing" / "log.jsonl") == []


def test_a_log_on_dev_null_is_never_rotated(monkeypatch):
    renamed = []
    monkeypatch.setattr(Path, "rename", lambda self, target: renamed.append(target))
    log = PredictionLog(os.devnull, max_bytes=1, backups=0)
    log.start()
    for i in range(3):
        append(log, f"r{i}")
    log.close()
    assert renamed == []
    assert Path(os.devnull).is_char_device()


def test_the_settings_give_the_log_its_documented_defaults(tmp_path):
    settings = ServiceSettings.from_env({"CHURN_API_KEY": "k"})
    log = PredictionLog.from_settings(settings)
    assert (log.max_bytes, log.backups, log.retention_days) == (100_000_000, 20, 14)
    assert (log.max_bytes, log.backups, log.retention_days) == (
        prediction_log_module.DEFAULT_MAX_BYTES, prediction_log_module.DEFAULT_BACKUPS,
        prediction_log_module.DEFAULT_RETENTION_DAYS)
    settings = ServiceSettings.from_env({"CHURN_API_KEY": "k", "CHURN_PREDICTION_LOG_MAX_BYTES": "5000000",
                                         "CHURN_PREDICTION_LOG_BACKUPS": "0",
                                         "CHURN_PREDICTION_LOG_RETENTION_DAYS": "30"})
    log = PredictionLog.from_settings(settings)
    assert (log.max_bytes, log.backups, log.retention_days) == (5_000_000, 0, 30)


@pytest.mark.parametrize(("variable", "value"), [
    ("CHURN_PREDICTION_LOG_MAX_BYTES", "100MB"),
    ("CHURN_PREDICTION_LOG_MAX_BYTES", "10"),
    ("CHURN_PREDICTION_LOG_BACKUPS", "-1"),
    ("CHURN_PREDICTION_LOG_RETENTION_DAYS", "0"),
])
def test_a_bad_rotation_setting_names_its_variable(variable, value):
    with pytest.raises(SettingsError, match=rf"{variable}: .*'{value}'"):
        ServiceSettings.from_env({"CHURN_API_KEY": "k", variable: value})


def wait_until(condition, seconds: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass: waits for an event, asserts no duration."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_an_idle_writer_still_rotates_at_a_new_day_and_deletes_expired_files(tmp_path):
    path = tmp_path / "log.jsonl"
    expired = tmp_path / "log.2026-04-01T00-00-00.000000Z.jsonl"
    clock = FakeClock(MIDNIGHT - timedelta(minutes=1))
    log = PredictionLog(path, clock=clock, idle_seconds=0.01)
    log.start()
    append(log, "before midnight")
    assert wait_until(lambda: path.stat().st_size > 0), "the writer wrote the request"
    expired.write_text('{"old": true}\n')  # appears while the service runs, as if left by an earlier one
    clock.now = MIDNIGHT + timedelta(minutes=1)  # then no request comes for the rest of the day
    # Wait for the state only the rotation can make: one rotated file, stamped after midnight (the expired
    # file sorts first, so it is gone), and a new live file. Counting files alone could pass before the rotation,
    # when an idle wake-up stamped before midnight had only deleted the expired file.
    assert wait_until(lambda: [at >= MIDNIGHT for at, _ in rotated_files(path)] == [True] and path.exists())
    assert not expired.exists()
    log.close()
    rotated, live = lines_by_file(path)
    assert [line["request_id"] for line in rotated] == ["before midnight"]
    assert live == []


def test_a_failing_rename_loses_nothing_and_is_not_retried_on_every_request(tmp_path, monkeypatch, caplog):
    attempts = []

    def refuse(self, target):
        attempts.append(target)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "rename", refuse)
    path = tmp_path / "log.jsonl"
    log = PredictionLog(path, max_bytes=ONE_REQUEST_A_FILE, backups=100)  # about four 1-record requests a file
    log.start()
    for i in range(20):
        append(log, f"r{i:02d}")
    log.close()

    assert log_files(path) == [path]
    assert [line["request_id"] for line in lines_by_file(path)[0]] == [f"r{i:02d}" for i in range(20)]
    assert 1 <= len(attempts) <= 5, "retried after another max_bytes, not for each of the 16 later requests"
    assert "could not rotate" in caplog.text


def test_an_unreadable_folder_keeps_the_writer_alive(tmp_path, monkeypatch, caplog):
    def unreadable(folder):
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(prediction_log_module.os, "listdir", unreadable)
    path = tmp_path / "log.jsonl"
    log = PredictionLog(path, max_bytes=ONE_REQUEST_A_FILE)
    log.start()
    for i in range(10):
        append(log, f"r{i}")
    log.close()
    monkeypatch.undo()
    assert [line["request_id"] for lines in lines_by_file(path) for line in lines] == [f"r{i}" for i in range(10)]
    assert "could not list the rotated prediction logs" in caplog.text
