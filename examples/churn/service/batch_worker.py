"""``POST /predict/batch`` scored away from the event loop: in one worker process (default) or a thread.

A 1,000-row batch costs the interpreter about 20 ms of pure Python and pydantic work (validation,
features, log lines, the answer). In a thread of the server process that work holds the GIL,
and every ``/predict`` or ``/health`` request waiting behind it has to win the GIL back for each step
(read, validate, score, answer): up to 5 ms each, the interpreter's switch interval. So by default
the batches go to a worker process, which has a GIL of its own.

``BatchWorker`` owns a ``concurrent.futures.ProcessPoolExecutor`` with one worker process, started
with ``spawn`` (a fresh interpreter: none of the server's threads, locks or sockets). Its
initializer unpickles the predictor the server has loaded (an ``OnnxPredictor`` pickles as its ONNX
bytes, version and threshold), so both processes serve the same model version, with no second
registry lookup. For each batch the route sends the raw body, the request id and the log's time
stamp; the worker (``score_batch``) refuses an oversized batch, validates the body with the same
pydantic model as the thread path, scores, and serialises the answer and the prediction-log lines.
It returns bytes and the probabilities; the server queues the lines to the prediction log's one
writer thread, adds the probabilities to the score histogram and sends the answer as it is. Errors
come back as the same exceptions (``RequestValidationError`` with every field's position,
``PredictionInputError``), so the 400 and 422 bodies are those of the thread path.

Lifetime: ``start`` spawns the worker and waits until it has loaded the model, before ``/ready``
says 200 (about 1-2 s). The worker ignores SIGINT (Ctrl-C reaches the whole process group; the
server stops it once the requests in flight are answered) and exits when the server process dies,
even by SIGKILL (a thread waits on the parent's sentinel), so it is never left behind. A worker
that dies (killed for memory, a crash in native code) fails its batch with a 500 and is replaced
for the next one.

Priority: the worker runs at ``WORKER_NICENESS`` (10), so when the CPUs are busy (on 2 CPUs the
worker, the server and a load generator compete) the kernel gives the server's short requests
the CPU first and the batches what is left; on idle CPUs it changes nothing. In four pairs of
mixed-load runs on the shared VM, nice 10 against 0 gave single ``/predict`` 502-672 against
179-452 req/s and p50 10-13 against 14-35 ms, with p99 better in three pairs of four; batches
lost throughput in two (3.2-3.7 against 8.1-12 req/s), to the other jobs on that machine. (These
runs asked ``/health`` with a closed-loop client, a load of its own; comparable with each other,
not with lecture 4.2's figures, measured with a paced probe.)
``os.nice`` exists on Unix (Linux, macOS) and needs no privilege to lower a priority (also with
every capability dropped, as in the Kubernetes manifests); on Windows there is none and the
worker keeps the normal priority. On Linux the nice value belongs to a thread, and new threads
inherit their creator's: the initializer lowers it first, in the thread that scores, before
ONNX Runtime or anything else starts a thread.

Cost: the worker is a second interpreter with pandas, pydantic, ONNX Runtime and the model, and
``multiprocessing`` adds its small resource-tracker process. Measured after the mixed load with
only the image's packages importable (``tests/examples/service_env_guard.py``, the bundle model):
server 134 MiB, worker ~122 MiB (157 MiB in the course's full environment, where pandas also
loads pyarrow), tracker 13 MiB; the registry target's server, with the MLflow client, 167 MiB.
That is about 300-340 MiB for the pod instead of 135-170 (the Kubernetes requests and limits in
``examples/deploy/k8s`` allow for it), and about 2 s more start-up before ``/ready`` (2.2 -> 4 s
on the shared 2-CPU VM). Like ``uvicorn --workers``, it needs the ``if __name__ == "__main__":``
guard in a script that starts the service itself: ``spawn`` imports the script's main module
again in the worker, and without the guard the worker would start a second server and never load
(``/ready`` then names the guard). ``churn serve`` and ``python -m uvicorn`` need nothing.

``CHURN_BATCH_WORKER=thread`` scores in a thread of the server process instead: no second process
and no extra memory, and any predictor, also one that cannot be pickled.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from churn.service.prediction_log import format_lines
from churn.service.routes import as_response, refuse_oversized_batch, validate_json
from churn.service.schemas import batch_request_model, fill_defaults

if TYPE_CHECKING:
    from churn.predict import Predictor

logger = logging.getLogger("churn.service.batch_worker")
WORKER_NICENESS = 10  # the worker's CPU priority below the server's (nice 0); see the module docstring


@dataclass(frozen=True)
class ScoredBatch:
    """What scoring one batch gives the server: everything already serialised."""

    answer: bytes  # the JSON response body, one prediction per customer in the request's order
    log_lines: bytes  # one prediction-log line per customer (``churn.service.prediction_log.format_lines``)
    probabilities: list[float]  # for the score histogram
    time: datetime  # the time stamp of the log lines


# --8<-- [start:score_batch]
def score_batch(predictor: Predictor, batch: TypeAdapter[Any], max_batch: int, body: bytes,
                request_id: str | None, time: datetime) -> ScoredBatch:
    """Check the size, validate, score and serialise one batch body (in the worker process or thread).

    Raises:
        fastapi.exceptions.RequestValidationError: The body is not JSON, or a customer is invalid.
        churn.predict.PredictionInputError: The predictor's own contract check refuses a customer.
    """
    refuse_oversized_batch(body, max_batch)
    records = fill_defaults(validate_json(body, batch).customers)
    predictions = predictor.predict_records(records)
    return ScoredBatch(to_json([as_response(prediction) for prediction in predictions]),
                       format_lines(records, predictions, request_id, time),
                       [float(prediction.probability) for prediction in predictions], time)
# --8<-- [end:score_batch]


# What the worker process holds: set once by its initializer.
_predictor: Predictor | None = None
_batch: TypeAdapter[Any] | None = None
_max_batch = 0


def _start_worker(pickled_predictor: bytes, max_batch: int) -> None:
    """The worker process's initializer: load the predictor, build the batch model, watch the parent."""
    global _predictor, _batch, _max_batch
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when the worker stops
    if hasattr(os, "nice"):  # not on Windows
        os.nice(WORKER_NICENESS)  # with the CPUs busy, the server's requests go first
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    _predictor, _max_batch = pickle.loads(pickled_predictor), max_batch
    _batch = TypeAdapter(batch_request_model(max_batch))
    gc.collect()
    gc.freeze()  # the model and the libraries live as long as the process (see churn.service.app)


