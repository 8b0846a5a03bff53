// A wide table scrolls sideways in its own box. Keyboard users must be able to focus that
// box to scroll it (WCAG 2.1.1): the theme wraps Markdown tables without making the
// wrapper focusable, so do it here for every wrapper that actually overflows. Readers
// must also see that it scrolls: the table's hint (a .portal-scroll-hint just before the
// box, written with the page in its language) shows while the box is wider than the
// screen allows, and the box is marked data-scrolled once moved, for the sticky first
// column's shadow.
(function () {
  var BOXES = ".md-typeset__scrollwrap, .data-scroll, .portal-table-scroll, .lookup-table, .portal-preview__scroll";

  function onScroll(event) {
    var box = event.currentTarget;
    if (box.scrollLeft > 0) box.setAttribute("data-scrolled", "");
    else box.removeAttribute("data-scrolled");
  }

  function mark() {
    document.querySelectorAll(BOXES).forEach(function (wrap) {
      var overflows = wrap.scrollWidth > wrap.clientWidth + 1;
      if (overflows && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var caption = wrap.querySelector("caption, th");
        wrap.setAttribute("aria-label", caption ? caption.textContent.trim() : "table");
      }
      var hint = wrap.previousElementSibling;
      if (hint && hint.classList.contains("portal-scroll-hint")) hint.hidden = !overflows;
      if (!wrap.hasAttribute("data-scroll-watched")) {
        wrap.setAttribute("data-scroll-watched", "");
        wrap.addEventListener("scroll", onScroll, { passive: true });
      }
    });
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(mark); // instant navigation swaps pages without a reload
  } else {
    document.addEventListener("DOMContentLoaded", mark);
  }
  window.addEventListener("resize", mark);
  // tables filled by a script (the accident list, the lookup) change width after load
  window.addEventListener("load", mark);
})();
