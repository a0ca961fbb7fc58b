"""``course check`` on Mermaid diagrams: an accessible title and description, and the node budget."""

from __future__ import annotations

import pytest

from coursekit.course import load_course
from coursekit.diagrams import NODE_BUDGET, check_diagrams, count_nodes
from coursekit.problems import CourseError
from tests.conftest import GOOD_FRONT_MATTER

LECTURE = "docs/course/01-big-picture/1.1-a.md"


def _fence(*lines: str) -> str:
    return "```mermaid\n" + "\n".join(lines) + "\n```\n"


def _chain(count: int) -> list[str]:
    return [f'    n{index}["Step {index}"] --> n{index + 1}["Step {index + 1}"]' for index in range(count - 1)]


def problems_of(course_tree, body: str) -> list[str]:
    with pytest.raises(CourseError) as caught:
        load_course(course_tree({LECTURE: GOOD_FRONT_MATTER + body}))
    return [str(problem) for problem in caught.value.problems]


def test_a_diagram_with_title_description_and_few_nodes_passes(course_tree):
    body = "\n## Flow\n\n" + _fence("flowchart LR", "    accTitle: A flow", "    accDescr: a goes to b", *_chain(3))
    assert load_course(course_tree({LECTURE: GOOD_FRONT_MATTER + body})).lectures


def test_missing_acc_title_and_description_name_file_line_and_fix(course_tree):
    body = "\n## Flow\n\n" + _fence("flowchart LR", "    a --> b")
    found = problems_of(course_tree, body)
    fence_line = GOOD_FRONT_MATTER.count("\n") + 4
    assert found == [
        f"{LECTURE}:{fence_line}: mermaid: the diagram has no accTitle (screen readers need it): add a line such "
        "as 'accTitle: The churn system today' right after the diagram type",
        f"{LECTURE}:{fence_line}: mermaid: the diagram has no accDescr (screen readers need it): add a line such "
        "as 'accDescr: One or two sentences saying what the diagram shows' right after the diagram type",
    ]


def test_an_empty_acc_title_is_missing(course_tree):
    body = "\n" + _fence("flowchart LR", "    accTitle:", "    accDescr { A multi-line", "description }", "    a --> b")
    [problem] = problems_of(course_tree, body)
    assert "no accTitle" in problem


def test_a_diagram_over_the_node_budget_is_refused_with_the_fix(course_tree):
    body = "\n" + _fence("flowchart TB", "    accTitle: Many", "    accDescr: Too many steps",
                         *_chain(NODE_BUDGET + 5))
    [problem] = problems_of(course_tree, body)
    assert problem == (f"{LECTURE}:{GOOD_FRONT_MATTER.count(chr(10)) + 2}: mermaid: the diagram has 17 nodes; the "
                       "budget is 12 so that its labels stay readable on a page and a slide: split it into two "
                       "diagrams or drop nodes")


def test_a_diagram_at_the_budget_passes():
    source = _fence("flowchart LR", "    accTitle: t", "    accDescr: d", *_chain(NODE_BUDGET))
    assert check_diagrams(source, "x.md") == []


@pytest.mark.parametrize(("source", "kind", "nodes"), [
    # labels, shapes, edge labels and subgraph ids are not nodes
    ('flowchart LR\n  subgraph up ["Up"]\n    direction LR\n    a[("DB: x")] -->|"to b"| b{{"B"}}\n  end\n'
     '  up --> c(["C"])\n  c -- "text" --> d\n  d -. "dots" .-> a\n  classDef later stroke-dasharray: 5 5\n'
     '  class a,b later', "flowchart", 4),
    ("flowchart TB\n  a --> b --> c & d\n  e -- yes --> a", "flowchart", 5),
    ("sequenceDiagram\n  participant A as Alice\n  A->>B: hello\n  B-->>C: hi\n  Note over A: x", "sequenceDiagram", 3),
    ("stateDiagram-v2\n  [*] --> Idle\n  Idle --> Busy: start\n  Busy --> [*]", "stateDiagram-v2", 2),
    ('gitGraph\n  commit id: "a"\n  branch t\n  commit\n  checkout main\n  merge t', "gitGraph", 3),
    ("---\nconfig:\n  flowchart:\n    rankSpacing: 30\n---\nflowchart LR\n  a --> b ~~~ c", "flowchart", 3),
    ("pie\n  title x\n  \"a\": 1", "pie", None),
])
def test_count_nodes(source, kind, nodes):
    assert count_nodes(source) == (kind, nodes)


def test_sequence_participants_over_budget_name_participants():
    messages = [f"  P{index}->>P{index + 1}: hi" for index in range(14)]
    source = _fence("sequenceDiagram", "  accTitle: t", "  accDescr: d", *messages)
    [problem] = check_diagrams(source, "x.md")
    assert "15 participants; the budget is 12" in problem.message
