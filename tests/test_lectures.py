"""Lecture front matter: good files load; every kind of bad file fails with a precise message."""

from __future__ import annotations

import pytest

from coursekit.course import load_course
from coursekit.frontmatter import FrontMatterError, split_front_matter
from coursekit.problems import CourseError
from tests.conftest import GOOD_FRONT_MATTER

LECTURE = "docs/course/01-big-picture/1.1-a-lecture.md"


def problems_of(course_tree, files) -> list[str]:
    with pytest.raises(CourseError) as caught:
        load_course(course_tree(files))
    return [str(problem) for problem in caught.value.problems]


def test_good_lecture_loads(course_tree):
    course = load_course(course_tree({LECTURE: GOOD_FRONT_MATTER + "\nBody text.\n"}))
    assert [lecture.id for lecture in course.lectures] == ["1.1"]
    assert course.lectures[0].meta.duration == 10
    assert course.lectures[0].body_line == 9


def test_front_matter_keeps_key_lines():
    document = split_front_matter(GOOD_FRONT_MATTER + "body\n")
    assert document.key_lines == {"id": 2, "title": 3, "duration": 4, "objectives": 5}
    assert document.body.strip() == "body"


@pytest.mark.parametrize("text, line", [("no front matter\n", 1), ("---\nid: [1\n---\n", 3), ("---\nid: 1\n", 1)])
def test_broken_front_matter_block(text, line):
    with pytest.raises(FrontMatterError) as caught:
        split_front_matter(text)
    assert caught.value.line == line


def test_missing_field_names_field_line_and_fix(course_tree):
    text = GOOD_FRONT_MATTER.replace("duration: 10\n", "")
    [problem] = problems_of(course_tree, {LECTURE: text})
    assert problem.startswith("docs/course/01-big-picture/1.1-a-lecture.md:1: duration: required field is missing")
    assert "duration: 15" in problem


def test_wrong_type_points_at_the_line(course_tree):
    text = GOOD_FRONT_MATTER.replace("duration: 10", 'duration: "ten"')
    [problem] = problems_of(course_tree, {LECTURE: text})
    assert ":4: duration:" in problem
    assert "'ten'" in problem


def test_unquoted_numeric_id_is_rejected(course_tree):
    text = GOOD_FRONT_MATTER.replace('id: "1.1"', "id: 1.1")
    [problem] = problems_of(course_tree, {LECTURE: text})
    assert ":2: id:" in problem and 'id: "7.3"' in problem


def test_unknown_field_lists_known_fields(course_tree):
    text = GOOD_FRONT_MATTER.replace("duration: 10\n", "duration: 10\nobjective: typo\n")
    [problem] = problems_of(course_tree, {LECTURE: text})
    assert "objective: unknown field" in problem and "objectives" in problem


def test_objectives_count_and_verbs(course_tree):
    one = GOOD_FRONT_MATTER.replace("  - Compare two ways of doing it\n", "")
    vague = GOOD_FRONT_MATTER.replace("Compare two ways", "Understand two ways")
    assert "at least 2 items" in problems_of(course_tree, {LECTURE: one})[0]
    assert "measurable" in problems_of(course_tree, {LECTURE: vague})[0]


def test_duplicate_ids_are_reported_for_both_files(course_tree):
    other = "docs/course/01-big-picture/1.1-another.md"
    problems = problems_of(course_tree, {LECTURE: GOOD_FRONT_MATTER, other: GOOD_FRONT_MATTER})
    duplicates = [problem for problem in problems if "duplicate id" in problem]
    assert len(duplicates) == 2
    assert "1.1-another.md" in duplicates[0]


def test_id_must_match_section_folder(course_tree):
    path = "docs/course/02-tools-and-setup/1.1-a-lecture.md"
    [problem] = problems_of(course_tree, {path: GOOD_FRONT_MATTER})
    assert "belongs to section 1" in problem and "docs/course/01-big-picture/" in problem


def test_file_name_must_start_with_id(course_tree):
    [problem] = problems_of(course_tree, {"docs/course/01-big-picture/intro.md": GOOD_FRONT_MATTER})
    assert "must start with the id: 1.1-" in problem


def test_unknown_prerequisite_and_example(course_tree):
    text = GOOD_FRONT_MATTER.replace(
        "duration: 10\n", 'duration: 10\nprerequisites: ["1.9"]\nexamples: [examples/nope.py]\n')
    problems = problems_of(course_tree, {LECTURE: text})
    assert any("prerequisites: prerequisite '1.9' is not a lecture" in problem for problem in problems)
    assert any("examples: example 'examples/nope.py' does not exist" in problem for problem in problems)


def test_all_problems_are_reported_at_once(course_tree):
    bad_type = GOOD_FRONT_MATTER.replace("duration: 10", "duration: long")
    bad_id = GOOD_FRONT_MATTER.replace('"1.1"', '"1.2"').replace("duration: 10\n", "")
    problems = problems_of(course_tree, {LECTURE: bad_type, "docs/course/01-big-picture/1.2-b.md": bad_id})
    assert len(problems) == 2


def test_the_real_course_is_valid(root):
    course = load_course(root)
    assert len(course.lectures) >= 1
    assert all(lecture.meta.duration > 0 for lecture in course.lectures)


def test_body_is_checked_even_when_front_matter_is_broken(course_tree):
    text = GOOD_FRONT_MATTER.replace("duration: 10", "duration: ten") + "\n<!-- slides: skip -->\n"
    problems = problems_of(course_tree, {LECTURE: text})
    assert [problem.split(": ")[0].rsplit(":", 1)[1] for problem in problems] == ["4", "10"]
    assert "never closed" in problems[1]
