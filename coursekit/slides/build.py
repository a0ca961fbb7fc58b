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

ASSET_PREFIX = "../../assets/javascripts/"


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
        sources[lecture.id] = build_deck(lecture, course.views[lecture.id].slides, section.title,
                                         course.paths.root, ASSET_PREFIX)
    return sources


def build_decks(course: Course, cache_dir: Path, theme: Path, *, force: bool = False) -> DeckBuild:
    """Write deck sources into ``cache_dir`` and convert the changed ones with one Marp process."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    html: dict[str, Path] = {}
    stale_theme = not (cache_dir / ".theme.css").exists() or \
        (cache_dir / ".theme.css").read_text(encoding="utf-8") != theme.read_text(encoding="utf-8")
    for lecture_id, source in deck_sources(course).items():
        folder = cache_dir / lecture_id
        folder.mkdir(exist_ok=True)
        markdown, output = folder / "index.md", folder / "index.html"
        html[lecture_id] = output
        unchanged = markdown.exists() and markdown.read_text(encoding="utf-8") == source
        if force or stale_theme or not unchanged or not output.exists():
            markdown.write_text(source, encoding="utf-8")
            changed.append(markdown)
    for folder in cache_dir.iterdir():
        if folder.is_dir() and folder.name not in html:
            shutil.rmtree(folder)
    marp.render(course.paths.root, changed, theme)
    shutil.copyfile(theme, cache_dir / ".theme.css")
    return DeckBuild(html, [path.parent.name for path in changed])


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
