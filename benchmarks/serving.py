"""Serving benchmark: throughput and latency of the churn API next to a bare FastAPI endpoint.

Run from the repository root (``apt-get install -y wrk`` first; without wrk a slower Python load
generator is used and says so)::

    .venv/bin/python benchmarks/serving.py [--model onnx|sklearn|fake|champion] [--seconds 10]

Each server is one uvicorn worker on 127.0.0.1, started as its own process; the load comes from a
second process (``wrk``, 8 connections, each sending its next request as soon as the previous
answer arrived), and the mixed load's ``/health`` probe from a thread of the benchmark itself.
Measured in the same run:

1. a bare FastAPI endpoint (``POST`` of the same customer JSON, constant answer): the yardstick;
2. ``POST /predict`` with micro-batching (the service's defaults) and without it (window 0), with
   8 clients (throughput at least 0.3x the bare endpoint) and with 1 (batching must not slow a
   quiet service: p50 no worse than without it);
3. ``POST /predict/batch`` with 1,000 customers, one connection (latency of one big call);
4. mixed load (wrk only): 4 clients posting 1,000-row batches and 8 posting single customers at
   the same time, while a probe asks ``/health`` as a kubelet does (a new connection each time,
   here every 100 ms instead of Kubernetes' default 10 s: 100 answers in a 10 s run, of which the
   "p99" is the slowest); ``/health`` and ``/predict`` p99 at most 50 ms each, or a liveness probe
   with a 1 s timeout and the CRM's callers would suffer from the batch jobs. A second mixed run
   replaces the probe by a ``wrk`` client that asks ``/health`` as fast as it is answered
   (2,900-4,000 times a second here): not a probe but a load of its own, whose rows are shown for
   information, without a target.

``--model`` chooses what the service scores with. ``onnx`` (default) and ``sklearn`` train the
default model (``churn.train``, default configuration, 10,000 generated rows, fixed seed) when the
server starts, and serve it through ``churn.predict.OnnxPredictor`` (what ``load_champion``
returns) or ``SklearnPredictor`` (the naive scikit-learn call); ``fake`` is the test predictor with
a per-call cost of ``--fake-cost-ms`` CPU time whatever the batch size (8 ms imitates
scikit-learn's per-call overhead); ``champion`` loads the registry's champion from
``--tracking-uri``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "benchmark-key"
CONNECTIONS = 8
BATCH_ROWS = 1000
MIXED_BATCH_CLIENTS, MIXED_SINGLE_CLIENTS = 4, 8
MIXED_P99_MS = 50.0
PROBE_INTERVAL_S = 0.1  # the probe's period during the mixed load
SERVERS: list[int] = []  # pids of the servers started, for the memory row


# Loaders the server process imports through CHURN_PREDICTOR=serving:<name>. -----------------------
def _trained_pipeline() -> Any:
    from churn.config import load_config
    from churn.train import load_training_data, train

    config = load_config(None)
    return train(config, load_training_data(config)).pipeline


def trained_onnx_predictor() -> Any:
    """The default model, trained at start-up, scored with ONNX Runtime (as ``load_champion`` serves it)."""
    from churn.onnx_export import to_onnx
    from churn.predict import OnnxPredictor

    return OnnxPredictor(to_onnx(_trained_pipeline()), model_version="benchmark-onnx")


def trained_sklearn_predictor() -> Any:
    """The default model, trained at start-up, scored by the scikit-learn pipeline itself."""
    from churn.predict import SklearnPredictor

    return SklearnPredictor(_trained_pipeline(), model_version="benchmark-sklearn")


def bare_app() -> Any:
    """The yardstick: FastAPI parsing the same JSON body and answering a constant, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/predict")
    async def predict(customer: dict[str, Any]) -> dict[str, Any]:
        return {"customerID": customer.get("customerID"), "churn_probability": 0.5, "churn": True}

    return app


# Servers. --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(factory: str, env: dict[str, str], ready_path: str) -> Iterator[str]:
    """Start ``uvicorn --factory`` with one worker; yield its base URL once ``ready_path`` says 200."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--workers", "1", "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    SERVERS.append(process.pid)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{factory} exited with {process.returncode}:\n{process.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(base + ready_path, timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.perf_counter() > deadline:
                raise SystemExit(f"{factory} never became ready on {ready_path}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# Load generators. ------------------------------------------------------------------------------
@dataclass
class Load:
    """What one load run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    tool: str


