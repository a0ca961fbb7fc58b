"""Words of prose per minute of video, per lecture: is a page about as long as its duration?

STYLE.md asks for roughly 100-130 words of prose per minute of the lecture's ``duration``. Prose
here is what a presenter would say: paragraphs and list items. Not counted: the front matter,
headings, fenced code (Mermaid included), tables, HTML comments (so ``slides: only`` blocks) and
include lines. A second figure counts paragraphs only (no list items, so no lab steps or bullets).

    python benchmarks/prose_rate.py [docs/course/05-*/*.md ...]

With no argument it measures every lecture under ``docs/course``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^\s*(```|~~~)")
WORD = re.compile(r"[A-Za-z0-9][\w'\u2019.,/-]*")


def split_front_matter(text: str) -> tuple[dict, str]:
    """The front matter as a mapping, and the body after it."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.index("\n---\n", 4)
    return yaml.safe_load(text[4:end]) or {}, text[end + 5:]


LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def prose_lines(body: str, paragraphs_only: bool = False) -> list[str]:
    """The lines of ``body`` that are prose: outside fences, tables, comments and headings.

    With ``paragraphs_only``, list items (and the lines indented under them) are left out too.
    """
    body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
    lines, fence, in_list = [], None, False
    for line in body.splitlines():
        match = FENCE.match(line)
        if fence is not None:
            if match and match.group(1) == fence:
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        stripped = line.strip()
        if paragraphs_only:
            if LIST_ITEM.match(line):
                in_list = True
            elif stripped and not line.startswith((" ", "\t")):
                in_list = False
            if in_list or line.startswith(("    ", "\t")):
                continue
        if not stripped or stripped.startswith(("|", "#", "--8<--", "???", "!!!")):
            continue
        lines.append(stripped)
    return lines


def prose_words(text: str, paragraphs_only: bool = False) -> int:
    """How many words of prose a lecture file holds (only in paragraphs, if asked)."""
    _, body = split_front_matter(text)
    return sum(len(WORD.findall(line)) for line in prose_lines(body, paragraphs_only))


def measure(path: Path) -> tuple[str, int, int, float, float]:
    """Lecture id, duration in minutes, words of prose, words per minute, paragraph words per minute."""
    text = path.read_text(encoding="utf-8")
    meta, _ = split_front_matter(text)
    words, paragraph_words = prose_words(text), prose_words(text, paragraphs_only=True)
    duration = int(meta.get("duration") or 0)
    return (str(meta.get("id", path.stem)), duration, words, words / duration if duration else 0.0,
            paragraph_words / duration if duration else 0.0)


def main(argv: list[str]) -> int:
    """Print one line per lecture: id, duration, words of prose, per minute, paragraph words per minute."""
    paths = [Path(arg) for arg in argv] or sorted((ROOT / "docs" / "course").glob("*/*.md"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"error: no such lecture file: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(f"{'lecture':<8} {'min':>4} {'words':>6} {'per min':>8} {'paragraphs only':>16}")
    for path in paths:
        if path.name == "index.md":
            continue
        lecture, duration, words, rate, paragraph_rate = measure(path)
        print(f"{lecture:<8} {duration:>4} {words:>6} {rate:>8.0f} {paragraph_rate:>16.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
