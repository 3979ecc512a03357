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

  // A refusal (403) or a busy store (503) answers an htmx request with a notice: show it
  // above the page instead of dropping it, and leave the part the user was editing alone.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var notice = document.getElementById("page-notice");
    if ((status === 403 || status === 503) && notice) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.target = notice;
      event.detail.swapOverride = "innerHTML";
      notice.scrollIntoView({ block: "nearest" });
    } else if (notice && status < 400) {
      notice.innerHTML = "";
    }
  });
})();
