"""Page weight of the built site, measured in Chromium, each figure next to its budget.

Run from the repository root after a build (``make weight`` builds first)::

    .venv/bin/python benchmarks/site_weight.py [site]

For one page of each type: the gzip bytes of HTML, CSS and JavaScript transferred on a first visit
with an empty cache (the search index excluded: it is reported on its own), and whether Mermaid was
loaded. Then the search index size and what fills it, and the deck files. Needs Chromium (Debian:
``apt install chromium``, or set COURSE_CHROMIUM).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursekit.weight import LECTURE_PAGE_BUDGET, gzip_size, measure, search_index_size, site_server  # noqa: E402

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _page_types(site: Path) -> dict[str, str]:
    """One page of each type, by name: site-relative URL paths."""
    lectures = sorted(path.parent.relative_to(site).as_posix() for path in site.glob("course/*/*/index.html"))
    plain = [path for path in lectures if 'class="mermaid"' not in (site / path / "index.html").read_text()]
    drawn = [path for path in lectures if path not in plain]
    found = {"home": "", "syllabus": "syllabus/", "slides index": "slides/", "API reference": "reference/churn/"}
    if plain:
        found["lecture, no diagram"] = plain[0] + "/"
    if drawn:
        found["lecture with diagrams"] = drawn[0] + "/"
    quizzes = sorted(site.glob("quizzes/*/index.html"))
    if quizzes:
        found["quiz"] = quizzes[0].parent.relative_to(site).as_posix() + "/"
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the page weights, the search index size and the deck sizes of a built site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, nargs="?", default=ROOT / "site", help="built site (default: site/)")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"error: {args.site} is not a built site; run 'make build' first", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM}; install it (Debian: apt install chromium) or set COURSE_CHROMIUM",
              file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    httpd = site_server(site)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    print("Page weight, first visit, empty cache: HTML + CSS + JS, gzip level 6, search index excluded")
    print(f"{'page type':<24}{'KB gzip':>9}{'budget':>9}  {'Mermaid':<8} largest files")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for name, path in _page_types(site).items():
            context = browser.new_context()
            weight = measure(context.new_page(), server + path)
            context.close()
            mermaid, counted = weight.mermaid, weight.budgeted
            budget = f"{LECTURE_PAGE_BUDGET / 1024:.0f}" if name.startswith("lecture") else "-"
            loaded = f"{mermaid / 1024:.0f} KB" if mermaid else "no"
            largest = ", ".join(f"{url.rsplit('/', 1)[-1] or 'page'} {size / 1024:.0f}"
                                for url, size in weight.largest(4))
            print(f"{name:<24}{counted / 1024:>9.1f}{budget:>9}  {loaded:<8} {largest}")
        browser.close()
    httpd.shutdown()

    index = search_index_size(site)
    print(f"\nSearch index: {index.raw / 1024:.0f} KB raw, {index.gzipped / 1024:.0f} KB gzip, "
          f"{index.entries} entries; largest contributions:")
    for page, size in index.by_page[:6]:
        print(f"  {size / 1024:7.1f} KB  {page}")

    decks = sorted(site.glob("slides/*/index.html"))
    if decks:
        sizes = [gzip_size(deck.read_bytes()) for deck in decks]
        print(f"\nDecks: {len(decks)}, HTML gzip {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB each; "
              "decks with diagrams also load the site's Mermaid copy, no deck loads anything else")
    return 0


if __name__ == "__main__":
    sys.exit(main())
