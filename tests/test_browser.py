"""In real Chromium: diagrams render on the site and in the decks, offline; the quiz grades and persists."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.build]

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's chromium or set COURSE_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    tab = context.new_page()
    tab.outside = []
    tab.errors = []
    tab.on("request", lambda request: tab.outside.append(request.url)
           if not request.url.startswith((server, "data:", "blob:")) else None)
    tab.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    yield tab
    context.close()


def test_deck_diagrams_render_offline(page, server):
    page.goto(f"{server}/slides/1.4/")
    page.wait_for_function("() => document.querySelectorAll('pre.mermaid svg').length > 0", timeout=15_000)
    rendered = page.evaluate("() => [...document.querySelectorAll('pre.mermaid')].map(p => !!p.querySelector('svg'))")
    assert rendered and all(rendered), rendered
    assert page.outside == [], f"the deck fetched from outside 127.0.0.1: {page.outside}"
    assert page.errors == []


def test_site_diagrams_render_after_instant_navigation(page, server):
    page.goto(f"{server}/course/01-big-picture/1.4-end-to-end-architecture/")
    page.wait_for_selector("div.mermaid", timeout=15_000)
    page.click("a[href$='1.6-who-does-what/']")
    page.wait_for_url("**/1.6-who-does-what/")
    page.wait_for_selector("div.mermaid", timeout=15_000)
    assert page.evaluate("() => document.querySelectorAll('pre.mermaid').length") == 0
    assert page.outside == [], f"the site fetched from outside 127.0.0.1: {page.outside}"


def test_quiz_grades_persists_and_resets(page, server):
    page.goto(f"{server}/quizzes/section-01/")
    form = page.locator("form.quiz-question").first
    question_type = form.get_attribute("data-type")
    if question_type == "short":
        pytest.skip("first question is a short answer")
    right = form.locator(".quiz-choice[data-correct='true'] input").first
    right.check()
    form.locator("button[type=submit]").click()
    assert "Correct" in form.locator(".quiz-feedback").inner_text()
    assert form.locator(".quiz-explanation").first.is_visible()
    assert page.locator(".quiz-score").inner_text().startswith("Score: 1 of")
    page.reload()
    assert page.locator("form.quiz-question").first.locator(".quiz-feedback").inner_text().startswith("Correct")
    page.locator(".quiz-reset").click()
    assert page.locator(".quiz-score").inner_text().startswith("Score: 0 of")
    page.reload()
    assert page.locator("form.quiz-question").first.locator(".quiz-feedback").inner_text() == ""


OVERFLOW = """() => {
  const found = [];
  document.querySelectorAll('svg[data-marpit-svg]').forEach((svg, index) => {
    svg.style.display = 'block';
    const section = svg.querySelector('section');
    const frame = section.getBoundingClientRect();
    const scale = frame.height / 720;
    let worst = 0, element = '';
    section.querySelectorAll('*').forEach(node => {
      if (node.closest('footer')) return;
      const box = node.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) return;
      const over = Math.max(box.bottom - frame.bottom, box.right - frame.right) / scale;
      if (over > worst) {
        worst = over;
        element = node.tagName.toLowerCase() + ' "' + node.textContent.trim().slice(0, 40) + '"';
      }
    });
    if (worst > 1) {
      const heading = section.querySelector('h1, h2');
      found.push({slide: index + 1, heading: heading ? heading.textContent : '', px: Math.round(worst), element});
    }
  });
  return found;
}"""


DIAGRAMS_DONE = "() => [...document.querySelectorAll('pre.mermaid')].every(p => p.querySelector('svg'))"


def test_no_slide_overflows_its_frame(page, server, root):
    from coursekit.course import load_course

    failures = []
    for lecture in load_course(root).lectures:
        page.goto(f"{server}/slides/{lecture.id}/")
        page.wait_for_timeout(300)
        if page.query_selector("pre.mermaid"):
            page.wait_for_function(DIAGRAMS_DONE, timeout=15_000)
        for slide in page.evaluate(OVERFLOW):
            failures.append(f"deck {lecture.id} slide {slide['slide']} ({slide['heading']!r}): {slide['element']} "
                            f"overflows the 16:9 frame by {slide['px']} px; shorten it or split it with "
                            f"<!-- slides: break --> in {lecture.src_uri}")
    assert not failures, "\n".join(failures)


def test_pdf_export_writes_one_pdf_per_lecture(browser, course_tree, root, tmp_path):
    """``course slides-pdf`` (``make slides-pdf``) renders every deck to PDF with Chromium."""
    from coursekit.cli import main
    from tests.conftest import GOOD_FRONT_MATTER

    diagram = "\n## Flow\n\n```mermaid\nflowchart LR\n    accTitle: t\n    accDescr: d\n    a --> b\n```\n"
    tree = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + diagram})
    (tree / "node_modules").symlink_to(root / "node_modules")
    (tree / "docs" / "assets" / "javascripts").mkdir(parents=True)
    (tree / "docs/assets/javascripts/deck-mermaid.js").write_text((root / "docs/assets/javascripts/deck-mermaid.js")
                                                                   .read_text())
    output = tmp_path / "pdf"
    assert main(["--root", str(tree), "slides-pdf", "--browser", CHROMIUM, "--output", str(output)]) == 0
    pdf = output / "1.1-a.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
