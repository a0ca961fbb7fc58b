"""Snippet includes: find the ``--8<--`` references in a page, check them, and read their regions.

Pages include code as ``--8<-- "examples/churn/contract.py:check_record"``; the file marks the
region with ``# --8<-- [start:check_record]`` and ``# --8<-- [end:check_record]``. This module is
the single reader of that format for the validator, the slide decks and the coverage test.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from coursekit.problems import Problem

REFERENCE = re.compile(r'^\s*-{1,2}8<-{1,2}\s+"(?P<target>[^"]+)"\s*$')
REGION = re.compile(r"-{1,2}8<-{1,2}\s*\[\s*(?P<kind>start|end)\s*:\s*(?P<name>[a-z][-_0-9a-z]*)\s*\]")


@dataclass(frozen=True)
class SnippetRef:
    """One include in a page: the file, the optional region, and where the include stands."""

    file: str
    region: str | None
    line: int

    @property
    def target(self) -> str:
        """The reference as written, ``file`` or ``file:region``."""
        return f"{self.file}:{self.region}" if self.region else self.file


def find_references(markdown: str, first_line: int = 1) -> list[SnippetRef]:
    """Return every snippet include in ``markdown`` with its line number."""
    refs = []
    for index, line in enumerate(markdown.splitlines()):
        match = REFERENCE.match(line)
        if match:
            file, _, region = match.group("target").partition(":")
            refs.append(SnippetRef(file.strip(), region.strip() or None, first_line + index))
    return refs


def regions_in(text: str) -> dict[str, tuple[int, int]]:
    """Map each region name in ``text`` to its (start, end) 1-based line numbers of the markers."""
    starts: dict[str, int] = {}
    regions: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = REGION.search(line)
        if not match:
            continue
        if match.group("kind") == "start":
            starts[match.group("name")] = number
        elif match.group("name") in starts:
            regions[match.group("name")] = (starts.pop(match.group("name")), number)
    return regions


def read_region(root: Path, ref: SnippetRef) -> str:
    """Return the dedented text a reference includes, without the region markers."""
    lines = (root / ref.file).read_text(encoding="utf-8").splitlines()
    if ref.region is None:
        kept = lines
    else:
        start, end = regions_in("\n".join(lines))[ref.region]
        kept = lines[start:end - 1]
    kept = [line for line in kept if not REGION.search(line)]
    return textwrap.dedent("\n".join(kept)).strip("\n")


def check_references(refs: list[SnippetRef], root: Path, page: str) -> list[Problem]:
    """Report references to files that do not exist or regions the file does not define."""
    problems = []
    for ref in refs:
        path = root / ref.file
        if not ref.file.startswith("examples/"):
            problems.append(Problem(page, f"snippet {ref.target!r} must point into examples/", ref.line, "snippet"))
        elif not path.is_file():
            problems.append(Problem(page, f"snippet file {ref.file!r} does not exist (paths are relative to the "
                                    "repository root)", ref.line, "snippet"))
        elif ref.region is not None:
            known = regions_in(path.read_text(encoding="utf-8"))
            if ref.region not in known:
                names = ", ".join(sorted(known)) or "none"
                problems.append(Problem(page, f"region {ref.region!r} is not marked in {ref.file} (regions there: "
                                        f"{names}); mark it with '# --8<-- [start:{ref.region}]' and "
                                        f"'# --8<-- [end:{ref.region}]'", ref.line, "snippet"))
    return problems
