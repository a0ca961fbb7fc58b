"""Scaffold text: what ``course new`` and ``templates/lecture.md`` write, and the checks that none is left.

A lecture fails the check while it still holds a placeholder objective (the two ``course new``
writes, or the template's), the template's title, a prose line of the template body, a link to the
template's example host (``example.org``), or a ``## Lab`` section copied from the template or
from another lecture. The placeholders are read from the template itself, so the template and the
check never disagree.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from coursekit.blocks import HEADING, fence_roles
from coursekit.frontmatter import Document, FrontMatterError, split_front_matter
from coursekit.lectures import Lecture
from coursekit.problems import Problem, display_path

TEMPLATE = Path("templates") / "lecture.md"
SCAFFOLD_OBJECTIVES = ("Explain the main idea of this lecture in your own words", "Apply it to the churn project")
LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
DIAGRAM_TEXT = re.compile(r"^\s*acc(?:Title|Descr)\s*:")
LAB_HEADING = re.compile(r"^##\s+Lab\b", re.MULTILINE)
LINK_URL = re.compile(r"\]\((?P<url>https?://[^)\s]+)")
MIN_PLACEHOLDER = 20  # shorter template lines ("## Lab", "- Keep lists short") may be anyone's words


def _normal(line: str) -> str:
    return " ".join(LIST_MARKER.sub("", line.strip()).split())


def _short(text: str) -> str:
    return textwrap.shorten(text, 70, placeholder="...")


def _prose(lines: list[str]) -> list[tuple[int, str]]:
    """(0-based index, normalised line) of every non-blank line of the template outside fenced code."""
    return [(index, _normal(line)) for index, line, role in fence_roles(lines) if role == "text" and line.strip()]


def lab_section(body: str) -> tuple[int, str, tuple[str, ...]] | None:
    """The ``## Lab`` section of a body: its 0-based line, its normalised text and its commands."""
    heading = LAB_HEADING.search(body)
    if heading is None:
        return None
    lines = body.splitlines()
    start = body.count("\n", 0, heading.start())
    end = len(lines)
    commands = []
    for offset, line, role in fence_roles(lines[start + 1:]):
        if role == "code" and line.strip():
            commands.append(line.strip())
        elif role == "text" and (heading := HEADING.match(line)) and len(heading.group("hashes")) <= 2:
            end = start + 1 + offset
            break
    text = " ".join(" ".join(lines[start + 1:end]).split())
    return start, text, tuple(commands)


@dataclass(frozen=True)
class Scaffold:
    """The placeholder text of the scaffold: objectives, title, template lines, example hosts, lab."""

    objectives: frozenset[str]
    title: str | None
    lines: frozenset[str]
    hosts: frozenset[str]
    lab: str | None

    @cached_property
    def endings(self) -> frozenset[str]:
        """The last characters of each placeholder line: a cheap first test before normalising a line."""
        return frozenset(line[-8:] for line in self.lines)


def load_scaffold(root: Path) -> Scaffold:
    """Read the placeholders from ``templates/lecture.md`` under ``root`` (only ``course new``'s if it is missing)."""
    objectives = {_normal(objective) for objective in SCAFFOLD_OBJECTIVES}
    path = root / TEMPLATE
    try:
        document = split_front_matter(path.read_text(encoding="utf-8"))
    except (OSError, FrontMatterError):
        return Scaffold(frozenset(objectives), None, frozenset(), frozenset(), None)
    objectives |= {_normal(str(objective)) for objective in document.meta.get("objectives") or []}
    lines = {line for _, line in _prose(document.body.splitlines())
             if len(line) >= MIN_PLACEHOLDER and not HEADING.match(line)}
    lines |= {_normal(line) for line in document.body.splitlines() if DIAGRAM_TEXT.match(line)}
    hosts = {urlsplit(match.group("url")).netloc for match in LINK_URL.finditer(document.body)}
    lab = lab_section(document.body)
    return Scaffold(frozenset(objectives), document.meta.get("title"), frozenset(lines), frozenset(hosts),
                    lab[1] if lab else None)


def check_scaffold_text(document: Document, shown: str, scaffold: Scaffold) -> list[Problem]:
    """Report the scaffold text left in one lecture file."""
    problems = []
    objectives = document.meta.get("objectives")
    for number, objective in enumerate(objectives if isinstance(objectives, list) else [], start=1):
        if _normal(str(objective)) in scaffold.objectives:
            problems.append(Problem(shown, f"objective {number} ({_short(str(objective))!r}) is the scaffold's "
                                    "placeholder; replace it with a measurable objective of this lecture",
                                    document.key_lines.get("objectives"), "objectives"))
    if scaffold.title is not None and document.meta.get("title") == scaffold.title:
        problems.append(Problem(shown, "the title is the template's placeholder; use the title the syllabus gives",
                                document.key_lines.get("title"), "title"))
    runs: list[list[tuple[int, str]]] = []  # consecutive template lines, one problem per paragraph
    for index, raw in enumerate(document.body.splitlines()):
        if len(raw) < MIN_PLACEHOLDER or ("](" not in raw and raw.rstrip()[-8:] not in scaffold.endings):
            continue
        line, where = _normal(raw), document.body_line + index
        example_link = next((match.group("url") for match in LINK_URL.finditer(line)
                             if urlsplit(match.group("url")).netloc in scaffold.hosts), None) if "](" in line else None
        if example_link:
            problems.append(Problem(shown, f"link {example_link!r} is the template's placeholder; link to the "
                                    "real page the reader should read", where, "scaffold"))
        elif line in scaffold.lines:
            if runs and runs[-1][-1][0] == where - 1:
                runs[-1].append((where, line))
            else:
                runs.append([(where, line)])
    for run in runs:
        lines = f" (lines {run[0][0]}-{run[-1][0]})" if len(run) > 1 else ""
        problems.append(Problem(shown, f"template text {_short(run[0][1])!r}{lines} is still here; replace it with "
                                "the lecture's own text (templates/lecture.md says what belongs there)",
                                run[0][0], "scaffold"))
    lab = lab_section(document.body)
    if lab is not None and scaffold.lab is not None and lab[1] == scaffold.lab:
        problems.append(Problem(shown, "the lab is the template's example lab; write this lecture's own steps",
                                document.body_line + lab[0], "lab"))
    return problems


def check_copied_labs(lectures: list[Lecture], root: Path) -> list[Problem]:
    """Report a ``## Lab`` whose text or commands are those of an earlier lecture's lab."""
    problems = []
    seen: dict[str, Lecture] = {}
    for lecture in lectures:
        lab = lab_section(lecture.body)
        if lab is None:
            continue
        line, text, commands = lab
        keys = ([f"text:{text}"] if text else []) + ([f"commands:{chr(10).join(commands)}"] if commands else [])
        earlier = next((seen[key] for key in keys if key in seen), None)
        if earlier is not None:
            what = "text is" if f"text:{text}" in seen else "commands are"
            problems.append(Problem(display_path(lecture.path, root), f"the lab's {what} the same as in lecture "
                                    f"{earlier.id}'s lab ({display_path(earlier.path, root)}); write this "
                                    "lecture's own steps", lecture.body_line + line, "lab"))
        for key in keys:
            seen.setdefault(key, lecture)
    return problems
