// kam's only script: draw the Plotly figures the server rendered as JSON in data-plotly,
// on first load and after every htmx swap that brings new ones in.
(function () {
  "use strict";

  function draw(root) {
    if (!window.Plotly || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("[data-plotly]:not([data-drawn])").forEach(function (element) {
      var figure = JSON.parse(element.getAttribute("data-plotly"));
      element.setAttribute("data-drawn", "");
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displayModeBar: false,
        responsive: true,
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    draw(event.target);
  });
})();
