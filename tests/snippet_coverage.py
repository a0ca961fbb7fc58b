"""Snippet coverage: every Python region a page includes runs in tests/examples, measured in the same run.

A pytest plugin, registered by ``tests/conftest.py``. Each process that runs tests (each
pytest-xdist worker, or the one process without xdist) measures ``examples/`` with coverage.py
while it imports the test modules and while it runs a test of ``tests/examples``, and writes its
data into one folder. After the run, the process that reports (xdist's controller, or the one
process) combines the data and checks, for each region a lecture includes, that every statement
in it ran. A page that shows code nobody runs fails the run, naming the page, the line of the
include and the statements that never ran.

The verdict needs all of ``tests/examples``: it is given when the run's arguments include that
folder (``pytest``, ``make test``, ``pytest tests``, ``pytest tests/examples``) and no ``-k``,
``-m``, ``--lf``, ``--deselect``, ``--ignore`` or ``--lecture`` narrows it. Any other run (``pytest
tests/examples/test_model.py``) measures nothing and prints a note instead.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import coverage
import pytest
from coverage.exceptions import NoDataError

from coursekit.course import load_course
from coursekit.problems import CourseError, display_path
from coursekit.snippets import find_references, regions_in

#: The key under which xdist's controller tells each worker where to write its coverage data.
WORKER_KEY = "snippet_coverage_dir"
#: Options that run only part of tests/examples, so that a verdict would be wrong.
NARROWING_OPTIONS = ("keyword", "markexpr", "lf", "deselect", "ignore", "ignore_glob", "collectonly", "lecture")


def region_failures(root: Path, pages: dict[str, list], executed: dict) -> tuple[int, list[str]]:
    """Return how many Python includes were checked and one message per include that did not fully run.

    Args:
        root: the repository root.
        pages: each page's display path mapped to its snippet references.
        executed: each measured file (path relative to ``root``) mapped to its ``executed_lines``
            and ``missing_lines``.
    """
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


def runs_all_examples(config: pytest.Config) -> bool:
    """True when this run runs every test of ``tests/examples`` (see the module's docstring)."""
    if any(config.getoption(name, None) for name in NARROWING_OPTIONS):
        return False
    examples = config.rootpath / "tests" / "examples"
    for arg in config.args:
        if "::" in arg:
            continue
        path = (config.invocation_params.dir / arg).resolve()
        if path == examples or path in examples.parents:
            return True
    return False


def executed_lines(data_dir: Path, root: Path) -> dict[str, dict[str, list[int]]]:
    """Combine the coverage data files in ``data_dir``; map each measured file under ``root`` to its lines."""
    combined = coverage.Coverage(data_file=str(data_dir / ".coverage"), config_file=False)
    try:
        combined.combine([str(data_dir)])
    except NoDataError:
        return {}
    executed = {}
    for filename in combined.get_data().measured_files():
        path = Path(filename)
        if not path.is_relative_to(root):
            continue
        _, statements, _, missing, _ = combined.analysis2(filename)
        executed[path.relative_to(root).as_posix()] = {
            "executed_lines": sorted(set(statements) - set(missing)), "missing_lines": sorted(missing)}
    return executed


def course_failures(root: Path, executed: dict) -> list[str]:
    """One message per included Python region of a lecture that did not fully run."""
    course = load_course(root)
    pages = {display_path(lecture.path, root): find_references(lecture.body, lecture.body_line)
             for lecture in course.lectures}
    checked, failures = region_failures(root, pages, executed)
    return failures if checked else ["no page includes Python from examples/ yet"]


class SnippetCoverage:
    """The plugin: measures in the processes that run tests, judges in the process that reports."""

    def __init__(self, config: pytest.Config) -> None:
        self.root = config.rootpath
        self.examples_tests = self.root / "tests" / "examples"
        self.lines: list[str] = []
        self.failed = False
        self.measurer: coverage.Coverage | None = None
        self.measuring = False
        self.data_dir: Path | None = None
        self.judge = False
        worker_input = getattr(config, "workerinput", None)
        if worker_input is not None:  # an xdist worker: measure if the controller asked for it
            if WORKER_KEY in worker_input:
                self.data_dir = Path(worker_input[WORKER_KEY])
                self._start_measuring()
            return
        if not runs_all_examples(config):
            self.lines = ["not checked: this run does not run all of tests/examples "
                          "(run `pytest` or `pytest tests/examples` for the verdict)"]
            return
        self.judge = True
        self.data_dir = Path(tempfile.mkdtemp(prefix="snippet-coverage-"))
        if not config.getoption("numprocesses", None):  # no xdist workers: this process runs the tests
            self._start_measuring()

    def _start_measuring(self) -> None:
        assert self.data_dir is not None
        self.measurer = coverage.Coverage(data_file=str(self.data_dir / ".coverage"), data_suffix=True,
                                          source=[str(self.root / "examples")], config_file=False)
        self._measure(True)

    def _measure(self, on: bool) -> None:
        if self.measurer is not None and on != self.measuring:
            (self.measurer.start if on else self.measurer.stop)()
            self.measuring = on

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist's controller: tell each worker where to write its data."""
        if self.judge:
            node.workerinput[WORKER_KEY] = str(self.data_dir)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        """Measure during the tests of tests/examples only (they are what the check is about)."""
        self._measure(item.path.is_relative_to(self.examples_tests))
        return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Save this process's data; in the reporting process, combine it and give the verdict."""
        if self.measurer is not None:
            self._measure(False)
            self.measurer.save()
        if not self.judge:
            return
        assert self.data_dir is not None
        try:
            if session.shouldfail or session.shouldstop:
                self.lines = ["not checked: the run stopped early"]
                return
            failures = course_failures(self.root, executed_lines(self.data_dir, self.root))
        except CourseError as error:
            self.lines = [f"not checked: the course does not load ({error})"]
            return
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if failures:
            self.failed = True
            self.lines = ["FAILED: a page includes Python that no test in tests/examples runs:", *failures]
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            self.lines = ["every statement of every included Python region ran in tests/examples"]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the verdict, or why there is none."""
        if not self.lines:
            return
        terminalreporter.section("snippet coverage", red=self.failed, green=not self.failed and self.judge)
        for line in self.lines:
            terminalreporter.write_line(line)


def register(config: pytest.Config) -> None:
    """Register the plugin (called from ``tests/conftest.py``'s ``pytest_configure``)."""
    config.pluginmanager.register(SnippetCoverage(config), "snippet-coverage")