def load_of(latencies: list[float], seconds: float, tool: str) -> Load:
    """Throughput, p50 and p99 (in ms) of the request latencies (in s) a client measured over ``seconds``."""
    ordered = sorted(latencies)
    return Load(len(ordered) / seconds, ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99)] * 1000,
                tool)


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "{key}"
wrk.body = io.open("{body}", "r"):read()
"""


def _wrk_milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def start_wrk(url: str, body: bytes | None, connections: int, seconds: float, folder: str) -> subprocess.Popen[str]:
    """Start wrk on ``url`` (POST of ``body``, or GET without one); two threads, or one for one connection."""
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--latency"]
    if body is not None:
        body_file, script = Path(folder) / f"body-{id(body)}.json", Path(folder) / f"post-{id(body)}.lua"
        body_file.write_bytes(body)
        script.write_text(WRK_SCRIPT.format(key=API_KEY, body=body_file))
        command += ["-s", str(script)]
    return subprocess.Popen([*command, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(url: str, process: subprocess.Popen[str]) -> Load:
    """Wait for a wrk process and parse its report."""
    report, errors_text = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{report}{errors_text}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} requests failed:\n{report}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))
    p50 = _wrk_milliseconds(re.search(r"^\s+50%\s+(\S+)", report, re.M).group(1))
    p99 = _wrk_milliseconds(re.search(r"^\s+99%\s+(\S+)", report, re.M).group(1))
    return Load(rate, p50, p99, "wrk")


def run_wrk(url: str, body: bytes, connections: int, seconds: float) -> Load:
    """Drive ``url`` with wrk and parse its report."""
    with tempfile.TemporaryDirectory() as folder:
        return wrk_result(url, start_wrk(url, body, connections, seconds, folder))


def run_probe(url: str, seconds: float, interval: float = PROBE_INTERVAL_S) -> Load:
    """GET ``url`` every ``interval`` seconds for ``seconds``, each on a new connection as a kubelet's probe."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies = []
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.request("GET", parts.path)
            response = connection.getresponse()
            response.read()
        except OSError as error:
            raise SystemExit(f"{url}: the probe got no answer during the mixed load ({error})") from None
        finally:
            connection.close()
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status} during the mixed load")
        latencies.append(time.perf_counter() - started)
        time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return load_of(latencies, seconds, "probe")


def run_mixed(base: str, one: bytes, batch: bytes, seconds: float, *, health: str = "probe") -> dict[str, Load]:
    """4 clients posting 1,000-row batches and 8 posting single customers, all at once, with /health asked
    by a probe every 100 ms (``health="probe"``) or by a wrk client as fast as it answers (``"wrk"``)."""
    jobs = {"batch": (base + "/predict/batch", batch, MIXED_BATCH_CLIENTS),
            "predict": (base + "/predict", one, MIXED_SINGLE_CLIENTS)}
    if health == "wrk":
        jobs["health"] = (base + "/health", None, 1)
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(1) as probe:
        running = {name: (url, start_wrk(url, body, connections, seconds, folder))
                   for name, (url, body, connections) in jobs.items()}
        probed = probe.submit(run_probe, base + "/health", seconds) if health == "probe" else None
        results = {name: wrk_result(url, process) for name, (url, process) in running.items()}
        if probed is not None:
            results["health"] = probed.result()
        return results


def _python_client(job: tuple[str, bytes, float]) -> list[float]:
    import http.client
    from urllib.parse import urlsplit

    url, body, stop_at = job
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    headers = {"Content-Type": "application/json", "X-API-Key": API_KEY}
    latencies = []
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
        latencies.append(time.perf_counter() - started)
    return latencies


def run_python_load(url: str, body: bytes, connections: int, seconds: float) -> Load:
    """The fallback load generator: one process per connection, keep-alive, closed loop."""
    stop_at = time.perf_counter() + seconds + 1.0
    with Pool(connections) as pool:
        per_client = pool.map(_python_client, [(url, body, stop_at)] * connections)
    return load_of([latency for client in per_client for latency in client], seconds + 1.0, "python (wrk not found)")


def drive(url: str, body: bytes, connections: int, seconds: float) -> Load:
    """Warm up for a second, then measure with wrk if installed, else the Python load generator."""
    generator = run_wrk if shutil.which("wrk") else run_python_load
    generator(url, body, connections, 1)
    return generator(url, body, connections, seconds)


