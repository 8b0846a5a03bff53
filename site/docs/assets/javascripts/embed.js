/* For pages that embed the portal's charts (the embed code loads it): each chart frame
   (iframe[data-portal-chart]) takes the height its chart-only page reports, so the legend,
   source and notes are never cut off. Only messages from this script's own origin, and
   only for the frame that sent them, are obeyed. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src, window.location.href).origin : null;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!origin || event.origin !== origin || !data || data.type !== "portal-chart-height") { return; }
    var height = Number(data.height);
    if (!(height > 0 && height < 20000)) { return; }
    document.querySelectorAll("iframe[data-portal-chart]").forEach(function (frame) {
      if (frame.contentWindow === event.source) { frame.style.height = Math.ceil(height) + "px"; }
    });
  });
})();
