"""Pages generated from front matter: navigation, syllabus, section pages, slides index, quiz pages.

Nothing here is written by hand; adding a lecture file is all it takes to appear everywhere.
All links between Markdown pages are written as relative ``.md`` links so MkDocs checks them;
links to decks (plain HTML, not pages) are relative URLs.
"""

from __future__ import annotations

import posixpath
from typing import Any

from coursekit.catalog import Section
from coursekit.course import Course
from coursekit.glossary import GLOSSARY_PAGE, glossary_page
from coursekit.lectures import Lecture
from coursekit.quizzes.render import render_bank

NAV_PLACEHOLDER = "course/"
SYLLABUS = "syllabus.md"
SLIDES_INDEX = "slides/index.md"


def section_index_src(section: Section) -> str:
    """Source path of a section's generated index page."""
    return f"course/{section.folder}/index.md"


def quiz_src(section_number: int) -> str:
    """Source path of a section's generated quiz page."""
    return f"quizzes/section-{section_number:02d}.md"


def gift_src(section_number: int) -> str:
    """Site path of a section's GIFT export."""
    return f"quizzes/section-{section_number:02d}.gift"


def deck_url(lecture_id: str) -> str:
    """Site URL (from the site root) of a lecture's deck."""
    return f"slides/{lecture_id}/"


def page_url(src_uri: str) -> str:
    """The URL MkDocs gives a page with ``use_directory_urls: true``."""
    stem = src_uri.removesuffix(".md")
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def relative_url(target: str, from_url: str) -> str:
    """Relative URL from the page at ``from_url`` to the site path ``target``."""
    relative = posixpath.relpath(target or ".", from_url or ".")
    return relative + "/" if target.endswith("/") and not relative.endswith("/") else relative


def relative_md(target_src: str, from_src: str) -> str:
    """Relative Markdown link from one source file to another."""
    return posixpath.relpath(target_src, posixpath.dirname(from_src) or ".")


