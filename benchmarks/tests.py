"""How long ``make test`` takes, each figure printed next to its target.

Run from the repository root::

    .venv/bin/python benchmarks/tests.py [lecture] [suite] [full]   # all three when none is named

1. ``make test``'s pytest command (``python -m pytest``; ``pyproject.toml`` adds ``-n auto
   --dist loadfile``) on the course as it is: at most 12 min on a 2-core machine.
2. The same command on a full-size copy of the repository with all 98 lectures (made by
   ``benchmarks/run.py``'s ``full_size_copy``, as the build benchmark does): the projection for
   the full course, at most 20 min. The copy's lectures are copies of written ones, so a few
   content tests may fail there; the time is what counts, and the summary line is printed.
3. The fast loop of one lecture, ``make lecture ID=...`` (``course check``, then ``pytest
   --lecture ID``: the strict build and the lecture's own tests): at most 60 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import ENV, full_size_copy  # noqa: E402

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
SUMMARY = re.compile(r"^(?:=+ )?(\d+ (?:passed|failed|error).* in [\d.]+s[^=]*?)(?: =+)?$", re.M)
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
LECTURE = "4.4"
MEASURES = ["lecture", "suite", "full"]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run ``command``; return its wall-clock seconds and pytest's summary line (or the exit code)."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    found = SUMMARY.findall(result.stdout)
    summary = found[-1] if found else f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
    failed = FAILED.findall(result.stdout)
    if failed:  # pytest's -ra summary (pyproject.toml's addopts): which tests, so a failure can be rerun
        print(f"{len(failed)} failed or errored in {' '.join(command[-2:])}:", *failed, sep="\n  ", file=sys.stderr)
    return elapsed, summary


def environment(root: Path) -> dict[str, str]:
    """The environment of ``make test`` for the full-size copy at ``root`` (its own ``churn``, our ``coursekit``).

    Only for the copy: from the checkout itself the tests run as ``make test`` runs them, without
    ``PYTHONPATH``. With ``examples/`` on it, ``importlib.metadata`` finds the build's leftover
    ``examples/churn_mlops.egg-info`` before the editable install's metadata, and lecture 2.5's
    ``test_install_sources`` fails.
    """
    paths = [str(root), str(root / "examples"), str(ROOT)]
    return {**ENV, "PYTHONPATH": os.pathsep.join(paths)}


def full_size_repository(folder: Path) -> Path:
    """The build benchmark's full-size copy, plus what the tests need (tests, configuration, templates)."""
    repo = full_size_copy(folder)
    for name in ("tests", "templates"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "Makefile", "package.json", "package-lock.json",
                 ".pre-commit-config.yaml", ".gitignore"):
        if (ROOT / name).exists():
            shutil.copyfile(ROOT / name, repo / name)
    shutil.copytree(ROOT / ".github", repo / ".github")
    (repo / ".venv").symlink_to(ROOT / ".venv")
    return repo


def verdict(seconds: float, limit: float) -> str:
    return "ok" if seconds <= limit else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measures", nargs="*", metavar="lecture|suite|full",
                        help="what to time: the one-lecture loop, the suite, the suite on the full-size copy")
    measures = parser.parse_args().measures or MEASURES
    if set(measures) - set(MEASURES):
        parser.error(f"measure one of {', '.join(MEASURES)}")
    rows = []
    if "lecture" in measures:
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "course"), "check"], cwd=ROOT, env=ENV,
                       capture_output=True, check=True)
        _, summary = timed([*PYTEST, "--lecture", LECTURE], ROOT, ENV)
        loop = time.perf_counter() - started
        rows.append((f"make lecture ID={LECTURE} (course check + pytest --lecture {LECTURE})", loop, 60, summary))
    if "suite" in measures:
        seconds, summary = timed(PYTEST, ROOT, ENV)
        rows.append(("make test, the course as it is", seconds, 12 * 60, summary))
    if "full" in measures:
        with tempfile.TemporaryDirectory() as folder:
            repo = full_size_repository(Path(folder))
            seconds, summary = timed(PYTEST, repo, environment(repo))
        rows.append(("make test, full-size copy (98 lectures): projection", seconds, 20 * 60, summary))
    width = max(len(row[0]) for row in rows)
    print(f"{'measure'.ljust(width)}  {'result':>8}  {'target':>8}  verdict  pytest summary")
    for name, seconds, limit, summary in rows:
        print(f"{name.ljust(width)}  {seconds:>6.0f} s  {limit:>6.0f} s  {verdict(seconds, limit):<7}  {summary}")


if __name__ == "__main__":
    main()
