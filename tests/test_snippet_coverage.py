"""Every Python region a page includes is executed by the example tests.

The example tests run under coverage.py in a subprocess; then, for each region a lecture
includes, every statement in the region must have run. A page that shows code nobody runs fails
here, naming the page, the line of the include and the statements that never ran.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from coursekit.course import load_course
from coursekit.problems import display_path
from coursekit.snippets import SnippetRef, find_references, regions_in


@pytest.fixture(scope="module")
def executed(root, tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("coverage")
    run = [sys.executable, "-m", "coverage", "run", f"--data-file={data / '.coverage'}", "--source=examples",
           "-m", "pytest", "tests/examples", "-q", "-p", "no:cacheprovider",
           "--ignore", "tests/examples/test_notebooks.py"]  # notebooks run in their own kernel, not under coverage
    result = subprocess.run(run, cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = data / "coverage.json"
    subprocess.run([sys.executable, "-m", "coverage", "json", f"--data-file={data / '.coverage'}", "-o", str(report)],
                   cwd=root, capture_output=True, check=True)
    files = json.loads(report.read_text())["files"]
    return {name.replace("\\", "/"): info for name, info in files.items()}


def region_failures(root, pages: dict[str, list], executed: dict) -> tuple[int, list[str]]:
    """Return how many Python includes were checked and one message per include that did not fully run."""
    failures = []
    checked = 0
    for page, refs in pages.items():
        for ref in refs:
            if not ref.file.endswith(".py"):
                continue
            checked += 1
            info = executed.get(ref.file)
            where = f"{page}:{ref.line}"
            if info is None:
                failures.append(f"{where}: {ref.target} is included but no example test imports or runs {ref.file}")
                continue
            start, end = regions_in((root / ref.file).read_text())[ref.region] if ref.region else (0, 10**9)
            missing = [line for line in info["missing_lines"] if start < line < end]
            ran = [line for line in info["executed_lines"] if start < line < end]
            if missing or not ran:
                failures.append(f"{where}: {ref.target} lines {missing or 'all'} never run in tests/examples")
    return checked, failures


def test_every_included_python_region_runs_in_a_test(root, executed):
    course = load_course(root)
    pages = {display_path(lecture.path, root): find_references(lecture.body, lecture.body_line)
             for lecture in course.lectures}
    checked, failures = region_failures(root, pages, executed)
    assert checked > 0, "no page includes Python from examples/ yet"
    assert not failures, "\n".join(failures)


def test_a_region_with_unexecuted_lines_is_reported(root):
    ref = SnippetRef("examples/churn/contract.py", "check_record", 7)
    start, end = regions_in((root / ref.file).read_text())["check_record"]
    never_ran = {ref.file: {"executed_lines": [start + 1], "missing_lines": [end - 1]}}
    not_imported: dict = {}
    assert region_failures(root, {"page.md": [ref]}, never_ran)[1] == [
        f"page.md:7: {ref.target} lines [{end - 1}] never run in tests/examples"]
    assert "no example test imports" in region_failures(root, {"page.md": [ref]}, not_imported)[1][0]
