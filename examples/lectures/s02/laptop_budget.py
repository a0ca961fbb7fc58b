"""Lecture 2.7: measure this laptop against what the labs need, and time one real training run.

Run it from the repository root, inside the virtual environment::

    python examples/lectures/s02/laptop_budget.py

It generates 10,000 customers in memory, trains the default model on a CPU, and prints the
time and the peak memory of this process next to the machine's cores, RAM and free disk.
Nothing is written to disk.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GIB = 1024**3
# What the course asks for (lecture 2.7): room for .venv (about 1.4 GB), node_modules (about
# 0.3 GB), the package caches and the Docker images of later sections.
NEEDS = {"cores": 2, "ram_gib": 8, "free_disk_gib": 20}


def total_ram_gib() -> float | None:
    """Physical memory in GiB, or None where the platform does not say (Windows without extras)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    except (AttributeError, ValueError, OSError):
        return None


def peak_rss_mib() -> float | None:
    """Peak resident memory of this process in MiB (Linux and macOS), or None on Windows."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# --8<-- [start:verdict]
def verdict(have: float | None, need: float, unit: str) -> str:
    """One line: what this machine has against what the course asks for."""
    if have is None:
        return f"unknown (the course asks for {need:g} {unit})"
    status = "OK " if have >= need else "LOW"
    return f"{status} {round(have, 1):g} {unit} (the course asks for {need:g} {unit})"
# --8<-- [end:verdict]


# --8<-- [start:train_once]
def train_once(rows: int = 10_000) -> dict[str, float]:
    """Generate, validate, split and fit the default model once, on the CPU; return timings in seconds."""
    started = time.perf_counter()
    from churn.config import load_config
    from churn.train import load_training_data, train

    imported = time.perf_counter()
    config = load_config(None, data={"generated_rows": rows})
    data = load_training_data(config)  # generated in memory, validated against the contract, split
    prepared = time.perf_counter()
    result = train(config, data)
    return {"import": imported - started, "generate_and_validate": prepared - imported,
            "fit_and_evaluate": result.seconds, "roc_auc": result.metrics["roc_auc"]}
# --8<-- [end:train_once]


def main() -> None:
    """Print the machine, then one timed training run."""
    print(f"CPU cores   {verdict(os.cpu_count(), NEEDS['cores'], 'cores')}")
    print(f"RAM         {verdict(total_ram_gib(), NEEDS['ram_gib'], 'GiB')}")
    free = shutil.disk_usage(ROOT).free / GIB
    print(f"free disk   {verdict(free, NEEDS['free_disk_gib'], 'GiB')}  (on the drive of {ROOT})")
    print("GPU         not needed: every lab runs on the CPU")
    timings = train_once()
    print("\nOne training run of the default model on 10,000 generated customers:")
    print(f"  import pandas, scikit-learn, churn   {timings['import']:6.2f} s")
    print(f"  generate, validate, split            {timings['generate_and_validate']:6.2f} s")
    print(f"  fit and evaluate                     {timings['fit_and_evaluate']:6.2f} s  "
          f"(ROC AUC {timings['roc_auc']:.3f})")
    peak = peak_rss_mib()
    print(f"  peak memory of this process            {'unknown on this OS' if peak is None else f'{peak:.0f} MiB'}")


if __name__ == "__main__":
    main()
