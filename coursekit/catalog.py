"""The course catalogue: section titles and the weekly learning path, read from ``course.yml``.

Lectures describe themselves in their own front matter; ``course.yml`` only holds what belongs to
no single lecture: the course title, the sections and the learning path.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coursekit.frontmatter import load_yaml, yaml_problem
from coursekit.problems import CourseError, Problem, display_path


class Section(BaseModel):
    """One section of the course."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=1, le=99, description="Section number, e.g. 7")
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Folder name part, e.g. model-packaging")
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10, description="One or two sentences for the section page")

    @property
    def folder(self) -> str:
        """The folder under ``docs/course/`` that holds the section's lectures, e.g. ``07-model-packaging``."""
        return f"{self.number:02d}-{self.slug}"


class Week(BaseModel):
    """One week of the suggested learning path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    week: int = Field(ge=1)
    focus: str
    sections: list[int] = Field(min_length=1)


class Catalog(BaseModel):
    """Everything ``course.yml`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    description: str
    sections: list[Section] = Field(min_length=1)
    learning_path: list[Week] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_consistency(self) -> Catalog:
        numbers = [section.number for section in self.sections]
        if numbers != sorted(set(numbers)):
            raise ValueError("section numbers must be unique and in ascending order")
        planned = [number for week in self.learning_path for number in week.sections]
        if sorted(planned) != numbers:
            raise ValueError("the learning path must name every section exactly once")
        return self

    def section(self, number: int) -> Section | None:
        """Return the section with this number, or ``None``."""
        return next((section for section in self.sections if section.number == number), None)

    def week_of(self, number: int) -> int:
        """Return the learning-path week in which a section is studied."""
        return next(week.week for week in self.learning_path if number in week.sections)


def load_catalog(path: Path) -> Catalog:
    """Read and validate ``course.yml``.

    Raises:
        CourseError: With one problem per invalid field, naming the field.
    """
    shown = display_path(path, path.parent)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CourseError([Problem(shown, f"cannot read the course catalogue: {error.strerror}")]) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise CourseError([yaml_problem(shown, error, text)]) from None
    try:
        return Catalog.model_validate(data)
    except ValidationError as error:
        raise CourseError(
            Problem(shown, issue["msg"], field=".".join(str(part) for part in issue["loc"]) or None)
            for issue in error.errors()
        ) from None
