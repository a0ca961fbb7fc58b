"""A diagram opens full screen on a phone, larger, and Escape closes it. The measure is
tests/diagram_sizes.py; the label sizes of every page at 1280 px and on a 390-px phone are checked in
tests/test_browser_site.py (one visit per page) and the slide sizes in tests/test_browser_decks.py
(one visit per deck)."""

from __future__ import annotations

import pytest

from coursekit.course import load_course
from tests import lecture_tests
from tests.conftest import page_url, site_pages
from tests.diagram_sizes import (
    LABEL_SIZES,
    PAGE_DRAWN,
    SHADOW_ROOTS,
)

pytestmark = [pytest.mark.browser, pytest.mark.build]



def _with_diagrams(site, relatives: list[str]) -> dict[str, int]:
    found = {relative: (site / relative).read_text(encoding="utf-8").count('<pre class="mermaid"')
             for relative in relatives}
    return {relative: count for relative, count in found.items() if count}


def _of_wanted_lecture(config: pytest.Config, found: dict[str, int]) -> dict[str, int]:
    """With ``pytest --lecture ID``, only that lecture's page and deck (skip when they have no diagram)."""
    only = lecture_tests.wanted_lecture(config)
    if not only:
        return found
    lecture = load_course(config.rootpath).lecture(only)
    mine = (lecture.src_uri.removesuffix(".md") + "/index.html", f"slides/{only}/index.html")
    kept = {relative: count for relative, count in found.items() if relative in mine}
    if not kept:
        pytest.skip(f"lecture {only} has no diagram")
    return kept


def _measure_pages(tab, server, pages: dict[str, int]) -> dict[str, list[dict]]:
    measured = {}
    for relative, count in pages.items():
        tab.goto(page_url(server, relative), wait_until="load")
        tab.wait_for_function(PAGE_DRAWN, arg=count, timeout=20_000)
        measured[relative] = tab.evaluate(LABEL_SIZES, "page")
    return measured


@pytest.fixture(scope="module")
def diagram_pages(request, built_site) -> dict[str, int]:
    """Site-relative page paths with their number of diagrams (one lecture's with ``--lecture``)."""
    pages = _with_diagrams(built_site, site_pages(built_site))
    assert pages, "the site should have pages with diagrams"
    return _of_wanted_lecture(request.config, pages)


@pytest.fixture(scope="module")
def phone(browser):
    """A 390x844 phone tab that can reach the diagrams' shadow roots."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.add_init_script(SHADOW_ROOTS)
    yield tab
    context.close()


def test_a_diagram_opens_full_screen_larger_and_escape_closes_it(phone, server, diagram_pages):
    relative = next(iter(diagram_pages))
    [on_page, *_] = _measure_pages(phone, server, {relative: diagram_pages[relative]})[relative]
    button = phone.locator("button.diagram-open").first
    button.focus()
    phone.keyboard.press("Enter")
    phone.wait_for_selector("dialog.diagram-dialog[open]")
    [full] = phone.evaluate(LABEL_SIZES, "dialog")
    assert full["px"] >= 16 and full["px"] > on_page["px"], (relative, on_page, full)
    assert phone.evaluate("() => document.activeElement.closest('dialog') !== null"), \
        "focus should move into the dialog"
    phone.keyboard.press("Escape")
    phone.wait_for_selector("dialog.diagram-dialog", state="hidden")
    assert phone.evaluate("() => document.activeElement.classList.contains('diagram-open')"), \
        "focus should return to the Full screen button"
    phone.locator("div.mermaid").first.click()
    phone.wait_for_selector("dialog.diagram-dialog[open]")
    phone.locator(".diagram-dialog-close").click()
    phone.wait_for_selector("dialog.diagram-dialog", state="hidden")
