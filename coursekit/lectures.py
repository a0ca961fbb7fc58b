"""Lecture files: the front matter schema, loading, and the checks that make a bad file fail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from coursekit.frontmatter import Document, FrontMatterError, split_front_matter
from coursekit.problems import Problem, display_path

LECTURE_ID = r"^[1-9][0-9]?\.[1-9][0-9]?$"
UNMEASURABLE_VERBS = ("understand", "know", "learn", "appreciate", "be aware", "get familiar")

FIELD_HINTS = {
    "id": 'a quoted "section.lecture" number, e.g. id: "7.3"',
    "title": 'the lecture title as text, e.g. title: "Writing a Clean Inference Function"',
    "duration": "whole minutes, e.g. duration: 15",
    "objectives": "a list of 2 to 4 measurable verb phrases, e.g. - Explain why ...",
    "prerequisites": 'a list of lecture ids, e.g. prerequisites: ["7.2"]',
    "examples": "a list of files under examples/, e.g. examples: [examples/churn/contract.py]",
    "tags": "a list of short words, e.g. tags: [docker, serving]",
    "description": "one sentence for search engines",
    "hide": "a list of Material page elements to hide, e.g. hide: [toc]",
}

ObjectiveText = Annotated[StrictStr, Field(min_length=10)]


class LectureMeta(BaseModel):
    """The front matter every lecture file starts with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr = Field(pattern=LECTURE_ID)
    title: StrictStr = Field(min_length=3)
    duration: StrictInt = Field(ge=1, le=180)
    objectives: list[ObjectiveText] = Field(min_length=2, max_length=4)
    prerequisites: list[Annotated[StrictStr, Field(pattern=LECTURE_ID)]] = []
    examples: list[Annotated[StrictStr, Field(pattern=r"^examples/")]] = []
    tags: list[Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]] = []
    description: StrictStr | None = None
    hide: list[StrictStr] = []

    @field_validator("objectives")
    @classmethod
    def _measurable(cls, objectives: list[str]) -> list[str]:
        for number, objective in enumerate(objectives, start=1):
            if objective.strip().lower().startswith(UNMEASURABLE_VERBS):
                raise ValueError(
                    f"objective {number} ({objective!r}) starts with a verb nobody can observe; "
                    "use a measurable one such as Explain, Compare, Run, Draw or Identify"
                )
        return objectives


def id_key(lecture_id: str) -> tuple[int, int]:
    """Sort key for lecture ids, so that 1.10 comes after 1.9."""
    section, number = lecture_id.split(".")
    return int(section), int(number)


@dataclass(frozen=True)
class Lecture:
    """A lecture file with valid front matter.

    Attributes:
        meta: The validated front matter.
        path: Absolute path of the Markdown file.
        src_uri: Path relative to ``docs/``, as MkDocs names the page.
        body: The Markdown after the front matter.
        body_line: Line of the file where the body starts.
    """

    meta: LectureMeta
    path: Path
    src_uri: str
    body: str
    body_line: int

    @property
    def id(self) -> str:
        """The lecture id, e.g. ``"7.3"``."""
        return self.meta.id

    @property
    def section_number(self) -> int:
        """The number of the section the lecture belongs to."""
        return int(self.meta.id.split(".")[0])


def _describe(issue: dict[str, Any]) -> tuple[str, str]:
    location = [str(part) for part in issue["loc"]]
    key = location[0] if location else ""
    field = ".".join(location) or "front matter"
    message = issue["msg"]
    if issue["type"] == "extra_forbidden":
        known = ", ".join(LectureMeta.model_fields)
        return field, f"unknown field; the known fields are: {known}"
    if issue["type"] == "missing":
        return field, f"required field is missing; add {FIELD_HINTS.get(key, key)}"
    message = re.sub(r"^Value error, ", "", message)
    got = issue.get("input")
    return field, f"{message}; expected {FIELD_HINTS.get(key, 'a valid value')} (got {got!r})"


def read_lecture(path: Path, docs_dir: Path) -> tuple[Lecture | None, list[Problem], Document | None]:
    """Read one lecture file.

    Returns:
        The lecture (or ``None`` when its front matter is invalid), the front matter problems, and
        the split document (or ``None`` when there is no front matter block to split at), so the
        body can be checked even when the front matter is broken.
    """
    shown = display_path(path, docs_dir.parent)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(shown, f"cannot read the file: {error}")], None
    try:
        document = split_front_matter(text)
    except FrontMatterError as error:
        return None, [Problem(shown, str(error), error.line)], None
    try:
        meta = LectureMeta.model_validate(document.meta)
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            field, message = _describe(issue)
            line = document.key_lines.get(str(issue["loc"][0]) if issue["loc"] else "", 1)
            problems.append(Problem(shown, message, line, field))
        return None, problems, document
    src_uri = path.relative_to(docs_dir).as_posix()
    return Lecture(meta, path, src_uri, document.body, document.body_line), [], document


def lecture_files(course_dir: Path) -> list[Path]:
    """Every lecture file under ``docs/course/``: Markdown files other than section ``index.md``."""
    return sorted(path for path in course_dir.glob("*/*.md") if path.name != "index.md")
