"""Shared fixtures: the repository root, a throw-away course tree, the built site, a server and Chromium."""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from tests import lecture_tests, snippet_coverage

ROOT = Path(__file__).resolve().parent.parent

GOOD_FRONT_MATTER = """\
---
id: "1.1"
title: "A lecture"
duration: 10
objectives:
  - Explain what the lecture is about
  - Compare two ways of doing it
---
"""


def pytest_configure(config: pytest.Config) -> None:
    """Measure snippet coverage in the same run as the tests (``tests/snippet_coverage.py``)."""
    snippet_coverage.register(config)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--lecture ID``: the tests of one lecture (``tests/lecture_tests.py``)."""
    lecture_tests.add_option(parser)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``--lecture``, do not even import the test files of other lectures."""
    return True if lecture_tests.ignore(collection_path, config) else None


LONG_MARKERS = ("lab", "browser", "build", "integration")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep one lecture's tests under ``--lecture``; hand the long files to the workers first.

    pytest-xdist (``--dist loadfile --no-loadscope-reorder``) gives out files in this order. With the
    long files (labs, browser checks, builds, real servers) last, one worker ran the last browser
    file alone for minutes while the other had finished; first, the quick files fill the gaps at the end.
    A file with one long test counts as long. The sort is stable: tests keep their order within a file.
    """
    lecture_tests.select(config, items)
    long_files = {item.path for item in items if any(item.get_closest_marker(name) for name in LONG_MARKERS)}
    items.sort(key=lambda item: item.path not in long_files)


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture
def course_tree(tmp_path: Path) -> Callable[..., Path]:
    """Build a minimal course (course.yml, examples, lectures, quizzes) in a temp dir.

    Call it with ``{"docs/course/01-big-picture/1.1-x.md": "...", ...}``; returns the root.
    """

    made = []

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / f"course{len(made)}"
        made.append(root)
        (root / "docs" / "course").mkdir(parents=True)
        (root / "quizzes").mkdir()
        shutil.copyfile(ROOT / "course.yml", root / "course.yml")
        shutil.copytree(ROOT / "examples" / "churn", root / "examples" / "churn")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make


@pytest.fixture(scope="session")
def site_server(tmp_path_factory) -> Iterator[tuple[Path, http.server.ThreadingHTTPServer]]:
    """A folder for the built site and an HTTP server already bound to a free port of 127.0.0.1.

    The port is known before the build so that the site is built for the address it is served at:
    Material's instant navigation only intercepts links whose address matches the sitemap.
    """
    from coursekit.weight import site_server as bound_server

    site = tmp_path_factory.mktemp("site")
    httpd = bound_server(site)
    yield site, httpd
    httpd.server_close()


@pytest.fixture(scope="session")
def built_site(site_server) -> Path:
    """Run the strict MkDocs build once per test session; return the site directory."""
    import subprocess
    import sys

    site, httpd = site_server
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NBCONVERT_DISABLE_CONFIG_EXPORTERS": "1",
           "SITE_URL": f"http://127.0.0.1:{httpd.server_address[1]}/"}
    # Under pytest-xdist each worker with a browser test builds its own site (for its own port); the
    # lock keeps two builds from writing the shared .cache/ (templates, decks, notebook) at once.
    (ROOT / ".cache").mkdir(exist_ok=True)
    with FileLock(ROOT / ".cache" / "test-build.lock"):
        result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                                cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"strict build failed:\n{result.stdout}\n{result.stderr}"
    return site


CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
DECK_PAGE = re.compile(r"^slides/[^/]+/index\.html$")


def site_pages(site: Path) -> list[str]:
    """Site-relative paths of every page of the built site (decks and the 404 page excluded)."""
    found = (path.relative_to(site).as_posix() for path in site.rglob("index.html"))
    return sorted(path for path in found if not DECK_PAGE.match(path))


def deck_pages(site: Path) -> list[str]:
    """Site-relative paths of every slide deck of the built site."""
    return sorted(path.relative_to(site).as_posix() for path in site.glob("slides/*/index.html"))


def page_url(server: str, relative: str) -> str:
    """URL of a site-relative ``.../index.html`` path on the test server."""
    return f"{server}/{relative.removesuffix('index.html')}"


@pytest.fixture(scope="session")
def server(site_server, built_site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 for the browser tests; return its base URL (no trailing slash)."""
    _, httpd = site_server
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; the test is skipped with the reason when it is missing.

    One browser per test file, not per session: while Playwright's sync API is open it holds an
    asyncio loop running in the main thread, so any later file on the same worker that calls
    ``asyncio.run`` (the service's batching tests do) would fail with "cannot be called from a
    running event loop". Closing it at the end of the file costs about a second per browser file.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's chromium or set COURSE_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextlib.contextmanager
def watched_tab(browser, server: str, *, init_script: str | None = None):
    """A tab in a fresh context (1280x720, empty cache) that records requests leaving the server,
    console errors and page errors; the context is closed on exit.

    ``tab.outside`` lists URLs requested from anywhere but the test server; ``tab.errors`` the
    console errors and uncaught exceptions; ``tab.requests`` every URL requested. Clear them between
    visits with ``tab.forget()``. ``init_script`` runs before any script of every page.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    if init_script:
        context.add_init_script(init_script)
    tab = context.new_page()
    tab.outside, tab.errors, tab.requests = [], [], []

    def on_request(request) -> None:
        tab.requests.append(request.url)
        if not request.url.startswith((server, "data:", "blob:", "about:")):
            tab.outside.append(request.url)

    def forget() -> None:
        tab.outside.clear()
        tab.errors.clear()
        tab.requests.clear()

    tab.on("request", on_request)
    tab.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    tab.forget = forget
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser, server):
    """A fresh tab of ``watched_tab`` for one test."""
    with watched_tab(browser, server) as tab:
        yield tab
