"""Page weight of the built site: what a browser transfers on a first visit, gzip-compressed.

Used by ``benchmarks/site_weight.py`` (``make weight``) to report the figures and by the browser
tests to enforce the budgets. The browser side needs Playwright (the ``test`` extra).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Resource types that count towards the page-weight budget (HTML, CSS and JavaScript).
COUNTED_TYPES = {"document", "stylesheet", "script"}
#: The search index is fetched by the search worker on first use; it has its own figure.
SEARCH_INDEX = "search/search_index.json"
#: Mermaid is counted apart: about 1 MB gzip, loaded only on pages with a diagram.
MERMAID = "/mermaid.min.js"
#: Budget for a lecture page without diagrams, gzip bytes (HTML + CSS + JS, search index excluded).
LECTURE_PAGE_BUDGET = 120 * 1024


@functools.lru_cache(maxsize=64)
def gzip_size(data: bytes) -> int:
    """Size of ``data`` after gzip at level 6, the usual setting of web servers.

    Cached: every page of a site loads the same stylesheets and scripts (Mermaid is 3 MB).
    """
    return len(gzip.compress(data, compresslevel=6, mtime=0))


@dataclass
class PageWeight:
    """What one page load transferred, by URL, with gzip sizes."""

    url: str
    resources: dict[str, tuple[str, int]] = field(default_factory=dict)  # url -> (resource type, gzip bytes)

    @property
    def counted(self) -> int:
        """Gzip bytes of HTML, CSS and JavaScript, the search index excluded."""
        return sum(size for url, (kind, size) in self.resources.items()
                   if kind in COUNTED_TYPES and SEARCH_INDEX not in url)

    @property
    def mermaid(self) -> int:
        """Gzip bytes of Mermaid loaded by the page (0 on a page without diagrams)."""
        return sum(size for url, (_, size) in self.resources.items() if url.endswith(MERMAID))

    @property
    def budgeted(self) -> int:
        """What the page-weight budget counts: HTML, CSS and JavaScript without the search index and Mermaid."""
        return self.counted - self.mermaid

    def largest(self, count: int = 5) -> list[tuple[str, int]]:
        """The largest budgeted resources, to say what to trim when a budget fails."""
        rows = [(url, size) for url, (kind, size) in self.resources.items()
                if kind in COUNTED_TYPES and SEARCH_INDEX not in url and not url.endswith(MERMAID)]
        return sorted(rows, key=lambda row: -row[1])[:count]


#: The script of Material's search worker, which the page starts after its ``load`` event.
SEARCH_WORKER = "/workers/search."


def measure(page: Any, url: str) -> PageWeight:
    """Load ``url`` in a fresh Playwright ``page`` (empty cache) and record every response.

    Waits for the ``load`` event, then for what a page loads after it: every diagram drawn (so
    Mermaid counts) and the search worker's script (when the page's configuration names one). Each
    of these is waited for by name, not by a quiet network, so the figure is the same on every run.
    """
    weight = PageWeight(url)

    def record(response: Any) -> None:
        if SEARCH_INDEX in response.url:
            return  # excluded from the budget; search_index_size() measures it
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            return
        weight.resources[response.url] = (response.request.resource_type, gzip_size(body))

    page.on("response", record)
    page.goto(url, wait_until="load")
    if page.query_selector(".mermaid"):
        page.wait_for_function("() => document.querySelectorAll('pre.mermaid').length === 0", timeout=20_000)
    if SEARCH_WORKER in page.content():
        deadline = time.monotonic() + 20
        while not any(SEARCH_WORKER in seen for seen in weight.resources):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: the search worker's script was not loaded within 20 s")
            page.wait_for_timeout(20)  # lets Playwright deliver the response (and run ``record``)
    page.remove_listener("response", record)
    return weight


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def site_server(site: Path) -> http.server.ThreadingHTTPServer:
    """An HTTP server for a built site, bound to a free port of 127.0.0.1 but not yet serving.

    Binding first lets a caller build the site for the address it will be served at; start it with
    ``threading.Thread(target=server.serve_forever, daemon=True).start()``.
    """
    handler = functools.partial(_QuietHandler, directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)


@dataclass(frozen=True)
class SearchIndexSize:
    """Size of the search index and what fills it."""

    raw: int
    gzipped: int
    entries: int
    by_page: list[tuple[str, int]]


def search_index_size(site: Path) -> SearchIndexSize:
    """Measure ``search/search_index.json`` of a built site, with the bytes each page contributes."""
    data = (site / SEARCH_INDEX).read_bytes()
    index = json.loads(data)
    by_page: dict[str, int] = {}
    for entry in index["docs"]:
        page = entry["location"].split("#")[0] or "(home)"
        by_page[page] = by_page.get(page, 0) + len(json.dumps(entry))
    ranked = sorted(by_page.items(), key=lambda row: -row[1])
    return SearchIndexSize(len(data), gzip_size(data), len(index["docs"]), ranked)
