/* A CSV of the rows a page shows, made in the browser (nothing is sent anywhere).

   What the rows are is written into the file as columns at the end of every row: the
   filter, the synthetic-data note and the source. Not as comment lines above the header:
   Excel and WPS show such lines as data rows and pandas needs extra options to skip them,
   while a first line that is the header opens cleanly everywhere, and a note on every row
   survives sorting, filtering and copying rows out. UTF-8 with a BOM, so Excel reads the
   Chinese; a text cell a spreadsheet would run as a formula gets a leading ' (as the
   portal's Excel CSV downloads do). */
(function () {
  "use strict";

  function cell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // headers: column titles; rows: arrays of cells; notes: [[title, value], ...] appended to
  // every row (filter, synthetic note, source).
  function csv(headers, rows, notes) {
    var head = headers.concat(notes.map(function (n) { return n[0]; }));
    var tail = notes.map(function (n) { return n[1]; });
    var lines = [head.map(cell).join(",")];
    rows.forEach(function (row) { lines.push(row.concat(tail).map(cell).join(",")); });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function save(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // The filter as a reader set it: each filled control's label and what it shows
  // ("区县：溧阳市"), or ``none`` when nothing is set.
  function filterText(form, none) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name || !control.value.trim()) return;
      var label = control.closest("label");
      var name = label ? label.firstChild.textContent.trim() : control.name;
      var value = control.tagName === "SELECT" ? control.options[control.selectedIndex].text : control.value.trim();
      parts.push(name + "：" + value);
    });
    return parts.join("；") || none;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined ? m : String(values[k]);
    });
  }

  // Save ``rows`` under ``headers`` with the notes every such file carries: the filter set in
  // ``form``, the synthetic-data note and the source (site, page, address, date). ``R`` holds
  // the page's texts for them (pipeline.pages.core: rows_file_labels).
  function saveShown(R, form, headers, rows) {
    var source = fill(R.source_value, { site: R.site, title: R.title, url: location.href,
                                        date: new Date().toISOString().slice(0, 10) });
    save(R.file, csv(headers, rows, [[R.filter, filterText(form, R.no_filter)],
                                     [R.synthetic, R.synthetic_value], [R.source, source]]));
  }

  window.portalRowsFile = { saveShown: saveShown };
})();
