"""Slide markers: the page and slides views, and clear errors for misuse."""

from __future__ import annotations

from coursekit.slides.markers import BREAK_SENTINEL, split_views

BODY = """\
Intro.

<!-- slides: skip -->
Page only.
<!-- slides: end -->

<!-- slides: only
- slide only
-->

<!-- slides: break -->
Both.
"""


def test_page_view_hides_markers_and_slide_only_content():
    views, problems = split_views(BODY)
    assert problems == []
    assert "Page only." in views.page and "Both." in views.page
    assert "slide only" not in views.page
    assert "slides:" not in views.page


def test_slides_view_drops_page_only_content_and_keeps_breaks():
    views, _ = split_views(BODY)
    assert "Page only." not in views.slides
    assert "- slide only" in views.slides
    assert BREAK_SENTINEL in views.slides


def test_markers_inside_code_fences_are_content():
    body = "```html\n<!-- slides: skip -->\n```\n"
    views, problems = split_views(body)
    assert problems == []
    assert "<!-- slides: skip -->" in views.page and "<!-- slides: skip -->" in views.slides


def test_unclosed_skip_names_the_opening_line():
    _, problems = split_views("a\n<!-- slides: skip -->\nb\n", "x.md", first_line=10)
    assert [(p.line, p.path) for p in problems] == [(11, "x.md")]
    assert "never closed" in problems[0].message


def test_unknown_and_malformed_markers():
    _, problems = split_views("<!-- slides: brake -->\n<!-- slide: break -->\n<!-- slides: break\n")
    messages = [problem.message for problem in problems]
    assert "unknown slide marker 'slides: brake'" in messages[0]
    assert "malformed slide marker" in messages[1]
    assert "must end with '-->'" in messages[2]


def test_end_without_skip_and_nested_skip():
    body = "<!-- slides: end -->\n<!-- slides: skip -->\n<!-- slides: skip -->\n<!-- slides: end -->\n"
    _, problems = split_views(body)
    assert "without an open" in problems[0].message
    assert "inside the skip block opened on line 2" in problems[1].message


def test_unclosed_only_block():
    _, problems = split_views("<!-- slides: only\n- x\n")
    assert problems[0].line == 1 and "never closed" in problems[0].message
