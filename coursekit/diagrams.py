"""The rules every Mermaid diagram of a lecture follows: an accessible title and description, and a
node budget small enough for the diagram to be read on a page and on a slide.

The node count is deliberately simple: it counts the distinct node ids of a flowchart, the
participants of a sequence diagram, the states of a state diagram and the commits of a git graph.
Other diagram types only get the accessibility rule.
"""

from __future__ import annotations

import re

from coursekit.blocks import split_blocks
from coursekit.problems import Problem

NODE_BUDGET = 12
"""The most nodes one diagram may have (CONTRIBUTING, "Diagrams")."""

_SKIPPED = re.compile(r"^(?:(?:accTitle|accDescr|subgraph|end|direction|classDef|class|style|linkStyle|click)\b|%%)")
_QUOTED = re.compile(r'"[^"]*"')
_EDGE_LABEL = re.compile(r"\|[^|]*\|")
_INLINE_EDGE_TEXT = re.compile(r"(?<![-=.])(--|==|-\.)\s[^\n]*?\s(-{2,}>|={2,}>|\.-+>|-{3,}|\.-{1,})")
_SHAPE = re.compile(r"\[[^\[\]]*\]|\([^()]*\)|\{[^{}]*\}|>[^\]\[]*\]")
_CLASS_SUFFIX = re.compile(r":::[\w-]+")
_ARROW = re.compile(r"[<ox]?(?:-{2,}|={2,}|-\.+-)[>ox]?|~~~")
_ID = re.compile(r"[A-Za-z_][\w]*")
_SUBGRAPH = re.compile(r"^subgraph\s+([\w]+)")
_SEQUENCE_PARTICIPANT = re.compile(r"^(?:participant|actor)\s+(\S+)")
_SEQUENCE_MESSAGE = re.compile(r"^([^-+<>:\s][^-<>:]*?)\s*(?:<<)?-{1,2}(?:>>|>|x|\))[+-]?\s*([^:]+?)\s*:")
_STATE_ID = re.compile(r"\[\*\]|[A-Za-z_][\w]*")


def _diagram_lines(lines: tuple[str, ...]) -> list[str]:
    """The stripped lines of a fence's content, without a leading ``---`` config front matter."""
    body = [line.strip() for line in lines[1:-1]]
    if body and body[0] == "---" and "---" in body[1:]:
        body = body[body.index("---", 1) + 1:]
    return body


def _kind(body: list[str]) -> str:
    for line in body:
        if line and not line.startswith("%%"):
            return line.split()[0]
    return ""


def _flowchart_nodes(body: list[str]) -> set[str]:
    subgraphs = {match.group(1) for line in body if (match := _SUBGRAPH.match(line))}
    nodes: set[str] = set()
    for line in body[1:]:
        if not line or _SKIPPED.match(line):
            continue
        text = _QUOTED.sub("", line)
        text = _EDGE_LABEL.sub(" ", text)
        text = _INLINE_EDGE_TEXT.sub(" --> ", text)
        text = _CLASS_SUFFIX.sub("", text)
        previous = None
        while previous != text:
            previous, text = text, _SHAPE.sub(" ", text)
        text = _ARROW.sub(" ", text)
        nodes.update(name for name in _ID.findall(text) if name not in subgraphs)
    return nodes


def _sequence_participants(body: list[str]) -> set[str]:
    found: set[str] = set()
    for line in body[1:]:
        if match := _SEQUENCE_PARTICIPANT.match(line):
            found.add(match.group(1))
        elif match := _SEQUENCE_MESSAGE.match(line):
            found.update({match.group(1).strip(), match.group(2).strip()})
    return found


def _states(body: list[str]) -> set[str]:
    found: set[str] = set()
    for line in body[1:]:
        if not line or _SKIPPED.match(line) or line.startswith(("note", "}")):
            continue
        if line.startswith("state "):
            found.add(line.split()[1].strip('"{'))
            continue
        transition = line.split(":", 1)[0]
        found.update(name for name in _STATE_ID.findall(transition) if name != "[*]")
    return found


def _commits(body: list[str]) -> set[str]:
    return {str(index) for index, line in enumerate(body) if line.startswith(("commit", "merge", "cherry-pick"))}


def count_nodes(source: str) -> tuple[str, int | None]:
    """Return the diagram type of a Mermaid source and its node count (``None`` if not counted)."""
    body = _diagram_lines(("", *source.splitlines(), ""))
    kind = _kind(body)
    start = next((index for index, line in enumerate(body) if line.startswith(kind)), 0)
    body = body[start:]
    if kind in {"flowchart", "graph"}:
        return kind, len(_flowchart_nodes(body))
    if kind == "sequenceDiagram":
        return kind, len(_sequence_participants(body))
    if kind in {"stateDiagram", "stateDiagram-v2"}:
        return kind, len(_states(body))
    if kind == "gitGraph":
        return kind, len(_commits(body))
    return kind, None


def _has_field(body: list[str], name: str) -> bool:
    for line in body:
        if line.startswith(name):
            rest = line[len(name):].strip()
            if rest.startswith(":") and rest[1:].strip():
                return True
            if rest.startswith("{"):
                return True
    return False


def check_diagrams(markdown: str, page: str, first_line: int = 1) -> list[Problem]:
    """Report Mermaid fences without ``accTitle``/``accDescr`` or over the node budget.

    Args:
        markdown: The lecture body.
        page: The file name shown in the problems.
        first_line: The 1-based line of the file where ``markdown`` starts.
    """
    problems = []
    for block in split_blocks(markdown):
        if block.kind != "fence" or not block.info.lstrip(".{").startswith("mermaid"):
            continue
        line = first_line + block.start
        body = _diagram_lines(block.lines)
        for name, example in (("accTitle", "accTitle: The churn system today"),
                              ("accDescr", "accDescr: One or two sentences saying what the diagram shows")):
            if not _has_field(body, name):
                problems.append(Problem(
                    page, f"the diagram has no {name} (screen readers need it): add a line such as "
                          f"'{example}' right after the diagram type", line, "mermaid"))
        kind, nodes = count_nodes("\n".join(block.lines[1:-1]))
        if nodes is not None and nodes > NODE_BUDGET:
            unit = {"sequenceDiagram": "participants", "gitGraph": "commits"}.get(kind, "nodes")
            problems.append(Problem(
                page, f"the diagram has {nodes} {unit}; the budget is {NODE_BUDGET} so that its labels stay "
                      "readable on a page and a slide: split it into two diagrams or drop nodes", line, "mermaid"))
    return problems
