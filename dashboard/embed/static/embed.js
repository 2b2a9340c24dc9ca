/* Draws the figure found in the page and tells the parent page how tall the embed is.
 * The parent listens for {type: "solidarity-embed:height", height} (see docs/embeds.md). */
(function () {
  "use strict";
  var body = document.body;
  var plot = document.getElementById("embed-plot");
  var figureData = document.getElementById("embed-figure");
  var lastHeight = 0;

  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight || window.parent === window) { return; }
    lastHeight = height;
    // only a number leaves the frame, so any parent origin may read it
    window.parent.postMessage({ type: body.dataset.message, chart: body.dataset.chart, height: height }, "*");
  }

  function fitHeight(layout, base) {
    // maps and tall diagrams get shorter on a phone instead of leaving empty bands
    var width = plot.clientWidth || window.innerWidth;
    if (layout.geo) { return Math.max(240, Math.min(base, Math.round(width * 0.7))); }
    return Math.max(260, Math.min(base, Math.round(width * 1.3)));
  }

  if (plot && figureData && window.Plotly) {
    var figure = JSON.parse(figureData.textContent);
    var config = JSON.parse(document.getElementById("embed-config").textContent);
    var layout = figure.layout || {};
    var base = layout.height || 450;
    delete layout.width;
    layout.autosize = true;
    layout.height = fitHeight(layout, base);
    if ((plot.clientWidth || window.innerWidth) < 520) {
      figure.data.forEach(function (trace) {  // a Sankey's labels crowd a phone: smaller type
        if (trace.type === "sankey") { trace.textfont = { size: 9 }; }
      });
    }
    window.Plotly.newPlot(plot, figure.data, layout, config).then(function () {
      plot.setAttribute("data-drawn", "true");
      postHeight();
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        var height = fitHeight(layout, base);
        if (height !== plot.layout.height) { window.Plotly.relayout(plot, { height: height }); }
        postHeight();
      }, 100);
    });
  }
  if ("ResizeObserver" in window) { new ResizeObserver(postHeight).observe(document.documentElement); }
  document.addEventListener("toggle", postHeight, true);  // the table's <details> opens and closes
  window.addEventListener("load", postHeight);
  postHeight();
})();
