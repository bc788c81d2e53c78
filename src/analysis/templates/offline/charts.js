// Draws every chart of the page with the Vega runtime the page carries: decompressed by the browser, run once,
// then each figure's Vega-Lite spec drawn in place of its static image (kept for print and for browsers that
// cannot run it). Tooltips escape what they show (vega-tooltip's sanitizer).
(function () {
  "use strict";
  var figures = document.querySelectorAll("figure.chart");
  var packed = document.getElementById("vega-runtime");
  if (!figures.length || !packed || typeof DecompressionStream === "undefined") return;
  var bytes = Uint8Array.from(atob(packed.textContent.trim()), function (c) { return c.charCodeAt(0); });
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  // Numbers in the page's language (Vietnamese: 1.234,5), for the charts that format them in the browser.
  var locale = document.getElementById("vega-locale");
  var formatLocale = locale ? JSON.parse(locale.textContent) : undefined;
  new Response(stream).text().then(function (code) {
    var script = document.createElement("script");
    script.textContent = code;
    document.head.appendChild(script);
    figures.forEach(function (figure) {
      var spec = JSON.parse(figure.querySelector("script.chart-spec").textContent);
      delete spec.$schema;   // JupyterLab's version (5); the runtime compiles it with its own (6)
      var live = figure.querySelector(".chart-live");
      // Stacked views cannot take the container's width: each gets it here, less the room its spec says its
      // axis labels take (usermeta.margins, pixels per view).
      var margins = (spec.usermeta || {}).margins || [];
      (spec.vconcat || []).forEach(function (view, i) {
        if (view.width === "container") view.width = Math.max(120, live.clientWidth - (margins[i] || 60));
      });
      // A phone's width: a legend in one column, so its longest words ("◑ Achieved late (missed at the deadline)")
      // stay whole instead of running past the chart's edge.
      if (live.clientWidth < 480) {
        (spec.layer || []).forEach(function (layer) {
          var legend = ((layer.encoding || {}).color || {}).legend;
          if (legend && legend.columns) legend.columns = 1;
        });
      }
      window.vegaEmbed(live, spec, {actions: false, renderer: "svg", tooltip: {theme: "light"},
                                   formatLocale: formatLocale})
        .then(function () { figure.classList.add("live"); })
        .catch(function (error) { console.warn("chart kept as an image:", error); });
    });
  });
})();
