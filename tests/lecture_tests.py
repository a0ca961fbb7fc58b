"""``pytest --lecture 4.4``: only the tests that concern one lecture, for the fast loop of ``make lecture``.

Registered by ``tests/conftest.py``. A test concerns lecture ``4.4`` when it is:

- in ``tests/test_site_build.py``: the strict build of the site (the lecture's page and deck among
  it; caches make it a rebuild) and the checks of every page;
- the browser test of the decks (``tests/test_browser_decks.py``), which then opens this lecture's
  deck only;
- in a file of ``tests/examples`` that names the lecture (``Lecture 4.4``, ``"4.4"``) or one of the
  files of ``examples/lectures/`` listed in its ``examples:`` front matter, or a run of one of
  those scripts (``tests/examples/test_lecture_scripts.py``).

The snippet coverage verdict needs the whole run, so it is not given here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursekit.course import load_course

OPTION = "lecture"
SITE_TESTS = ("tests/test_site_build.py", "tests/test_browser_decks.py::test_every_deck_fits_renders_and_has_notes")


def add_option(parser: pytest.Parser) -> None:
    """Add ``--lecture ID``."""
    parser.addoption(f"--{OPTION}", metavar="ID", default=None,
                     help="run only the tests that concern lecture ID, e.g. 4.4 (see tests/lecture_tests.py)")


def wanted_lecture(config: pytest.Config) -> str | None:
    """The lecture id given with ``--lecture``, or None."""
    return config.getoption(OPTION, None)


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
    names_lecture = re.search(rf"(?<![\d.]){re.escape(lecture_id)}(?![\d])", text)
    return bool(names_lecture) or any(Path(script).name in text for script in scripts)


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--lecture``, deselect every test that does not concern that lecture."""
    lecture_id = wanted_lecture(config)
    if not lecture_id:
        return
    lecture = load_course(config.rootpath).lecture(lecture_id)
    if lecture is None:
        raise pytest.UsageError(f"--lecture {lecture_id}: no such lecture (ids look like 4.4)")
    scripts = [path for path in lecture.meta.examples if path.startswith("examples/lectures/")]
    texts: dict[Path, str] = {}
    keep, drop = [], []
    for item in items:
        text = texts.setdefault(item.path, item.path.read_text(encoding="utf-8"))
        (keep if concerns(item.nodeid, text, lecture_id, scripts) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
