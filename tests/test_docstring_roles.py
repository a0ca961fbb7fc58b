"""Docstrings use mkdocstrings' cross-references, never Sphinx roles, which Markdown shows as literal text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import site_pages

ROLES = "mod|func|class|meth|attr|exc|data|obj"
SOURCE_ROLE = re.compile(rf":(?:{ROLES}):`")
# In HTML the role's backticks have become a <code> element: ":mod:<code>churn.validate</code>".
RENDERED_ROLE = re.compile(rf":(?:{ROLES}):<code\b[^>]*>[^<]*</code>")
LITERAL_ROLE = re.compile(rf":(?:{ROLES}):`[^`<]*`?")
PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
CODE = re.compile(r"(<code\b[^>]*>).*?(</code>)", re.DOTALL)  # a role shown as code is an example, not a slip
FIX = ("write [`name`][churn.module.name] (a cross-reference mkdocstrings renders as a link) "
       "or ``name`` for code that is not in the API reference")


def test_no_sphinx_roles_in_the_examples_sources(root):
    found = [f"{path.relative_to(root)}:{number}: {line.strip()}"
             for path in sorted((root / "examples").rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if SOURCE_ROLE.search(line)]
    assert not found, f"Sphinx roles render as literal text; {FIX}:\n" + "\n".join(found)


def raw_roles(site: Path) -> list[str]:
    """Every page of ``site`` that shows a Sphinx role as text, with the role and what follows it."""
    found = []
    for page in site_pages(site):
        text = PRE.sub("", (site / page).read_text(encoding="utf-8"))
        found += [f"{page}: {match.group(0)}" for match in RENDERED_ROLE.finditer(text)]
        found += [f"{page}: {match.group(0)}" for match in LITERAL_ROLE.finditer(CODE.sub(r"\1\2", text))]
    return found


def test_raw_roles_are_found_on_a_page(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("<p>Loading does not judge; :mod:<code>churn.validate</code> does."
                                               " Never write <code>:func:`name`</code>; :class:`Drift` slipped.</p>"
                                               "<pre><code>:func:`shown_as_code`</code></pre>")
    assert raw_roles(tmp_path) == ["a/index.html: :mod:<code>churn.validate</code>",
                                   "a/index.html: :class:`Drift`"]


@pytest.mark.build
def test_no_built_page_shows_a_raw_role_and_the_reference_links_its_cross_references(built_site):
    assert not raw_roles(built_site), f"Sphinx roles shown as text; {FIX}:\n" + "\n".join(raw_roles(built_site))
    reference = (built_site / "reference" / "churn" / "index.html").read_text(encoding="utf-8")
    assert '<a class="autorefs autorefs-internal" href="#churn.validate"><code>churn.validate</code></a>' in reference
    assert reference.count('class="autorefs autorefs-internal"') >= 15
