"""The one place that measures how big a diagram's labels are drawn, for pages and slides alike.

A label's rendered size is its computed font size times the scale its SVG is drawn at (the SVG's
rendered width over its viewBox width, or height over height when the box is capped in height).
On a slide the size is in slide pixels (a 1280x720 frame), whatever the browser window, so Marp's
own scaling of the slide is taken out.
"""

from __future__ import annotations

# Material draws each diagram into a *closed* shadow root; this init script (run before any page
# script) keeps a reference to every shadow root so that the measure can reach the SVG.
SHADOW_ROOTS = """(() => {
  const roots = new WeakMap();
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    roots.set(this, root);
    return root;
  };
  window.__shadowRoots = roots;
})();"""

# Returns, for every diagram of `where`, its smallest rendered label: {index, px, label, slide, wide}.
# where: "page" (div.mermaid drawn by Material), "deck" (Marp slides; each diagram slide is made
# the current slide first) or "dialog" (the full-screen view of diagram-view.js).
LABEL_SIZES = """async (where) => {
  const frames = async () => { for (let i = 0; i < 2; i++) await new Promise(done => requestAnimationFrame(done)); };
  const found = {
    page: () => [...document.querySelectorAll('div.mermaid')].map(host => {
      const root = window.__shadowRoots && window.__shadowRoots.get(host);
      return root ? root.querySelector('svg') : null; }),
    deck: () => [...document.querySelectorAll('pre.mermaid')].map(pre => pre.querySelector('svg')),
    dialog: () => [...document.querySelectorAll('dialog[open] .diagram-full')].map(holder =>
      holder.shadowRoot ? holder.shadowRoot.querySelector('svg') : null),
  }[where]();
  const slides = [...document.querySelectorAll('svg[data-marpit-svg]')];
  const results = [];
  for (const [index, svg] of found.entries()) {
    if (!svg) { results.push({index, px: null, label: 'no SVG: the diagram did not render'}); continue; }
    const slide = svg.closest('svg[data-marpit-svg]');
    if (slide) { location.hash = '#' + (slides.indexOf(slide) + 1); await frames(); }
    const unit = slide ? slide.getBoundingClientRect().width / slide.viewBox.baseVal.width : 1;
    // An SVG scales its viewBox to fit its box on both axes (preserveAspectRatio "meet"): a box
    // capped in height (a slide) draws the diagram smaller than the box's width suggests.
    const box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
    const scale = Math.min(box.width / view.width, box.height / view.height) / unit;
    let px = Infinity, label = '';
    svg.querySelectorAll('text, tspan, span, div, p').forEach(node => {
      const own = [...node.childNodes].some(child => child.nodeType === 3 && child.textContent.trim());
      if (!own) return;
      const size = parseFloat(getComputedStyle(node).fontSize) * scale;
      if (size < px) { px = size; label = node.textContent.trim().slice(0, 40); }
    });
    const holder = svg.parentNode.host || svg.parentNode;
    results.push({index, px: Math.round(px * 10) / 10, label, slide: slide ? slides.indexOf(slide) + 1 : null,
                  scrolls: holder.scrollWidth > holder.clientWidth + 1,
                  overflowX: getComputedStyle(holder).overflowX});
  }
  return results;
}"""

# Until Material has swapped every pre.mermaid of a page for a drawn div.mermaid.
PAGE_DRAWN = ("n => document.querySelectorAll('pre.mermaid').length === 0 "
              "&& document.querySelectorAll('div.mermaid').length >= n")
DECK_DRAWN = "() => [...document.querySelectorAll('pre.mermaid')].every(p => p.querySelector('svg'))"

FIX = "turn it TB, split it or drop nodes (CONTRIBUTING, Diagrams)"
"""What a failure message tells the author to do with a diagram whose labels are too small."""
PAGE_MIN_PX = 12
"""Smallest label on a 1280-px page."""
SLIDE_MIN_PX = 14
"""Smallest label on a 1280x720 slide."""
PHONE_MIN_PX = 10
"""Smallest label on a 390-px phone (the diagram may scroll sideways)."""
