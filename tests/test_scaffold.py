"""Scaffold text left in a lecture fails the check: placeholders of the template and a copied lab."""

from __future__ import annotations

import pytest

from coursekit.course import load_course
from coursekit.problems import CourseError
from coursekit.scaffold import load_scaffold
from tests.conftest import GOOD_FRONT_MATTER

FIRST = "docs/course/01-big-picture/1.1-a-lecture.md"
SECOND = "docs/course/01-big-picture/1.2-b-lecture.md"
LAB = """
## Lab: count the rows

1. Count them:

    ```bash
    wc -l data/customers.csv
    ```

    You should see 10001 lines.

## Key takeaways

- One.
"""


def problems_of(course_tree, files: dict[str, str]) -> list[str]:
    with pytest.raises(CourseError) as caught:
        load_course(course_tree(files))
    return [str(problem) for problem in caught.value.problems]


def second(body: str) -> str:
    return GOOD_FRONT_MATTER.replace('"1.1"', '"1.2"') + body


def test_placeholders_come_from_the_template(root):
    scaffold = load_scaffold(root)
    assert "Compare ... with ..." in scaffold.objectives
    assert "Apply it to the churn project" in scaffold.objectives
    assert scaffold.hosts == {"example.org"}
    assert "Explain the two or three lines that matter." in scaffold.lines
    assert not any(line.startswith("#") for line in scaffold.lines), "headings such as '## Lab' are anyone's"


def test_template_front_matter_left_in_a_copied_file_fails(course_tree, root):
    template = (root / "templates" / "lecture.md").read_text(encoding="utf-8")
    front = template.split("\n---\n", 1)[0].replace('"9.9"', '"1.1"').replace('["9.8"]', "[]") + "\n---\n\nBody.\n"
    problems = problems_of(course_tree, {FIRST: front, "templates/lecture.md": template})
    assert sum("is the scaffold's placeholder" in problem for problem in problems) == 3
    assert any(":3: title: the title is the template's placeholder" in problem for problem in problems)


def test_a_lab_copied_from_another_lecture_fails_naming_it(course_tree):
    problems = problems_of(course_tree, {FIRST: GOOD_FRONT_MATTER + LAB, SECOND: second(LAB)})
    assert problems == [f"{SECOND}:10: lab: the lab's text is the same as in lecture 1.1's lab ({FIRST}); "
                        "write this lecture's own steps"]


def test_a_lab_with_the_same_commands_in_other_words_fails(course_tree):
    reworded = LAB.replace("Count them:", "Count the lines of the file:").replace("10001 lines", "a number")
    [problem] = problems_of(course_tree, {FIRST: GOOD_FRONT_MATTER + LAB, SECOND: second(reworded)})
    assert "the lab's commands are the same as in lecture 1.1's lab" in problem


def test_different_labs_pass(course_tree):
    other = LAB.replace("wc -l data/customers.csv", "head -3 data/customers.csv").replace("10001 lines", "3")
    course = load_course(course_tree({FIRST: GOOD_FRONT_MATTER + LAB, SECOND: second(other)}))
    assert len(course.lectures) == 2
    empty = "\n## Lab\n\n## Key takeaways\n\n- One.\n"
    assert len(load_course(course_tree({FIRST: GOOD_FRONT_MATTER + empty, SECOND: second(empty)})).lectures) == 2
