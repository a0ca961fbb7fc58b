// Renders the Mermaid diagrams of a Marp deck with the site's local copy of Mermaid.
// Marp scales slides with CSS transforms; diagrams are rendered at their natural size first.
(function () {
  if (typeof mermaid === "undefined") { return; }
  mermaid.initialize({ startOnLoad: false, theme: "default", securityLevel: "strict", htmlLabels: false,
    flowchart: { htmlLabels: false } });
  const render = function () {
    mermaid.run({ querySelector: "pre.mermaid" }).catch(function (error) {
      console.error("Mermaid could not render a diagram of this deck:", error);
    });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
