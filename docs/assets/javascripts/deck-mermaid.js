// Renders the Mermaid diagrams of a Marp deck with the site's local copy of Mermaid, in the site's
// colours (mermaid-theme.js, loaded before this script).
// Marp scales slides with CSS transforms; diagrams are rendered at their natural size first.
// Mermaid measures its labels while it draws, so it waits for the deck's own font (see the theme).
(function () {
  if (typeof mermaid === "undefined") { return; }
  const font = '"Arimo", Arial, sans-serif';
  const course = window.courseMermaidTheme || { theme: "base", themeVariables: {} };
  mermaid.initialize({ startOnLoad: false, theme: course.theme, securityLevel: "strict", htmlLabels: false,
    fontFamily: font, themeVariables: Object.assign({}, course.themeVariables, { fontFamily: font }),
    flowchart: { htmlLabels: false } });
  const render = function () {
    mermaid.run({ querySelector: "pre.mermaid" }).catch(function (error) {
      console.error("Mermaid could not render a diagram of this deck:", error);
    });
  };
  const fontsThenRender = function () {
    const loading = document.fonts ? document.fonts.load('16px "Arimo"') : Promise.resolve();
    loading.then(render, render);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fontsThenRender);
  } else {
    fontsThenRender();
  }
})();
