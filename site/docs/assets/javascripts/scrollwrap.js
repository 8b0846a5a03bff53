// A wide table scrolls sideways in its own box; keyboard users must be able to focus that
// box to scroll it (WCAG 2.1.1). The theme wraps Markdown tables without making the wrapper
// focusable, so do it here for every wrapper that actually overflows.
(function () {
  function mark() {
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var caption = wrap.querySelector("caption, th");
        wrap.setAttribute("aria-label", caption ? caption.textContent.trim() : "table");
      }
    });
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(mark); // instant navigation swaps pages without a reload
  } else {
    document.addEventListener("DOMContentLoaded", mark);
  }
  window.addEventListener("resize", mark);
})();
