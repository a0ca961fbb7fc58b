"""The author markers that steer a lecture's slides, and the two views they produce.

Markers are HTML comments on a line of their own, so a plain Markdown preview hides them too:

- ``<!-- slides: break -->`` starts a new slide (same heading, marked as continued).
- ``<!-- slides: skip -->`` ... ``<!-- slides: end -->``: content for the page, never on a slide.
- ``<!-- slides: only`` ... ``-->``: content only on slides; the site never shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coursekit.problems import Problem

MARKER = re.compile(r"^\s*<!--\s*slides\s*:\s*(?P<name>[A-Za-z-]*)\s*(?P<close>-->)?\s*$")
LOOSE_MARKER = re.compile(r"<!--\s*slides?\s*:")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
KNOWN = {"break": "<!-- slides: break -->", "skip": "<!-- slides: skip -->", "end": "<!-- slides: end -->",
         "only": "<!-- slides: only  (content lines, then -->)"}
BREAK_SENTINEL = "<!-- slides: break -->"


@dataclass(frozen=True)
class Views:
    """The two renderings of one lecture body."""

    page: str
    slides: str
    #: The file's line number of each line of ``slides`` (for problems found in the slides view).
    slide_lines: tuple[int, ...] = ()


def _fenced_lines(lines: list[str]) -> set[int]:
    inside: set[int] = set()
    fence: str | None = None
    for index, line in enumerate(lines):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
        elif fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            else:
                inside.add(index)
    return inside


def split_views(body: str, path: str = "<lecture>", first_line: int = 1) -> tuple[Views, list[Problem]]:
    """Apply the markers: return the page view, the slides view and any marker problems.

    Args:
        body: Lecture Markdown without front matter.
        path: File name used in problem reports.
        first_line: Line number of the body's first line in the file.
    """
    lines = body.splitlines()
    fenced = _fenced_lines(lines)
    page: list[str] = []
    slides: list[str] = []
    slide_lines: list[int] = []
    problems: list[Problem] = []
    state = "both"
    opened_at = 0
    for index, line in enumerate(lines):
        number = first_line + index
        match = MARKER.match(line) if index not in fenced else None
        if state == "only":
            if line.strip() == "-->":
                state = "both"
            else:
                slides.append(line)
                slide_lines.append(number)
            continue
        if match is None:
            if index not in fenced and LOOSE_MARKER.search(line):
                problems.append(Problem(path, f"malformed slide marker {line.strip()!r}; use one of: "
                                        + ", ".join(KNOWN.values()), number, "slides marker"))
            page.append(line)
            if state != "skip":
                slides.append(line)
                slide_lines.append(number)
            continue
        name, closed = match.group("name"), bool(match.group("close"))
        if name not in KNOWN:
            problems.append(Problem(path, f"unknown slide marker 'slides: {name}'; use one of: "
                                    + ", ".join(KNOWN.values()), number, "slides marker"))
        elif name == "only":
            if closed:
                problems.append(Problem(path, "'<!-- slides: only' must be followed by content lines and a "
                                        "closing '-->' on its own line", number, "slides marker"))
            elif state == "skip":
                problems.append(Problem(path, f"'slides: only' inside the skip block opened on line {opened_at}",
                                        number, "slides marker"))
            else:
                state, opened_at = "only", number
        elif not closed:
            problems.append(Problem(path, f"marker 'slides: {name}' must end with '-->' on the same line",
                                    number, "slides marker"))
        elif name == "break":
            if state != "skip":
                slides.append(BREAK_SENTINEL)
                slide_lines.append(number)
        elif name == "skip":
            if state == "skip":
                problems.append(Problem(path, f"'slides: skip' inside the skip block opened on line {opened_at}; "
                                        "close it first with <!-- slides: end -->", number, "slides marker"))
            state, opened_at = "skip", number
        elif name == "end":
            if state != "skip":
                problems.append(Problem(path, "'slides: end' without an open '<!-- slides: skip -->'",
                                        number, "slides marker"))
            state = "both"
    if state == "skip":
        problems.append(Problem(path, "'slides: skip' is never closed; add <!-- slides: end -->",
                                opened_at, "slides marker"))
    if state == "only":
        problems.append(Problem(path, "'slides: only' is never closed; add a line '-->'",
                                opened_at, "slides marker"))
    return Views("\n".join(page) + "\n", "\n".join(slides) + "\n", tuple(slide_lines)), problems
