"""Benchmark of four orchestrators as a team meets them: install, size, pins, a two-step pipeline.

Run from the repository root (needs the package index; takes 5-15 minutes)::

    .venv/bin/python benchmarks/orchestrators.py [--only dagster prefect] [--keep DIR]

For each tool the script makes a fresh virtual environment with an empty pip cache and measures:

1. ``install``: ``pip install TOOL==VERSION`` (download and install: depends on the network), and
   how many distributions and megabytes that adds to a bare environment;
2. ``caps``: every requirement of the installed distributions that excludes a version the churn
   project pins in ``examples/pyproject.toml`` (a cap the project would have to live with in one
   environment), read from the packages' metadata; and ``changes``: what ``pip install --dry-run``
   of the tool into the project's own environment (the one running this script) would up- or
   downgrade there, transitive packages included;
3. ``pipeline``: a fresh process that imports the tool and runs the same two-step pipeline (make
   rows, then sum them), the code lecture 9.3 shows (its ``# pseudo-code`` fences, and for Dagster
   ``examples/lectures/s09/two_step_dagster.py``), the way the tool's documentation runs one in a
   test: Dagster's ``materialize``, a Prefect flow call (which starts Prefect's temporary local
   server), Airflow's ``airflow dags test`` on a DAG file after ``airflow db migrate`` on SQLite, and
   KFP's local ``SubprocessRunner``. The time of the whole process is printed, and the pipeline's own time
   inside it where the tool's process can print it (not Airflow's CLI).

Tekton is not here: it has no Python package and runs only in a Kubernetes cluster.

The versions are those current on the index in December 2026. Results are printed as a Markdown
table and, with ``--json FILE``, written as JSON with the date and the machine
(``tests/data/orchestrators.json`` holds the run the page states).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOOLS = {
    "dagster": "dagster==1.13.28",
    "prefect": "prefect==3.9.1",
    "airflow": "apache-airflow==3.3.2",
    "kfp": "kfp==2.17.3",
}

# The pipelines are the lecture's own code, so that what is measured is what the page shows: Dagster's
# is a script of the project (it runs in the course's tests too), the others are the page's
# ``# pseudo-code`` fences (the project does not install those tools). Each prints "total: 4950".
PAGE_GLOB = "docs/course/09-training-pipelines/9.3-*.md"
DAGSTER_SCRIPT = ROOT / "examples" / "lectures" / "s09" / "two_step_dagster.py"
FENCE = re.compile(r"^```python\n(# pseudo-code.*?)^```$", re.M | re.S)
IMPORTS = ("prefect", "airflow", "kfp")  # each tool is named by the package its fence imports


def page_pipelines(text: str) -> dict[str, str]:
    """The page's pseudo-code fence for each tool, found by the package it imports."""
    found = {}
    for code in FENCE.findall(text):
        for tool in IMPORTS:
            if re.search(rf"^(?:from|import) {tool}\b", code, re.M):
                found[tool] = code
    return found


def with_timing(code: str) -> str:
    """The code with a timer started after its imports and printed at the end ("pipeline seconds: N")."""
    body = ast.parse(code).body
    node = next(node for node in body if not isinstance(node, (ast.Import, ast.ImportFrom)))
    first = min([node.lineno] + [decorator.lineno for decorator in getattr(node, "decorator_list", [])])
    lines = code.splitlines()
    timer = ["import time as _clock", "_started = _clock.perf_counter()"]
    report = ['print(f"pipeline seconds: {_clock.perf_counter() - _started:.2f}")', ""]
    return "\n".join([*lines[: first - 1], *timer, *lines[first - 1 :], *report])


def pipelines() -> dict[str, str]:
    """Every tool's pipeline code, as the benchmark runs it (Airflow's is a DAG file, run by its CLI, untimed)."""
    pages = sorted(ROOT.glob(PAGE_GLOB))
    if len(pages) != 1:
        raise SystemExit(f"expected one page {PAGE_GLOB}, found {len(pages)}")
    found = page_pipelines(pages[0].read_text(encoding="utf-8"))
    missing = sorted(set(IMPORTS) - set(found))
    if missing:
        raise SystemExit(f"{pages[0].relative_to(ROOT)}: no `# pseudo-code` python fence imports {missing}")
    return {"dagster": DAGSTER_SCRIPT.read_text(encoding="utf-8"), "prefect": with_timing(found["prefect"]),
            "airflow": found["airflow"], "kfp": with_timing(found["kfp"])}


@dataclass
class Result:
    """What was measured for one tool."""

    tool: str
    requirement: str
    install_seconds: float = 0.0
    distributions_added: int = 0
    megabytes_added: float = 0.0
    caps: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    setup_seconds: float = 0.0
    process_seconds: float = 0.0
    pipeline_seconds: float | None = None
    pipeline_ok: bool = False
    error: str = ""


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 1800) -> tuple[float, str, int]:
    """Run a command; return its wall time, its combined output and its exit code."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr, done.returncode


def site_packages_size(venv: Path) -> float:
    """Megabytes under the environment's lib folder."""
    return sum(path.stat().st_size for path in (venv / "lib").rglob("*") if path.is_file()) / 1e6


def distributions(python: Path, env: dict[str, str], cwd: Path) -> int:
    """How many distributions are installed in the environment."""
    _, output, _ = run([str(python), "-m", "pip", "list", "--format", "json"], env, cwd)
    return len(json.loads(output[output.index("[") :]))


