"""axe-core (pinned in package.json) on every page type, in the light and the dark scheme, and on a sample
of slide decks: no serious or critical violation."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.build]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGE_TYPES = {
    "home": "/",
    "syllabus": "/syllabus/",
    "section": "/course/01-big-picture/",
    "lecture": "/course/01-big-picture/1.4-end-to-end-architecture/",
    "quiz": "/quizzes/section-01/",
    "slides index": "/slides/",
    "API reference": "/reference/churn/",
    "notebook": "/notebooks/contract_tour/",
}
SCHEMES = {"light": "default", "dark": "slate"}
DECK_DIAGRAMS_DONE = "() => [...document.querySelectorAll('pre.mermaid')].every(p => p.querySelector('svg'))"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n')[1])
  }));
}"""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_serious_accessibility_violation_on_any_page_type(browser, server, scheme):
    assert AXE.exists(), "axe-core is missing: run npm ci (make test does)"
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    tab = context.new_page()
    failures = []
    for name, path in PAGE_TYPES.items():
        tab.goto(server + path)  # the load event; diagrams are waited for by name below
        if tab.query_selector("pre.mermaid"):
            tab.wait_for_function("() => !document.querySelector('pre.mermaid')", timeout=20_000)
        assert tab.evaluate("() => document.body.dataset.mdColorScheme") == SCHEMES[scheme], f"{name}: not {scheme}"
        tab.add_script_tag(path=str(AXE))
        for violation in tab.evaluate(RUN_AXE):
            failures.append(f"{name} page {path} ({scheme}): {violation['impact']} {violation['id']}: "
                            f"{violation['help']}; e.g. {violation['nodes']}")
    context.close()
    assert not failures, "\n".join(failures)


# A sample, because axe-core takes seconds per deck on a loaded 2-core machine: between them these decks
# have a title slide, lab slides (and a continued one), code with captions, tables, diagrams and takeaways,
# and the test checks that they still do. Every deck shares the one theme and the generator's markup.
DECK_SAMPLE = ("4.4", "5.3", "2.6")
DECK_FEATURES = {"table": "<table", "diagram": 'class="mermaid"', "code": "<pre", "caption": "code-caption",
                 "continued slide": "(continued)</h2>", "takeaways": 'class="takeaways"'}


def test_no_serious_accessibility_violation_in_the_sample_decks(browser, server, built_site):
    """Decks through axe-core, as the slides index is: a sample that covers every kind of slide."""
    from tests.conftest import page_url

    pages = {deck: (built_site / "slides" / deck / "index.html").read_text(encoding="utf-8") for deck in DECK_SAMPLE}
    uncovered = [name for name, marker in DECK_FEATURES.items() if not any(marker in html for html in pages.values())]
    assert not uncovered, f"the deck sample no longer has {uncovered}: pick decks that do"
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    tab = context.new_page()
    failures = []
    for deck in DECK_SAMPLE:
        tab.goto(page_url(server, f"slides/{deck}/index.html"))
        if tab.query_selector("pre.mermaid"):
            tab.wait_for_function(DECK_DIAGRAMS_DONE, timeout=20_000)
        tab.add_script_tag(path=str(AXE))
        for violation in tab.evaluate(RUN_AXE):
            failures.append(f"deck {deck}: {violation['impact']} {violation['id']}: {violation['help']}; "
                            f"e.g. {violation['nodes']}")
    context.close()
    assert not failures, "\n".join(failures)
