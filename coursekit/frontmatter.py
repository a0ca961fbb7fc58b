"""YAML for the course sources: fast safe loading, line numbers, and front matter split from a Markdown body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from coursekit.problems import Problem

# libyaml's loader when PyYAML was built with it (the PyPI wheels are): several times faster.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the fastest safe loader available.

    Raises:
        yaml.YAMLError: If ``text`` is not valid YAML (``problem_mark`` says where).
    """
    return yaml.load(text, Loader=Loader)  # Loader is a SafeLoader (C or Python)


_BLOCK_SCALAR = re.compile(r"^(?P<indent> *)(?P<dash>- +)?[^#]*:\s*[|>][-+0-9]*\s*(#.*)?$")


def _unclosed_quote_line(text: str, stop: int) -> int | None:
    """The 0-based index of the first line up to ``stop`` with an odd number of unescaped ``"``, if any.

    Lines inside block scalars (``key: |``) and comment lines are prose, not YAML quoting: skipped.
    """
    block_indent: int | None = None
    for index, line in enumerate(text.splitlines()[: stop + 1]):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None and (not line.strip() or indent > block_indent):
            continue
        block_indent = None
        if (block := _BLOCK_SCALAR.match(line)) is not None:
            block_indent = len(block["indent"]) + len(block["dash"] or "")
        if not line.lstrip().startswith("#") and len(re.findall(r'(?<!\\)"', line)) % 2:
            return index
    return None


def yaml_error_line(text: str, error: yaml.YAMLError) -> tuple[int | None, str]:
    """Where a YAML syntax error really is: the 0-based line and a hint for the message.

    The parser reports the line where it gave up (``problem_mark``). After an unclosed ``"`` that is
    lines later: the quoted text runs on to the next ``"``. So when an earlier line has an odd
    number of double quotes, that line is reported instead, and the hint says where the parser stopped.
    """
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return None, ""
    quote = _unclosed_quote_line(text, mark.line)
    if quote is not None and quote < mark.line:
        later = mark.line - quote
        return quote, (f" (a quoted text opened on this line is not closed; the parser stopped {later} "
                       f"line{'s' if later > 1 else ''} later)")
    return mark.line, ""


def yaml_problem(shown: str, error: yaml.YAMLError, text: str = "") -> Problem:
    """The problem to report for a file that is not valid YAML, with the line of the mistake."""
    line, hint = yaml_error_line(text, error)
    return Problem(shown, f"not valid YAML: {getattr(error, 'problem', None) or error}{hint}",
                   line + 1 if line is not None else None)


def load_yaml_node(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document; return its Python value and its node tree (which carries line numbers).

    Raises:
        yaml.YAMLError: If ``text`` is not valid YAML (``problem_mark`` says where).
    """
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


class FrontMatterError(ValueError):
    """The front matter block is missing or is not valid YAML; ``line`` points at the cause."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Document:
    """A Markdown document split at its front matter.

    Attributes:
        meta: The front matter as a dict.
        body: Everything after the closing ``---``.
        body_line: The 1-based line number of the body's first line in the file.
        key_lines: The 1-based line of each top-level front matter key.
    """

    meta: dict[str, Any]
    body: str
    body_line: int
    key_lines: dict[str, int] = field(default_factory=dict)


def split_front_matter(text: str) -> Document:
    """Parse ``text`` that starts with a ``---`` fenced YAML block.

    Raises:
        FrontMatterError: If the block is missing, unterminated, not YAML, or not a mapping.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError("the file must start with a front matter block: a line '---', YAML, a line '---'", 1)
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if closing is None:
        raise FrontMatterError("the front matter block opened on line 1 is never closed with '---'", 1)
    source = "".join(lines[1:closing])
    try:
        meta, node = load_yaml_node(source)
    except yaml.YAMLError as error:
        index, hint = yaml_error_line(source, error)
        line = index + 2 if index is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise FrontMatterError(f"front matter is not valid YAML: {problem}{hint}", line) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values (key: value)", 2)
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    return Document(meta=meta, body="".join(lines[closing + 1 :]), body_line=closing + 2, key_lines=key_lines)
