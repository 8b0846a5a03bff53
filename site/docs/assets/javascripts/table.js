/* A table page's preview: the first rows are in the HTML (and all a reader without script
   sees); filtering and paging read the table's own JSON download (same origin), fetched
   only when the reader asks for more than the first rows. Values are inserted with
   textContent only. */
(function () {
  "use strict";

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined ? m : String(values[k]);
    });
  }

  function text(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "boolean") return value ? "true" : "false";
    return String(value);
  }

  function TablePreview(root, labels) {
    this.root = root;
    this.labels = labels;
    this.size = Number(root.getAttribute("data-page")) || 25;
    this.form = root.querySelector("form");
    this.body = root.querySelector("tbody");
    this.status = root.querySelector(".portal-table__status");
    this.pager = root.querySelector(".portal-table__pager");
    this.load = root.querySelector(".portal-table__load");
    this.columns = Array.prototype.map.call(root.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
    this.rows = null;   // every row, once the download is read
    this.start = 0;
    this.pending = null;
    var self = this;
    if (!this.load) return;  // no JSON download: the HTML rows are all there is
    this.load.hidden = false;
    this.load.addEventListener("click", function () { self.fetch(); });
  }

  TablePreview.prototype.fetch = function () {
    var self = this;
    if (this.pending) return this.pending;
    this.load.disabled = true;
    this.root.setAttribute("aria-busy", "true");
    this.status.textContent = this.labels.loading;
    this.pending = fetch(this.root.getAttribute("data-src")).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (records) {
      var columns = self.columns;
      self.rows = records.map(function (record) {
        return columns.map(function (c) { return text(record[c]); });
      });
      self.search = self.rows.map(function (r) { return r.join("\u0001").toLowerCase(); });
      self.load.hidden = true;
      self.form.hidden = false;
      self.pager.hidden = false;
      self.form.addEventListener("submit", function (e) { e.preventDefault(); });
      self.form.addEventListener("input", function () { self.start = 0; self.draw(); });
      self.form.addEventListener("change", function () { self.start = 0; self.draw(); });
      Array.prototype.forEach.call(self.pager.querySelectorAll("button"), function (button) {
        button.addEventListener("click", function () {
          self.start += Number(button.getAttribute("data-step")) * self.size;
          self.draw();
        });
      });
      self.draw();
    }).catch(function () {
      self.status.textContent = self.labels.failed;
      self.load.disabled = false;
      self.pending = null;
    }).then(function () {
      self.root.removeAttribute("aria-busy");
    });
    return this.pending;
  };

  TablePreview.prototype.matching = function () {
    var q = this.form.elements.q.value.trim().toLowerCase();
    var column = this.form.elements.column.value;
    if (!q) return this.rows;
    var out = [];
    for (var i = 0; i < this.rows.length; i++) {
      var hit = column === "" ? this.search[i].indexOf(q) >= 0
        : this.rows[i][Number(column)].toLowerCase().indexOf(q) >= 0;
      if (hit) out.push(this.rows[i]);
    }
    return out;
  };

  TablePreview.prototype.draw = function () {
    var rows = this.matching();
    var last = Math.max(0, Math.ceil(rows.length / this.size) - 1);
    this.start = Math.min(Math.max(0, this.start), last * this.size);
    var shown = rows.slice(this.start, this.start + this.size);
    var fragment = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      r.forEach(function (cell) {
        var td = document.createElement("td");
        td.textContent = cell;
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    this.body.replaceChildren(fragment);
    if (window.portalChinese) window.portalChinese.mark(this.body);  // chinese.js
    var buttons = this.pager.querySelectorAll("button");
    buttons[0].disabled = this.start === 0;
    buttons[1].disabled = this.start + this.size >= rows.length;
    this.status.textContent = rows.length === 0 ? this.labels.none : fmt(this.labels.range, {
      first: (this.start + 1).toLocaleString(), last: (this.start + shown.length).toLocaleString(),
      total: rows.length.toLocaleString(), all: this.rows.length.toLocaleString()
    });
  };

  function start() {
    var node = document.getElementById("table-labels");
    if (!node) return;
    var labels = JSON.parse(node.textContent);
    document.querySelectorAll(".portal-table[data-src]").forEach(function (root) {
      if (!root.tablePreview) root.tablePreview = new TablePreview(root, labels);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
