"""YAML for the course sources: fast safe loading, line numbers, and front matter split from a Markdown body."""

from __future__ import annotations

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


def yaml_problem(shown: str, error: yaml.YAMLError) -> Problem:
    """The problem to report for a file that is not valid YAML, with the line the parser stopped at."""
    mark = getattr(error, "problem_mark", None)
    return Problem(shown, f"not valid YAML: {getattr(error, 'problem', None) or error}",
                   mark.line + 1 if mark is not None else None)


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
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise FrontMatterError(f"front matter is not valid YAML: {problem}", line) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values (key: value)", 2)
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    return Document(meta=meta, body="".join(lines[closing + 1 :]), body_line=closing + 2, key_lines=key_lines)
