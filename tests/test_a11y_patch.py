"""The accessibility fixes applied to Material's markup, and the search-excluded Mermaid fence."""

from __future__ import annotations

from coursekit.a11y import patch_page
from coursekit.fences import mermaid_fence


def test_search_dialog_gets_a_name_and_footer_links_keep_their_visible_name():
    html = ('<div class="md-search" data-md-component="search" role="dialog">'
            '<a href="../x/" class="md-footer__link md-footer__link--next" aria-label="Next: A &amp;amp; B">')
    patched = patch_page(html)
    assert 'role="dialog" aria-label="Search"' in patched
    assert 'class="md-footer__link md-footer__link--next">' in patched and "Next: A" not in patched


def test_notebook_code_cells_become_focusable_regions():
    patched = patch_page('<div class="highlight-ipynb hl-python"><pre>x</pre></div>')
    assert '<div class="highlight-ipynb hl-python" tabindex="0" role="region" aria-label="Code cell">' in patched


def test_mermaid_fence_is_escaped_and_kept_out_of_search():
    html = mermaid_fence("flowchart LR\n  a[\"<b>\"] --> b", "mermaid", "mermaid", {}, None)
    assert html.startswith('<pre class="mermaid" data-search-exclude><code>')
    assert "&lt;b&gt;" in html and "--&gt;" in html
