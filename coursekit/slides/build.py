"""Build every lecture's deck with one Marp run, reconverting only decks whose source changed.

Deck sources are written to a cache folder (``.cache/decks/<id>/index.md``). A deck whose
generated Markdown is unchanged and whose HTML exists is not converted again, so during
``mkdocs serve`` an edit to one lecture reconverts one deck.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from coursekit.course import Course
from coursekit.slides import marp
from coursekit.slides.deck import build_deck


@dataclass(frozen=True)
class DeckBuild:
    """What a deck build did: every deck's HTML file and the ids that were reconverted."""

    html: dict[str, Path]
    converted: list[str]


def deck_sources(course: Course) -> dict[str, str]:
    """Return the Marp Markdown of every lecture's deck, by lecture id."""
    sources = {}
    for lecture in course.lectures:
        section = course.catalog.section(lecture.section_number)
        assert section is not None
        sources[lecture.id] = build_deck(lecture, course.views[lecture.id].slides, section.title, course.paths.root)
    return sources


def write_sources(course: Course, cache_dir: Path, theme: Path, *, output_suffix: str = ".html",
                  force: bool = False) -> tuple[dict[str, Path], list[Path]]:
    """Write every deck's Markdown to ``cache_dir/<id>/index.md``; drop folders of removed lectures.

    Returns:
        Each deck's Markdown path by lecture id, and the decks that need converting: new or changed
        sources, a changed theme, or a missing ``index<output_suffix>``.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp = cache_dir / ".theme.css"
    stale_theme = not stamp.exists() or stamp.read_text(encoding="utf-8") != theme.read_text(encoding="utf-8")
    decks: dict[str, Path] = {}
    changed: list[Path] = []
    for lecture_id, source in deck_sources(course).items():
        markdown = cache_dir / lecture_id / "index.md"
        markdown.parent.mkdir(exist_ok=True)
        decks[lecture_id] = markdown
        unchanged = markdown.exists() and markdown.read_text(encoding="utf-8") == source
        if force or stale_theme or not unchanged or not markdown.with_suffix(output_suffix).exists():
            markdown.write_text(source, encoding="utf-8")
            changed.append(markdown)
    for folder in cache_dir.iterdir():
        if folder.is_dir() and folder.name not in decks:
            shutil.rmtree(folder)
    shutil.copyfile(theme, stamp)
    return decks, changed


def build_decks(course: Course, cache_dir: Path, theme: Path, *, force: bool = False) -> DeckBuild:
    """Write deck sources into ``cache_dir`` and convert the changed ones to HTML with one Marp process."""
    decks, changed = write_sources(course, cache_dir, theme, force=force)
    try:
        marp.render(course.paths.root, changed, theme)
    except marp.MarpError:
        (cache_dir / ".theme.css").unlink(missing_ok=True)  # convert everything again next time
        raise
    return DeckBuild({key: path.with_suffix(".html") for key, path in decks.items()},
                     [path.parent.name for path in changed])


def cached_decks(course: Course, cache_dir: Path) -> DeckBuild:
    """Return the decks already converted in ``cache_dir`` (possibly older than their lectures)."""
    html = {lecture.id: cache_dir / lecture.id / "index.html" for lecture in course.lectures}
    return DeckBuild({key: path for key, path in html.items() if path.exists()}, [])


def publish_decks(build: DeckBuild, site_dir: Path) -> None:
    """Copy each deck's HTML to ``<site>/slides/<id>/index.html``."""
    for lecture_id, source in build.html.items():
        target = site_dir / "slides" / lecture_id / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
