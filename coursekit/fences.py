"""Custom Markdown fences: Mermaid diagrams kept out of the search index."""

from __future__ import annotations

import html
from typing import Any


def mermaid_fence(source: str, language: str, css_class: str, options: dict[str, Any], md: Any, **kwargs: Any) -> str:
    """Render a ```` ```mermaid ```` fence as ``<pre class="mermaid">`` for Material to draw.

    The block carries ``data-search-exclude``: the diagram source (arrows, ``accTitle`` lines) is
    noise in the search index, and its accessible title and description reach readers through the
    rendered diagram instead.
    """
    return f'<pre class="{css_class}" data-search-exclude><code>{html.escape(source)}</code></pre>'
