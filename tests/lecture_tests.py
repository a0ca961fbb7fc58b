"""``pytest --lecture 4.4``: only the tests that concern one lecture, for the fast loop of ``make lecture``.

Registered by ``tests/conftest.py``. A test concerns lecture ``4.4`` when it is:

- in ``tests/test_site_build.py``: the strict build of the site (the lecture's page and deck among
  it; caches make it a rebuild) and the checks of every page;
- the browser test of the decks (``tests/test_browser_decks.py``), which then opens this lecture's
  deck only, and the label-size tests on its page (``tests/test_browser_site.py``, 1280 px and phone) and its deck;
- in a file of ``tests/examples`` that names the lecture (``Lecture 4.4``, ``"4.4"``) or one of the
  files of ``examples/lectures/`` listed in its ``examples:`` front matter, or a run of one of
  those scripts (``tests/examples/test_lecture_scripts.py``).

Test files that cannot hold such a test are not even collected (``may_concern``), so their imports
(MLflow, Dagster, ...) cost nothing. The snippet coverage verdict needs the whole run, so it is not
given here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursekit.course import load_course

OPTION = "lecture"
SCRIPTS = pytest.StashKey[list[str]]()
SITE_TESTS = ("tests/test_site_build.py", "tests/test_browser_decks.py::test_every_deck_fits_renders_and_has_notes",
              "tests/test_browser_decks.py::test_every_slide_diagram_has_labels_of_at_least_14_px",
              "tests/test_browser_site.py::test_every_page_diagram_has_labels_of_at_least_12_px_at_1280",
              "tests/test_browser_site.py::test_on_a_phone_diagrams_scroll_sideways_instead_of_shrinking")


def add_option(parser: pytest.Parser) -> None:
    """Add ``--lecture ID``."""
    parser.addoption(f"--{OPTION}", metavar="ID", default=None,
                     help="run only the tests that concern lecture ID, e.g. 4.4 (see tests/lecture_tests.py)")


def wanted_lecture(config: pytest.Config) -> str | None:
    """The lecture id given with ``--lecture``, or None."""
    return config.getoption(OPTION, None)


def may_concern(relative_path: str, text: str, lecture_id: str, scripts: list[str]) -> bool:
    """True when a test file may hold a test that concerns the lecture; the others are not even collected.

    A superset of [`concerns`][tests.lecture_tests.concerns] at the level of files: it lets ``--lecture`` skip
    importing the test modules (and what they import: MLflow, Dagster, ...) of every other lecture.
    """
    if relative_path.startswith(tuple(test.split("::")[0] for test in SITE_TESTS)):
        return True
    if not relative_path.startswith("tests/examples/"):
        return False
    if relative_path == "tests/examples/test_lecture_scripts.py":
        return True
    return _names_lecture(text, lecture_id) or any(Path(script).name in text for script in scripts)


def _names_lecture(text: str, lecture_id: str) -> bool:
    return bool(re.search(rf"(?<![\d.]){re.escape(lecture_id)}(?![\d])", text))


def concerns(nodeid: str, text: str, lecture_id: str, scripts: list[str]) -> bool:
    """True when the test ``nodeid``, in a file reading ``text``, concerns the lecture (see the module's docstring)."""
    if nodeid.startswith(SITE_TESTS):
        return True
    if not nodeid.startswith("tests/examples/"):
        return False
    if any(script in nodeid for script in scripts):
        return True
    if nodeid.startswith("tests/examples/test_lecture_scripts.py::test_script_runs"):
        return False  # the runs of other lectures' scripts
    return _names_lecture(text, lecture_id) or any(Path(script).name in text for script in scripts)


def _lecture_scripts(config: pytest.Config, lecture_id: str) -> list[str]:
    """The ``examples/lectures/`` scripts of the lecture's front matter (read once per run)."""
    if SCRIPTS not in config.stash:
        lecture = load_course(config.rootpath).lecture(lecture_id)
        if lecture is None:
            raise pytest.UsageError(f"--lecture {lecture_id}: no such lecture (ids look like 4.4)")
        config.stash[SCRIPTS] = [path for path in lecture.meta.examples if path.startswith("examples/lectures/")]
    return config.stash[SCRIPTS]


def ignore(collection_path: Path, config: pytest.Config) -> bool:
    """With ``--lecture``, True for a test file that cannot concern the lecture (``pytest_ignore_collect``)."""
    lecture_id = wanted_lecture(config)
    if not lecture_id or not collection_path.is_file() or not collection_path.name.startswith("test_"):
        return False
    relative = collection_path.relative_to(config.rootpath).as_posix()
    text = collection_path.read_text(encoding="utf-8")
    return not may_concern(relative, text, lecture_id, _lecture_scripts(config, lecture_id))


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--lecture``, deselect every test that does not concern that lecture."""
    lecture_id = wanted_lecture(config)
    if not lecture_id:
        return
    scripts = _lecture_scripts(config, lecture_id)
    texts: dict[Path, str] = {}
    keep, drop = [], []
    for item in items:
        text = texts.setdefault(item.path, item.path.read_text(encoding="utf-8"))
        (keep if concerns(item.nodeid, text, lecture_id, scripts) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    # The files of a lab run as a student runs it (marked ``lab``) go first: one worker starts on the long lab
    # while the other builds the site (4.6: 52 s instead of 70 s). The sort keeps every other order.
    keep.sort(key=lambda item: item.get_closest_marker("lab") is None)
    items[:] = keep
