"""axe-core (pinned in package.json) on every page type, in the light and the dark scheme: no serious or
critical violation."""

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
        tab.goto(server + path, wait_until="networkidle")
        if tab.query_selector("pre.mermaid"):
            tab.wait_for_function("() => !document.querySelector('pre.mermaid')", timeout=20_000)
        assert tab.evaluate("() => document.body.dataset.mdColorScheme") == SCHEMES[scheme], f"{name}: not {scheme}"
        tab.add_script_tag(path=str(AXE))
        for violation in tab.evaluate(RUN_AXE):
            failures.append(f"{name} page {path} ({scheme}): {violation['impact']} {violation['id']}: "
                            f"{violation['help']}; e.g. {violation['nodes']}")
    context.close()
    assert not failures, "\n".join(failures)
