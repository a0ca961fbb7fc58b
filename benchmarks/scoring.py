"""Batch scoring benchmark: ``churn score`` on 1,000,000 rows, wall time and peak memory of the process.

Run from the repository root::

    PYTHONPATH=examples .venv/bin/python benchmarks/scoring.py [--format parquet|csv|both] [--repeat 3]

Once, and kept for later runs in ``.cache/benchmarks/scoring/``: ``churn generate --rows 1000000``
writes the customer file (``churn.cli.MAX_ROWS`` is that million; about 25 s), and ``churn
pipeline`` trains the default model on 10,000 generated rows into a tracking store there and
promotes it to champion. Each measured run is then what the weekly job runs, as its own process::

    churn score customers.parquet --output scores.parquet --tracking-uri sqlite:///.../mlflow.db

so the time includes Python's start-up, the imports, the champion's download from the registry,
reading, checking every row against the contract, scoring and writing. The wall time and the peak
resident memory are those of that process alone (``os.wait4`` returns the rusage of one child;
``RUSAGE_CHILDREN`` would report the largest child so far, which is ``churn generate``). Targets:
at most 20 s and at most 1 GB. The machine's load average is printed with each run, since a
shared machine slows the wall time and not the CPU time.

Measured on the course's 2-core machine while other jobs ran (2026-12-03, one run each, after
churn score stopped keeping Parquet's column chunks and reading 8 MiB CSV blocks ahead): Parquet
11.2 s wall, 10.4 s CPU, 624 MB (load average 2.2); CSV 11.9 s wall, 11.4 s CPU, 559 MB (load
average 2.3). About 4 s of the CPU time is MLflow's import and its SQLite store's start-up (the
registry lookup); with ``--bundle`` (no MLflow) the peak RSS is 475 MB for Parquet and 430 MB for CSV,
and it stays there for 3,000,000 rows (485 and 459 MB): memory does not grow with the file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "benchmarks" / "scoring"
ROWS = 1_000_000
TARGET_SECONDS, TARGET_RSS_MB = 20.0, 1024.0


def churn(*args: str) -> list[str]:
    return [sys.executable, "-m", "churn.cli", *args]


def environment() -> dict[str, str]:
    """This process's environment with PYTHONPATH made absolute: the commands run in the cache folder."""
    paths = [str(Path(entry).resolve()) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def prepare(suffix: str) -> tuple[Path, str]:
    """The million-row input file and a tracking store with a champion, made once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    data = CACHE / f"customers-{ROWS}{suffix}"
    if not data.exists():
        started = time.perf_counter()
        subprocess.run(churn("generate", "--rows", str(ROWS), "--seed", "11", "--output", str(data)), check=True,
                       stdout=subprocess.DEVNULL, env=environment())
        print(f"generated {data} in {time.perf_counter() - started:.1f} s")
    tracking_uri = f"sqlite:///{CACHE / 'mlflow.db'}"
    if not (CACHE / "mlflow.db").exists():
        started = time.perf_counter()
        subprocess.run(churn("pipeline", "--tracking-uri", tracking_uri), check=True, cwd=CACHE,
                       stdout=subprocess.DEVNULL, env=environment())
        print(f"trained and promoted the champion in {time.perf_counter() - started:.1f} s")
    return data, tracking_uri


def measure(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, peak RSS in MB, CPU seconds (user + system) and the exit code of one process."""
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would stop the process
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=CACHE, stdout=log, stderr=subprocess.STDOUT, env=environment())
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(command)} failed with exit {process.returncode}:\n{log.read().decode()}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", choices=["parquet", "csv", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format; the best is reported (default 3)")
    parser.add_argument("--chunk-rows", type=int, default=None, help="passed to churn score (default: its own)")
    args = parser.parse_args()
    suffixes = [".parquet", ".csv"] if args.format == "both" else [f".{args.format}"]
    for suffix in suffixes:
        data, tracking_uri = prepare(suffix)
        output = CACHE / f"scores{suffix}"
        command = churn("score", str(data), "--output", str(output), "--tracking-uri", tracking_uri)
        if args.chunk_rows:
            command += ["--chunk-rows", str(args.chunk_rows)]
        print(f"$ {' '.join(['churn', *command[3:]])}")
        runs = []
        for attempt in range(1, args.repeat + 1):
            load = os.getloadavg()[0]
            wall, rss, cpu, _ = measure(command)
            runs.append((wall, rss, cpu))
            print(f"  run {attempt}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB "
                  f"(load average {load:.2f} before the run)")
        wall, rss = min(run[0] for run in runs), max(run[1] for run in runs)
        verdict = "ok" if wall <= TARGET_SECONDS and rss <= TARGET_RSS_MB else "OVER TARGET"
        print(f"{suffix[1:]}: best {wall:.1f} s for {ROWS:,} rows (target <= {TARGET_SECONDS:.0f} s), "
              f"peak RSS at most {rss:.0f} MB (target <= {TARGET_RSS_MB:.0f} MB): {verdict}")
        output.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