def _minutes(total: int) -> str:
    hours, minutes = divmod(total, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def nav_entries(course: Course) -> list[dict[str, Any]]:
    """The navigation entries of all published sections, for MkDocs' ``nav``."""
    entries = []
    for section in course.published_sections():
        children: list[Any] = [section_index_src(section)]
        children += [{f"{lecture.id} {lecture.meta.title}": lecture.src_uri} for lecture in course.lectures_in(section)]
        if section.number in course.banks:
            children.append({f"Section {section.number} quiz": quiz_src(section.number)})
        entries.append({f"{section.number}. {section.title}": children})
    return entries


def expand_nav(nav: list[Any], course: Course) -> list[Any]:
    """Replace the ``course/`` entry of a hand-written nav with the generated section entries."""
    expanded: list[Any] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item
        if value == NAV_PLACEHOLDER:
            expanded.extend(nav_entries(course))
        else:
            expanded.append(item)
    return expanded


def _lecture_rows(course: Course, section: Section, from_src: str) -> list[str]:
    rows = ["| Lecture | Title | Duration |", "|---|---|---|"]
    for lecture in course.lectures_in(section):
        link = relative_md(lecture.src_uri, from_src)
        rows.append(f"| {lecture.id} | [{lecture.meta.title}]({link}) | {lecture.meta.duration} min |")
    return rows


def section_page(course: Course, section: Section) -> str:
    """Markdown of a section's index page."""
    src = section_index_src(section)
    lectures = course.lectures_in(section)
    total = sum(lecture.meta.duration for lecture in lectures)
    lines = [
        f"# Section {section.number}: {section.title}",
        "",
        section.summary,
        "",
        f"Week {course.catalog.week_of(section.number)} of the learning path · {len(lectures)} lectures · "
        f"{_minutes(total)}",
        "",
        *_lecture_rows(course, section, src),
        "",
    ]
    if section.number in course.banks:
        lines += [f"When you have finished the section, check yourself with the "
                  f"[Section {section.number} quiz]({relative_md(quiz_src(section.number), src)}).", ""]
    return "\n".join(lines)


def syllabus_page(course: Course) -> str:
    """Markdown of the syllabus: the learning path, then every published lecture with its duration."""
    published = {section.number for section in course.published_sections()}
    total = sum(lecture.meta.duration for lecture in course.lectures)
    lines = [
        "# Syllabus",
        "",
        f"{course.catalog.description}",
        "",
        f"Published so far: {len(course.lectures)} lectures in {len(published)} of "
        f"{len(course.catalog.sections)} sections, {_minutes(total)} of material.",
        "",
        "## Learning path",
        "",
        "| Week | Focus | Sections |",
        "|---|---|---|",
    ]
    for week in course.catalog.learning_path:
        names = []
        for number in week.sections:
            section = course.catalog.section(number)
            assert section is not None
            if number in published:
                names.append(f"[{number}. {section.title}]({section_index_src(section)})")
            else:
                names.append(f"{number}. {section.title} (not yet published)")
        lines.append(f"| {week.week} | {week.focus} | {'<br>'.join(names)} |")
    for section in course.published_sections():
        lectures = course.lectures_in(section)
        lines += [
            "",
            f"## Section {section.number}: {section.title}",
            "",
            f"{section.summary} ({_minutes(sum(lecture.meta.duration for lecture in lectures))})",
            "",
            *_lecture_rows(course, section, SYLLABUS),
        ]
    return "\n".join(lines) + "\n"


def slides_index_page(course: Course) -> str:
    """Markdown of the slides index: every deck, by section."""
    lines = [
        "# Slides",
        "",
        "Every lecture has a slide deck generated from its page: the headings, lists, tables, diagrams "
        "and code are on the slides, and the page's prose is in the presenter notes. Open a deck, press "
        "<kbd>P</kbd> for the presenter view with notes, <kbd>F</kbd> for full screen, and the arrow keys "
        "to move.",
        "",
    ]
    for section in course.published_sections():
        lines += [f"## Section {section.number}: {section.title}", "", "| Lecture | Deck | Page |", "|---|---|---|"]
        for lecture in course.lectures_in(section):
            href = relative_url(deck_url(lecture.id), page_url(SLIDES_INDEX))
            page = relative_md(lecture.src_uri, SLIDES_INDEX)
            lines.append(f'| {lecture.id} | <a href="{href}">{lecture.meta.title}</a> | [page]({page}) |')
        lines.append("")
    return "\n".join(lines)


def lecture_header(course: Course, lecture: Lecture, repo_blob_url: str | None) -> str:
    """Markdown inserted at the top of a lecture page: id, duration, links, objectives."""
    section = course.catalog.section(lecture.section_number)
    assert section is not None
    url = page_url(lecture.src_uri)
    links = [f'<a class="md-button" href="{relative_url(deck_url(lecture.id), url)}">Slides</a>']
    if lecture.section_number in course.banks:
        quiz = relative_url(page_url(quiz_src(lecture.section_number)), url)
        links.append(f'<a class="md-button" href="{quiz}">Section {section.number} quiz</a>')
    lines = [
        '<div class="lecture-meta">'
        f'<span class="lecture-id">Lecture {lecture.id}</span>'
        f'<span class="lecture-duration">{lecture.meta.duration} min</span>'
        f'<span class="lecture-section">Section {section.number} · Week '
        f"{course.catalog.week_of(section.number)}</span>"
        + "".join(links) + "</div>",
        "",
        '!!! abstract "Learning objectives"',
        "",
        *(f"    - {objective}" for objective in lecture.meta.objectives),
        "",
    ]
    if lecture.meta.prerequisites:
        items = []
        for prerequisite in lecture.meta.prerequisites:
            before = course.lecture(prerequisite)
            assert before is not None
            items.append(f"[{before.id} {before.meta.title}]({relative_md(before.src_uri, lecture.src_uri)})")
        lines += [f"**Before this lecture:** {', '.join(items)}", ""]
    if lecture.meta.examples:
        code = [f"[`{path}`]({repo_blob_url}/{path})" if repo_blob_url else f"`{path}`"
                for path in lecture.meta.examples]
        lines += [f"**Code used:** {', '.join(code)}", ""]
    return "\n".join(lines) + "\n"


def quiz_page(course: Course, section_number: int) -> str:
    """Markdown of a section's interactive quiz page."""
    loaded = course.banks[section_number]
    section = course.catalog.section(section_number)
    assert section is not None
    src = quiz_src(section_number)
    url = page_url(src)
    links = {}
    for lecture in course.lectures_in(section):
        href = relative_url(page_url(lecture.src_uri), url)
        links[lecture.id] = f'<a href="{href}">{lecture.id} {lecture.meta.title}</a>'
    gift = relative_url(gift_src(section_number), url)
    intro = (
        "---\nsearch:\n  exclude: true  # the explanations would give the answers away in search results\n---\n\n"
        f"# Section {section_number} quiz: {section.title}\n\n"
        f"{len(loaded.bank.questions)} questions on the lectures of "
        f"[Section {section_number}]({relative_md(section_index_src(section), src)}). Answer, press "
        "**Check answer**, and read the explanation of every choice: the explanations are where the "
        "learning happens. Your answers and score stay in this browser until you reset them.\n\n"
    )
    return intro + render_bank(loaded, links, gift) + "\n"


def glossary_index_page(course: Course) -> str:
    """Markdown of the glossary page, each term linked to the lecture that introduces it."""
    links = {lecture.id: f"[{lecture.id} {lecture.meta.title}]({relative_md(lecture.src_uri, GLOSSARY_PAGE)})"
             for lecture in course.lectures}
    return glossary_page(course.glossary, links)
