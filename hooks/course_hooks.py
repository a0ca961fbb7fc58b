"""MkDocs hooks: thin adapters from MkDocs events onto the ``coursekit`` package.

- on_config: load and check the whole course (a bad file fails the build, one line per problem)
  and expand the ``course/`` nav entry into the generated sections; in a one-shot build, freeze
  what is loaded so far out of the garbage collector's scans.
- on_files: add the generated pages (syllabus, section pages, quiz pages, slides index, glossary), the GIFT
  exports, the local Mermaid copy and the decks' fonts.
- on_nav, on_env: keep compiled Jinja templates, mkdocstrings' and the theme's, in ``.cache/jinja``
  between builds (Jinja's own bytecode cache).
- on_page_markdown: put the generated header on lecture pages, remove the slide markers and link
  the first use of each glossary term.
- on_page_context: point "edit this page" of generated pages at the file to edit.
- on_post_page: apply the accessibility fixes of ``coursekit.a11y`` to the rendered HTML.
- on_post_build: build the decks (one Marp run, changed decks only) into ``site/slides/``; under
  ``mkdocs serve`` the conversion runs in the background so the page reload does not wait.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import time
from pathlib import Path

import jinja2
import material
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from coursekit import a11y, pages
from coursekit.course import Course, load_course
from coursekit.glossary import GLOSSARY_PAGE, link_first_uses
from coursekit.problems import CourseError
from coursekit.quizzes.gift import bank_to_gift
from coursekit.slides.background import WORKER
from coursekit.slides.build import build_decks, cached_decks, publish_decks
from coursekit.slides.fonts import FontError, deck_fonts
from coursekit.slides.marp import MarpError

ROOT = Path(__file__).resolve().parent.parent
MERMAID = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
FAVICON = Path(material.__file__).parent / "templates" / "assets" / "images" / "favicon.png"
THEME = ROOT / "slides" / "theme" / "course.css"
DECK_CACHE = ROOT / ".cache" / "decks"
TEMPLATE_CACHE = ROOT / ".cache" / "jinja"
CONTRIBUTING_PAGE = "contributing.md"
SNIPPET_SYNTAX = re.compile(r"(?<!;)(-{1,2}8<-{1,2})")
log = logging.getLogger("mkdocs.hooks.course")
_course: Course | None = None
_serving = False


def _loaded() -> Course:
    assert _course is not None, "on_config did not run"
    return _course


def on_startup(command: str, dirty: bool) -> None:
    """Note whether this is ``mkdocs serve``: there decks convert in the background so page reloads do not
    wait for Marp, and the garbage collector is left alone."""
    global _serving
    _serving = command == "serve"
    WORKER.enabled = _serving


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load and check the course; expand the nav."""
    global _course
    try:
        _course = load_course(ROOT)
    except CourseError as error:
        raise PluginError(str(error)) from None
    config.nav = pages.expand_nav(config.nav or [], _course)
    if not _serving:
        # A one-shot build: move everything loaded so far (modules, plugins, the course) out of the
        # garbage collector's view, so its full collections stay cheap (about 0.1 s a build).
        # Not under `mkdocs serve`, whose rebuilds should leave nothing behind.
        gc.freeze()
    return config


