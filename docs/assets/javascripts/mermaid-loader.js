// Loads the site's own copy of Mermaid (about 1 MB gzip) only when a page has a diagram.
// Material for MkDocs renders diagrams with the global `mermaid` and, when it is missing, fetches
// Mermaid from a CDN. This stand-in gives Material the two calls it makes (initialize, render) and
// loads mermaid.min.js from this site on the first render, also after an instant-navigation change.
(function () {
  "use strict";
  if (typeof window.mermaid !== "undefined") { return; }
  const source = new URL("mermaid.min.js", document.currentScript.src).href;
  let config = null;
  let loading = null;

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        const script = document.createElement("script");
        script.src = source;
        script.onload = function () {
          if (config) { window.mermaid.initialize(config); }
          resolve(window.mermaid);
        };
        script.onerror = function () { reject(new Error("Mermaid could not be loaded from " + source)); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  window.mermaid = {
    // Material's own styles (its themeCSS) colour the diagram; the course theme (mermaid-theme.js, the
    // same values the decks use) fills in what they leave to Mermaid's theme.
    initialize: function (options) {
      const course = window.courseMermaidTheme;
      config = course ? Object.assign({}, options, { theme: course.theme, themeVariables: course.themeVariables })
        : options;
    },
    // Material calls the returned fn with the diagram's (closed) shadow root once it is drawn:
    // diagram-view.js then keeps the diagram readable and lets it open full screen.
    render: function (id, text) {
      return load().then(function (mermaid) { return mermaid.render(id, text); }).then(function (result) {
        return { svg: result.svg, fn: function (root) { if (window.courseDiagram) { window.courseDiagram.enhance(root); } } };
      });
    },
  };
})();
