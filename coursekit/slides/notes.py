"""Presenter notes as plain text: the page's Markdown with its marks taken out.

A presenter reads the notes aloud, so they carry the words and none of the syntax: code spans keep
their text without backticks, emphasis loses its asterisks and underscores, links and images keep
their text, HTML tags go, and each list item stays on a line of its own.
"""

from __future__ import annotations

import html
import re

CODE_SPAN = re.compile(r"(?P<ticks>`+)(?P<code>.+?)(?P=ticks)")
IMAGE_OR_LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
REFERENCE_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\[[^\]]*\]")
AUTOLINK = re.compile(r"<(?P<url>https?://[^>\s]+)>")
TAG = re.compile(r"</?[A-Za-z][^>]*>")
STRONG = re.compile(r"(\*\*|__)(?=\S)(?P<text>.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![\w*\\])\*(?=[^\s*])(?P<star>[^*]+?)(?<=[^\s*])\*(?![\w*])"
                      r"|(?<![\w\\])_(?=[^\s_])(?P<under>[^_]+?)(?<=[^\s_])_(?!\w)")
LIST_MARK = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
SPACES = re.compile(r"[ \t]+")


def _plain_prose(text: str) -> str:
    """Take the Markdown marks out of prose that holds no code span."""
    text = AUTOLINK.sub(lambda match: match.group("url"), text)
    text = TAG.sub("", text)
    for _ in range(2):  # emphasis inside strong, and the other way round
        text = STRONG.sub(lambda match: match.group("text"), text)
        text = EMPHASIS.sub(lambda match: match.group("star") or match.group("under"), text)
    return html.unescape(text.replace("\\", ""))


def plain_text(markdown: str) -> str:
    """Return one line of Markdown (or a joined paragraph) as plain text; code spans keep their text."""
    # Links first: their text may hold a code span, their address never does.
    markdown = IMAGE_OR_LINK.sub(lambda match: match.group("text"), markdown)
    markdown = REFERENCE_LINK.sub(lambda match: match.group("text"), markdown)
    parts: list[str] = []
    position = 0
    for match in CODE_SPAN.finditer(markdown):
        parts.append(_plain_prose(markdown[position:match.start()]))
        parts.append(match.group("code").strip())
        position = match.end()
    parts.append(_plain_prose(markdown[position:]))
    return SPACES.sub(" ", "".join(parts)).strip()


def note_text(lines: list[str] | tuple[str, ...]) -> str:
    """Return a block's lines as a plain-text note: a paragraph on one line, each list item on its own."""
    items: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if LIST_MARK.match(line) or not items:
            items.append([line.strip()])
        else:
            items[-1].append(line.strip())
    return "\n".join(plain_text(" ".join(item)) for item in items)
