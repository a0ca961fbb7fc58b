"""Lecture 9.3: the orchestrators' two-step pipeline, the code the benchmark runs, and the page's table.

The page shows the same pipeline in Dagster (a script of the project, run here in process), Prefect,
Airflow and Kubeflow Pipelines (``# pseudo-code`` fences: the project does not install those).
``benchmarks/orchestrators.py`` takes its pipelines from the page and that script, so what it
measures is what the page shows; its figures are kept in ``tests/data/orchestrators.json``, and the
page's table must state that run, figure by figure.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys

import pytest

from tests.examples.lab_session import ROOT, LecturePage

pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra: "
                                      "pip install -e 'examples[pipeline]'")


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the benchmark's dataclass looks its module up while it is defined
    spec.loader.exec_module(module)
    return module


two_step = _load("s09_two_step_dagster", "examples/lectures/s09/two_step_dagster.py")
benchmark = _load("benchmark_orchestrators", "benchmarks/orchestrators.py")

PAGE = LecturePage.of("9.3")
RECORD = json.loads((ROOT / "tests" / "data" / "orchestrators.json").read_text(encoding="utf-8"))
NAMES = {"dagster": "Dagster", "prefect": "Prefect", "airflow": "Airflow", "kfp": "KFP"}


def test_the_dagster_pipeline_sums_the_rows_in_process():
    assert two_step.run_pipeline() == 4950


def test_the_benchmark_runs_the_pages_code_for_every_tool():
    found = benchmark.page_pipelines(PAGE.text)
    assert sorted(found) == ["airflow", "kfp", "prefect"]
    code = benchmark.pipelines()
    assert sorted(code) == ["airflow", "dagster", "kfp", "prefect"]
    assert code["airflow"] == found["airflow"]  # a DAG file, run by `airflow dags test`, as the page shows it
    assert code["dagster"] == (ROOT / "examples/lectures/s09/two_step_dagster.py").read_text(encoding="utf-8")
    for tool in ("prefect", "kfp"):
        assert "pipeline seconds" in code[tool] and "pipeline seconds" not in found[tool]
        ast.parse(code[tool])
        kept = [line for line in code[tool].splitlines() if "_clock" not in line and line]
        assert kept == [line for line in found[tool].splitlines() if line]  # the page's lines, in order
    for tool, text in found.items():
        assert "total: " in text, f"the {tool} fence must print the total the benchmark looks for"


def test_the_timer_starts_after_the_imports_and_before_the_first_decorator():
    code = "# pseudo-code\nfrom x import y\n\n@y\ndef f():\n    return 1\n\nprint(f())\n"
    lines = benchmark.with_timing(code).splitlines()
    assert lines[:5] == ["# pseudo-code", "from x import y", "", "import time as _clock",
                         "_started = _clock.perf_counter()"]
    assert lines[5] == "@y" and lines[-1].startswith('print(f"pipeline seconds:')


def test_a_page_without_a_tools_fence_is_refused_with_its_name(tmp_path, monkeypatch):
    page = tmp_path / "docs/course/09-training-pipelines/9.3-x.md"
    page.parent.mkdir(parents=True)
    page.write_text(re.sub(r"```python\n# pseudo-code\n[^\n]*kfp==.*?```\n", "", PAGE.text, flags=re.S),
                    encoding="utf-8")
    monkeypatch.setattr(benchmark, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match=r"9\.3-x\.md: no `# pseudo-code` python fence imports \['kfp'\]"):
        benchmark.pipelines()


def _row(tool: str, version: str) -> list[str]:
    """The cells of the page's table row for one tool."""
    rows = [line for line in PAGE.text.splitlines() if line.startswith(f"| {NAMES[tool]} {version} |")]
    assert len(rows) == 1, f"the page's table needs one row `| {NAMES[tool]} {version} | ...`"
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


@pytest.mark.parametrize("result", RECORD["results"], ids=lambda result: result["tool"])
def test_the_pages_table_states_the_recorded_run(result):
    assert result["pipeline_ok"], f"{result['tool']}: the recorded run failed: {result['error']}"
    version = result["requirement"].split("==")[1]
    _, install, packages, size, test_run, changes = _row(result["tool"], version)
    assert install == f"{result['install_seconds']:.0f}"
    assert packages == str(result["distributions_added"])
    assert size == f"{result['megabytes_added']:.0f}"
    assert test_run.startswith(f"{result['process_seconds']:.1f}")
    if result["pipeline_seconds"] is not None:
        assert f"pipeline {result['pipeline_seconds']:.1f}" in test_run
    if result["setup_seconds"]:
        assert f"+{result['setup_seconds']:.1f}" in test_run
    if not result["changes"]:
        assert changes == "none"
    for change in result["changes"]:  # "fastapi 0.165.0 -> 0.150.0"
        name, old, _, new = change.split()
        assert re.search(rf"{re.escape(name)}\W.*{re.escape(old)} → {re.escape(new)}", changes, re.I), (
            f"{result['tool']}: the row must say `{name} {old} → {new}`")


def test_the_page_states_the_runs_machine_and_load():
    assert f"load average at {RECORD['load_average_at_end']:.1f}" in PAGE.text
    assert f"{RECORD['cores']}-core" in PAGE.text and f"Python {RECORD['python'].rsplit('.', 1)[0]}" in PAGE.text
