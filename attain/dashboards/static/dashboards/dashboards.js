/* Dashboards: submit the pickers on change, and draw every chart the page carries as JSON
   (<div class="chart" data-figure="ID"> + <script type="application/json" id="ID">), with the
   local plotly.min.js. htmx-swapped partials get their charts drawn too. No inline code. */
(function () {
  "use strict";

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  function drawCharts(root) {
    if (!window.Plotly) {
      return;
    }
    root.querySelectorAll("[data-figure]").forEach(function (holder) {
      var source = document.getElementById(holder.getAttribute("data-figure"));
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      var layout = Object.assign(
        {
          margin: { l: 48, r: 12, t: 8, b: 36 },
          paper_bgcolor: "rgba(0,0,0,0)",
          plot_bgcolor: "rgba(0,0,0,0)",
          font: { family: FONT, size: 12, color: "#374151" },
          showlegend: false,
        },
        figure.layout || {}
      );
      if (layout.height) {
        holder.style.height = layout.height + "px";
      }
      window.Plotly.newPlot(holder, figure.data, layout, {
        displayModeBar: false,
        responsive: true,
        staticPlot: holder.hasAttribute("data-static"),
      });
    });
  }

  // Hidden inputs carry a page's own state (a table's columns, a board's KPI) through a change of
  // period or subject; htmx may have changed that state since (it updates the address bar), so
  // they are refreshed from the address bar before the form is sent.
  function syncHidden(form) {
    var params = new URLSearchParams(window.location.search);
    var custom = form.querySelector("input[name=period_custom]");
    if (custom && !custom.value.trim()) {
      custom.disabled = true; // keeps an empty box out of the shared address
    }
    form.querySelectorAll("input[type=hidden]").forEach(function (input) {
      if (params.has(input.name)) {
        input.value = params.get(input.name);
      }
    });
  }

  function wirePickers(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.addEventListener("submit", function () {
        syncHidden(form);
      });
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () {
          var custom = form.querySelector("input[name=period_custom]");
          if (custom) {
            custom.value = "";
          }
          syncHidden(form);
          form.submit();
        });
      });
    });
  }

  function start() {
    document.documentElement.classList.add("js");
    wirePickers(document);
    drawCharts(document);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      drawCharts(event.target);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
