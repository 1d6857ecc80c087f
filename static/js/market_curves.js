/* The benchmark curves of the selected dates, drawn with the vendored Chart.js from the json_script "market-curve-data":
 * {"curves": [{"label", "points": [{"x": years, "y": rate in %}]}], "text": {"x", "y", "years"}}. */
(function () {
  "use strict";
  var canvas = document.getElementById("market-curves");
  var node = document.getElementById("market-curve-data");
  if (typeof window.Chart === "undefined" || !canvas || !node) { return; }
  var data = JSON.parse(node.textContent);
  var lang = document.documentElement.lang || "en";
  var rate = new Intl.NumberFormat(lang.indexOf("zh") === 0 ? "zh-CN" : "en", { minimumFractionDigits: 2, maximumFractionDigits: 3 });
  var COLOURS = ["#1f5592", "#c8102e", "#0d6470", "#5a3595", "#b36b00", "#3c4557", "#2e7d32", "#8e24aa"];
  new window.Chart(canvas, {
    type: "line",
    data: {
      datasets: data.curves.map(function (curve, index) {
        var colour = COLOURS[index % COLOURS.length];
        return { label: curve.label, data: curve.points, borderColor: colour, backgroundColor: colour,
                 borderWidth: 2, pointRadius: 3, fill: false, tension: 0 };
      })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "nearest", intersect: false },
      plugins: {
        tooltip: { callbacks: { label: function (ctx) {
          return ctx.dataset.label + ": " + ctx.parsed.x + " " + data.text.years + ", " + rate.format(ctx.parsed.y) + " %";
        } } }
      },
      scales: {
        x: { type: "linear", title: { display: true, text: data.text.x }, min: 0 },
        y: { title: { display: true, text: data.text.y }, ticks: { callback: function (value) { return rate.format(value); } } }
      }
    }
  });
})();
