"""Internal links of the hand-written pages, checked from their Markdown sources.

The strict build fails on a link to a missing page or anchor, but it names the page relative to
``docs/`` and gives no line. This check finds the same mistakes in the sources, with the file, the
line and, for a bad anchor, the anchors the target page has.

Only Markdown links are checked (``[text](target)``, ``![alt](target)`` and ``[id]: target``
definitions), the links MkDocs validates; code spans, fenced code and external URLs are skipped.
A page's anchors are the heading ids Python-Markdown's ``toc`` extension gives it (computed by
running that extension on the page's headings) plus explicit ``{#id}`` and ``id="..."`` ids.
Anchors of a mkdocstrings object (``::: churn.train`` and its members) are left to the build.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import markdown

from coursekit.blocks import fence_roles
from coursekit.problems import Problem

if TYPE_CHECKING:
    from coursekit.course import Course

HEADING = re.compile(r"^\s*(#{1,6})\s+\S")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*(?P<target><[^>]*>|[^\s)]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(?P<target><[^>]*>|\S+)")
EXPLICIT_ID = re.compile(r"\{[^}\n]*#(?P<id>[\w.:-]+)[^}\n]*\}|\bid=[\"'](?P<html>[^\"']+)[\"']")
AUTODOC = re.compile(r"^:::\s+(?P<name>[\w.]+)", re.MULTILINE)
SHOWN_ANCHORS = 8


@dataclass(frozen=True)
class Anchors:
    """What a fragment may name on one page: its ids, and the mkdocstrings objects it documents."""

    ids: tuple[str, ...]
    objects: tuple[str, ...] = ()

    def has(self, fragment: str) -> bool:
        """Whether ``fragment`` is an id of the page (or a documented object, left to the build)."""
        return fragment in self.ids or any(fragment == name or fragment.startswith(name + ".")
                                           for name in self.objects)


def _prose_lines(text: str) -> Iterator[tuple[int, str, str]]:
    """Yield (0-based index, line, line with code spans blanked out) of every line outside fenced code."""
    for index, line, role in fence_roles(text.splitlines()):
        if role == "text":
            yield index, line, CODE_SPAN.sub(lambda span: " " * len(span.group(0)), line) if "`" in line else line


_TOC = markdown.Markdown(extensions=["toc", "attr_list"])


def _flatten(tokens: list[dict]) -> Iterator[str]:
    for token in tokens:
        yield token["id"]
        yield from _flatten(token["children"])


def page_anchors(text: str) -> Anchors:
    """The anchors of a page whose Markdown is ``text``, as Python-Markdown's toc extension makes them."""
    headings, explicit = [], []
    for _, line, prose in _prose_lines(text):
        if HEADING.match(prose):
            headings.append(line.strip())
        explicit += [match.group("id") or match.group("html") for match in EXPLICIT_ID.finditer(prose)]
    _TOC.reset()
    _TOC.convert("\n\n".join(headings))
    ids = list(_flatten(_TOC.toc_tokens))  # type: ignore[attr-defined]
    return Anchors(tuple(dict.fromkeys(ids + explicit)), tuple(AUTODOC.findall(text)))


