// Draws the charts of the reports and transparency pages with Chart.js (served from the desk's
// own static files). The data comes from a <script type="application/json"> element written by
// Django's json_script (never an inline script, for the Content-Security-Policy); each
// <canvas data-chart="KEY"> gets the chart spec under KEY: {kind, labels, datasets, unit}.
(function () {
  "use strict";
  const source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") return;
  const specs = JSON.parse(source.textContent);
  const palette = ["#0b5394", "#e69138", "#6aa84f", "#cc0000", "#674ea7", "#45818e", "#bf9000",
    "#a64d79", "#3d85c6", "#93c47d"];
  const phone = window.matchMedia("(max-width: 640px)").matches;

  function dataset(spec, ds, i, kind) {
    const colour = palette[i % palette.length];
    const out = Object.assign({}, ds, {
      borderColor: colour,
      backgroundColor: kind === "line" ? colour : colour + (kind === "bubble" ? "99" : "cc"),
      borderWidth: kind === "line" ? 2 : 0,
      pointRadius: kind === "line" ? (spec.labels.length > 40 ? 0 : 2) : undefined,
      spanGaps: true,
    });
    return out;
  }

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = specs[canvas.dataset.chart];
    if (!spec) return;
    const kind = spec.kind;
    const type = kind === "hbar" || kind === "stacked" ? "bar" : kind;
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: spec.datasets.length > 1, position: phone ? "bottom" : "top" },
        tooltip: { enabled: true },
      },
      scales: {},
    };
    if (kind === "bubble") {
      options.scales = {
        x: { title: { display: true, text: canvas.dataset.xTitle || "" } },
        y: { title: { display: true, text: canvas.dataset.yTitle || "" } },
      };
      options.plugins.tooltip.callbacks = {
        label: (ctx) => (ctx.raw.label || "") + ": " + ctx.raw.n,
      };
    } else {
      const value = { beginAtZero: true, title: { display: !!spec.unit, text: spec.unit } };
      const category = { ticks: { autoSkip: true, maxRotation: phone ? 60 : 45 } };
      if (kind === "hbar") {
        options.indexAxis = "y";
        options.scales = { x: value, y: category };
      } else {
        options.scales = { x: category, y: value };
      }
      if (kind === "stacked") {
        options.indexAxis = "y";
        options.scales = { x: Object.assign({ stacked: true }, value),
          y: Object.assign({ stacked: true }, category) };
      }
    }
    const chart = new Chart(canvas, {
      type: type,
      data: { labels: spec.labels, datasets: spec.datasets.map((ds, i) => dataset(spec, ds, i, kind)) },
      options: options,
    });
    canvas.dataset.drawn = String(chart.data.datasets.length);
  });
  document.documentElement.dataset.chartsReady = "1";
})();
