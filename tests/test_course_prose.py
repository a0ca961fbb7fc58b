"""The prose of the lecture pages agrees with their diagrams and gives current tool advice.

Each check reads the pages as an author wrote them and names the lecture, the line and the fix:

- prose that tells the reader to read a diagram "from the top" when the diagram runs left to right
  (or "from the left" when it runs top to bottom);
- Node.js advice older than the current LTS, and "the Gateway API replaces Ingress";
- a page that quotes `package.json`'s Node.js range quotes the range the file declares.

The churn case's facts and banned phrases (a fixed list of 500, nightly scoring, untimed "a few
seconds") are checked in one place, `tests/test_case_facts.py`, with its one list of exceptions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchmarks.prose_rate import prose_words

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "docs/course"
LECTURES = sorted(COURSE.glob("*/*.md"))
FENCE = re.compile(r"^\s*(`{3,}|~{3,})(\w*)")
DIRECTION = re.compile(r"^\s*(?:flowchart|graph)\s+(LR|RL|TB|TD|BT)\b")
VERTICAL_READING = re.compile(r"\b(from the top|top row|top left|top to bottom|bottom row|read down)\b", re.I)
HORIZONTAL_READING = re.compile(r"\b(from the left|left to right|left-hand|right-hand|leftmost|rightmost)\b", re.I)

OUTDATED_ADVICE = {
    r"Node\.js 20\+|Node\.js 20 or newer|Node 20 or newer":
        "Node.js 20 reached end of life on 2026-04-30: recommend the current LTS (24) and say 20 still runs",
    r"Gateway API replaces Ingress|replaces\s+Ingress":
        "the Ingress API is frozen, not removed; say the Gateway API is its successor for new work",
}
ADVICE_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *LECTURES]


def sections(path: Path) -> list[tuple[int, list[tuple[int, str]], list[str]]]:
    """Split a page into `##` sections: (first line, prose lines with numbers, diagram directions)."""
    result: list[tuple[int, list[tuple[int, str]], list[str]]] = [(1, [], [])]
    fence, language = "", ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opening = FENCE.match(line)
        if opening and not fence:
            fence, language = opening.group(1), opening.group(2)
            continue
        if opening and fence and opening.group(1).startswith(fence):
            fence = ""
            continue
        if fence:
            found = DIRECTION.match(line)
            if language == "mermaid" and found:
                result[-1][2].append(found.group(1))
            continue
        if line.startswith("## "):
            result.append((number, [], []))
        result[-1][1].append((number, line))
    return result


def test_reading_directions_match_the_diagram_of_their_section():
    problems = []
    for path in LECTURES:
        for _, prose, directions in sections(path):
            if not directions:
                continue
            horizontal = directions[0] in ("LR", "RL")
            wrong = VERTICAL_READING if horizontal else HORIZONTAL_READING
            for number, line in prose:
                found = wrong.search(line)
                if found:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{number}: '{found.group(0)}' but the section's diagram is "
                        f"`flowchart {directions[0]}`; say where to start by node (\"follow the arrows from X\")")
    assert not problems, "\n".join(problems)


def test_pages_give_current_tool_advice():
    problems = []
    for path in ADVICE_PAGES:
        text = path.read_text(encoding="utf-8")
        for pattern, fix in OUTDATED_ADVICE.items():
            for found in re.finditer(pattern, text):
                number = text.count("\n", 0, found.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{number}: '{found.group(0)}': {fix}")
    assert not problems, "\n".join(problems)


def test_pages_quote_the_node_range_package_json_declares():
    declared = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["engines"]["node"]
    quoted = re.compile(r'"node":\s*"([^"]+)"')
    problems = []
    for path in ADVICE_PAGES:
        text = path.read_text(encoding="utf-8")
        for found in quoted.finditer(text):
            if found.group(1) != declared:
                number = text.count("\n", 0, found.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{number}: quotes \"node\": \"{found.group(1)}\" "
                                f"but package.json declares {declared!r}")
    assert not problems, "\n".join(problems)


def test_the_checks_catch_the_old_wording(tmp_path):
    """Each check fails on the sentences this issue found (2.2's diagram, 2.2's reading list)."""
    page = tmp_path / "2.2-old.md"
    page.write_text("## Six jobs\n\nRead the diagram from the top.\n\n```mermaid\nflowchart LR\n    a --> b\n```\n",
                    encoding="utf-8")
    (_, _, _), (_, prose, directions) = sections(page)
    assert directions == ["LR"] and VERTICAL_READING.search(prose[2][1])
    assert re.search(next(iter(OUTDATED_ADVICE)), "You need Python 3.11+, Node.js 20+, `make` and Git.")
    assert re.search(list(OUTDATED_ADVICE)[1], "the API that replaces\n  Ingress for routing traffic")


def test_prose_words_skip_front_matter_code_tables_and_comments():
    text = ("---\nid: \"9.9\"\nduration: 1\n---\n\nOne two three.\n\n```mermaid\nflowchart LR\n a --> b\n```\n\n"
            "| a | b |\n|---|---|\n\n<!-- slides: only\n- four\n-->\n\n## Heading words\n\n- five six\n")
    assert prose_words(text) == 5
    assert prose_words(text, paragraphs_only=True) == 3
