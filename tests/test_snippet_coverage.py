"""Snippet coverage: the check of ``tests/snippet_coverage.py`` reports what never ran, and fails the run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coursekit.snippets import SnippetRef, regions_in
from tests.conftest import GOOD_FRONT_MATTER
from tests.snippet_coverage import region_failures


def test_a_region_with_unexecuted_lines_is_reported(root):
    ref = SnippetRef("examples/churn/contract.py", "check_record", 7)
    start, end = regions_in((root / ref.file).read_text())["check_record"]
    never_ran = {ref.file: {"executed_lines": [start + 1], "missing_lines": [end - 1]}}
    not_imported: dict = {}
    assert region_failures(root, {"page.md": [ref]}, never_ran)[1] == [
        f"page.md:7: {ref.target} lines [{end - 1}] never run in tests/examples"]
    assert "no example test imports" in region_failures(root, {"page.md": [ref]}, not_imported)[1][0]


LECTURE = "docs/course/01-big-picture/1.1-a.md"
PAGE = GOOD_FRONT_MATTER + """
## Code

```python
--8<-- "examples/churn/contract.py:check_record"
```
"""
# The check runs in the run of the tree's own tests; these import the contract but never check a record.
CONFTEST = ("from tests import snippet_coverage\n\n\n"
            "def pytest_configure(config):\n    snippet_coverage.register(config)\n")
IMPORTS_ONLY = "import churn.contract\n\n\ndef test_import():\n    assert churn.contract\n"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two xdist workers"])
def test_a_page_including_a_region_no_test_runs_fails_the_run(root, course_tree, workers):
    tree = course_tree({LECTURE: PAGE, "tests/conftest.py": CONFTEST, "tests/examples/test_imports.py": IMPORTS_ONLY})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(tree / "examples")])}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tree), "tests", *workers]
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed" in output and "snippet coverage" in output, output
    include_line = PAGE.splitlines().index('--8<-- "examples/churn/contract.py:check_record"') + 1
    assert f"{LECTURE}:{include_line}: examples/churn/contract.py:check_record lines [" in output, output
    assert "never run in tests/examples" in output, output


def test_a_run_of_one_example_file_gives_no_verdict(root, course_tree):
    tree = course_tree({LECTURE: PAGE, "tests/conftest.py": CONFTEST, "tests/examples/test_imports.py": IMPORTS_ONLY})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(tree / "examples")])}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tree),
               "tests/examples/test_imports.py"]
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not checked: this run does not run all of tests/examples" in result.stdout