def project_pins() -> dict[str, str]:
    """The exact versions the churn project pins (``examples/pyproject.toml``), by normalised name."""
    import tomllib

    data = tomllib.loads((ROOT / "examples" / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {}
    for requirement in data["project"]["dependencies"]:
        name, _, version = requirement.partition("==")
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def caps_on_pins(venv: Path, pins: dict[str, str]) -> list[str]:
    """Requirements of the environment's distributions that exclude a version the project pins."""
    from importlib import metadata

    from packaging.requirements import Requirement

    found = set()
    for site in (venv / "lib").glob("python*/site-packages"):
        for dist in metadata.distributions(path=[str(site)]):
            for text in dist.requires or []:
                requirement = Requirement(text)
                if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                    continue
                name = re.sub(r"[-_.]+", "-", requirement.name).lower()
                if name in pins and requirement.specifier and pins[name] not in requirement.specifier:
                    found.add(
                        f"{dist.metadata['Name']} needs {requirement.name}{requirement.specifier} "
                        f"(project pins {pins[name]})"
                    )
    return sorted(found)


def changes_in_this_environment(requirement: str, folder: Path) -> list[str]:
    """What ``pip install --dry-run REQUIREMENT`` would change in this environment: ``name old -> new``."""
    from importlib import metadata

    report = folder / "dry-run.json"
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report), requirement]
    subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    changed = []
    for item in json.loads(report.read_text(encoding="utf-8"))["install"]:
        name, new = item["metadata"]["name"], item["metadata"]["version"]
        try:
            old = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        if old != new:
            changed.append(f"{name} {old} -> {new}")
    return sorted(changed)


def measure(
    tool: str, requirement: str, pipeline_code: str, base: Path, bare_megabytes: float, bare_count: int
) -> Result:
    """Make the tool's environment and measure it; errors are recorded, not raised."""
    result = Result(tool, requirement)
    folder = base / tool
    venv = folder / "venv"
    home = folder / "home"
    home.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PIP_CACHE_DIR=str(folder / "pip-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HOME=str(home),
        AIRFLOW_HOME=str(home / "airflow"),
        PREFECT_HOME=str(home / "prefect"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        DAGSTER_HOME=str(home / "dagster"),
    )
    (home / "dagster").mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    install = [str(python), "-m", "pip", "install", "--quiet", requirement]
    result.install_seconds, output, code = run(install, env, folder)
    if code != 0:
        result.error = f"pip install failed: {output.strip().splitlines()[-1] if output.strip() else code}"
        return result
    result.distributions_added = distributions(python, env, folder) - bare_count
    result.megabytes_added = site_packages_size(venv) - bare_megabytes
    result.caps = caps_on_pins(venv, project_pins())
    result.changes = changes_in_this_environment(requirement, folder)
    if tool == "airflow":
        result.setup_seconds, output, code = run([str(venv / "bin" / "airflow"), "db", "migrate"], env, folder)
        if code != 0:
            result.error = f"airflow db migrate failed: {output.strip()[-300:]}"
            return result
    if tool == "airflow":
        dags = home / "airflow" / "dags"
        dags.mkdir(parents=True, exist_ok=True)
        (dags / "pipeline.py").write_text(pipeline_code, encoding="utf-8")
        command = [str(venv / "bin" / "airflow"), "dags", "test", "pipeline"]
    else:
        script = folder / "pipeline.py"
        script.write_text(pipeline_code, encoding="utf-8")
        command = [str(python), str(script)]
    result.process_seconds, output, code = run(command, env, folder, timeout=600)
    seconds = re.search(r"pipeline seconds: ([\d.]+)", output)
    result.pipeline_seconds = float(seconds.group(1)) if seconds else None
    result.pipeline_ok = code == 0 and "total: 4950" in output
    if not result.pipeline_ok:
        result.error = f"pipeline exit {code}: {output.strip()[-400:]}"
    return result


def table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| Tool | Install (s) | Distributions added | MB added | Caps on the project's pins | "
        "Would change in the project's environment | "
        "Process (s) | Pipeline in it (s) |",
        "|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for result in results:
        caps = "; ".join(result.caps) or "none"
        changes = "; ".join(result.changes) or "none"
        pipeline = f"{result.pipeline_seconds:.1f}" if result.pipeline_seconds is not None else "-"
        setup = f" (+{result.setup_seconds:.1f} db migrate)" if result.setup_seconds else ""
        status = "" if result.pipeline_ok else " (failed)"
        lines.append(
            f"| {result.requirement} | {result.install_seconds:.0f} | {result.distributions_added} | "
            f"{result.megabytes_added:.0f} | {caps} | {changes} | {result.process_seconds:.1f}{setup}{status} | "
            f"{pipeline} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(TOOLS), help="measure only these tools")
    parser.add_argument("--keep", type=Path, help="make the environments in this folder and keep them")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    pipeline_code = pipelines()
    base = args.keep or Path(tempfile.mkdtemp(prefix="orchestrators-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        bare = base / "bare"
        subprocess.run([sys.executable, "-m", "venv", str(bare)], check=True)
        bare_megabytes = site_packages_size(bare)
        bare_count = distributions(bare / "bin" / "python", dict(os.environ), base)
        results = []
        for tool in args.only or TOOLS:
            if (base / tool).exists():
                shutil.rmtree(base / tool)
            print(f"measuring {TOOLS[tool]} ...", flush=True)
            results.append(measure(tool, TOOLS[tool], pipeline_code[tool], base, bare_megabytes, bare_count))
            if results[-1].error:
                print(f"  {results[-1].error}", flush=True)
        machine = {"date": datetime.date.today().isoformat(), "python": sys.version.split()[0],
                   "cores": os.cpu_count(), "load_average_at_end": round(os.getloadavg()[0], 1)}
        print(f"\nPython {machine['python']}, {machine['cores']} cores, load average "
              f"{machine['load_average_at_end']} at the end\n")
        print(table(results))
        if args.json:
            record = {"command": "python benchmarks/orchestrators.py", **machine,
                      "results": [asdict(result) for result in results]}
            args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
