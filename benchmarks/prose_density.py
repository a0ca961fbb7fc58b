"""Words of prose per minute of each lecture, against STYLE's 100-130 words per video minute.

Prose is what a presenter says: everything in the lecture body except the front matter, fenced
blocks (code, Mermaid, output), tables, HTML comments (slide markers and `slides: only` summaries),
headings and snippet-include lines. Lists and admonition text count.

    .venv/bin/python benchmarks/prose_density.py                 # every lecture
    .venv/bin/python benchmarks/prose_density.py docs/course/03-ml-lifecycle/3.2-ml-lifecycle.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
WORD = re.compile(r"[A-Za-z0-9][\w'\u2019./-]*")


def prose_lines(body: str) -> list[str]:
    """The lines of ``body`` (a lecture without front matter) that count as prose."""
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    lines, fence = [], ""
    for line in body.splitlines():
        opening = FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if not fence:
                fence = marker
                continue
            if marker.startswith(fence[0]) and len(marker) >= len(fence) and not line.strip()[len(marker):]:
                fence = ""
                continue
        stripped = line.strip()
        if fence or stripped.startswith(("|", "#", "--8<--")):
            continue
        lines.append(line)
    return lines


def prose_words(text: str) -> int:
    """Number of prose words in a lecture file's text (front matter included or not)."""
    match = FRONT_MATTER.match(text)
    body = text[match.end():] if match else text
    return len(WORD.findall("\n".join(prose_lines(body))))


def density(path: Path) -> tuple[str, int, int]:
    """(lecture id, duration in minutes, prose words) of one lecture file."""
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    meta = yaml.safe_load(match.group(1)) if match else {}
    return str(meta.get("id", path.stem)), int(meta.get("duration") or 0), prose_words(text)


def main(argv: list[str]) -> int:
    """Print one line per lecture: id, duration, prose words, words per minute."""
    paths = [Path(arg) for arg in argv] or sorted((ROOT / "docs/course").glob("*/*.md"))
    for path in paths:
        lecture, minutes, words = density(path)
        rate = f"{words / minutes:6.1f}" if minutes else "     -"
        print(f"{lecture:6} {minutes:3d} min {words:5d} words {rate} words/min  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
