"""Internal links of the sources: `course check` names the file, the line and the anchors that exist."""

from __future__ import annotations

import pytest

from coursekit.course import load_course
from coursekit.doclinks import page_anchors
from coursekit.problems import CourseError
from tests.conftest import GOOD_FRONT_MATTER

FIRST = "docs/course/01-big-picture/1.1-a-lecture.md"
SECOND = "docs/course/01-big-picture/1.2-b-lecture.md"
OTHER_SECTION = "docs/course/02-tools-and-setup/2.1-c-lecture.md"
TARGET = GOOD_FRONT_MATTER.replace('"1.1"', '"1.2"') + """
## Why it matters

## The `course check` command

### Custom id {#my-id}

## Why it matters
"""


def problems_of(course_tree, files: dict[str, str]) -> list[str]:
    with pytest.raises(CourseError) as caught:
        load_course(course_tree(files))
    return [str(problem) for problem in caught.value.problems]


def lecture(body: str) -> str:
    return GOOD_FRONT_MATTER + "\n" + body


def test_anchors_are_the_ids_of_the_toc_extension():
    anchors = page_anchors("## Ünïcode & more: 3.2\n\n## Hello `code` *x*\n\n## Hello `code` *x*\n\n"
                           "```bash\n# not a heading\n```\n\n### Custom {#my-id}\n\n<div id=\"raw\"></div>\n")
    assert anchors.ids == ("unicode-more-32", "hello-code-x", "hello-code-x_1", "my-id", "raw")


def test_good_links_with_anchors_pass(course_tree):
    body = ("See [why](1.2-b-lecture.md#why-it-matters), [the command](1.2-b-lecture.md#the-course-check-command),\n"
            "[custom](1.2-b-lecture.md#my-id), [the second](1.2-b-lecture.md#why-it-matters_1), [top](#here),\n"
            "[another section](../02-tools-and-setup/2.1-c-lecture.md), [the syllabus](../../syllabus.md)\n"
            "and [Python](https://docs.python.org/3/#x).\n\n## Here\n")
    third = GOOD_FRONT_MATTER.replace('"1.1"', '"2.1"')
    course = load_course(course_tree({FIRST: lecture(body), SECOND: TARGET, OTHER_SECTION: third}))
    assert len(course.lectures) == 3


def test_missing_file_is_named_with_file_line_and_a_suggestion(course_tree):
    body = "Intro.\n\nRead [the next lecture](1.2-b-lectur.md) first.\n"
    [problem] = problems_of(course_tree, {FIRST: lecture(body), SECOND: TARGET})
    assert problem.startswith(f"{FIRST}:12: link '1.2-b-lectur.md': docs/course/01-big-picture/1.2-b-lectur.md "
                              "does not exist")
    assert "did you mean 1.2-b-lecture.md?" in problem


def test_bad_anchor_lists_the_anchors_of_the_target(course_tree):
    body = "Read [why](1.2-b-lecture.md#why-this-matters) and [here](#nowhere).\n\n## Local heading\n"
    problems = problems_of(course_tree, {FIRST: lecture(body), SECOND: TARGET})
    assert problems == [
        f"{FIRST}:10: link '1.2-b-lecture.md#why-this-matters': docs/course/01-big-picture/1.2-b-lecture.md has no "
        "heading with id 'why-this-matters'; did you mean #why-it-matters? Its anchors: why-it-matters, "
        "the-course-check-command, my-id, why-it-matters_1",
        f"{FIRST}:10: link '#nowhere': this page has no heading with id 'nowhere'. Its anchors: local-heading",
    ]


def test_links_in_code_are_ignored(course_tree):
    body = ("```markdown\n[broken](nowhere.md#x)\n```\n\n"
            "Write `[text](missing.md)` to link.\n\n"
            "1. A step:\n\n    ```bash\n    echo '[x](gone.md)'\n    ```\n")
    course = load_course(course_tree({FIRST: lecture(body)}))
    assert len(course.lectures) == 1


def test_folder_and_absolute_links_are_refused_as_the_build_refuses_them(course_tree):
    body = "See [section 2](../02-tools-and-setup/) and [home](/index.md).\n"
    third = GOOD_FRONT_MATTER.replace('"1.1"', '"2.1"')
    problems = problems_of(course_tree, {FIRST: lecture(body), OTHER_SECTION: third})
    assert len(problems) == 2
    assert "links to a folder; link to the page instead: ../02-tools-and-setup/index.md" in problems[0]
    assert "absolute links" in problems[1]


def test_a_slides_only_heading_is_no_anchor_of_the_page(course_tree):
    target = TARGET + "\n<!-- slides: only\n## Slide summary\n- one\n-->\n"
    body = "See [summary](1.2-b-lecture.md#slide-summary).\n"
    [problem] = problems_of(course_tree, {FIRST: lecture(body), SECOND: target})
    assert "has no heading with id 'slide-summary'" in problem


def test_anchors_of_an_api_reference_page_are_left_to_the_build_for_documented_objects(course_tree):
    reference = "# API\n\n## Modules\n\n::: churn.contract\n"
    body = ("See [check_record](../../reference/churn.md#churn.contract.check_record) and "
            "[modules](../../reference/churn.md#modules) and [bad](../../reference/churn.md#churn-contract).\n")
    [problem] = problems_of(course_tree, {FIRST: lecture(body), "docs/reference/churn.md": reference})
    assert "link '../../reference/churn.md#churn-contract': docs/reference/churn.md has no heading" in problem
