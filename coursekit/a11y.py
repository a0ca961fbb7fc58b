"""Accessibility fixes applied to every built page, where Material's markup fails axe-core rules.

Each fix is a plain substitution on the rendered HTML; ``tests/test_accessibility.py`` runs axe-core
on every page type, so a Material update that changes the markup shows up there.
"""

from __future__ import annotations

import re

# The search overlay is a dialog without a name (axe: aria-dialog-name).
_SEARCH_DIALOG = ('<div class="md-search" data-md-component="search" role="dialog">',
                  '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">')
# The previous/next footer links get an aria-label that differs from their visible text
# (axe: label-content-name-mismatch); their visible text already says "Previous"/"Next" and the title.
_FOOTER_LABEL = re.compile(
    r'(<a href="[^"]*" class="md-footer__link md-footer__link--(?:prev|next)") aria-label="[^"]*"')
# Notebook code cells scroll sideways but hold nothing focusable (axe: scrollable-region-focusable).
_NOTEBOOK_CODE = re.compile(r'<div class="(highlight-ipynb[^"]*)">')


def patch_page(html: str) -> str:
    """Return a built page's HTML with the accessibility fixes applied."""
    html = html.replace(*_SEARCH_DIALOG)
    html = _FOOTER_LABEL.sub(r"\1", html)
    return _NOTEBOOK_CODE.sub(r'<div class="\1" tabindex="0" role="region" aria-label="Code cell">', html)
