"""Micro-batching and the prediction log under concurrency."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx2
import pytest
from churn.predict import Prediction, PredictionInputError
from churn.service.app import create_app
from churn.service.batching import MicroBatcher
from churn.service.prediction_log import PredictionLog
from churn.service.schemas import EXAMPLE_CUSTOMER
from churn.service.settings import ServiceSettings

from tests.examples.service_fakes import FakePredictor, fake_probability


def records(count: int, start: int = 0) -> list[dict]:
    return [{**EXAMPLE_CUSTOMER, "customerID": f"{start + i:04d}-ABCDE", "tenure": (start + i) % 73}
            for i in range(count)]


async def score_concurrently(batcher: MicroBatcher, batch: list[dict]) -> list[Prediction | BaseException]:
    batcher.start()
    try:
        return await asyncio.gather(*(batcher.predict(record) for record in batch), return_exceptions=True)
    finally:
        await batcher.stop()


@pytest.mark.parametrize("in_thread", [True, False])
def test_concurrent_requests_share_one_model_call(in_thread):
    fake = FakePredictor()
    sizes: list[int] = []
    batcher = MicroBatcher(fake.predict_records, window_seconds=0.05, max_size=64, in_thread=in_thread,
                           on_batch=sizes.append)
    results = asyncio.run(score_concurrently(batcher, records(8)))
    assert fake.batch_sizes == [8] and sizes == [8]
    assert [r.customer_id for r in results] == [f"{i:04d}-ABCDE" for i in range(8)]
    assert [r.probability for r in results] == [fake_probability(i) for i in range(8)]


def test_a_full_batch_is_scored_without_waiting_for_the_window():
    fake = FakePredictor()
    batcher = MicroBatcher(fake.predict_records, window_seconds=30, max_size=3)

    async def run() -> list:
        return await asyncio.wait_for(score_concurrently(batcher, records(6)), timeout=5)

    assert len(asyncio.run(run())) == 6, "a 30 s window would time out unless full batches go at once"
    assert fake.batch_sizes == [3, 3]


def test_batches_never_exceed_the_maximum_size():
    fake = FakePredictor()
    batcher = MicroBatcher(fake.predict_records, window_seconds=0.01, max_size=3)
    asyncio.run(score_concurrently(batcher, records(7)))
    assert fake.batch_sizes == [3, 3, 1]


def test_window_zero_scores_each_request_on_its_own():
    fake = FakePredictor()
    batcher = MicroBatcher(fake.predict_records, window_seconds=0, max_size=64)
    results = asyncio.run(score_concurrently(batcher, records(5)))
    assert fake.batch_sizes == [1] * 5
    assert len(results) == 5


def test_one_bad_record_fails_only_its_own_request():
    fake = FakePredictor(fail_for="0002-ABCDE")
    batcher = MicroBatcher(fake.predict_records, window_seconds=0.05, max_size=64)
    results = asyncio.run(score_concurrently(batcher, records(4)))
    assert isinstance(results[2], PredictionInputError)
    assert [r.customer_id for i, r in enumerate(results) if i != 2] == ["0000-ABCDE", "0001-ABCDE", "0003-ABCDE"]
    assert fake.batch_sizes == [4, 1, 1, 1, 1], "the batch fails, then each record is scored alone"


def test_a_predictor_returning_the_wrong_number_of_predictions_is_an_error():
    batcher = MicroBatcher(lambda batch: [], window_seconds=0.01, max_size=64)
    results = asyncio.run(score_concurrently(batcher, records(2)))
    assert all(isinstance(r, RuntimeError) and "0 predictions for 1 records" in str(r) for r in results)


class GatedPredictor(FakePredictor):
    """A fake whose first call blocks until ``release`` is set: a model that is busy scoring."""

    def __init__(self) -> None:
        super().__init__()
        self.busy = threading.Event()
        self.release = threading.Event()

    def predict_records(self, records):
        if not self.batch_sizes:
            self.busy.set()
            assert self.release.wait(5), "the test never released the first call"
        return super().predict_records(records)


async def wait_busy(predictor: GatedPredictor) -> None:
    while not predictor.busy.is_set():
        await asyncio.sleep(0.001)


def test_a_lone_request_does_not_wait_for_the_window():
    fake = FakePredictor()
    sizes: list[int] = []
    batcher = MicroBatcher(fake.predict_records, window_seconds=30, max_size=64, on_batch=sizes.append)

    async def run() -> list:
        batcher.start()
        try:
            first = await asyncio.wait_for(batcher.predict(records(1)[0]), timeout=5)
            second = await asyncio.wait_for(batcher.predict(records(1, start=1)[0]), timeout=5)
            return [first, second]
        finally:
            await batcher.stop()

    results = asyncio.run(run())  # a 30 s window would time out if an idle batcher waited for company
    assert [r.customer_id for r in results] == ["0000-ABCDE", "0001-ABCDE"]
    assert fake.batch_sizes == [1, 1] and sizes == [1, 1]


def test_requests_arriving_while_the_model_is_busy_share_the_next_batch():
    gated = GatedPredictor()
    batcher = MicroBatcher(gated.predict_records, window_seconds=0.05, max_size=64)

    async def run() -> list:
        batcher.start()
        try:
            first = asyncio.ensure_future(batcher.predict(records(1)[0]))
            await wait_busy(gated)  # the first request is being scored on its own ...
            later = [asyncio.ensure_future(batcher.predict(record)) for record in records(3, start=1)]
            await asyncio.sleep(0.01)
            gated.release.set()  # ... and the three that came meanwhile go together
            return await asyncio.wait_for(asyncio.gather(first, *later), timeout=5)
        finally:
            await batcher.stop()

    results = asyncio.run(run())
    assert gated.batch_sizes == [1, 3]
    assert [r.customer_id for r in results] == [f"{i:04d}-ABCDE" for i in range(4)]


def test_stop_answers_the_requests_still_waiting():
    gated = GatedPredictor()
    batcher = MicroBatcher(gated.predict_records, window_seconds=30, max_size=64)

    async def run() -> list:
        batcher.start()
        first = asyncio.ensure_future(batcher.predict(records(1)[0]))
        await wait_busy(gated)
        waiting = [asyncio.ensure_future(batcher.predict(record)) for record in records(3, start=1)]
        await asyncio.sleep(0.01)
        gated.release.set()
        await asyncio.wait_for(batcher.stop(), timeout=5)  # the three would wait 30 s for company
        return [task.result() for task in [first, *waiting]]

    assert len(asyncio.run(run())) == 4
    assert gated.batch_sizes == [1, 3]


def test_prediction_log_keeps_every_line_from_many_threads(tmp_path):
    log = PredictionLog(tmp_path / "deep" / "log.jsonl")
    log.start()
    prediction = Prediction("0001-ABCDE", 0.25, False, "3")

    def write(thread: int) -> None:
        for i in range(250):
            log.append([{"thread": thread, "i": i}], [prediction], request_id=f"{thread}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    lines = [json.loads(line) for line in (tmp_path / "deep" / "log.jsonl").read_text().splitlines()]
    assert len(lines) == 2000
    assert {line["request_id"] for line in lines} == {f"{t}-{i}" for t in range(8) for i in range(250)}
    assert lines[0]["output"] == {"churn_probability": 0.25, "churn": False}


def test_a_failed_write_is_logged_and_the_writer_keeps_going(tmp_path, caplog):
    log = PredictionLog(tmp_path / "log.jsonl")
    log.start()
    real_write, calls = log._file.write, []

    def full_disk_once(data: bytes) -> int:
        calls.append(data)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_write(data)

    log._file.write = full_disk_once
    prediction = Prediction("0001-ABCDE", 0.25, False, "3")
    log.append([{"n": 1}, {"n": 2}], [prediction, prediction], request_id="lost")
    log.append([{"n": 3}], [prediction], request_id="kept")
    log.close()
    assert [json.loads(line)["request_id"] for line in (tmp_path / "log.jsonl").read_text().splitlines()] == ["kept"]
    assert "could not write 2 prediction(s)" in caplog.text


def test_200_concurrent_requests_give_200_log_lines(tmp_path):
    fake = FakePredictor()
    settings = ServiceSettings(api_key="k", prediction_log=tmp_path / "predictions.jsonl", batch_window_ms=2)
    app = create_app(settings, lambda: fake)

    async def run() -> list[httpx2.Response]:
        async with app.router.lifespan_context(app):
            while not app.state.service.ready:
                await asyncio.sleep(0.01)
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
                return await asyncio.gather(*(
                    client.post("/predict", json=record, headers={"X-API-Key": "k", "X-Request-ID": f"req-{i}"})
                    for i, record in enumerate(records(200))))

    responses = asyncio.run(run())  # leaving the lifespan flushes and closes the log
    assert [r.status_code for r in responses] == [200] * 200
    lines = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert len(lines) == 200
    assert sorted(line["request_id"] for line in lines) == sorted(f"req-{i}" for i in range(200))
    assert {line["input"]["customerID"] for line in lines} == {r["customerID"] for r in records(200)}
    assert max(fake.batch_sizes) > 1, "concurrent requests were micro-batched"
    assert sum(fake.batch_sizes) == 200


def test_a_cancelled_request_does_not_disturb_its_batch():
    fake = FakePredictor()
    batcher = MicroBatcher(fake.predict_records, window_seconds=0.05, max_size=64)

    async def run() -> list:
        batcher.start()
        waiting = [asyncio.ensure_future(batcher.predict(record)) for record in records(3)]
        await asyncio.sleep(0)
        waiting[1].cancel()  # the client went away
        done = await asyncio.gather(*waiting, return_exceptions=True)
        await batcher.stop()
        return done

    first, second, third = asyncio.run(run())
    assert isinstance(second, asyncio.CancelledError)
    assert (first.customer_id, third.customer_id) == ("0000-ABCDE", "0002-ABCDE")
    assert fake.batch_sizes == [3]
