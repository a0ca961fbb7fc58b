// The course's one Mermaid theme, used by the site (mermaid-loader.js) and by every deck (deck-mermaid.js).
// The values are Material's light palette for the site's colours (mkdocs.yml: primary indigo, accent teal),
// the colours Material's own Mermaid styles give a diagram on the site: teal nodes on a light teal fill,
// edges and labels in the code colour, grey subgraphs. Semi-transparent colours are written as their
// result on white, because Mermaid derives further shades from these.
window.courseMermaidTheme = {
  theme: "base",
  themeVariables: {
    background: "#ffffff",
    primaryColor: "#e5f8f6",        // node fill: --md-accent-fg-color--transparent (#00bda41a) on white
    primaryBorderColor: "#00bda4",  // node border: --md-accent-fg-color (teal)
    primaryTextColor: "#36464e",    // node text: --md-code-fg-color
    secondaryColor: "#e8eaf6",      // second kind of node: indigo, the primary colour, on white
    secondaryBorderColor: "#4051b5",
    secondaryTextColor: "#36464e",
    tertiaryColor: "#ededed",       // subgraphs: --md-default-fg-color--lightest (#00000012) on white
    tertiaryBorderColor: "#adadad", // subgraph border: --md-default-fg-color--lighter (#00000052) on white
    tertiaryTextColor: "#36464e",
    clusterBkg: "#ededed",
    clusterBorder: "#adadad",
    lineColor: "#36464e",           // edges: --md-code-fg-color
    textColor: "#36464e",
    edgeLabelBackground: "#ffffff", // --md-default-bg-color
    noteBkgColor: "#ffffff",
    noteBorderColor: "#36464e",
  },
};