@event_priority(100)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages and assets (runs before other plugins so they see them)."""
    course = _loaded()
    generated = {pages.SYLLABUS: pages.syllabus_page(course), pages.SLIDES_INDEX: pages.slides_index_page(course)}
    for section in course.published_sections():
        generated[pages.section_index_src(section)] = pages.section_page(course, section)
    for number, loaded in course.banks.items():
        section = course.catalog.section(number)
        assert section is not None
        generated[pages.quiz_src(number)] = pages.quiz_page(course, number)
        generated[pages.gift_src(number)] = bank_to_gift(loaded, f"Section {number} quiz: {section.title}")
    generated[GLOSSARY_PAGE] = pages.glossary_index_page(course)
    # CONTRIBUTING.md is the contributor guide on GitHub and on the site alike.
    generated[CONTRIBUTING_PAGE] = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for src_uri, content in generated.items():
        files.append(File.generated(config, src_uri, content=content))
    if not MERMAID.exists():
        raise PluginError(f"{MERMAID} is missing; run 'npm ci' (make serve does it for you)")
    files.append(File.generated(config, "assets/javascripts/mermaid.min.js", abs_src_path=str(MERMAID)))
    try:
        fonts = deck_fonts(ROOT, THEME)
    except FontError as error:
        raise PluginError(str(error)) from None
    for src_uri, source in fonts.items():
        files.append(File.generated(config, src_uri, abs_src_path=str(source)))
    # The decks are plain HTML without an icon link; a root favicon spares every deck a 404.
    files.append(File.generated(config, "favicon.ico", abs_src_path=str(FAVICON)))
    return files


def _template_cache() -> jinja2.FileSystemBytecodeCache:
    TEMPLATE_CACHE.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(TEMPLATE_CACHE))


def on_nav(nav: object, config: MkDocsConfig, files: Files) -> object:
    """Let mkdocstrings reuse its compiled templates (its public ``get_handler(...).env``; pages render after this)."""
    plugin = config.plugins.get("mkdocstrings")
    if plugin is not None:
        plugin.get_handler("python").env.bytecode_cache = _template_cache()
    return nav


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    """Let the theme reuse its compiled templates between builds (Jinja checks each template's source)."""
    env.bytecode_cache = _template_cache()
    return env


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Add the lecture header and apply the slide markers' page view."""
    if page.file.src_uri == CONTRIBUTING_PAGE:
        # The guide shows include syntax as examples; escape it so the snippets extension leaves it alone.
        return SNIPPET_SYNTAX.sub(r";\1", markdown)
    course = _loaded()
    lecture = course.lecture_by_src(page.file.src_uri)
    if lecture is None:
        return markdown
    repository = config.extra.get("repository")
    repo = repository.rstrip("/") + "/blob/main" if repository else None
    body = link_first_uses(course.views[lecture.id].page, course.glossary,
                           pages.relative_md(GLOSSARY_PAGE, lecture.src_uri))
    return pages.lecture_header(course, lecture, repo) + body


def on_page_context(context: dict, page: Page, config: MkDocsConfig, nav: object) -> dict:
    """Send "edit this page" on generated pages to the file a contributor should edit."""
    repository = config.extra.get("repository")
    if not page.file.generated_by or not repository:
        return context
    base = repository.rstrip("/") + "/edit/main/"
    src = page.file.src_uri
    if src.startswith("quizzes/"):
        page.edit_url = base + src.removesuffix(".md") + ".yml"
    elif src == CONTRIBUTING_PAGE:
        page.edit_url = base + "CONTRIBUTING.md"
    else:
        page.edit_url = base + "course.yml"
    return context


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Apply the accessibility fixes of coursekit.a11y to every built page."""
    return a11y.patch_page(output)


def on_post_build(config: MkDocsConfig) -> None:
    """Build the decks with one Marp process and copy them into the site."""
    if os.environ.get("COURSE_DECKS", "on") == "off":
        log.info("COURSE_DECKS=off: slide decks not built")
        return
    site_dir = Path(config.site_dir)
    if WORKER.enabled:
        publish_decks(cached_decks(_loaded(), DECK_CACHE), site_dir)
        WORKER.submit(_loaded(), DECK_CACHE, THEME, site_dir)
        return
    started = time.perf_counter()
    try:
        build = build_decks(_loaded(), DECK_CACHE, THEME)
    except MarpError as error:
        raise PluginError(str(error)) from None
    publish_decks(build, site_dir)
    log.info("decks: %d converted, %d total, %.2f s", len(build.converted), len(build.html),
             time.perf_counter() - started)
