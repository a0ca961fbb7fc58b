"""Every published section has a quiz bank (``course check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coursekit.problems import Problem
from coursekit.quizzes.bank import MAX_QUESTIONS, MIN_QUESTIONS

if TYPE_CHECKING:
    from coursekit.course import Course


def missing_banks(course: Course) -> list[Problem]:
    """One problem per section that has lecture files but no bank ``quizzes/section-NN.yml``.

    ``load_course`` does not apply this rule (a course under construction, such as a test's, may
    have lectures and no bank yet); ``course check``, which every commit and CI run, does.
    """
    problems = []
    for section in course.published_sections():
        if section.number in course.banks:
            continue
        name = f"quizzes/section-{section.number:02d}.yml"
        ids = ", ".join(lecture.id for lecture in course.lectures_in(section))
        problems.append(Problem(name, f"section {section.number} has published lectures ({ids}) but no quiz bank: "
                                f"write {name} with {MIN_QUESTIONS} to {MAX_QUESTIONS} questions that check every "
                                "objective of its lectures (CONTRIBUTING.md, \"Add or fix a quiz\")"))
    return problems
