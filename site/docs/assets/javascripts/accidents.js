/* The accident list: search, filter and sort over a same-origin JSON asset. Values are
   inserted with textContent only. Without JavaScript the first rows stay in the HTML. */
(function () {
  "use strict";

  // Columns of a row: 9 is the report status, 11 the report page's path under the edition
  // root (null while the report is pending); only the first 11 are shown, in the order of
  // the table's headers (their data-key), which put what matters first.
  var REPORT = 9, REPORT_PAGE = 11, LOSS = 8, NUMERIC = [6, 7, 8];

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined ? m : String(values[k]);
    });
  }

  function AccidentList(root) {
    var self = this;
    this.root = root;
    this.page = Number(root.getAttribute("data-page")) || 50;
    this.labels = JSON.parse(document.getElementById("accident-labels").textContent);
    this.form = root.querySelector("form");
    this.body = root.querySelector("tbody");
    this.status = root.querySelector(".accident-status");
    this.more = root.querySelector(".accident-more");
    this.headers = Array.prototype.slice.call(root.querySelectorAll("th[data-key]"));
    this.sortKey = 1;
    this.sortDesc = true;
    this.limit = this.page;
    fetch(root.getAttribute("data-src")).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      self.rows = data.rows;
      self.search = data.rows.map(function (r) {
        return r.slice(0, REPORT_PAGE).join(" ").toLowerCase();
      });
      self.ready();
    }).catch(function () {
      self.status.textContent = self.labels.failed;
    });
  }

  AccidentList.prototype.ready = function () {
    var self = this;
    var params = new URLSearchParams(location.hash.slice(1));
    ["q", "district", "grade"].forEach(function (k) {
      if (params.has(k)) self.form.elements[k].value = params.get(k);
    });
    this.form.addEventListener("submit", function (e) { e.preventDefault(); });
    this.form.addEventListener("input", function () { self.limit = self.page; self.draw(true); });
    this.form.addEventListener("change", function () { self.limit = self.page; self.draw(true); });
    this.headers.forEach(function (th) {
      var button = th.querySelector("button");
      button.disabled = false;
      // The table scrolls sideways in its own box; Chromium leaves a half-visible header
      // where it is when it gets focus, so bring the whole of it into view.
      button.addEventListener("focus", function () {
        button.scrollIntoView({ block: "nearest", inline: "nearest" });
      });
      button.addEventListener("click", function () {
        var key = Number(th.getAttribute("data-key"));
        if (self.sortKey === key) self.sortDesc = !self.sortDesc;
        else { self.sortKey = key; self.sortDesc = th.hasAttribute("data-numeric"); }
        self.draw(false);
      });
    });
    this.more.addEventListener("click", function () { self.limit += self.page; self.draw(false); });
    this.download = this.root.querySelector(".rows-download");
    if (this.download) this.download.addEventListener("click", function () { self.saveRows(); });
    this.draw(false);
  };

  AccidentList.prototype.draw = function (save) {
    var q = this.form.elements.q.value.trim().toLowerCase();
    var district = this.form.elements.district.value;
    var grade = this.form.elements.grade.value;
    if (save) {
      var params = new URLSearchParams();
      if (q) params.set("q", this.form.elements.q.value.trim());
      if (district) params.set("district", district);
      if (grade) params.set("grade", grade);
      history.replaceState(null, "", "#" + params.toString());
    }
    var rows = [];
    for (var i = 0; i < this.rows.length; i++) {
      var r = this.rows[i];
      if (district && r[2] !== district) continue;
      if (grade && r[5] !== grade) continue;
      if (q && this.search[i].indexOf(q) < 0) continue;
      rows.push(r);
    }
    var key = this.sortKey, desc = this.sortDesc;
    rows.sort(function (a, b) {
      var x = a[key], y = b[key];
      var c = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "zh");
      if (c === 0) c = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
      return desc ? -c : c;
    });
    this.headers.forEach(function (th) {
      var k = Number(th.getAttribute("data-key"));
      if (k === key) th.setAttribute("aria-sort", desc ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    var shown = rows.slice(0, this.limit);
    var fragment = document.createDocumentFragment();
    var root = this.root.getAttribute("data-root") || "";
    var order = this.headers.map(function (th) { return Number(th.getAttribute("data-key")); });
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      order.forEach(function (j) {
        var cell = r[j];
        var td = document.createElement("td");
        if (NUMERIC.indexOf(j) >= 0) td.className = "data-num";
        var value = cell === null ? "" : (j === LOSS ? Number(cell).toLocaleString("zh-CN") : String(cell));
        if (j === REPORT && r[REPORT_PAGE]) {
          // the report's page, relative to this page (the site may live in a sub-folder)
          var a = document.createElement("a");
          a.href = root + r[REPORT_PAGE];
          a.textContent = value;
          td.appendChild(a);
        } else {
          td.textContent = value;
        }
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    this.body.replaceChildren(fragment);
    if (window.portalChinese) window.portalChinese.mark(this.body);  // chinese.js
    this.status.textContent = fmt(this.labels.count, { shown: shown.length, total: rows.length });
    this.more.hidden = shown.length >= rows.length;
    this.shown = shown;
    if (this.download) {
      this.download.hidden = !shown.length || !window.portalRowsFile;
      this.download.textContent = fmt(this.labels.rows.download, { count: shown.length });
    }
  };

  // A CSV of exactly the rows shown, in the order and with the headers shown.
  AccidentList.prototype.saveRows = function () {
    var R = this.labels.rows;
    var order = this.headers.map(function (th) { return Number(th.getAttribute("data-key")); });
    var headers = this.headers.map(function (th) { return th.textContent.trim(); });
    var rows = this.shown.map(function (r) { return order.map(function (j) { return r[j]; }); });
    window.portalRowsFile.saveShown(R, this.form, headers, rows);
  };

  function start() {
    document.querySelectorAll(".accident-list[data-src]").forEach(function (root) {
      if (!root.accidentList) root.accidentList = new AccidentList(root);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
