/* Charts of the valuation page, drawn with the vendored Chart.js (no CDN).
 * Data and translated labels come from the json_script element "valuation-chart-data";
 * a <canvas data-chart="fan|losses|dscr|dscr_after|schedule"> names the chart it holds. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }

  var lang = document.documentElement.lang || "en";
  var locale = lang.indexOf("zh") === 0 ? "zh-CN" : "en";
  var money = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  var share = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var BLUE = "#1f5592";
  var RED = "#c8102e";

  function readData() {
    var node = document.getElementById("valuation-chart-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function base(extra) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false }
    };
    Object.keys(extra).forEach(function (key) { options[key] = extra[key]; });
    return options;
  }

  function band(label, tip, values, fillTo, color) {
    return {
      label: label, tip: tip, data: values, fill: fillTo, backgroundColor: color,
      borderWidth: 0, pointRadius: 0, spanGaps: false, inLegend: fillTo !== false
    };
  }

  function fanChart(canvas, data) {
    var fan = data.fan;
    var t = data.text;
    if (!fan || !fan.labels.length) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: fan.labels,
        datasets: [
          band("p95", "p95", fan.p95, false, "transparent"),
          band(t.band90, "p5", fan.p5, "-1", "rgba(31, 85, 146, 0.12)"),
          band("p75", "p75", fan.p75, false, "transparent"),
          band(t.band50, "p25", fan.p25, "-1", "rgba(31, 85, 146, 0.28)"),
          { label: t.median, tip: t.median, data: fan.p50, borderColor: BLUE, borderDash: [6, 4], borderWidth: 2,
            pointRadius: 0, fill: false, inLegend: true },
          { label: t.history, tip: t.history, data: fan.history, borderColor: RED, backgroundColor: RED,
            borderWidth: 2, pointRadius: 1.5, fill: false, inLegend: true }
        ]
      },
      options: base({
        plugins: {
          legend: { labels: { filter: function (item, chart) { return chart.datasets[item.datasetIndex].inLegend; } } },
          tooltip: {
            filter: function (item) { return item.parsed.y !== null; },
            callbacks: {
              label: function (ctx) { return ctx.dataset.tip + ": " + money.format(ctx.parsed.y) + " " + t.unit; }
            }
          }
        },
        scales: {
          x: { grid: { display: false }, ticks: { maxTicksLimit: 14 } },
          y: { beginAtZero: true, ticks: { callback: function (value) { return compact.format(value); } } }
        }
      })
    });
  }

  function lossChart(canvas, data) {
    var d = data.losses;
    var t = data.text;
    if (!d || !d.labels.length) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          { label: t.expected_loss, data: d.expected_loss, backgroundColor: RED, maxBarThickness: 40 },
          { label: t.shortfall, data: d.shortfall, backgroundColor: BLUE, maxBarThickness: 40 }
        ]
      },
      options: base({
        plugins: { tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + share.format(ctx.parsed.y) + " %"; } } } },
        scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { callback: function (v) { return v + " %"; } } } }
      })
    });
  }

  function histogram(d, t, color) {
    return {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [{ label: t.share, data: d.share, backgroundColor: color, borderColor: BLUE,
                     borderWidth: 1, barPercentage: 1, categoryPercentage: 1 }]
      },
      options: base({
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return share.format(ctx.parsed.y) + " %"; } } }
        },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
          y: { beginAtZero: true, ticks: { callback: function (v) { return v + " %"; } } }
        }
      })
    };
  }

  function dscrChart(canvas, data) {
    var d = data.dscr;
    if (!d || !d.labels.length) { return; }
    new window.Chart(canvas, histogram(d, data.text, "rgba(31, 85, 146, 0.75)"));
  }

  function dscrAfterChart(canvas, data) {
    var d = data.dscr_after;
    if (!d || !d.labels.length) { return; }
    new window.Chart(canvas, histogram(d, data.text, "rgba(200, 16, 46, 0.6)"));
  }

  function scheduleChart(canvas, data) {
    var d = data.schedule;
    var t = data.text;
    if (!d || !d.labels.length) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [{ label: t.balance, data: d.balance, backgroundColor: "rgba(31, 85, 146, 0.75)", maxBarThickness: 28 }]
      },
      options: base({
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return money.format(ctx.parsed.y) + " " + t.unit; } } }
        },
        scales: {
          x: { grid: { display: false }, title: { display: true, text: t.period } },
          y: { beginAtZero: true, ticks: { callback: function (value) { return compact.format(value); } } }
        }
      })
    });
  }

  var builders = { fan: fanChart, losses: lossChart, dscr: dscrChart, dscr_after: dscrAfterChart, schedule: scheduleChart };

  function draw(root) {
    var data = readData();
    if (!data) { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var build = builders[canvas.dataset.chart];
      if (build && !canvas.dataset.drawn) {
        canvas.dataset.drawn = "1";
        build(canvas, data);
      }
    });
  }

  draw(document);
  document.body.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
