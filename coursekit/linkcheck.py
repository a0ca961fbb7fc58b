"""Check the links of a built site: every internal link and anchor must resolve; external links are listed.

External links are never fetched (the site and its tests work offline); they are collected with the
pages that use them so that a maintainer can check them online.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

LINK_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}
IGNORED_SCHEMES = {"mailto", "tel", "javascript", "data", "blob"}


@dataclass(frozen=True)
class Link:
    """One link found in a page of the built site."""

    page: str
    line: int
    tag: str
    target: str
    text: str = ""

    def describe(self) -> str:
        """The element as an author would search for it: ``<a href="...">text</a>``."""
        attribute = LINK_ATTRIBUTES[self.tag]
        label = f"{self.text[:60]}" if self.text else ""
        return f'<{self.tag} {attribute}="{self.target}">{label}'


@dataclass
class LinkReport:
    """What the check found: broken internal links and the external links by URL."""

    pages: int = 0
    internal: int = 0
    broken: list[str] = field(default_factory=list)
    external: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def external_report(self) -> str:
        """Plain-text list of external links, each followed by the pages that use it."""
        lines = [f"# {len(self.external)} external links in {self.pages} pages (not fetched; check them online)", ""]
        for url in sorted(self.external):
            lines.append(url)
            lines += [f"    {page}" for page in sorted(set(self.external[url]))]
        return "\n".join(lines) + "\n"


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str, str, list[str]]] = []
        self._open_anchor: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        attribute = LINK_ATTRIBUTES.get(tag)
        if attribute and attribute in values:
            text: list[str] = []
            self.links.append((self.getpos()[0], tag, values[attribute], text))
            if tag == "a":
                self._open_anchor = text

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open_anchor = None

    def handle_data(self, data: str) -> None:
        if self._open_anchor is not None:
            self._open_anchor.append(data)


def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def _target_file(site: Path, url_path: str) -> Path | None:
    """The file a site-relative URL path serves, as a static server would, or None."""
    candidate = site / unquote(url_path).lstrip("/")
    if url_path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def check_site(site: Path, site_url: str = "http://127.0.0.1:8000/") -> LinkReport:
    """Check every link of every HTML page under ``site``.

    Args:
        site: the built site directory.
        site_url: the address the site is published at; absolute links to it count as internal.

    Returns:
        The report: one message per broken link or anchor, naming the page, its line, the element
        and the rule it breaks, and every external link with the pages that use it.
    """
    base = urlsplit(site_url)
    report = LinkReport()
    parsed: dict[Path, _PageParser] = {}

    def page_of(path: Path) -> _PageParser:
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    for html_file in sorted(site.rglob("*.html")):
        relative = html_file.relative_to(site).as_posix()
        report.pages += 1
        page_url = "/" + relative
        for line, tag, raw, text in page_of(html_file).links:
            link = Link(relative, line, tag, raw, " ".join("".join(text).split()))
            target = raw.strip()
            parts = urlsplit(target)
            if not target or target == "#" or parts.scheme in IGNORED_SCHEMES:
                continue
            if parts.scheme in {"http", "https"} or target.startswith("//"):
                path = parts.path or "/"
                if parts.netloc != base.netloc or not path.startswith(base.path):
                    report.external[target].append(relative)
                    continue
                resolved = urlsplit("/" + path[len(base.path):] + ("#" + parts.fragment if parts.fragment else ""))
            else:
                resolved = urlsplit(urljoin(page_url, target))
            report.internal += 1
            destination = html_file if not parts.path and not parts.scheme else _target_file(site, resolved.path)
            if destination is None:
                report.broken.append(f"{relative}:{line}: {link.describe()}: no file in the site at {resolved.path} "
                                     "(rule: every internal link resolves); fix the link in the page's source")
                continue
            fragment = unquote(resolved.fragment)
            if fragment and destination.suffix == ".html" and fragment not in page_of(destination).ids:
                where = destination.relative_to(site).as_posix()
                report.broken.append(f"{relative}:{line}: {link.describe()}: {where} has no element with "
                                     f"id '{fragment}' (rule: every anchor resolves); link to an existing heading")
    return report
