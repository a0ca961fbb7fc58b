"""Integration: the strict build produces lecture pages, generated pages, decks and quiz pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursekit.course import load_course
from coursekit.pages import page_url
from coursekit.slides.build import deck_sources

pytestmark = pytest.mark.build


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def test_every_lecture_page_has_header_objectives_and_links(root, built_site):
    course = load_course(root)
    for lecture in course.lectures:
        page = html(built_site, page_url(lecture.src_uri))
        assert f"Lecture {lecture.id}" in page and f"{lecture.meta.duration} min" in page
        for objective in lecture.meta.objectives:
            assert objective.split()[0] in page
        assert f'slides/{lecture.id}/"' in page, f"{lecture.id}: no deck link"
        assert "slides:" not in page, f"{lecture.id}: a slide marker leaked onto the page"
        if lecture.section_number in course.banks:
            assert f"quizzes/section-{lecture.section_number:02d}/" in page


def test_every_lecture_has_a_deck_with_notes(root, built_site):
    """Every slide whose section has prose carries presenter notes in the published deck."""
    course = load_course(root)
    sources = deck_sources(course)
    for lecture in course.lectures:
        deck = (built_site / "slides" / lecture.id / "index.html").read_text(encoding="utf-8")
        slides = sources[lecture.id].split("\n\n---\n\n")
        assert deck.count("<section") >= len(slides), f"{lecture.id}: slides missing"
        notes = re.findall(r'<div class="bespoke-marp-note" data-index="\d+"[^>]*>(.*?)</div>', deck, flags=re.S)
        with_prose = [slide for slide in slides if "<!--\n" in slide]
        assert len([note for note in notes if note.strip()]) == len(with_prose) > 0, f"{lecture.id}: notes missing"


def test_generated_pages(root, built_site):
    course = load_course(root)
    syllabus = html(built_site, "syllabus")
    assert all(lecture.meta.title.split("(")[0].strip()[:20] in syllabus for lecture in course.lectures)
    assert "Week" in syllabus and "not yet published" in syllabus
    section = html(built_site, "course/01-big-picture")
    assert section.count("min</td>") == len(course.lectures_in(course.catalog.sections[0]))
    slides = html(built_site, "slides")
    assert all(f'href="{lecture.id}/"' in slides for lecture in course.lectures)


def test_quiz_pages_and_gift(root, built_site):
    course = load_course(root)
    assert course.banks, "at least one quiz bank should exist"
    for number, loaded in course.banks.items():
        page = html(built_site, f"quizzes/section-{number:02d}")
        assert page.count('class="quiz-question"') == len(loaded.bank.questions)
        assert "quiz.js" in page
        assert (built_site / "quizzes" / f"section-{number:02d}.gift").read_text().count("::") >= 2 * len(
            loaded.bank.questions)


def test_mermaid_is_local_and_fonts_are_not_fetched(built_site):
    assert (built_site / "assets/javascripts/mermaid.min.js").stat().st_size > 500_000
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text, page
        assert not re.search(r'<script[^>]+src="https?://', text), f"{page} loads a script from the internet"


def test_the_decks_fonts_are_published_two_levels_above_every_deck(built_site):
    deck = (built_site / "slides" / "1.1" / "index.html").read_text(encoding="utf-8")
    urls = set(re.findall(r'url\("(\.\./\.\./assets/fonts/[^"]+)"\)', deck))
    assert len(urls) == 6, urls
    for url in urls:
        assert (built_site / "slides" / "1.1" / url).resolve().stat().st_size > 5_000, url


def test_lecture_diagrams_use_materials_mermaid_fence(built_site):
    pages = [page.read_text(encoding="utf-8") for page in (built_site / "course").rglob("index.html")]
    assert any('<pre class="mermaid" data-search-exclude><code>' in page for page in pages)
    assert not any('src="../../../assets/javascripts/mermaid.min.js"' in page for page in pages), (
        "Mermaid must load on demand (mermaid-loader.js), not on every page")


def test_search_index_leaves_out_quiz_answers_and_diagram_source(built_site):
    import json

    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {entry["location"].split("#")[0] for entry in index["docs"]}
    assert any(location.startswith("course/") for location in locations)
    assert not any(location.startswith("quizzes/") for location in locations), "quiz explanations give answers away"
    lectures = [entry for entry in index["docs"] if entry["location"].startswith("course/")]
    assert not any("accTitle:" in entry["text"] for entry in lectures), "Mermaid source is search noise"


def test_api_reference_and_notebook(built_site):
    reference = html(built_site, "reference/churn")
    assert "check_record" in reference and "Check one customer record against the contract" in reference
    notebook = html(built_site, "notebooks/contract_tour")
    assert "21 columns, 19 features" in notebook, "the notebook should be executed during the build"


def test_glossary_page_and_every_term_linked_on_the_lecture_that_teaches_it(root, built_site):
    from coursekit.course import load_course

    course = load_course(root)
    glossary = html(built_site, "glossary")
    assert len(course.glossary.terms) >= 30
    problems = []
    for term in course.glossary.terms:
        assert f'id="{term.anchor}"' in glossary, term.term
        if term.lecture:
            lecture = course.lecture(term.lecture)
            page = html(built_site, lecture.src_uri.removesuffix(".md"))
            if f'glossary/#{term.anchor}" title="' not in page:
                problems.append(f"glossary.yml: {term.term!r} names lecture {term.lecture}, whose page never uses "
                                "the term or an alias in prose; fix the lecture field or add an alias")
    assert not problems, "\n".join(problems)


def test_compiled_templates_are_kept_for_the_next_build(root, built_site):
    """The theme's and mkdocstrings' templates go to .cache/jinja: each rebuild skips compiling them."""
    cached = list((root / ".cache" / "jinja").glob("__jinja2_*.cache"))
    assert len(cached) >= 40, "expected the theme's and mkdocstrings' compiled templates in .cache/jinja"
