"""The README says what is published, as counted from the course, not by hand."""

from __future__ import annotations

from coursekit.course import Course, load_course

MARKER = "<!-- published:"


def published_line(course: Course) -> str:
    """The README line that says how much of the course is published."""
    return (f"Published so far: **{len(course.lectures)} lectures in {len(course.published_sections())} of the "
            f"{len(course.catalog.sections)} sections**; the site's syllabus lists them.")


def test_the_readme_says_what_is_published(root):
    lines = (root / "README.md").read_text(encoding="utf-8").splitlines()
    marked = [number for number, line in enumerate(lines) if line.startswith(MARKER)]
    assert len(marked) == 1, f"README.md needs one line starting with {MARKER!r} above the published line"
    expected = published_line(load_course(root))
    assert lines[marked[0] + 1] == expected, (f"README.md:{marked[0] + 2} is out of date; replace it with:\n"
                                              f"{expected}")
