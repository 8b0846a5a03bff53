/* Charts, as progressive enhancement of the static SVG drawn at build time. Without this
   script a chart block shows its SVG, data table, map, downloads and citations as plain
   HTML. With it:
   - views: chart / table / map as tabs;
   - values on hover, tap and keyboard focus (arrow keys move between years or bars);
   - districts a reader adds to a line chart, drawn with the chart's own scales;
   - the view's state in the address (?<chart>=map&<chart>.year=2015&<chart>.d=320402.320404),
     so a link reproduces it;
   - a PNG made by drawing the chart's downloadable SVG (title, source, licence and notes
     included) onto a canvas, and a CSV of exactly the lines shown.
   Data comes from the block's <script type="application/json">; nothing leaves the site. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var EXTRA = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#000000", "#F0E442", "#999999", "#0072B2"];

  function fmt(value, decimals) {
    return value === null || value === undefined ? "" : Number(value).toFixed(decimals);
  }

  function visibleSvg(block) {
    var all = block.querySelectorAll(".portal-chart-svg svg.portal-chart");
    for (var i = 0; i < all.length; i++) {
      if (all[i].getBoundingClientRect().width > 0) { return all[i]; }
    }
    return null;
  }

  /* --- state in the address ------------------------------------------------------- */
  function readState(slug) {
    var params = new URLSearchParams(window.location.search);
    return {
      view: params.get(slug) || "",
      year: params.get(slug + ".year") || "",
      districts: (params.get(slug + ".d") || "").split(".").filter(Boolean)
    };
  }

  function writeState(slug, state) {
    var params = new URLSearchParams(window.location.search);
    function put(key, value) { if (value) { params.set(key, value); } else { params.delete(key); } }
    put(slug, state.view && state.view !== "chart" ? state.view : "");
    put(slug + ".year", state.year);
    put(slug + ".d", state.districts.join("."));
    var query = params.toString();
    var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    window.history.replaceState(null, "", url);
    return window.location.href;
  }

  /* --- one chart block ------------------------------------------------------------- */
  function Block(block) {
    var json = block.querySelector(".portal-chart-json");
    this.block = block;
    this.data = JSON.parse(json.textContent);
    this.slug = this.data.slug;
    this.state = readState(this.slug);
    this.tooltip = document.createElement("div");
    this.tooltip.className = "portal-chart-tooltip";
    this.tooltip.setAttribute("role", "status");
    this.tooltip.hidden = true;
    this.index = -1;
    var area = block.querySelector(".portal-chart-svg");
    area.appendChild(this.tooltip);
    this.area = area;
  }

  Block.prototype.init = function () {
    var self = this;
    this.initViews();
    this.initTooltips();
    this.initDistricts();
    this.initMap();
    this.initDownloads();
    var hint = this.block.querySelector(".portal-chart-hint");
    if (hint) { hint.hidden = false; }
    this.apply();
    window.addEventListener("resize", function () { self.drawDistricts(); });
  };

  Block.prototype.save = function () {
    var href = writeState(this.slug, this.state);
    var link = this.block.querySelector(".portal-chart-state-link");
    if (link) {
      var url = new URL(href);
      url.hash = this.block.id;
      link.href = url.href;
      link.textContent = url.href;
    }
  };

  Block.prototype.initViews = function () {
    var self = this;
    var tabs = this.block.querySelector(".portal-chart-tabs");
    if (!tabs) { return; }
    tabs.hidden = false;
    var buttons = Array.prototype.slice.call(tabs.querySelectorAll("[role=tab]"));
    buttons.forEach(function (button, i) {
      button.addEventListener("click", function () {
        self.state.view = button.getAttribute("data-view");
        self.apply();
        self.save();
      });
      button.addEventListener("keydown", function (event) {
        var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) { return; }
        event.preventDefault();
        var next = buttons[(i + step + buttons.length) % buttons.length];
        next.focus();
        next.click();
      });
    });
  };

  Block.prototype.apply = function () {
    var view = this.state.view;
    var views = this.block.querySelectorAll(".portal-chart-view");
    var known = Array.prototype.some.call(views, function (v) { return v.getAttribute("data-view") === view; });
    if (!known) { view = "chart"; }
    this.block.querySelectorAll(".portal-chart-tabs [role=tab]").forEach(function (tab) {
      var on = tab.getAttribute("data-view") === view;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    });
    views.forEach(function (v) {
      var on = v.getAttribute("data-view") === view;
      v.hidden = !on;
      v.setAttribute("role", "tabpanel");
      v.setAttribute("aria-labelledby", v.id.replace("-view-", "-tab-"));
    });
    if (view === "table") {
      var details = this.block.querySelector(".portal-chart-data");
      if (details) { details.open = true; }
    }
    this.block.querySelectorAll(".portal-chart-districts input").forEach(function (box) {
      box.checked = this.state.districts.indexOf(box.value) !== -1;
    }, this);
    if (this.state.year) { this.showYear(this.state.year); }
    this.drawDistricts();
  };

  /* --- tooltips: hover, tap, keyboard ------------------------------------------------ */
  Block.prototype.initTooltips = function () {
    var self = this;
    var area = this.area;
    area.tabIndex = 0;
    area.setAttribute("aria-describedby", this.block.id + "-hint");
    var hint = this.block.querySelector(".portal-chart-hint");
    if (hint) { hint.id = this.block.id + "-hint"; }
    // The SVG's own <title> tooltips would repeat ours.
    area.querySelectorAll("circle > title, rect > title").forEach(function (node) { node.remove(); });
    function fromPointer(event) {
      var svg = visibleSvg(self.block);
      if (!svg) { return; }
      var box = svg.getBoundingClientRect();
      var view = svg.viewBox.baseVal;
      var scale = box.width / view.width;
      var kind = svg.getAttribute("data-kind");
      var n = Number(svg.getAttribute("data-n"));
      var i;
      if (kind === "bar") {
        var y = (event.clientY - box.top) / scale - Number(svg.getAttribute("data-top"));
        i = Math.floor(y / 32);
      } else {
        var left = Number(svg.getAttribute("data-left"));
        var width = Number(svg.getAttribute("data-plot-w"));
        var x = (event.clientX - box.left) / scale;
        i = n > 1 ? Math.round((x - left) / width * (n - 1)) : 0;
      }
      if (i < 0 || i >= n) { self.hide(); return; }
      self.show(i);
    }
    area.addEventListener("pointermove", fromPointer);
    area.addEventListener("pointerdown", fromPointer);
    area.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse") { self.hide(); }
    });
    area.addEventListener("focus", function () { self.show(self.index >= 0 ? self.index : self.data.x.length - 1); });
    area.addEventListener("blur", function () { self.hide(); });
    area.addEventListener("keydown", function (event) {
      var n = self.data.x.length;
      var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (event.key === "Home") { self.show(0); event.preventDefault(); return; }
      if (event.key === "End") { self.show(n - 1); event.preventDefault(); return; }
      if (event.key === "Escape") { self.hide(); return; }
      if (!step) { return; }
      event.preventDefault();
      self.show(Math.min(n - 1, Math.max(0, (self.index < 0 ? n - 1 : self.index) + step)));
    });
  };

  Block.prototype.lines = function (i) {
    var d = this.data;
    var out = d.columns.map(function (c) { return [c.name, c.values[i]]; });
    this.state.districts.forEach(function (code) {
      var area = this.area_(code);
      if (area && d.kind === "line") { out.push([area.name, area.values[d.mapXs.indexOf(d.x[i])]]); }
    }, this);
    return out;
  };

  Block.prototype.area_ = function (code) {
    for (var k = 0; k < this.data.areas.length; k++) {
      if (this.data.areas[k].code === code) { return this.data.areas[k]; }
    }
    return null;
  };

  Block.prototype.show = function (i) {
    var d = this.data;
    var svg = visibleSvg(this.block);
    if (!svg || i < 0 || i >= d.x.length) { return; }
    this.index = i;
    var tip = this.tooltip;
    tip.textContent = "";
    var head = document.createElement("strong");
    head.textContent = d.x[i];
    tip.appendChild(head);
    this.lines(i).forEach(function (line) {
      if (line[1] === null || line[1] === undefined || !line[0]) { return; }
      var row = document.createElement("span");
      row.style.display = "block";
      row.textContent = line[0] + "：" + fmt(line[1], d.decimals) + (d.unit ? " " + d.unit : "");
      tip.appendChild(row);
    });
    tip.hidden = false;
    var box = svg.getBoundingClientRect();
    var outer = this.area.getBoundingClientRect();
    var scale = box.width / svg.viewBox.baseVal.width;
    var x, y;
    if (svg.getAttribute("data-kind") === "bar") {
      x = box.left - outer.left + Number(svg.getAttribute("data-left")) * scale + 8;
      y = box.top - outer.top + (Number(svg.getAttribute("data-top")) + 32 * i + 26) * scale;
    } else {
      var n = Number(svg.getAttribute("data-n"));
      var px = Number(svg.getAttribute("data-left")) + (n > 1 ? Number(svg.getAttribute("data-plot-w")) * i / (n - 1) : Number(svg.getAttribute("data-plot-w")) / 2);
      x = box.left - outer.left + px * scale + 10;
      y = box.top - outer.top + Number(svg.getAttribute("data-top")) * scale;
      this.guide(svg, px);
    }
    var width = tip.offsetWidth;
    if (x + width > outer.width) { x = Math.max(0, x - width - 20); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  };

  Block.prototype.guide = function (svg, px) {
    var line = svg.querySelector(".portal-guide");
    if (!line) {
      line = document.createElementNS(SVG_NS, "line");
      line.setAttribute("class", "portal-guide");
      line.setAttribute("stroke", "#555555");
      line.setAttribute("stroke-width", "1");
      var top = Number(svg.getAttribute("data-top"));
      line.setAttribute("y1", String(top));
      line.setAttribute("y2", String(top + Number(svg.getAttribute("data-plot-h"))));
      svg.querySelector(".plot").appendChild(line);
    }
    line.setAttribute("x1", String(px));
    line.setAttribute("x2", String(px));
    line.style.display = "";
  };

  Block.prototype.hide = function () {
    this.tooltip.hidden = true;
    this.block.querySelectorAll(".portal-guide").forEach(function (line) { line.style.display = "none"; });
  };

  /* --- districts a reader adds --------------------------------------------------------- */
  Block.prototype.initDistricts = function () {
    var self = this;
    var box = this.block.querySelector(".portal-chart-districts");
    if (!box || this.data.kind !== "line") { return; }
    box.hidden = false;
    box.addEventListener("change", function () {
      self.state.districts = Array.prototype.filter.call(box.querySelectorAll("input"), function (input) {
        return input.checked;
      }).map(function (input) { return input.value; });
      self.drawDistricts();
      self.save();
    });
  };

  Block.prototype.drawDistricts = function () {
    var d = this.data;
    if (d.kind !== "line") { return; }
    var chosen = this.state.districts;
    this.block.querySelectorAll(".portal-chart-svg svg.portal-chart").forEach(function (svg) {
      var old = svg.querySelector(".portal-districts");
      if (old) { old.remove(); }
      if (!chosen.length) { return; }
      var left = Number(svg.getAttribute("data-left")), top = Number(svg.getAttribute("data-top"));
      var w = Number(svg.getAttribute("data-plot-w")), h = Number(svg.getAttribute("data-plot-h"));
      var min = Number(svg.getAttribute("data-y-min")), max = Number(svg.getAttribute("data-y-max"));
      var n = d.x.length;
      var group = document.createElementNS(SVG_NS, "g");
      group.setAttribute("class", "portal-districts");
      chosen.forEach(function (code, k) {
        var area = this.area_(code);
        if (!area) { return; }
        var colour = EXTRA[k % EXTRA.length];
        var path = "";
        var pen = "M";
        d.x.forEach(function (x, i) {
          var value = area.values[d.mapXs.indexOf(x)];
          if (value === null || value === undefined) { pen = "M"; return; }
          var px = left + (n > 1 ? w * i / (n - 1) : w / 2);
          var py = top + h * (1 - (value - min) / ((max - min) || 1));
          path += pen + px.toFixed(2) + " " + py.toFixed(2);
          pen = "L";
        });
        var line = document.createElementNS(SVG_NS, "path");
        line.setAttribute("d", path);
        line.setAttribute("fill", "none");
        line.setAttribute("stroke", colour);
        line.setAttribute("stroke-width", "2");
        line.setAttribute("stroke-dasharray", "1 0");
        line.setAttribute("data-series", area.name);
        group.appendChild(line);
        var label = document.createElementNS(SVG_NS, "title");
        label.textContent = area.name;
        line.appendChild(label);
      }, this);
      svg.querySelector(".plot").appendChild(group);
    }, this);
  };

  /* --- the map -------------------------------------------------------------------------- */
  Block.prototype.initMap = function () {
    var self = this;
    var label = this.block.querySelector(".portal-chart-year");
    if (!label) { return; }
    label.hidden = false;
    var select = label.querySelector("select");
    select.addEventListener("change", function () {
      self.state.year = select.value;
      self.showYear(select.value);
      self.save();
    });
  };

  Block.prototype.showYear = function (year) {
    var d = this.data;
    var map = this.block.querySelector("svg.portal-map");
    var select = this.block.querySelector(".portal-chart-year select");
    var k = d.mapXs.indexOf(year);
    if (!map || k === -1) { return; }
    if (select) { select.value = year; }
    var limits = d.limits.map(Number);
    var blues = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"];
    function colour(value) {
      if (value === null || value === undefined || limits.length < 2) { return "#f0f0f0"; }
      var count = limits.length - 1, index = count - 1;
      for (var i = 0; i < count; i++) { if (value <= limits[i + 1]) { index = i; break; } }
      return blues[Math.round(index * (blues.length - 1) / Math.max(count - 1, 1))];
    }
    map.querySelectorAll(".tile").forEach(function (tile) {
      var codes = tile.getAttribute("data-codes").split(" ");
      var area = null;
      codes.forEach(function (code) {
        var a = this.area_(code);
        if (a && a.values[k] !== null && a.values[k] !== undefined) { area = a; }
      }, this);
      area = area || this.area_(codes[codes.length - 1]);
      var value = area ? area.values[k] : null;
      var fill = colour(value);
      var ink = blues.indexOf(fill) >= 4 ? "#FFFFFF" : "#222222";
      tile.querySelector("rect").setAttribute("fill", fill);
      var texts = tile.querySelectorAll("text");
      texts[0].textContent = area ? area.name : "";
      texts[1].textContent = value === null || value === undefined ? d.missing : fmt(value, d.decimals);
      texts[0].setAttribute("fill", ink);
      texts[1].setAttribute("fill", ink);
    }, this);
    var title = map.querySelector("title");
    if (title) { title.textContent = title.textContent.replace(/\d{4}/, year); }
  };

  /* --- downloads: PNG from the exported SVG, CSV of the lines shown ------------------------ */
  Block.prototype.initDownloads = function () {
    var self = this;
    var png = this.block.querySelector(".portal-chart-png");
    if (png && window.XMLSerializer && HTMLCanvasElement.prototype.toBlob) {
      png.hidden = false;
      png.addEventListener("click", function (event) {
        event.preventDefault();
        window.fetch(png.getAttribute("href")).then(function (response) { return response.text(); })
          .then(function (text) { pngFromSvg(text, png.getAttribute("data-png-name") || "chart.png"); });
      });
    }
    var csv = this.block.querySelector(".portal-chart-csv");
    if (csv && window.Blob) {
      csv.addEventListener("click", function (event) {
        if (!self.state.districts.length) { return; }  // the built file is exactly what is shown
        event.preventDefault();
        save(new Blob(["\ufeff" + self.csv()], { type: "text/csv;charset=utf-8" }),
             csv.getAttribute("download") || "chart.csv");
      });
    }
  };

  Block.prototype.csv = function () {
    var d = this.data;
    function cell(text) {
      text = String(text);
      return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }
    function header(name) {
      return d.unit ? d.unitHeader.replace("{name}", name).replace("{unit}", d.unit) : name;
    }
    var columns = d.columns.slice();
    this.state.districts.forEach(function (code) {
      var area = this.area_(code);
      if (area) {
        columns.push({ name: area.name, values: d.x.map(function (x) { return area.values[d.mapXs.indexOf(x)]; }) });
      }
    }, this);
    var rows = [[d.xHeader].concat(columns.map(function (c) { return header(c.name); }))
      .concat(d.csvNote ? [d.csvNoteHeader] : [])];
    d.x.forEach(function (x, i) {
      rows.push([x].concat(columns.map(function (c) { return fmt(c.values[i], d.decimals); }))
        .concat(d.csvNote ? [d.csvNote] : []));
    });
    return rows.map(function (row) { return row.map(cell).join(","); }).join("\r\n") + "\r\n";
  };

  function save(blob, name) {
    var href = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = href;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(href); }, 10000);
  }

  /* The downloadable SVG already carries the title, source, licence, date and notes; the
     PNG is that image drawn at twice its size. */
  function pngFromSvg(text, name) {
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = doc.documentElement;
    var width = Number(root.getAttribute("width")) || 760;
    var height = Number(root.getAttribute("height")) || 480;
    var scale = 2;
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = width * scale;
      canvas.height = height * scale;
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) { if (blob) { save(blob, name); } }, "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(root));
  }

  function init() {
    document.querySelectorAll(".portal-chart-block").forEach(function (block) {
      if (block.querySelector(".portal-chart-json")) { new Block(block).init(); }
    });
    document.querySelectorAll(".portal-embed-code").forEach(function (area) {
      area.addEventListener("focus", function () { area.select(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
