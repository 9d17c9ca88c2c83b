/* The home page's activities-per-day chart, drawn with the local plotly.min.js from data the page
   carries in <script type="application/json" id="activity-chart-data"> (no inline code, no CDN). */
(function () {
  "use strict";

  var KIND_COLORS = {
    call: "#4f46e5",
    email: "#0891b2",
    meeting: "#16a34a",
    quote: "#d97706",
    follow_up: "#db2777",
  };

  function draw() {
    var holder = document.getElementById("activity-chart");
    var source = document.getElementById("activity-chart-data");
    if (!holder || !source || !window.Plotly) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var labels = data.days.map(function (day) {
      return day.today ? "<b>" + day.label + "</b>" : day.label;
    });
    var dates = data.days.map(function (day) {
      return day.date;
    });
    var traces = data.series.map(function (series) {
      return {
        type: "bar",
        name: series.label,
        x: labels,
        y: series.counts,
        customdata: dates,
        marker: { color: KIND_COLORS[series.kind] || "#64748b" },
        hovertemplate: "%{customdata}: %{y} " + series.label.toLowerCase() + "<extra></extra>",
      };
    });
    var maxPerDay = 0;
    data.days.forEach(function (_, i) {
      var sum = data.series.reduce(function (total, s) {
        return total + s.counts[i];
      }, 0);
      maxPerDay = Math.max(maxPerDay, sum);
    });
    var shapes = [];
    data.days.forEach(function (day, i) {
      if (!day.working) {
        shapes.push({
          type: "rect",
          xref: "x",
          yref: "paper",
          x0: i - 0.5,
          x1: i + 0.5,
          y0: 0,
          y1: 1,
          fillcolor: "#f3f4f6",
          line: { width: 0 },
          layer: "below",
        });
      }
    });
    var layout = {
      barmode: "stack",
      bargap: 0.35,
      margin: { l: 32, r: 8, t: 8, b: 40 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: {
        family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        size: 12,
        color: "#374151",
      },
      xaxis: { fixedrange: true, type: "category", tickangle: 0 },
      yaxis: {
        fixedrange: true,
        rangemode: "tozero",
        gridcolor: "#e5e7eb",
        dtick: maxPerDay <= 6 ? 1 : null,
      },
      shapes: shapes,
      // The coloured kind counts above the chart are its legend.
      showlegend: false,
    };
    window.Plotly.newPlot(holder, traces, layout, {
      displayModeBar: false,
      responsive: true,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