def _exit_with_parent() -> None:
    """Wait until the server process is gone (even killed by SIGKILL), then exit too."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()  # waits on a pipe the parent holds open; the kernel closes it when the parent dies
        os._exit(1)


def _score_in_worker(body: bytes, request_id: str | None, time: datetime) -> ScoredBatch:
    return score_batch(_predictor, _batch, _max_batch, body, request_id, time)


class BatchWorkerError(RuntimeError):
    """The batch worker process could not start or died; the message says what to do."""


class BatchWorker:
    """Score batch bodies in one worker process (``in_process=True``) or in a worker thread.

    Args:
        predictor: The loaded model; in a process it is pickled once, when the worker starts.
        max_batch: The most customers in one batch (``CHURN_MAX_BATCH``).
        in_process: A worker process (the default of ``CHURN_BATCH_WORKER``) or a thread.
    """

    def __init__(self, predictor: Predictor, max_batch: int, *, in_process: bool = True) -> None:
        self._predictor, self._max_batch, self.in_process = predictor, max_batch, in_process
        self._batch: TypeAdapter[Any] = TypeAdapter(batch_request_model(max_batch))
        self._pickled = b""
        self._pool: ProcessPoolExecutor | None = None
        self.pid: int | None = None  # of the worker process, once started

    async def start(self) -> None:
        """Start the worker process and wait until it has loaded the model (nothing to do for a thread).

        Raises:
            BatchWorkerError: The predictor cannot be pickled, or the worker process failed to start.
        """
        if not self.in_process:
            return
        try:
            self._pickled = pickle.dumps(self._predictor)
        except Exception as error:  # pickle raises TypeError, AttributeError, PicklingError ...
            raise BatchWorkerError(f"the predictor cannot be sent to the batch worker process ({error}); "
                                   "set CHURN_BATCH_WORKER=thread to score batches in a thread") from None
        await self._spawn()

    async def _spawn(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(self._pickled, self._max_batch))
        try:
            self.pid = await asyncio.get_running_loop().run_in_executor(self._pool, os.getpid)
        except BrokenProcessPool:
            raise BatchWorkerError("the batch worker process failed to start (its traceback is in the log "
                                   "above); a script that starts the service must do so under "
                                   "'if __name__ == \"__main__\":', or set CHURN_BATCH_WORKER=thread "
                                   "to score batches in a thread") from None

    async def score(self, body: bytes, request_id: str | None, time: datetime) -> ScoredBatch:
        """Score one batch body; raises what ``score_batch`` raises, or ``BatchWorkerError`` if the worker died."""
        if self._pool is None:
            return await asyncio.to_thread(score_batch, self._predictor, self._batch, self._max_batch,
                                           body, request_id, time)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, _score_in_worker,
                                                                    body, request_id, time)
        except BrokenProcessPool:
            logger.error("the batch worker process %s died while scoring a batch; starting a new one", self.pid)
            self._pool.shutdown(wait=False)
            await self._spawn()
            raise BatchWorkerError("the batch worker process died while scoring this batch") from None

    async def stop(self) -> None:
        """Let the batch being scored finish, then stop the worker process and wait until it has exited."""
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
