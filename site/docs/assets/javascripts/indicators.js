/* The indicator dashboard's filter. Without this script every indicator is shown with
   the city's status; with it, choosing a measure hides the others, and choosing a
   district keeps the indicators reported for it and shows that district's status. */
(function () {
  "use strict";

  function apply(form) {
    var measure = form.elements.measure.value;
    var district = form.elements.district.value;
    var shown = 0;
    document.querySelectorAll(".portal-indicator-card").forEach(function (card) {
      var districts = (card.getAttribute("data-districts") || "").split(" ");
      var visible = (!measure || card.getAttribute("data-measure") === measure) &&
        (!district || districts.indexOf(district) !== -1);
      card.hidden = !visible;
      if (visible) { shown += 1; }
      card.querySelectorAll(".portal-indicator-card__status").forEach(function (status) {
        status.hidden = status.getAttribute("data-for") !== district;
      });
    });
    document.querySelectorAll(".portal-measure-group").forEach(function (group) {
      group.hidden = !group.querySelector(".portal-indicator-card:not([hidden])");
    });
    var count = form.querySelector(".portal-filter__count");
    if (count) {
      count.textContent = (count.getAttribute("data-template") || "{count}")
        .replace("{count}", String(shown));
    }
  }

  function init() {
    var form = document.getElementById("indicator-filter");
    if (!form) { return; }
    form.hidden = false;
    form.addEventListener("change", function () { apply(form); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    apply(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
