/* Twohats charts: render each <div class="chart" data-chart='{ECharts option}'> with the
   vendored Apache ECharts, on page load and after every htmx swap. The page carries each
   chart's numbers in text beside it; the chart itself is a picture of them. */
(function () {
  "use strict";

  function render(root) {
    if (typeof window.echarts === "undefined") return;
    var nodes = (root || document).querySelectorAll(".chart[data-chart]:not([data-chart-ready])");
    Array.prototype.forEach.call(nodes, function (node) {
      var option;
      try {
        option = JSON.parse(node.getAttribute("data-chart"));
      } catch (error) {
        return;  // a broken option leaves the text alternative alone on the page
      }
      node.setAttribute("data-chart-ready", "");
      var chart = window.echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(option);
      if (typeof ResizeObserver !== "undefined") {
        new ResizeObserver(function () { chart.resize(); }).observe(node);
      } else {
        window.addEventListener("resize", function () { chart.resize(); });
      }
    });
  }

  function dispose(root) {
    if (typeof window.echarts === "undefined" || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll(".chart[data-chart-ready]"), function (node) {
      var chart = window.echarts.getInstanceByDom(node);
      if (chart) chart.dispose();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:beforeSwap", function (event) { dispose(event.detail.target); });
  document.addEventListener("htmx:afterSwap", function () { render(document); });
})();