def find_links(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Every Markdown link target in ``text`` with its line, outside code."""
    found = []
    for index, _, prose in _prose_lines(text):
        if "]" not in prose:
            continue
        targets = [match.group("target") for match in INLINE_LINK.finditer(prose)]
        definition = DEFINITION.match(prose)
        if definition:
            targets.append(definition.group("target"))
        found += [(first_line + index, target.strip("<>")) for target in targets]
    return found


class DocsSite:
    """The pages of the site as the sources define them: files under ``docs/`` and generated pages."""

    def __init__(self, docs: Path, texts: dict[str, str], generated: dict[str, Callable[[], str]]):
        self.docs = docs
        self._texts = dict(texts)
        self._generated = generated
        self._anchors: dict[str, Anchors | None] = {}

    def exists(self, src: str) -> bool:
        """Whether ``src`` (relative to ``docs/``) is a page or file of the site."""
        return src in self._texts or src in self._generated or (self.docs / src).is_file()

    def pages(self) -> list[str]:
        """Every Markdown page known, for suggestions."""
        on_disk = (path.relative_to(self.docs).as_posix() for path in self.docs.rglob("*.md"))
        return sorted(set(self._texts) | set(self._generated) | set(on_disk))

    def anchors(self, src: str) -> Anchors | None:
        """The anchors of the Markdown page ``src``, or ``None`` when they cannot be known from sources."""
        if src not in self._anchors:
            text = self._texts.get(src)
            if text is None and src in self._generated:
                text = self._generated[src]()
            if text is None and src.endswith(".md") and (self.docs / src).is_file():
                text = (self.docs / src).read_text(encoding="utf-8")
            self._anchors[src] = None if text is None else page_anchors(text)
        return self._anchors[src]


def _shorten(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_ANCHORS]) or "none"
    return shown + (f" (and {len(names) - SHOWN_ANCHORS} more)" if len(names) > SHOWN_ANCHORS else "")


def check_page_links(site: DocsSite, src: str, text: str, shown: str, first_line: int = 1) -> list[Problem]:
    """Report every internal link of the page ``src`` (Markdown ``text``) that the site cannot resolve."""
    problems = []
    for line, target in find_links(text, first_line):
        parts = urlsplit(target)
        if parts.scheme or target.startswith("//") or not target or target == "#":
            continue

        def report(message: str, line: int = line, target: str = target) -> None:
            problems.append(Problem(shown, f"link {target!r}: {message}", line))

        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if path.startswith("/"):
            report("absolute links break when the site is not served at the root; write a relative link "
                   "to the .md file")
            continue
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(src), path)) if path else src
        if resolved.startswith("../"):
            report("points outside docs/; link to a page of the site or to the repository URL")
            continue
        if not site.exists(resolved):
            index = posixpath.join(resolved, "index.md")
            if site.exists(index):
                page = posixpath.relpath(index, posixpath.dirname(src))
                report(f"links to a folder; link to the page instead: {page}")
                continue
            close = difflib.get_close_matches(resolved, site.pages(), n=1)
            hint = f"; did you mean {posixpath.relpath(close[0], posixpath.dirname(src))}?" if close else ""
            report(f"docs/{resolved} does not exist (links are relative to this file){hint}")
            continue
        if not fragment or not resolved.endswith(".md"):
            continue
        anchors = site.anchors(resolved)
        if anchors is not None and not anchors.has(fragment):
            page = "this page" if resolved == src else f"docs/{resolved}"
            close = difflib.get_close_matches(fragment, anchors.ids, n=1)
            hint = f"; did you mean #{close[0]}?" if close else "."
            report(f"{page} has no heading with id {fragment!r}{hint} Its anchors: {_shorten(list(anchors.ids))}")
    return problems


def _generated_pages(course: Course) -> dict[str, Callable[[], str]]:
    """The pages the hooks generate, each with a function that writes its Markdown."""
    from coursekit import pages  # pages imports coursekit.course, which imports this module
    from coursekit.glossary import GLOSSARY_PAGE

    generated: dict[str, Callable[[], str]] = {
        pages.SYLLABUS: lambda: pages.syllabus_page(course),
        pages.SLIDES_INDEX: lambda: pages.slides_index_page(course),
        GLOSSARY_PAGE: lambda: pages.glossary_index_page(course),
        "contributing.md": lambda: (course.paths.root / "CONTRIBUTING.md").read_text(encoding="utf-8"),
    }
    for section in course.published_sections():
        generated[pages.section_index_src(section)] = lambda section=section: pages.section_page(course, section)
    for number in course.banks:
        generated[pages.quiz_src(number)] = lambda number=number: pages.quiz_page(course, number)
    return generated


def check_links(course: Course) -> list[Problem]:
    """Check the internal links of every lecture and every hand-written page under ``docs/``."""
    docs = course.paths.docs
    texts = {lecture.src_uri: course.views[lecture.id].page for lecture in course.lectures}
    site = DocsSite(docs, texts, _generated_pages(course))
    problems = []
    for lecture in course.lectures:
        problems += check_page_links(site, lecture.src_uri, lecture.body, f"docs/{lecture.src_uri}", lecture.body_line)
    lecture_srcs = set(texts)
    for path in sorted(docs.rglob("*.md")):
        src = path.relative_to(docs).as_posix()
        if src not in lecture_srcs and not src.startswith("course/"):
            problems += check_page_links(site, src, path.read_text(encoding="utf-8"), f"docs/{src}")
    return problems
