"""Pages name tools as they are now: facts of the currency checklist that a page can get wrong in words.

Each rule is a name and what must be said in the same paragraph when the name appears. Today:
Databricks agreed in 2025 to acquire Tecton, so a paragraph that names Tecton says so (the
acquisition, or that Tecton is part of Databricks), instead of presenting it as an independent vendor.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted(path for path in (ROOT / "docs" / "course").glob("*/*.md") if path.name != "index.md")
RULES = [
    (re.compile(r"\bTecton\b(?!\s+(?:Pipelines|v1|Tasks?|ClusterTask))"),
     re.compile(r"\bacqui\w*[^.]*\bTecton\b|\bTecton\b[^.]*\b(?:acqui\w*|part of Databricks)"),
     "Databricks agreed in 2025 to acquire Tecton: say so where Tecton is named (CURRENCY.md, feature-store vendors)"),
]


def paragraphs(text: str) -> list[tuple[int, str]]:
    """``(first line, text)`` of every blank-line-separated paragraph."""
    found, start, lines = [], 1, []
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            found.append((start, " ".join(lines)))
            lines = []
    return found


@pytest.mark.parametrize("path", LECTURES, ids=lambda path: path.stem.split("-", 1)[0])
def test_named_tools_are_described_as_they_are_now(path):
    problems = [f"{path.relative_to(ROOT)}:{line}: {why}"
                for line, paragraph in paragraphs(path.read_text(encoding="utf-8"))
                for name, needed, why in RULES if name.search(paragraph) and not needed.search(paragraph)]
    assert not problems, "\n".join(problems)


def test_the_rule_tells_the_vendor_from_the_pipelines_project():
    name, needed, _ = RULES[0]
    old = "the cloud platforms offer managed ones (Databricks), and Hopsworks and Tecton are others."
    assert name.search(old) and not needed.search(old)
    assert needed.search("Databricks, which agreed in 2025 to acquire Tecton, so Tecton is now part of Databricks")
    assert not name.search("Tekton Pipelines and Tecton Pipelines")  # the CI/CD project is spelt Tekton anyway
