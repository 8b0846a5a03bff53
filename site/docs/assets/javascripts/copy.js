/* Copy buttons for citations. The citation is ordinary selectable text; this script only
   reveals a button beside it (the buttons are hidden without script) and copies the text of
   the element named by data-copy. Same origin, no dependencies. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function done(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-done") || label;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  function setup() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (button.getAttribute("data-ready")) return;
      button.setAttribute("data-ready", "1");
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) return;
        var text = source.textContent.trim();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { done(button); },
            function () { if (fallbackCopy(text)) done(button); });
        } else if (fallbackCopy(text)) {
          done(button);
        }
      });
    });
  }

  /* The theme may swap page content without a reload (instant navigation); its document$
     observable announces each new page when present. */
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(setup);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
