"""Every YAML file the course reads reports a syntax error on the line of the mistake, not where the parser stopped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursekit.catalog import load_catalog
from coursekit.glossary import load_glossary
from coursekit.problems import CourseError

ROOT = Path(__file__).resolve().parent.parent


def unclose_a_quote(text: str, after: int) -> tuple[str, int]:
    """Open a quote on the first plain ``key: value`` line after ``after``; return the text and its 1-based line."""
    lines = text.splitlines()
    for index in range(after, len(lines)):
        if plain := re.fullmatch(r"(\s*(?:- )?\w+): ([A-Za-z].*)", lines[index]):
            lines[index] = f'{plain[1]}: "{plain[2]}'
            return "\n".join(lines) + "\n", index + 1
    raise AssertionError("no plain 'key: value' line to break")


def test_the_course_catalogue_names_the_line_of_an_unclosed_quote(tmp_path):
    text, line = unclose_a_quote((ROOT / "course.yml").read_text(encoding="utf-8"), after=5)
    (tmp_path / "course.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CourseError) as caught:
        load_catalog(tmp_path / "course.yml")
    [problem] = caught.value.problems
    assert "not valid YAML" in problem.message and "not closed" in problem.message
    assert problem.line == line, problem


def test_the_glossary_names_the_line_of_an_unclosed_quote(tmp_path):
    text, line = unclose_a_quote((ROOT / "glossary.yml").read_text(encoding="utf-8"), after=5)
    (tmp_path / "glossary.yml").write_text(text, encoding="utf-8")
    glossary, [problem] = load_glossary(tmp_path / "glossary.yml", tmp_path, set())
    assert glossary is None
    assert "not valid YAML" in problem.message and "not closed" in problem.message
    assert problem.line == line, problem