# The benchmark. --------------------------------------------------------------------------------
def customers(count: int) -> list[dict[str, Any]]:
    """``count`` generated customers without the target, as JSON-ready dicts."""
    from churn.generate import generate_customers

    frame = generate_customers(count, seed=7).drop(columns=["Churn"])
    records = json.loads(frame.to_json(orient="records"))
    for record in records:  # the API takes a number or null, like the contract; the CSV's blank is also fine
        if isinstance(record["TotalCharges"], str):
            record["TotalCharges"] = None
        else:
            record["TotalCharges"] = float(record["TotalCharges"])
    return records


def service_env(args: argparse.Namespace, log_folder: str, **settings: str) -> dict[str, str]:
    """Environment of one churn service process."""
    # ROOT/examples first: the service of this checkout, not the one an editable install points at
    path = os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "examples")])
    env = {**os.environ, "CHURN_API_KEY": API_KEY, "PYTHONPATH": path,
           "CHURN_PREDICTION_LOG": str(Path(log_folder) / "predictions.jsonl"), "CHURN_LOG_LEVEL": "WARNING",
           "CHURN_FAKE_COST_MS": str(args.fake_cost_ms), **settings}
    loaders = {"onnx": "serving:trained_onnx_predictor", "sklearn": "serving:trained_sklearn_predictor",
               "fake": "tests.examples.service_fakes:make_fake_predictor"}
    if args.model in loaders:
        env["CHURN_PREDICTOR"] = loaders[args.model]
    else:
        env.pop("CHURN_PREDICTOR", None)
        if args.tracking_uri:
            env["CHURN_TRACKING_URI"] = args.tracking_uri
    return env


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print each figure next to its target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["onnx", "sklearn", "fake", "champion"], default="onnx")
    parser.add_argument("--fake-cost-ms", type=float, default=8.0, help="CPU ms per call of the fake predictor")
    parser.add_argument("--tracking-uri", default=None, help="registry of the champion (--model champion)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    parser.add_argument("--window-ms", type=float, default=None, help="CHURN_BATCH_WINDOW_MS of the batching run")
    parser.add_argument("--batch-worker", choices=["process", "thread"], default=None,
                        help="CHURN_BATCH_WORKER of the service (default: the service's, process)")
    parser.add_argument("--mixed-only", action="store_true",
                        help="only the mixed-load rows (to compare settings back to back on a noisy machine)")
    args = parser.parse_args(argv)
    if args.mixed_only and not shutil.which("wrk"):
        raise SystemExit("--mixed-only needs wrk (apt-get install -y wrk)")

    one = json.dumps(customers(1)[0]).encode()
    batch = json.dumps({"customers": customers(BATCH_ROWS)}).encode()
    rows: list[tuple[str, str, str, str]] = []
    worker = {} if args.batch_worker is None else {"CHURN_BATCH_WORKER": args.batch_worker}
    if args.mixed_only:
        with tempfile.TemporaryDirectory() as folder, \
                server("churn.service.app:create_app", service_env(args, folder, **worker), "/ready") as base:
            mixed = run_mixed(base, one, batch, args.seconds)
            flood = run_mixed(base, one, batch, args.seconds, health="wrk")
            memory = memory_row()
        rows += [*mixed_rows(mixed), *flood_rows(flood), memory]
        print_rows(args, "wrk", rows)
        return 0

    with server("serving:bare_app", {**os.environ, "PYTHONPATH": str(ROOT / "benchmarks")}, "/docs") as base:
        bare = drive(base + "/predict", one, CONNECTIONS, args.seconds)
    rows.append(("bare FastAPI endpoint, 8 clients", f"{bare.requests_per_second:,.0f} req/s",
                 f"p50 {bare.p50_ms:.2f} ms, p99 {bare.p99_ms:.2f} ms", "yardstick"))
    floor = 0.3 * bare.requests_per_second

    batching = worker | ({} if args.window_ms is None else {"CHURN_BATCH_WINDOW_MS": str(args.window_ms)})
    alone: dict[str, Load] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, settings in (("/predict, micro-batching", batching),
                                ("/predict, one model call per request", worker | {"CHURN_BATCH_WINDOW_MS": "0"})):
            with server("churn.service.app:create_app", service_env(args, folder, **settings), "/ready") as base:
                load = drive(base + "/predict", one, CONNECTIONS, args.seconds)
                alone[label] = drive(base + "/predict", one, 1, args.seconds)
                if settings is batching:  # the batch endpoint does not use the micro-batcher: measure it once
                    big = drive(base + "/predict/batch", batch, 1, args.seconds)
                    mixed = run_mixed(base, one, batch, args.seconds) if shutil.which("wrk") else None
                    flood = run_mixed(base, one, batch, args.seconds, health="wrk") if mixed else None
                    memory = memory_row()
            ok = load.requests_per_second >= floor and load.p99_ms <= 20
            rows.append((f"{label}, 8 clients", f"{load.requests_per_second:,.0f} req/s",
                         f"p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms",
                         f">= {floor:,.0f} req/s (0.3x bare), p99 <= 20 ms: {'ok' if ok else 'MISSED'}"))
        on, off = alone.values()
        for label, one_client in alone.items():
            verdict = "ok" if on.p50_ms <= 1.1 * off.p50_ms else "MISSED"
            target = "the baseline" if one_client is off else \
                f"p50 <= window off's {off.p50_ms:.2f} ms (+10% noise): {verdict}"
            rows.append((f"{label}, 1 client", f"{one_client.requests_per_second:,.0f} req/s",
                         f"p50 {one_client.p50_ms:.2f} ms, p99 {one_client.p99_ms:.2f} ms", target))
        rows.append((f"/predict/batch, {BATCH_ROWS:,} rows, 1 client", f"{big.requests_per_second:,.1f} req/s",
                     f"p50 {big.p50_ms:.2f} ms, p99 {big.p99_ms:.2f} ms",
                     f"p50 <= 25 ms: {'ok' if big.p50_ms <= 25 else 'MISSED'}"))
        if mixed is None:
            rows.append(("mixed load", "-", "-", "needs wrk (apt-get install -y wrk)"))
        else:
            rows += [*mixed_rows(mixed), *flood_rows(flood)]
        rows.append(memory)
    print_rows(args, bare.tool, rows)
    return 0


def mixed_rows(mixed: dict[str, Load]) -> list[tuple[str, str, str, str]]:
    """The mixed-load rows, each next to its target."""
    rows = []
    during = f"during {MIXED_BATCH_CLIENTS} batch + {MIXED_SINGLE_CLIENTS} single clients"
    for name, label in (("batch", f"/predict/batch, {BATCH_ROWS:,} rows, {MIXED_BATCH_CLIENTS} clients"),
                        ("predict", f"/predict, {MIXED_SINGLE_CLIENTS} clients, {during}"),
                        ("health", f"/health, a probe every {PROBE_INTERVAL_S * 1000:g} ms, {during}")):
        result = mixed[name]
        target = "(the load)" if name == "batch" else \
            f"p99 <= {MIXED_P99_MS:g} ms: {'ok' if result.p99_ms <= MIXED_P99_MS else 'MISSED'}"
        rows.append((label, f"{result.requests_per_second:,.1f} req/s",
                     f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms", target))
    return rows


def flood_rows(flood: dict[str, Load]) -> list[tuple[str, str, str, str]]:
    """The rows of the mixed load with /health asked as fast as it answers: information, no target."""
    asked = f"{flood['health'].requests_per_second:,.0f} req/s"
    labels = {"predict": f"/predict, {MIXED_SINGLE_CLIENTS} clients, during the same load plus /health asked as "
                         f"fast as it answers ({asked})",
              "batch": f"/predict/batch, {MIXED_BATCH_CLIENTS} clients, in the same run"}
    return [(label, f"{flood[name].requests_per_second:,.1f} req/s",
             f"p50 {flood[name].p50_ms:.2f} ms, p99 {flood[name].p99_ms:.2f} ms",
             "(information: a load of its own, not a probe)" if name == "predict" else "(information)")
            for name, label in labels.items()]


def memory_row() -> tuple[str, str, str, str]:
    """Resident memory of the last service process and of its batch worker, after the mixed load (Linux only)."""
    server_pid = SERVERS[-1]
    sizes = {"server": rss_mib(server_pid)}
    for child in child_pids(server_pid):
        if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
            sizes["batch worker"] = rss_mib(child)
    return ("resident memory after the load", ", ".join(f"{name} {size:,.0f} MiB" for name, size in sizes.items()),
            "", "(the cost of the batch worker process)")


def rss_mib(pid: int) -> float:
    """VmRSS of a process in MiB, from /proc (0 where there is no /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc; none where there is no /proc)."""
    children = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(entry.parent.name))
    return children


def print_rows(args: argparse.Namespace, tool: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Print the rows as a table, each figure next to its target."""
    print(f"model: {args.model}" + (f" ({args.fake_cost_ms:g} ms per call)" if args.model == "fake" else "")
          + f"; batch worker: {args.batch_worker or 'default'}; load generator: {tool}; {os.cpu_count()} CPUs")
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3])


if __name__ == "__main__":
    sys.exit(main())
