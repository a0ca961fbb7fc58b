"""Split Markdown into top-level blocks (headings, lists, tables, fences, admonitions, ...).

The slide generator needs to know which part of a page is a list, a diagram or a paragraph of
prose. A full Markdown parser would give far more than that and lose the original text of
MkDocs-only syntax (admonitions, tabs, snippet includes); this splitter keeps each block's lines
exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
ADMONITION = re.compile(r"^(!!!|\?\?\?\+?)\s+")
TAB = re.compile(r"^===\+?\s+")


@dataclass(frozen=True)
class Block:
    """A run of lines of one kind: ``heading``, ``paragraph``, ``list``, ``table``, ``fence``,
    ``admonition``, ``tabs``, ``quote``, ``html``, ``comment`` or ``break``."""

    kind: str
    lines: tuple[str, ...]
    level: int = 0
    info: str = ""
    start: int = field(default=0, compare=False)  # 0-based index of the block's first line

    @property
    def text(self) -> str:
        """The block's lines joined with newlines."""
        return "\n".join(self.lines)


def _indented(line: str) -> bool:
    return line.startswith(("    ", "\t"))


def fence_roles(lines: Iterable[str]) -> Iterator[tuple[int, str, str]]:
    """Yield (0-based index, line, role) of every line: ``"fence"`` for the opening or closing line of
    a fenced code block, ``"code"`` for a line inside one, ``"text"`` for any other line."""
    fence: str | None = None
    for index, line in enumerate(lines):
        if fence is None:
            match = FENCE_OPEN.match(line)
            if match:
                fence = match.group("fence")
            yield index, line, "fence" if match else "text"
            continue
        stripped = line.strip()
        if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            fence = None
            yield index, line, "fence"
        else:
            yield index, line, "code"


def _take_fence(lines: list[str], start: int) -> int:
    match = FENCE_OPEN.match(lines[start])
    assert match is not None
    fence = match.group("fence")
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            return index + 1
    return len(lines)


def _take_indented_body(lines: list[str], start: int, header: re.Pattern[str] | None = None) -> int:
    """Consume a header line and the blank or indented lines after it (admonitions, tabs)."""
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if line.strip() == "" or _indented(line) or (header is not None and header.match(line)):
            index += 1
            continue
        break
    while index > start + 1 and lines[index - 1].strip() == "":
        index -= 1
    return index


def _take_list(lines: list[str], start: int) -> int:
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if line.strip() == "":
            following = next((lines[j] for j in range(index + 1, len(lines)) if lines[j].strip()), "")
            if following and (_indented(following) or LIST_ITEM.match(following)):
                index += 1
                continue
            break
        if FENCE_OPEN.match(line) and (_indented(line) or line.startswith("  ")):
            index = _take_fence(lines, index)
            continue
        if LIST_ITEM.match(line) or line.startswith((" ", "\t")):
            index += 1
            continue
        if HEADING.match(line) or line.startswith("|"):
            break
        index += 1
    return index


def split_blocks(markdown: str) -> list[Block]:
    """Split ``markdown`` into top-level blocks, in order."""
    lines = markdown.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped == "":
            index += 1
            continue
        if stripped == "<!-- slides: break -->":
            blocks.append(Block("break", (line,), start=index))
            index += 1
            continue
        fence = FENCE_OPEN.match(line)
        if fence and not _indented(line):
            end = _take_fence(lines, index)
            info = fence.group("info").strip()
            blocks.append(Block("fence", tuple(lines[index:end]), info=info, start=index))
            index = end
            continue
        heading = HEADING.match(line)
        if heading:
            blocks.append(Block("heading", (heading.group("text"),), level=len(heading.group("hashes")), start=index))
            index += 1
            continue
        if stripped.startswith("<!--"):
            end = index
            while end < len(lines) and "-->" not in lines[end]:
                end += 1
            blocks.append(Block("comment", tuple(lines[index:end + 1]), start=index))
            index = end + 1
            continue
        if ADMONITION.match(line):
            end = _take_indented_body(lines, index)
            blocks.append(Block("admonition", tuple(lines[index:end]), start=index))
            index = end
            continue
        if TAB.match(line):
            end = _take_indented_body(lines, index, header=TAB)
            blocks.append(Block("tabs", tuple(lines[index:end]), start=index))
            index = end
            continue
        if LIST_ITEM.match(line):
            end = _take_list(lines, index)
            blocks.append(Block("list", tuple(lines[index:end]), start=index))
            index = end
            continue
        kind = "table" if stripped.startswith("|") else "quote" if stripped.startswith(">") else \
            "html" if stripped.startswith("<") else "paragraph"
        end = index + 1
        while end < len(lines) and lines[end].strip() != "" and not HEADING.match(lines[end]) \
                and not (kind == "paragraph" and FENCE_OPEN.match(lines[end])):
            end += 1
        blocks.append(Block(kind, tuple(lines[index:end]), start=index))
        index = end
    return blocks
