"""Fit a code block onto a slide: drop docstrings and comments first, then cut what is still too long.

A slide shows the shape of the code; the page keeps the whole of it, with its docstrings and
comments, so these are the first lines to go when a block is longer than a slide holds.
"""

from __future__ import annotations

import io
import re
import tokenize

#: Languages whose comments start with ``#``.
HASH_COMMENTS = ("python", "py", "bash", "sh", "shell", "console", "yaml", "yml", "toml", "text", "")
PYTHON = ("python", "py")
BLANKS = re.compile(r"\n{3,}")


def _python_without_docs(code: str) -> str | None:
    """Return Python code without docstrings (any string statement) and comments; ``None`` if it does not tokenize."""
    lines = code.splitlines()
    drop: set[int] = set()  # 0-based line numbers to drop whole
    cuts: dict[int, int] = {}  # line -> column where a trailing comment starts
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    layout = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENCODING)
    previous = None  # the last token that is not layout
    for index, token in enumerate(tokens):
        if token.type == tokenize.COMMENT:
            row, column = token.start[0] - 1, token.start[1]
            if lines[row][:column].strip():
                cuts[row] = column
            else:
                drop.add(row)
            continue
        if token.type in layout:
            if token.type == tokenize.NEWLINE:
                previous = None
            continue
        if token.type == tokenize.STRING and previous is None:
            following = next((later for later in tokens[index + 1:] if later.type != tokenize.COMMENT), None)
            if following is not None and following.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                drop.update(range(token.start[0] - 1, token.end[0]))
        previous = token
    kept: list[str] = []
    for row, line in enumerate(lines):
        if row in drop or (not line.strip() and kept and kept[-1].rstrip().endswith(":")):
            continue  # a blank line right after "class X:" is what a dropped docstring leaves
        kept.append(line[:cuts[row]].rstrip() if row in cuts else line)
    return "\n".join(kept)


def _without_hash_comments(code: str) -> str:
    """Drop whole-line ``#`` comments (not a ``#!`` first line)."""
    lines = code.splitlines()
    return "\n".join(line for number, line in enumerate(lines)
                     if not line.lstrip().startswith("#") or (number == 0 and line.startswith("#!")))


def without_comments(code: str, language: str) -> str:
    """Return ``code`` without its docstrings and comments (only those of Python and ``#`` languages).

    Runs of blank lines left behind shrink to one; leading and trailing blank lines go.
    """
    if language in PYTHON:
        stripped = _python_without_docs(code)
        code = stripped if stripped is not None else _without_hash_comments(code)
    elif language in HASH_COMMENTS:
        code = _without_hash_comments(code)
    code = "\n".join(line.rstrip() for line in code.splitlines())
    return BLANKS.sub("\n\n", code).strip("\n")


def fit_code(code: str, language: str, max_lines: int) -> list[str]:
    """Return the lines of ``code`` for a slide: whole when it fits, else without comments, else cut.

    A cut block ends with a comment line pointing to the lecture page.
    """
    lines = code.splitlines()
    if len(lines) <= max_lines:
        return lines
    lines = without_comments(code, language).splitlines()
    if len(lines) <= max_lines:
        return lines
    comment = "#" if language in HASH_COMMENTS else "//"
    return [*lines[:max_lines], f"{comment} … (full code on the lecture page)"]
