"""Every slide deck in real Chromium: each slide fits its 16:9 frame, diagrams render, every slide with
prose has presenter notes, and a deck requests nothing but its own site's files."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from coursekit.course import load_course
from coursekit.slides.build import deck_sources
from tests import lecture_tests
from tests.conftest import CHROMIUM, deck_pages, page_url, watched_tab
from tests.diagram_sizes import DECK_DRAWN, FIX, LABEL_SIZES, SLIDE_MIN_PX

pytestmark = [pytest.mark.browser, pytest.mark.build]

# Each slide is measured as the presenter sees it: made the current slide (the deck's own #N
# navigation) and given two frames for Marp to fit its code blocks, which it scales from a
# ResizeObserver. Slides that are not current can hold an unfitted code block (about one page load in
# ten did), so forcing every slide visible at once measured something nobody sees.
OVERFLOW = """async () => {
  const found = [], unshown = [], tops = [];
  const slides = [...document.querySelectorAll('svg[data-marpit-svg]')];
  for (const [index, svg] of slides.entries()) {
    location.hash = '#' + (index + 1);
    for (let frame = 0; frame < 2; frame++) { await new Promise(done => requestAnimationFrame(done)); }
    if (!svg.classList.contains('bespoke-marp-active')) { unshown.push(index + 1); continue; }
    const section = svg.querySelector('section');
    const frame = section.getBoundingClientRect();
    const scale = frame.height / 720;
    const title = section.querySelector(':scope > h2');
    if (title && !section.classList.contains('title')) {
      tops.push({slide: index + 1, top: Math.round((title.getBoundingClientRect().top - frame.top) / scale)});
    }
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
  }
  return {found, unshown, tops};
}"""

NOTES = """() => Object.fromEntries([...document.querySelectorAll('.bespoke-marp-note')]
    .map(note => [note.dataset.index, note.textContent.trim().length]))"""

# The fill of every plain flowchart node: the site's teal (mermaid-theme.js), not Mermaid's default lavender.
NODE_FILLS = """() => [...new Set([...document.querySelectorAll('pre.mermaid g.node > rect')]
    .map(rect => getComputedStyle(rect).fill))]"""
SITE_NODE_FILL = "rgb(229, 248, 246)"
TITLE_TOP = 48  # the theme's top padding: every slide title starts there
DECK_FILES = ("/index.html", "/", "/mermaid.min.js", "/mermaid-theme.js", "/deck-mermaid.js", "/favicon.ico",
              ".woff2")
# Loads every font face of the theme before anything is measured: measuring a fallback font would
# measure something that differs from machine to machine.
FONTS_READY = """async () => {
  const faces = [...document.fonts];
  await Promise.allSettled(faces.map(face => face.load()));
  return faces.length >= 6 && faces.every(face => face.status === 'loaded'); }"""
NOTES_COMMENT = re.compile(r"^<!--\n", re.MULTILINE)


@pytest.fixture(scope="module")
def decks(root, built_site, request) -> dict[str, dict]:
    """For every lecture (only one with ``--lecture``): its deck page and, per slide, whether it has notes."""
    course = load_course(root)
    found = {}
    only = lecture_tests.wanted_lecture(request.config)
    for lecture_id, source in deck_sources(course).items():
        if only and lecture_id != only:
            continue
        body = source.split("\n---\n", 1)[1]
        slides = body.split("\n\n---\n\n")
        lecture = next(item for item in course.lectures if item.id == lecture_id)
        found[lecture_id] = {"page": f"slides/{lecture_id}/index.html", "src": lecture.src_uri,
                             "notes": [bool(NOTES_COMMENT.search(slide)) for slide in slides]}
    assert only or sorted(item["page"] for item in found.values()) == deck_pages(built_site)
    return found


@dataclass
class DeckVisit:
    """What one visit of a deck showed: rule failures, overflowing slides (px, message), diagram labels."""

    where: str
    failures: list[str]
    overflows: list[tuple[float, str]]
    labels: list[dict]


def _visit_deck(tab, server: str, lecture_id: str, deck: dict) -> DeckVisit:
    """Open one deck and check it slide by slide as the presenter sees it."""
    tab.forget()
    tab.goto(page_url(server, deck["page"]), wait_until="load")
    where = f"deck {lecture_id} ({deck['src']})"
    failures, overflows, labels = [], [], []
    if not tab.evaluate(FONTS_READY):
        failures.append(f"{where}: the theme's fonts (Arimo, Cousine) did not load from assets/fonts/")
    diagrams = tab.query_selector("pre.mermaid") is not None
    if diagrams:
        try:
            tab.wait_for_function(DECK_DRAWN, timeout=20_000)
        except Exception:
            failures.append(f"{where}: a Mermaid diagram did not render (rule: diagrams render in decks)")
        fills = tab.evaluate(NODE_FILLS)
        if fills and SITE_NODE_FILL not in fills:
            failures.append(f"{where}: diagram nodes are filled {fills}, not the site's {SITE_NODE_FILL} "
                            "(rule: one Mermaid theme, docs/assets/javascripts/mermaid-theme.js)")
    lang = tab.evaluate("() => document.documentElement.lang")
    if lang != "en":
        failures.append(f"{where}: <html lang={lang!r}>, expected 'en' (the deck's lang directive)")
    slides = tab.locator("svg[data-marpit-svg]").count()
    if slides != len(deck["notes"]):
        failures.append(f"{where}: {slides} slides in the HTML, {len(deck['notes'])} generated")
    notes = tab.evaluate(NOTES)
    for index, has_prose in enumerate(deck["notes"]):
        if has_prose and not notes.get(str(index)):
            failures.append(f"{where} slide {index + 1}: the page has prose for it but the deck shows no "
                            "presenter notes (rule: every slide with prose has notes)")
    measured = tab.evaluate(OVERFLOW)
    if measured["unshown"]:
        failures.append(f"{where}: slides {measured['unshown']} could not be shown by the deck's #N navigation")
    moved = [top for top in measured["tops"] if abs(top["top"] - TITLE_TOP) > 1]
    if moved:
        failures.append(f"{where}: slide titles not pinned to the top ({TITLE_TOP} px): {moved[:5]}")
    for slide in measured["found"]:
        overflows.append((slide["px"], f"{where} slide {slide['slide']} ({slide['heading']!r}): "
                                       f"{slide['element']} overflows the 16:9 frame by {slide['px']} px; "
                                       "shorten it or split it with <!-- slides: break -->"))
    if diagrams:
        labels = tab.evaluate(LABEL_SIZES, "deck")
    if tab.outside:
        failures.append(f"{where}: requests left 127.0.0.1: {tab.outside[:3]}")
    others = [url for url in tab.requests if not url.endswith(DECK_FILES)]
    if others:
        failures.append(f"{where}: loads more than its own site's deck files: {others[:3]}")
    if tab.errors:
        failures.append(f"{where}: console errors: {tab.errors[:3]}")
    return DeckVisit(where, failures, overflows, labels)


@pytest.fixture(scope="module")
def deck_visits(browser, server, decks) -> list[DeckVisit]:
    """Every deck (one with ``--lecture``) visited once, in one 1280x720 tab."""
    with watched_tab(browser, server) as tab:
        return [_visit_deck(tab, server, lecture_id, deck) for lecture_id, deck in decks.items()]


def test_every_deck_fits_renders_and_has_notes(deck_visits):
    failures = [failure for visit in deck_visits for failure in visit.failures]
    overflows = [overflow for visit in deck_visits for overflow in visit.overflows]
    worst_first = [message for _, message in sorted(overflows, key=lambda item: -item[0])]
    assert not failures + worst_first, "\n".join(failures + worst_first)


def test_every_slide_diagram_has_labels_of_at_least_14_px(deck_visits):
    measured = [visit for visit in deck_visits if visit.labels]
    if not measured:
        pytest.skip("no diagram in the decks visited")
    failures = []
    for visit in measured:
        for diagram in visit.labels:
            if diagram["px"] is None or diagram["px"] < SLIDE_MIN_PX:
                failures.append(f"{visit.where} slide {diagram['slide']} (diagram {diagram['index'] + 1} of the "
                                f"deck): labels drawn at {diagram['px']} px (smallest: {diagram['label']!r}); the "
                                f"rule is at least {SLIDE_MIN_PX} px on a 1280x720 slide: {FIX}")
    assert not failures, "\n".join(failures)


NOTE_DIV = re.compile(r'<div class="bespoke-marp-note".*?</div>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def test_every_lab_command_is_in_its_rendered_deck(root, built_site):
    """Rule: a deck never drops a lab command, checked on the HTML Marp wrote (slides, not notes)."""
    import html

    from tests.test_decks import lab_commands

    missing = []
    for lecture in load_course(root).lectures:
        page = (built_site / "slides" / lecture.id / "index.html").read_text(encoding="utf-8")
        text = html.unescape(TAG.sub("", NOTE_DIV.sub("", page)))
        missing += [f"deck {lecture.id} ({lecture.src_uri}) lab step {step}: {command!r}"
                    for step, command in lab_commands(lecture.path.read_text(encoding="utf-8")) if command not in text]
    assert not missing, "\n".join(missing)


def test_a_deck_without_diagrams_makes_no_request_but_itself(page, server, decks, built_site):
    plain = [deck for deck in decks.values() if 'class="mermaid"' not in (built_site / deck["page"]).read_text()]
    if not plain:
        pytest.skip("every deck has a diagram")
    page.goto(page_url(server, plain[0]["page"]), wait_until="load")
    fonts = page_url(server, "assets/fonts/")
    own = [url for url in page.requests if not url.endswith("/favicon.ico") and not url.startswith(fonts)]
    assert own == [page_url(server, plain[0]["page"])]


def test_pdf_export_writes_one_pdf_per_lecture(browser, course_tree, root, tmp_path):
    """``course slides-pdf`` (``make slides-pdf``) renders every deck to PDF with Chromium."""
    from coursekit.cli import main
    from tests.conftest import GOOD_FRONT_MATTER

    diagram = "\n## Flow\n\n```mermaid\nflowchart LR\n    accTitle: t\n    accDescr: d\n    a --> b\n```\n"
    tree = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + diagram})
    (tree / "node_modules").symlink_to(root / "node_modules")
    (tree / "docs" / "assets" / "javascripts").mkdir(parents=True)
    for script in ("mermaid-theme.js", "deck-mermaid.js"):
        (tree / "docs/assets/javascripts" / script).write_text((root / "docs/assets/javascripts" / script).read_text())
    output = tmp_path / "pdf"
    assert main(["--root", str(tree), "slides-pdf", "--browser", CHROMIUM, "--output", str(output)]) == 0
    pdf = output / "1.1-a.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    assert b"Arimo" in _pdf_font_names(pdf.read_bytes()), "the PDF should embed the theme's own font"


def _pdf_font_names(pdf: bytes) -> bytes:
    """The font names a PDF embeds (they sit in its compressed object streams)."""
    import zlib

    names = re.findall(rb"/(?:BaseFont|FontName)\s*/([\w+-]+)", pdf)
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            names += re.findall(rb"/(?:BaseFont|FontName)\s*/([\w+-]+)", zlib.decompress(stream))
        except zlib.error:
            continue
    return b" ".join(names)
