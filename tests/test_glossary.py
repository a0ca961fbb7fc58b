"""The glossary: validation with line numbers, the generated page, and first-use linking that leaves code,
headings, links and diagrams alone."""

from __future__ import annotations

import textwrap

from coursekit.glossary import Glossary, Term, glossary_page, link_first_uses, load_glossary

GLOSSARY = Glossary([
    Term(term="data contract", definition="A machine-checked promise about a data set and its owner.",
         aliases=["data contracts"], lecture="1.8"),
    Term(term="data", definition="Everything recorded about customers, in tables."),
    Term(term="CI/CD", definition="Continuous integration and delivery of every change."),
    Term(term="SRE", definition="Site reliability engineering, keeping services within targets."),
])
URL = "../../glossary.md"


def test_first_use_of_each_term_is_linked_once_with_its_definition_as_title():
    text = "Our data contracts matter. A data contract is not a wiki page. Keep the data clean."
    linked = link_first_uses(text, GLOSSARY, URL)
    assert linked.count("](../../glossary.md#term-data-contract") == 1
    assert '[data contracts](../../glossary.md#term-data-contract "A machine-checked promise' in linked
    assert "[data](../../glossary.md#term-data " in linked, "the shorter term links where it stands alone"
    assert linked.count("glossary.md#term-data ") == 1


def test_code_headings_links_comments_fences_and_html_are_left_alone():
    text = textwrap.dedent("""\
        ## The data contract

        ```mermaid
        flowchart LR
            a["data contract"] --> b
        ```

        <!-- slides: only
        data contract in a comment
        -->
        See `data contract` and [the data contract](x.md) and <span title="data contract">x</span>.

        Then the data contract, in prose.
        """)
    linked = link_first_uses(text, GLOSSARY, URL)
    lines = linked.splitlines()
    assert lines[0] == "## The data contract"
    assert 'a["data contract"] --> b' in linked and "data contract in a comment" in linked
    assert "`data contract` and [the data contract](x.md) and <span title=\"data contract\">" in linked
    assert "Then the [data contract](../../glossary.md#term-data-contract" in linked


def test_capital_terms_match_only_in_capitals_and_whole_words():
    linked = link_first_uses("sre is not SRE; SREs differ; CI/CD runs.", GLOSSARY, URL)
    assert linked.startswith("sre is not [SRE](")
    assert "SREs differ" in linked and "[CI/CD](" in linked


def test_bad_entries_are_reported_with_line_and_field(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_text(textwrap.dedent("""\
        terms:
          - term: drift
            definition: Inputs change over time compared with training data.
          - term: Drift
            definition: Duplicate spelling of the same term here.
          - term: x
            definition: short
            colour: red
          - term: registry
            definition: A catalogue of model versions with their aliases.
            lecture: "9.9"
        """), encoding="utf-8")
    glossary, problems = load_glossary(path, tmp_path, {"1.1"})
    assert glossary is None
    messages = [str(problem) for problem in problems]
    assert any("glossary.yml:4: term: 'Drift' is already used by the term 'drift'" in m for m in messages)
    assert any("glossary.yml:6: term:" in m and "at least 2 characters" in m for m in messages)
    assert any("glossary.yml:6: colour:" in m for m in messages)
    assert any("glossary.yml:9: lecture: lecture '9.9' does not exist" in m for m in messages)


def test_glossary_page_groups_terms_by_letter_with_anchors_and_lecture_links():
    page = glossary_page(GLOSSARY, {"1.8": "[1.8 Sneak peek](course/01/1.8.md)"})
    assert "## D {#letter-d}" in page and "### data contract {#term-data-contract}" in page
    assert "Also: data contracts. Taught in [1.8 Sneak peek](course/01/1.8.md)." in page
    assert page.index("### CI/CD") < page.index("### data {#term-data}") < page.index("### SRE")
