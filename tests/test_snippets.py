"""Snippet references: found with their lines, checked against files and regions, read back."""

from __future__ import annotations

from coursekit.codefences import check_python_fences
from coursekit.snippets import SnippetRef, check_references, find_references, read_region, regions_in

PAGE = """\
Text.

```python title="x"
--8<-- "examples/churn/contract.py:check_record"
```
"""


def test_find_references_with_line_numbers():
    assert find_references(PAGE, first_line=5) == [SnippetRef("examples/churn/contract.py", "check_record", 8)]


def test_regions_in_the_contract(root):
    regions = regions_in((root / "examples/churn/contract.py").read_text())
    assert {"columns", "contract", "check_record"} <= set(regions)
    start, end = regions["check_record"]
    assert start < end


def test_read_region_drops_markers_and_dedents(root):
    text = read_region(root, SnippetRef("examples/churn/contract.py", "check_record", 1))
    assert text.startswith("def check_record(")
    assert "--8<--" not in text


def test_missing_file_and_region_are_reported(root):
    refs = [SnippetRef("examples/nope.py", None, 3), SnippetRef("examples/churn/contract.py", "nope", 4),
            SnippetRef("README.md", None, 5)]
    problems = check_references(refs, root, "page.md")
    assert [problem.line for problem in problems] == [3, 4, 5]
    assert "does not exist" in problems[0].message
    assert "region 'nope' is not marked" in problems[1].message and "check_record" in problems[1].message
    assert "must point into examples/" in problems[2].message


def test_python_fence_rule():
    pasted = "Intro\n\n```python\nprint('hi')\n```\n"
    pseudo = "```python\n# pseudo-code\nmodel = train(data)\n```\n"
    [problem] = check_python_fences(pasted, "p.md", first_line=10)
    assert problem.line == 12 and "examples/" in problem.message
    assert check_python_fences(PAGE, "p.md") == []
    assert check_python_fences(pseudo, "p.md") == []
    assert check_python_fences("```bash\necho hi\n```\n", "p.md") == []
