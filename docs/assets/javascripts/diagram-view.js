// Keeps every Mermaid diagram of a page readable: on a narrow screen a diagram keeps labels of at
// least 12 px and scrolls sideways instead of shrinking, and any diagram opens full screen (its
// button, or a click on it; Escape or Close closes it). Material draws each diagram into a closed
// shadow root; mermaid-loader.js hands that root to courseDiagram.enhance once it is drawn.
(function () {
  "use strict";
  const READABLE = 0.75; // Mermaid draws labels at 16 px: 0.75 keeps them at 12 px
  const NARROW = "@media (max-width: 59.9375em) { svg { min-width: var(--diagram-readable-width); } }";
  let dialog = null;
  let opener = null;

  function title(svg) {
    const node = svg.querySelector("title");
    return node && node.textContent.trim() ? node.textContent.trim() : "Diagram";
  }

  function makeDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "diagram-dialog";
    dialog.innerHTML = '<div class="diagram-dialog-bar"><p class="diagram-dialog-title"></p>' +
      '<button type="button" class="diagram-dialog-close">Close</button></div>' +
      '<div class="diagram-dialog-body"></div>';
    dialog.querySelector(".diagram-dialog-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      dialog.querySelector(".diagram-dialog-body").replaceChildren();
      if (opener && opener.isConnected) { opener.focus(); }
    });
    document.body.appendChild(dialog);
  }

  function open(root, button) {
    if (!dialog) { makeDialog(); }
    const svg = root.querySelector("svg");
    const view = svg.viewBox.baseVal;
    opener = button;
    dialog.setAttribute("aria-label", title(svg) + " (full screen)");
    dialog.querySelector(".diagram-dialog-title").textContent = title(svg);
    const body = dialog.querySelector(".diagram-dialog-body");
    const holder = document.createElement("div");
    holder.className = "diagram-full";
    body.replaceChildren(holder);
    dialog.showModal();
    // The full-screen copy fills the screen up to twice the diagram's own size, and never goes
    // below it (labels at 16 px at least); a bigger diagram scrolls inside the dialog.
    const inner = getComputedStyle(body);
    const width = body.clientWidth - parseFloat(inner.paddingLeft) - parseFloat(inner.paddingRight);
    const height = body.clientHeight - parseFloat(inner.paddingTop) - parseFloat(inner.paddingBottom);
    const scale = Math.max(1, Math.min(2, width / view.width, height / view.height));
    const shadow = holder.attachShadow({ mode: "open" });
    shadow.innerHTML = root.innerHTML;
    const copy = shadow.querySelector("svg");
    copy.removeAttribute("height");
    copy.style.maxWidth = "none";
    copy.style.width = Math.floor(view.width * scale) + "px";
  }

  function enhance(root) {
    const svg = root.querySelector("svg");
    const host = root.host;
    if (!svg || !host || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) { return; }
    svg.style.setProperty("--diagram-readable-width", Math.ceil(svg.viewBox.baseVal.width * READABLE) + "px");
    const style = document.createElement("style");
    style.textContent = NARROW;
    root.appendChild(style);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "diagram-open";
    button.textContent = "Full screen";
    button.setAttribute("aria-label", "Open the diagram full screen: " + title(svg));
    button.addEventListener("click", function () { open(root, button); });
    host.addEventListener("click", function () { open(root, button); });
    host.classList.add("diagram-zoomable");
    host.after(button);
  }

  window.courseDiagram = { enhance: enhance };
})();
