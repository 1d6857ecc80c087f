/* Charts of DataABS pages, drawn with the vendored Chart.js (no CDN).
 * A <canvas data-chart="revenue"> reads its data from the json_script element named in CHART_SOURCES. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }

  var CHART_SOURCES = { revenue: "revenue-data" };
  var lang = document.documentElement.lang || "en";
  var money = new Intl.NumberFormat(lang === "zh-hans" ? "zh-CN" : "en", { maximumFractionDigits: 0 });

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function revenueChart(canvas) {
    var data = readData(CHART_SOURCES.revenue);
    if (!data || !data.labels.length) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: canvas.dataset.label || "Revenue",
          data: data.values,
          backgroundColor: "rgba(31, 85, 146, 0.75)",
          borderColor: "#1f5592",
          borderWidth: 1,
          maxBarThickness: 36
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return money.format(ctx.parsed.y) + " " + (canvas.dataset.unit || "CNY"); } } }
        },
        scales: {
          x: { grid: { display: false } },
          y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } }
        }
      }
    });
  }

  var builders = { revenue: revenueChart };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var build = builders[canvas.dataset.chart];
    if (build) { build(canvas); }
  });
})();
