"""Every page of the built site in real Chromium: diagrams render, nothing leaves 127.0.0.1, no console
error, Mermaid loads only where a diagram is, and the page-weight budget holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.weight import LECTURE_PAGE_BUDGET, measure
from tests.conftest import page_url, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.build]

RENDERED = ("n => document.querySelectorAll('pre.mermaid').length === 0 "
            "&& document.querySelectorAll('div.mermaid').length >= n")


def _diagrams(site: Path, relative: str) -> int:
    return (site / relative).read_text(encoding="utf-8").count('<pre class="mermaid"')


def _wait_for_diagrams(tab, expected: int, where: str) -> str | None:
    """Wait until Material has swapped every ``pre.mermaid`` for a rendered ``div.mermaid``."""
    if not expected:
        return None
    try:
        tab.wait_for_function(RENDERED, arg=expected, timeout=20_000)
    except Exception:
        left = tab.evaluate("() => [...document.querySelectorAll('pre.mermaid')].map(p => p.textContent.trim()"
                            ".split('\\n')[1] || '')")
        return (f"{where}: {len(left)} of {expected} Mermaid diagrams did not render (rule: every diagram renders); "
                f"check the diagram whose first line is {left[:1]} in its source")
    return None


def test_every_page_renders_offline_without_errors(page, server, built_site):
    pages = site_pages(built_site)
    assert len(pages) > 10
    failures = []
    for relative in pages:
        page.forget()
        expected = _diagrams(built_site, relative)
        page.goto(page_url(server, relative), wait_until="networkidle")
        if problem := _wait_for_diagrams(page, expected, relative):
            failures.append(problem)
        if page.outside:
            failures.append(f"{relative}: requests left 127.0.0.1 (rule: no external request): {page.outside[:3]}")
        if page.errors:
            failures.append(f"{relative}: console errors (rule: no console error): {page.errors[:3]}")
        loaded = any(url.endswith("/mermaid.min.js") for url in page.requests)
        if loaded != bool(expected):
            failures.append(f"{relative}: {expected} diagrams but mermaid.min.js {'was' if loaded else 'was not'} "
                            "loaded (rule: Mermaid loads only on pages with a diagram)")
    assert not failures, "\n".join(failures)


def test_diagrams_render_after_instant_navigation_to_every_diagram_page(page, server, built_site):
    targets = [relative for relative in site_pages(built_site) if _diagrams(built_site, relative)]
    assert targets, "the site should have pages with diagrams"
    page.goto(f"{server}/", wait_until="networkidle")
    page.evaluate("() => { window.__sameDocument = true; }")
    failures = []
    for relative in targets:
        url = page_url(server, relative)
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; document.body.append(a); "
                      "a.click(); }", url)
        page.wait_for_url(url)
        page.wait_for_load_state("networkidle")
        if problem := _wait_for_diagrams(page, _diagrams(built_site, relative), f"{relative} (instant navigation)"):
            failures.append(problem)
        if not page.evaluate("() => window.__sameDocument === true"):
            failures.append(f"{relative}: reached by a full page load, not by instant navigation")
            page.evaluate("() => { window.__sameDocument = true; }")
    assert not page.outside, f"requests left 127.0.0.1: {page.outside[:3]}"
    assert not page.errors, page.errors[:3]
    assert not failures, "\n".join(failures)


def test_lecture_page_weight_budget(browser, server, built_site):
    """HTML + CSS + JS of a first visit, gzip, search index excluded: at most 120 KB for every lecture page
    (Mermaid, about 1 MB gzip, is counted apart: it loads only on pages with a diagram)."""
    lectures = [relative for relative in site_pages(built_site) if relative.startswith("course/")
                and relative.count("/") == 3]
    assert lectures
    failures = []
    for relative in lectures:
        context = browser.new_context()
        weight = measure(context.new_page(), page_url(server, relative))
        context.close()
        counted = weight.budgeted
        if counted > LECTURE_PAGE_BUDGET:
            largest = ", ".join(f"{url.rsplit('/', 1)[-1]} {size / 1024:.0f} KB" for url, size in weight.largest(4))
            failures.append(f"{relative}: {counted / 1024:.1f} KB gzip of HTML, CSS and JS (budget "
                            f"{LECTURE_PAGE_BUDGET // 1024} KB); largest: {largest}")
        if bool(weight.mermaid) != bool(_diagrams(built_site, relative)):
            failures.append(f"{relative}: Mermaid loaded on a page without diagrams, or missing on one with")
    assert not failures, "\n".join(failures)
