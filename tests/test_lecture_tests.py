"""``pytest --lecture ID`` keeps the tests that concern one lecture (``tests/lecture_tests.py``)."""

from __future__ import annotations

from tests.lecture_tests import concerns, may_concern

SCRIPT = "examples/lectures/s04/map_the_system.py"
RUNS = "tests/examples/test_lecture_scripts.py::test_script_runs_from_the_repository_root"


def test_the_build_the_deck_and_the_files_that_name_the_lecture_are_kept():
    assert concerns("tests/test_site_build.py::test_generated_pages", "", "4.4", [])
    assert concerns("tests/test_browser_decks.py::test_every_deck_fits_renders_and_has_notes", "", "4.4", [])
    assert concerns("tests/examples/test_a.py::test_x", '"""Lecture 4.4: the architecture."""', "4.4", [])
    assert concerns("tests/examples/test_a.py::test_x", "python examples/lectures/s04/map_the_system.py", "4.4",
                    [SCRIPT])
    assert concerns(f"{RUNS}[{SCRIPT}]", "", "4.4", [SCRIPT])


def test_other_lectures_and_other_tests_are_left_out():
    assert not concerns("tests/examples/test_a.py::test_x", "Lecture 4.45 and 14.4, version 0.4.4", "4.4", [])
    assert not concerns(f"{RUNS}[examples/lectures/s01/peek_contract.py]", "Lecture 4.4", "4.4", [SCRIPT])
    assert not concerns("tests/test_quizzes.py::test_x", "Lecture 4.4", "4.4", [])
    assert not concerns("tests/test_browser_site.py::test_x", "", "4.4", [])


def test_files_that_cannot_concern_the_lecture_are_not_collected():
    assert may_concern("tests/test_site_build.py", "", "4.4", [])
    assert may_concern("tests/test_browser_decks.py", "", "4.4", [])
    assert may_concern("tests/examples/test_lecture_scripts.py", "", "4.4", [])
    assert may_concern("tests/examples/test_a.py", "Lecture 4.4", "4.4", [])
    assert may_concern("tests/examples/test_a.py", "map_the_system.py", "4.4", [SCRIPT])
    assert not may_concern("tests/examples/test_a.py", "Lecture 4.45 and 14.4", "4.4", [SCRIPT])
    assert not may_concern("tests/test_quizzes.py", "Lecture 4.4", "4.4", [])


def test_every_kept_test_is_in_a_collected_file():
    cases = [("tests/examples/test_a.py::test_x", "Lecture 4.4"), (f"{RUNS}[{SCRIPT}]", ""),
             ("tests/test_site_build.py::test_generated_pages", ""), ("tests/examples/test_a.py::test_x", "0.4.4")]
    for nodeid, text in cases:
        if concerns(nodeid, text, "4.4", [SCRIPT]):
            assert may_concern(nodeid.split("::")[0], text, "4.4", [SCRIPT]), nodeid
