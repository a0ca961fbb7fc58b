"""Links: every internal link and anchor of the built site resolves; external links are listed, not fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.linkcheck import check_site


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    for name, body in pages.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return tmp_path


def test_broken_links_and_anchors_are_named_with_page_line_and_element(tmp_path):
    site = _site(tmp_path, {
        "index.html": '<h2 id="intro">Intro</h2>\n<a href="a/">A</a>\n<a href="missing/">Gone</a>\n'
                      '<a href="a/#nowhere">Bad anchor</a>\n<a href="#intro">Top</a>',
        "a/index.html": '<h2 id="here">Here</h2><a href="../index.html#intro">back</a>'
                        '<img src="../img/missing.png">',
    })
    report = check_site(site)
    assert report.pages == 2
    assert len(report.broken) == 3, report.broken
    assert any(message.startswith("index.html:3: <a href=\"missing/\">Gone") and "no file in the site" in message
               for message in report.broken)
    assert any("index.html:4" in message and "has no element with id 'nowhere'" in message for message in report.broken)
    assert any(message.startswith("a/index.html:1: <img src=\"../img/missing.png\">") for message in report.broken)


def test_external_links_are_listed_with_their_pages_and_own_site_links_are_internal(tmp_path):
    site = _site(tmp_path, {
        "index.html": '<a href="https://docs.python.org/3/">Python</a>'
                      '<link rel="canonical" href="http://127.0.0.1:8000/">'
                      '<a href="http://127.0.0.1:8000/a/#here">own site</a><a href="mailto:x@example.org">mail</a>',
        "a/index.html": '<h2 id="here">Here</h2><a href="https://docs.python.org/3/">Python</a>',
    })
    report = check_site(site, "http://127.0.0.1:8000/")
    assert report.broken == []
    assert {url: sorted(pages) for url, pages in report.external.items()} == {
        "https://docs.python.org/3/": ["a/index.html", "index.html"]}
    assert "https://docs.python.org/3/\n    a/index.html\n    index.html" in report.external_report()


def test_links_command_exit_codes_and_report(tmp_path, capsys):
    good = _site(tmp_path / "good", {"index.html": '<a href="https://example.org/">x</a>'})
    report_file = tmp_path / "external.txt"
    assert main(["links", str(good), "--external-report", str(report_file)]) == 0
    assert "https://example.org/" in report_file.read_text()
    bad = _site(tmp_path / "bad", {"index.html": '<a href="nope/">x</a>'})
    assert main(["links", str(bad), "--external-report", str(report_file)]) == 1
    assert 'index.html:1: <a href="nope/">x' in capsys.readouterr().err
    assert main(["links", str(tmp_path / "nothing")]) == 2


@pytest.mark.build
def test_every_internal_link_and_anchor_of_the_built_site_resolves(built_site, site_server, tmp_path):
    _, httpd = site_server
    report = check_site(built_site, f"http://127.0.0.1:{httpd.server_address[1]}/")
    assert report.pages > 10 and report.internal > 500
    assert not report.broken, "\n".join(report.broken)
    assert any("docs.python.org" in url for url in report.external), "lectures cite external documentation"
    (tmp_path / "external-links.txt").write_text(report.external_report(), encoding="utf-8")
