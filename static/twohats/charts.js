/* Twohats charts: render each <div class="chart" data-chart='{ECharts option}'> with the
   vendored Apache ECharts, on page load and after every htmx swap. The page carries each
   chart's numbers in text beside it; the chart itself is a picture of them. */
(function () {
  "use strict";

  // Finishing touches an option in JSON cannot carry (functions), by the node's data-chart-kind.
  var kinds = {
    // The S-curve of a project (projects/_delivery_status.html): money on the value axis and in
    // the tooltip in short form, dates as days.
    "s-curve": function (option) {
      var number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
      var compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
      option.yAxis = option.yAxis || {};
      option.yAxis.axisLabel = { formatter: function (value) { return compact.format(value); } };
      option.tooltip = option.tooltip || {};
      option.tooltip.valueFormatter = function (value) {
        return value === null || value === undefined ? "not reported" : number.format(value);
      };
      return option;
    }
  };

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
      var kind = kinds[node.getAttribute("data-chart-kind")];
      if (kind) option = kind(option);
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

/* Charts whose points are links (<div class="chart" data-chart-links>, the delivery scatter):
   a click on a point opens the `url` of its data item, and the tooltip names the point with
   its two values. Runs after the charts above are drawn (its listeners come later). */
(function () {
  "use strict";

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function link(root) {
    if (typeof window.echarts === "undefined") return;
    var nodes = (root || document).querySelectorAll(".chart[data-chart-links][data-chart-ready]:not([data-chart-linked])");
    Array.prototype.forEach.call(nodes, function (node) {
      var chart = window.echarts.getInstanceByDom(node);
      if (!chart) return;
      node.setAttribute("data-chart-linked", "");
      chart.setOption({
        tooltip: {
          formatter: function (params) {
            var value = params.value || [];
            return escape(params.name) + "<br>" + escape(params.seriesName) +
              "<br>SPI " + Number(value[0]).toFixed(2) + " · CPI " + Number(value[1]).toFixed(2);
          }
        }
      });
      chart.on("click", function (params) {
        if (params.data && params.data.url) window.location.assign(params.data.url);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { link(document); });
  document.addEventListener("htmx:afterSwap", function () { link(document); });
})();
