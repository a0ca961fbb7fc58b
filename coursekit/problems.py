"""Problems found in course sources, reported all at once with file, line and field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one source file.

    Attributes:
        path: The file, relative to the repository root where possible.
        message: What is wrong and what a valid value looks like.
        line: 1-based line number, when known.
        field: The front matter key, question id or marker concerned, when there is one.
    """

    path: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"


class CourseError(Exception):
    """Raised when course sources have problems; carries every problem, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=lambda problem: (problem.path, problem.line or 0))
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the course sources:"
        super().__init__("\n".join([header, *(f"  - {problem}" for problem in self.problems)]))


def display_path(path: Path, root: Path | None = None) -> str:
    """Return ``path`` relative to ``root`` (or the working directory) when it lies inside it."""
    base = (root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
