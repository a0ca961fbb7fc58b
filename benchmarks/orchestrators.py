"""Benchmark of four orchestrators as a team meets them: install, size, pins, a two-step pipeline.

Run from the repository root (needs the package index; takes 5-15 minutes)::

    .venv/bin/python benchmarks/orchestrators.py [--only dagster prefect] [--keep DIR]

For each tool the script makes a fresh virtual environment with an empty pip cache and measures:

1. ``install``: ``pip install TOOL==VERSION`` (download and install: depends on the network), and
   how many distributions and megabytes that adds to a bare environment;
2. ``caps``: every requirement of the installed distributions that excludes a version the churn
   project pins in ``examples/pyproject.toml`` (a cap the project would have to live with in one
   environment), read from the packages' metadata;
3. ``pipeline``: a fresh process that imports the tool and runs the same two-step pipeline (make
   rows, then sum them) the way the tool's documentation runs one in a test: Dagster's
   ``materialize``, a Prefect flow call (which starts Prefect's temporary local server), Airflow's
   ``airflow dags test`` on a DAG file after ``airflow db migrate`` on SQLite (Airflow 3 runs only
   serialized DAGs: an in-process ``dag.test()`` from a script is refused), and KFP's local
   ``SubprocessRunner``. The time of the whole process is printed, and the pipeline's own time
   inside it where the tool's process can print it (not Airflow's CLI).

Tekton is not here: it has no Python package and runs only in a Kubernetes cluster.

The versions are those current on the index in December 2026. Results are printed as a Markdown
table and, with ``--json FILE``, written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
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

# Each pipeline prints "pipeline seconds: N" and "total: 4950" (the sum of range(100)).
PIPELINES = {
    "dagster": """
        import time
        import dagster as dg

        @dg.asset
        def rows() -> list[int]:
            return list(range(100))

        @dg.asset
        def total(rows: list[int]) -> int:
            return sum(rows)

        started = time.perf_counter()
        result = dg.materialize([rows, total])
        print(f"pipeline seconds: {time.perf_counter() - started:.2f}")
        print(f"total: {result.output_for_node('total')}")
    """,
    "prefect": """
        import time
        from prefect import flow, task

        @task(retries=2)
        def rows() -> list[int]:
            return list(range(100))

        @task
        def total(values: list[int]) -> int:
            return sum(values)

        @flow
        def pipeline() -> int:
            return total(rows())

        started = time.perf_counter()
        value = pipeline()
        print(f"pipeline seconds: {time.perf_counter() - started:.2f}")
        print(f"total: {value}")
    """,
    "airflow": """
        # A DAG file in $AIRFLOW_HOME/dags, run by `airflow dags test pipeline` (Airflow 3 runs only
        # serialized DAGs, so an in-process `dag.test()` from a script fails with "dag is not serialized").
        from airflow.sdk import dag, task

        @dag(schedule=None, catchup=False)
        def pipeline():
            @task(retries=2)
            def rows() -> list[int]:
                return list(range(100))

            @task
            def total(values: list[int]) -> int:
                print(f"total: {sum(values)}")
                return sum(values)

            total(rows())

        pipeline()
    """,
    "kfp": """
        import time
        from kfp import dsl, local

        local.init(runner=local.SubprocessRunner(use_venv=False))

        @dsl.component
        def rows() -> list:
            return list(range(100))

        @dsl.component
        def total(values: list) -> int:
            return int(sum(values))  # a list parameter travels as JSON numbers: the ints come back as floats

        started = time.perf_counter()
        task = total(values=rows().output)
        print(f"pipeline seconds: {time.perf_counter() - started:.2f}")
        print(f"total: {task.output}")
    """,
}


@dataclass
class Result:
    """What was measured for one tool."""

    tool: str
    requirement: str
    install_seconds: float = 0.0
    distributions_added: int = 0
    megabytes_added: float = 0.0
    caps: list[str] = field(default_factory=list)
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


def measure(tool: str, requirement: str, base: Path, bare_megabytes: float, bare_count: int) -> Result:
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
    if tool == "airflow":
        result.setup_seconds, output, code = run([str(venv / "bin" / "airflow"), "db", "migrate"], env, folder)
        if code != 0:
            result.error = f"airflow db migrate failed: {output.strip()[-300:]}"
            return result
    if tool == "airflow":
        dags = home / "airflow" / "dags"
        dags.mkdir(parents=True, exist_ok=True)
        (dags / "pipeline.py").write_text(textwrap.dedent(PIPELINES[tool]), encoding="utf-8")
        command = [str(venv / "bin" / "airflow"), "dags", "test", "pipeline"]
    else:
        script = folder / "pipeline.py"
        script.write_text(textwrap.dedent(PIPELINES[tool]), encoding="utf-8")
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
        "Process (s) | Pipeline in it (s) |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for result in results:
        caps = "; ".join(result.caps) or "none"
        pipeline = f"{result.pipeline_seconds:.1f}" if result.pipeline_seconds is not None else "-"
        setup = f" (+{result.setup_seconds:.1f} db migrate)" if result.setup_seconds else ""
        status = "" if result.pipeline_ok else " (failed)"
        lines.append(
            f"| {result.requirement} | {result.install_seconds:.0f} | {result.distributions_added} | "
            f"{result.megabytes_added:.0f} | {caps} | {result.process_seconds:.1f}{setup}{status} | "
            f"{pipeline} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(TOOLS), help="measure only these tools")
    parser.add_argument("--keep", type=Path, help="make the environments in this folder and keep them")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
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
            results.append(measure(tool, TOOLS[tool], base, bare_megabytes, bare_count))
            if results[-1].error:
                print(f"  {results[-1].error}", flush=True)
        print(
            f"\nPython {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f} at the end\n"
        )
        print(table(results))
        if args.json:
            args.json.write_text(json.dumps([asdict(result) for result in results], indent=2), encoding="utf-8")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
