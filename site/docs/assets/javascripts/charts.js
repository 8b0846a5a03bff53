/* Chart downloads and embed codes. Pages work without this script (the SVG, its data
   table and the SVG download are plain HTML); it adds a PNG made in the browser by
   drawing the chart's own SVG onto a canvas (same origin, no library), and turns the
   embed code's relative address into an absolute one for copying. */
(function () {
  "use strict";

  function pngFromSvg(svg, name) {
    var box = svg.viewBox && svg.viewBox.baseVal;
    var width = (box && box.width) || 640;
    var height = (box && box.height) || 360;
    var scale = 2;
    var clone = svg.cloneNode(true);
    clone.setAttribute("width", String(width));
    clone.setAttribute("height", String(height));
    var text = new XMLSerializer().serializeToString(clone);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = width * scale;
      canvas.height = height * scale;
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob) { return; }
        var href = URL.createObjectURL(blob);
        var link = document.createElement("a");
        link.href = href;
        link.download = name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(href); }, 10000);
      }, "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }

  function init() {
    document.querySelectorAll(".portal-chart-png").forEach(function (button) {
      var figure = button.closest(".portal-chart-block");
      var svg = figure && figure.querySelector("svg");
      if (!svg || !window.XMLSerializer || !HTMLCanvasElement.prototype.toBlob) { return; }
      button.hidden = false;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        pngFromSvg(svg, button.getAttribute("data-png-name") || "chart.png");
      });
    });
    document.querySelectorAll(".portal-embed-code").forEach(function (area) {
      var path = area.getAttribute("data-embed-path");
      if (!path) { return; }
      var absolute = new URL(path, window.location.href).href;
      area.value = area.value.replace('src="' + path + '"', 'src="' + absolute + '"');
      area.addEventListener("focus", function () { area.select(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
