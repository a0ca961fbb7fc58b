"""A diagram opens full screen on a phone, larger, and Escape closes it. The measure is
tests/diagram_sizes.py; the label sizes of every page at 1280 px and on a 390-px phone are checked in
tests/test_browser_site.py (one visit per page) and the slide sizes in tests/test_browser_decks.py
(one visit per deck)."""

from __future__ import annotations

import pytest

from tests.conftest import page_url, site_pages
from tests.diagram_sizes import LABEL_SIZES, PAGE_DRAWN, SHADOW_ROOTS

pytestmark = [pytest.mark.browser, pytest.mark.build]


@pytest.fixture(scope="module")
def diagram_page(built_site) -> tuple[str, int]:
    """The first page of the site with a diagram, and how many diagrams it has."""
    for relative in site_pages(built_site):
        if count := (built_site / relative).read_text(encoding="utf-8").count('<pre class="mermaid"'):
            return relative, count
    pytest.fail("the site should have pages with diagrams")


@pytest.fixture(scope="module")
def phone(browser):
    """A 390x844 phone tab that can reach the diagrams' shadow roots."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.add_init_script(SHADOW_ROOTS)
    yield tab
    context.close()


def test_a_diagram_opens_full_screen_larger_and_escape_closes_it(phone, server, diagram_page):
    relative, count = diagram_page
    phone.goto(page_url(server, relative), wait_until="load")
    phone.wait_for_function(PAGE_DRAWN, arg=count, timeout=20_000)
    [on_page, *_] = phone.evaluate(LABEL_SIZES, "page")
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
