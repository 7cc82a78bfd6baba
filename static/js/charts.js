// Draws every ECharts chart on the page. A chart is an element with data-chart="<id of a JSON script>";
// the options live in <script type="application/json"> so the CSP never needs inline scripts. htmx swaps
// (polling dashboards, result pages) re-run this on the new content and dispose the charts they replaced.
(function () {
  "use strict";

  function draw(root) {
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source || typeof echarts === "undefined") {
        return;
      }
      var previous = echarts.getInstanceByDom(element);
      if (previous) {
        previous.dispose();
      }
      var chart = echarts.init(element, null, { renderer: "canvas" });
      var options = JSON.parse(source.textContent);
      // The default HTML tooltip writes style="" attributes, which our CSP refuses; richText draws it on
      // the canvas instead.
      if (options.tooltip) {
        options.tooltip.renderMode = "richText";
      }
      chart.setOption(options);
      element.dataset.chartReady = "true";
    });
  }

  function resizeAll() {
    document.querySelectorAll("[data-chart-ready]").forEach(function (element) {
      var chart = echarts.getInstanceByDom(element);
      if (chart) {
        chart.resize();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
  window.addEventListener("resize", resizeAll);
})();
