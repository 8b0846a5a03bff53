/* In a chart-only page shown in a frame: tell the embedding page how tall the content is,
   so that embed.js there can fit the frame to it (nothing is cut off at any width). The
   height is no secret, so any embedding page may read it. */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ type: "portal-chart-height", height: height }, "*");
  }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  if (window.ResizeObserver) { new ResizeObserver(send).observe(document.body); }
  send();
})();
