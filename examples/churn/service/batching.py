"""Dynamic micro-batching: concurrent ``/predict`` calls share one model call.

Why: PLACEHOLDER_MEASUREMENTS
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

    A request waits at most ``window_seconds`` (counted from the arrival of the oldest waiting
    request) for others to join, or less when ``max_size`` requests are waiting. With a window of
    0 every request is scored on its own, which is the baseline the benchmark compares with.

    Args:
        predict_records: The predictor's ``predict_records``: records in, predictions out, in order.
        window_seconds: The longest a request waits for company.
        max_size: Score at once when this many requests are waiting.
        in_thread: Run the model in a worker thread (keeps the event loop serving requests while a
            slow model computes) rather than on the event loop (cheaper for a sub-millisecond model).
        on_batch: Called with the size of every batch (for the batch-size metric).
    """

    def __init__(self, predict_records: PredictRecords, *, window_seconds: float = 0.002, max_size: int = 64,
                 in_thread: bool = True, on_batch: Callable[[int], None] | None = None) -> None:
        self._predict_records = predict_records
        self._window = window_seconds
        self._max_size = max_size
        self._in_thread = in_thread
        self._on_batch = on_batch or (lambda size: None)
        self._pending: list[tuple[float, Mapping[str, Any], asyncio.Future[Prediction]]] = []
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
        self._arrived.set()
        if self._task is not None:
            await self._task

    # --8<-- [start:micro_batching]
    async def predict(self, record: Mapping[str, Any]) -> Prediction:
        """Score one record, in a batch with whatever other records arrive within the window."""
        if self._task is None:  # batching off (window 0): one model call per request
            return (await self._call_model([record]))[0]
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._pending.append((time.perf_counter(), record, future))
        self._arrived.set()
        if len(self._pending) >= self._max_size:
            self._full.set()
        return await future

    async def _form_batches(self) -> None:
        while self._pending or not self._closing:
            await self._arrived.wait()
            wait = self._pending[0][0] + self._window - time.perf_counter() if self._pending else 0
            if wait > 0 and not self._full.is_set() and not self._closing:
                try:  # sleep until the oldest request's window closes, or until the batch is full
                    async with asyncio.timeout(wait):
                        await self._full.wait()
                except TimeoutError:
                    pass
            if self._pending:
                await self._score(self._take_batch())
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
