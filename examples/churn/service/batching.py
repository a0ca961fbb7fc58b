"""Dynamic micro-batching: concurrent ``/predict`` calls share one model call.

Why. A model call has a fixed cost per call and a small cost per row: scikit-learn's pipeline
spends about 8 ms on a one-row DataFrame (on the course's reference machine; 15-30 ms on the 2-CPU
VM measured below) and 12 µs per extra row. Eight clients calling one by one pay the fixed cost
eight times; in one batch they pay it once.

Adaptive. A request that finds the model idle (nothing scoring, nothing waiting) is scored at
once. Requests that arrive while a batch is being scored wait for the model, and then at most
``CHURN_BATCH_WINDOW_MS`` (default 2 ms, counted from the oldest of them) for company, or less
when ``CHURN_BATCH_MAX_SIZE`` are waiting. So the window only ever applies while the service is busy.

Measured with ``benchmarks/serving.py`` (one uvicorn worker, 8 wrk connections, 2-CPU VM whose
bare FastAPI yardstick varied between 1,800 and 3,600 req/s from run to run; ranges over 3-6 runs):

| model behind ``/predict`` | one call per request | micro-batching (2 ms) |
|---|---|---|
| fake, 8 ms CPU per call (holds the GIL) | 119-136 req/s, p99 84-127 ms | 455-529 req/s, p99 18-27 ms |
| scikit-learn pipeline (``SklearnPredictor``) | 33-39 req/s, p99 360-380 ms | 163-327 req/s, p99 54-72 ms |
| ONNX Runtime (``OnnxPredictor``, the served model) | 810-1,065 req/s, p99 13-19 ms | 1,050-1,250 req/s, p99 9-11 ms |

Decision: batching is on by default. With the ONNX model a call costs ~0.13 ms for one row and
~0.19 ms for eight, so batching gains only 0-40 % at 8 clients (the time goes into HTTP and
validation), and it lowers p99; with a model whose call is expensive it multiplies
throughput by 4-8 and divides p99 by 4-6 (still not enough for the scikit-learn pipeline on this
VM, which is why the service scores with the ONNX copy). A shorter window is not better: with the 8 ms
fake, 0.5 ms and 1 ms windows split the eight requests into two batches (386 and 345 req/s); 4 ms
only adds waiting (437 req/s). ``CHURN_BATCH_WINDOW_MS=0`` turns batching off.

The table was measured with a fixed window, which every request waited for, and that did make
a quiet service slower: at one client 106-154 req/s (p50 4.5-5.3 ms) against 338-534 req/s
(p50 1.3-1.6 ms) with batching off. Since the window applies only while the model is busy, one
client gets the same p50 as without batching (ONNX: 0.73 against 0.81 ms) and 8 clients keep
the gain (1,797 against 1,550 req/s; the bare endpoint did 4,587 in the same run of
``.venv/bin/python benchmarks/serving.py``).

The model runs in a worker thread (``in_thread=True``): with the 8 ms fake that served 506 req/s
against 430 on the event loop, because the loop can read the next requests while the model
computes; for ONNX both were equal on their own, and under a load of big batches the thread is
what keeps the loop answering (``churn.service.routes``; ``/predict/batch`` goes further and
scores in a worker process, ``churn.service.batch_worker``). One more finding of the same
measurements: a full garbage collection of the ~170,000 objects left by start-up stalled
requests for ~100 ms (p99 73 ms), which ``gc.freeze()`` after loading removes (``churn.service.app``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from churn.predict import Prediction

PredictRecords = Callable[[Sequence[Mapping[str, Any]]], "list[Prediction]"]


class MicroBatcher:
    """Gather concurrent single-customer requests into batches and score each batch with one call.

    Adaptive: a request that finds the batcher idle (nothing scoring, nothing waiting) is scored at
    once, so a quiet service never waits for the window. A request that arrives while a batch is
    being scored, or while others wait, joins the next batch, which is scored as soon as the model
    is free and the oldest waiting request has waited ``window_seconds`` (or at once when
    ``max_size`` requests are waiting). With a window of 0 there is no batching at all: every
    request is scored on its own, which is the baseline the benchmark compares with.

    Args:
        predict_records: The predictor's ``predict_records``: records in, predictions out, in order.
        window_seconds: The longest a request that arrived while the model was busy waits for company.
        max_size: Score at once when this many requests are waiting.
        in_thread: Run the model in a worker thread (keeps the event loop serving requests while the
            model computes) rather than on the event loop (only for tests and measurements).
        on_batch: Called with the size of every batch (for the batch-size metric).
    """

    def __init__(self, predict_records: PredictRecords, *, window_seconds: float = 0.002, max_size: int = 64,
                 in_thread: bool = True, on_batch: Callable[[int], None] | None = None) -> None:
        self._predict_records = predict_records
        self._window = window_seconds
        self._max_size = max_size
        self._in_thread = in_thread
        self._on_batch = on_batch or (lambda size: None)
        # (time the request may be scored at the latest, record, future), oldest first
        self._pending: list[tuple[float, Mapping[str, Any], asyncio.Future[Prediction]]] = []
        self._scoring = False
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start the task that forms and scores the batches (call inside the running event loop)."""
        if self._window > 0:
            self._task = asyncio.create_task(self._form_batches(), name="micro-batcher")

    async def stop(self) -> None:
        """Score whatever is still waiting, then stop the batching task."""
        self._closing = True
        self._arrived.set()  # wake the task if it waits for a first request ...
        self._full.set()  # ... or for the window to close
        if self._task is not None:
            await self._task

    # --8<-- [start:micro_batching]
    async def predict(self, record: Mapping[str, Any]) -> Prediction:
        """Score one record: at once if the batcher is idle, else in the next batch."""
        if self._task is None or self._closing:  # batching off (window 0), or shutting down
            return (await self._call_model([record]))[0]
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        now = time.perf_counter()
        idle = not self._scoring and not self._pending
        self._pending.append((now if idle else now + self._window, record, future))
        self._arrived.set()
        if len(self._pending) >= self._max_size:
            self._full.set()
        return await future

    async def _form_batches(self) -> None:
        while self._pending or not self._closing:
            await self._arrived.wait()
            wait = self._pending[0][0] - time.perf_counter() if self._pending else 0
            if wait > 0 and not self._full.is_set() and not self._closing:
                try:  # sleep until the oldest request's window closes, or until the batch is full
                    async with asyncio.timeout(wait):
                        await self._full.wait()
                except TimeoutError:
                    pass
            if self._pending:
                self._scoring = True  # requests arriving from now on wait for the next batch
                try:
                    await self._score(self._take_batch())
                finally:
                    self._scoring = False
    # --8<-- [end:micro_batching]

    def _take_batch(self) -> list[tuple[float, Mapping[str, Any], asyncio.Future[Prediction]]]:
        batch, self._pending = self._pending[: self._max_size], self._pending[self._max_size :]
        if len(self._pending) < self._max_size:
            self._full.clear()
        if not self._pending:
            self._arrived.clear()
        return batch

    async def _score(self, batch: list[tuple[float, Mapping[str, Any], asyncio.Future[Prediction]]]) -> None:
        """Score a batch and resolve each request's future; one bad record does not fail the others."""
        try:
            predictions = await self._call_model([record for _, record, _ in batch])
            if len(predictions) != len(batch):
                raise RuntimeError(f"the predictor returned {len(predictions)} predictions for {len(batch)} records")
        except Exception as error:
            if len(batch) == 1:
                _resolve(batch[0][2], error=error)
                return
            for item in batch:  # find the culprit: score the records one by one
                await self._score([item])
            return
        for (_, _, future), prediction in zip(batch, predictions, strict=True):  # lengths checked above
            _resolve(future, prediction)

    async def _call_model(self, records: list[Mapping[str, Any]]) -> list[Prediction]:
        self._on_batch(len(records))
        if self._in_thread:
            return await asyncio.to_thread(self._predict_records, records)
        return self._predict_records(records)


def _resolve(future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # the client went away and its request was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
