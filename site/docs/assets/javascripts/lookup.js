/* Enterprise lookup over the static shards written by pipeline/pages/lookup_index.py.
   Every value from the data is inserted with textContent, never as markup. Only files of
   this site are fetched (relative URLs under the index folder). */
(function () {
  "use strict";

  var PAGE = 10;
  var MAX_GRAMS = 5;
  var USCC = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  function normalise(text) {
    return text.normalize("NFKC").toLowerCase().replace(/\s+/g, "");
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined ? m : String(values[k]);
    });
  }

  function Lookup(root) {
    this.root = root;
    this.base = root.getAttribute("data-index");
    this.labels = JSON.parse(document.getElementById("lookup-labels").textContent);
    this.cache = new Map();
    this.form = root.querySelector("form");
    this.status = root.querySelector(".lookup-status");
    this.results = root.querySelector(".lookup-results");
    this.detail = root.querySelector(".lookup-detail");
    this.detail.tabIndex = -1;  // focusable from script (after a result is opened), not a Tab stop
    this.more = root.querySelector(".lookup-more");
    this.token = 0;
    var self = this;
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.run(true);
    });
    this.form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        // A ranked list is chosen by the filters (and read a page at a time): ask again.
        if (self.list || (!self.candidates && !self.value("q").trim())) { self.run(true); return; }
        if (!self.candidates) return;
        self.saveHash();
        self.root.setAttribute("aria-busy", "true");
        var done = self.applyFilters(), view = self.view;
        // Busy until the newest filters are drawn: an earlier change finishing must not clear it.
        done.finally(function () { if (view === self.view) self.root.removeAttribute("aria-busy"); });
      });
    });
    this.more.addEventListener("click", function () { self.showPage(); });
    this.download = root.querySelector(".rows-download");
    if (this.download) this.download.addEventListener("click", function () { self.saveRows(); });
    this.fromHash();
    window.addEventListener("hashchange", function () { self.fromHash(); });
  }

  Lookup.prototype.get = function (path) {
    if (!this.cache.has(path)) {
      var url = this.base + path;
      this.cache.set(path, fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      }));
    }
    return this.cache.get(path);
  };

  Lookup.prototype.value = function (name) {
    return this.form.elements[name].value;
  };

  Lookup.prototype.saveHash = function () {
    var params = new URLSearchParams();
    ["q", "district", "sector", "grade", "year"].forEach(function (k) {
      var v = this.value(k).trim();
      if (v) params.set(k, v);
    }, this);
    history.replaceState(null, "", "#" + params.toString());
  };

  Lookup.prototype.fromHash = function () {
    var params = new URLSearchParams(location.hash.slice(1));
    var keys = ["q", "district", "sector", "grade", "year"];
    if (!keys.some(function (k) { return params.has(k); })) return;
    ["q", "district", "sector", "grade", "year"].forEach(function (k) {
      if (params.has(k)) this.form.elements[k].value = params.get(k);
    }, this);
    this.run(false);
  };

  Lookup.prototype.say = function (key, values) {
    this.status.textContent = fmt(this.labels.text[key], values || {});
  };

  Lookup.prototype.clear = function () {
    this.results.replaceChildren();
    this.detail.replaceChildren();
    this.detail.hidden = true;
    this.more.hidden = true;
    this.candidates = null;
    this.list = null;
    this.note = "";
    this.rows = [];
    if (this.download) this.download.hidden = true;
  };

  Lookup.prototype.filtersSet = function () {
    return ["district", "sector", "grade", "year"].some(function (k) { return this.value(k); }, this);
  };

  Lookup.prototype.run = function (save) {
    var self = this;
    var raw = this.value("q").trim();
    var token = ++this.token;
    this.clear();
    if (save) this.saveHash();
    if (!raw && !this.filtersSet()) { this.say("empty"); return Promise.resolve(); }
    this.say("searching");
    this.root.setAttribute("aria-busy", "true");
    return this.get("meta.json").then(function (meta) {
      self.meta = meta;
      var code = raw.toUpperCase().replace(/\s+/g, "");
      if (!raw) return self.byFilters(token);
      if (USCC.test(code)) return self.byUscc(code, token);
      return self.byName(normalise(raw), token);
    }).catch(function () {
      if (token === self.token) self.say("failed");
    }).finally(function () {
      if (token === self.token) self.root.removeAttribute("aria-busy");
    });
  };

  Lookup.prototype.byUscc = function (code, token) {
    var self = this;
    var shard = fnv1a(code) % this.meta.record_shards;
    return this.get("r/" + shard + ".json").then(function (records) {
      if (token !== self.token) return;
      var record = records.find(function (r) { return r[0] === code; });
      if (!record) { self.say("none"); return; }
      self.say("found_uscc");
      self.results.appendChild(self.resultItem(record));
      self.showDetail(record);
    });
  };

  // For each position of the query, the shortest gram that is not a stop gram (the same
  // chain the index builder walked for each position of every name); then at most
  // MAX_GRAMS of them, chosen greedily to cover as much of the query as possible, so the
  // intersection has few hits that do not contain the whole query.
  Lookup.prototype.plan = function (chars, stop) {
    var found = [];
    for (var p = 0; p + 1 < chars.length; p++) {
      for (var n = 2; n <= this.meta.max_gram && p + n <= chars.length; n++) {
        var gram = chars.slice(p, p + n).join("");
        if (!stop.has(gram)) { found.push([p, n, gram]); break; }
      }
    }
    var covered = new Array(chars.length).fill(false);
    var chosen = [];
    while (chosen.length < MAX_GRAMS) {
      var best = null, bestGain = 0;
      found.forEach(function (f) {
        if (chosen.indexOf(f) >= 0) return;
        var gain = 0;
        for (var i = f[0]; i < f[0] + f[1]; i++) if (!covered[i]) gain++;
        if (gain > bestGain) { best = f; bestGain = gain; }
      });
      if (!best) break;
      chosen.push(best);
      for (var i = best[0]; i < best[0] + best[1]; i++) covered[i] = true;
    }
    // Grams across the joins of those pin down their order: add the longest of the grams
    // that do not lie inside one already chosen.
    found.slice().sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; }).forEach(function (f) {
      var inside = chosen.some(function (c) { return c[0] <= f[0] && f[0] + f[1] <= c[0] + c[1]; });
      if (chosen.length < MAX_GRAMS && !inside) chosen.push(f);
    });
    var grams = [];
    chosen.forEach(function (c) { if (grams.indexOf(c[2]) < 0) grams.push(c[2]); });
    return grams;
  };

  Lookup.prototype.decode = function (postings) {
    var width = 2 + this.meta.years.length;
    var out = new Map();
    var id = 0;
    postings.split(",").forEach(function (token) {
      id += parseInt(token.slice(width), 36);
      out.set(id, token.slice(0, width));
    });
    return out;
  };

  Lookup.prototype.byName = function (query, token) {
    var self = this;
    var chars = Array.from(query);
    if (chars.length < 2) { this.say("too_short"); return Promise.resolve(); }
    // Only what nearly every name has (常州, 有限公司): it names no one; list by the filters.
    var affix = (this.meta.affixes || []).some(function (a) { return normalise(a).indexOf(query) >= 0; });
    if (affix) {
      this.note = fmt(this.labels.text.affix, { query: query });
      return this.byFilters(token);
    }
    return this.stopGrams(chars).then(function (stop) {
      if (token !== self.token) return;
      var grams = self.plan(chars, stop);
      if (grams.length) return self.byGrams(query, grams, token);
      // Every position is a common fragment: the ranked list of the longest one in the query.
      var best = "";
      stop.forEach(function (g) { if (query.indexOf(g) >= 0 && g.length > best.length) best = g; });
      if (!best) { self.say("too_general"); return; }
      return self.byList("g" + hex(best), query, best === query, token);
    });
  };

  // The stop grams of the query's two-character prefixes: every gram of a position's chain
  // starts with the same two characters, and their shard holds that whole chain.
  Lookup.prototype.stopGrams = function (chars) {
    var self = this;
    var prefixes = [];
    for (var p = 0; p + 1 < chars.length; p++) {
      var prefix = chars[p] + chars[p + 1];
      if (prefixes.indexOf(prefix) < 0) prefixes.push(prefix);
    }
    return Promise.all(prefixes.map(function (prefix) {
      return self.get("s/" + (fnv1a(prefix) % self.meta.stop_shards) + ".json");
    })).then(function (loaded) {
      var stop = new Set();
      loaded.forEach(function (shard, i) {
        if (Object.prototype.hasOwnProperty.call(shard, prefixes[i])) {
          shard[prefixes[i]].forEach(function (g) { stop.add(g); });
        }
      });
      return stop;
    });
  };

  Lookup.prototype.byGrams = function (query, grams, token) {
    var self = this;
    var shards = grams.map(function (g) { return fnv1a(g) % self.meta.gram_shards; });
    return Promise.all(shards.map(function (k) { return self.get("g/" + k + ".json"); }))
      .then(function (loaded) {
        if (token !== self.token) return;
        var sets = grams.map(function (g, i) {
          return Object.prototype.hasOwnProperty.call(loaded[i], g) ? self.decode(loaded[i][g]) : new Map();
        });
        sets.sort(function (a, b) { return a.size - b.size; });
        var hits = [];
        sets[0].forEach(function (attrs, id) {
          if (sets.every(function (s) { return s.has(id); })) hits.push([id, attrs]);
        });
        hits.sort(function (a, b) { return a[0] - b[0]; });
        self.query = query;
        self.candidates = hits;
        return self.applyFilters();
      });
  };

  function hex(text) {
    return Array.from(new TextEncoder().encode(text), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  // The filters alone: the ranked list of the district and sector chosen ("_" for any).
  Lookup.prototype.byFilters = function (token) {
    var meta = this.meta, D = "0123456789abcdefghijklmnopqrstuvwxyz";
    var d = meta.districts.indexOf(this.value("district")), s = meta.sectors.indexOf(this.value("sector"));
    var key = "f" + (d >= 0 ? D[d] : "_") + (s >= 0 ? D[s] : "_");
    return this.byList(key, "", true, token);
  };

  // A ranked list (lookup_index.py list_files): its first page now, more as the reader asks.
  // ``exact``: every entry of the list matches the query (no name to confirm).
  Lookup.prototype.byList = function (key, query, exact, token) {
    var self = this;
    return this.get("l/" + key + "/0.json").then(function (head) {
      if (token !== self.token) return;
      self.query = query;
      self.list = { key: key, pages: head.pages, next: 1, total: head.n, kept: head.kept, exact: exact };
      self.candidates = self.entries(head.i);
      return self.applyFilters();
    });
  };

  Lookup.prototype.entries = function (text) {
    var width = 2 + this.meta.years.length;
    return text ? text.split(",").map(function (t) {
      return [parseInt(t.slice(width), 36), t.slice(0, width)];
    }) : [];
  };

  // The next page of the list, its matching entries added to those waiting to be shown.
  Lookup.prototype.nextPage = function () {
    var self = this, list = this.list, view = this.view;
    var page = list.next++;
    return this.get("l/" + list.key + "/" + page + ".json").then(function (loaded) {
      if (view !== self.view) return;
      var more = self.entries(loaded.i);
      self.candidates = self.candidates.concat(more);
      self.filtered = self.filtered.concat(more.filter(function (c) { return self.matchesFilters(c[1]); }));
    });
  };

  // What the status line says of a list: the exact count where the list itself gives it,
  // else how many are shown so far (and that more can be read).
  Lookup.prototype.sayList = function () {
    var list = this.list, shown = this.confirmed;
    var narrowed = this.value("grade") || this.value("year") ||
      (list.key.charAt(0) === "g" && (this.value("district") || this.value("sector")));
    var done = list.next >= list.pages && this.shown >= this.filtered.length;
    var values = { count: list.total, shown: shown, kept: list.kept, query: this.query };
    var key;
    if (!shown) key = "none_filtered";
    else if (done && (narrowed || !list.exact)) { key = "found"; values.count = shown; }
    else if (narrowed || !list.exact) key = "found_so_far";
    else if (list.key.charAt(0) === "f") key = "listed_count";
    else key = list.kept < list.total ? "ranked_capped" : "ranked";
    this.say(key, values);
    if (this.note) this.status.textContent = this.note + " " + this.status.textContent;
    if (window.portalChinese) window.portalChinese.mark(this.status);  // the query, as typed
  };

  // A CSV of exactly the enterprises listed, with the grade each line shows.
  Lookup.prototype.saveRows = function () {
    var T = this.labels.text, R = this.labels.rows, self = this;
    var headers = [T.uscc, T.name, T.district, T.sector, T.year, T.grade];
    var rows = this.rows.map(function (record) {
      var g = self.shownGrade(record);
      return [record[0], record[1], self.label("districts", record[2]), self.label("sectors", record[3]),
              g ? g[0] : null, g ? self.label("grades", g[2]) : null];
    });
    window.portalRowsFile.saveShown(R, this.form, headers, rows);
  };

  Lookup.prototype.matchesFilters = function (attrs) {
    var meta = this.meta;
    var d = this.value("district"), s = this.value("sector");
    var g = this.value("grade"), y = this.value("year");
    var code = function (list, v) { return "0123456789abcdefghijklmnopqrstuvwxyz"[list.indexOf(v)]; };
    if (d && attrs[0] !== code(meta.districts, d)) return false;
    if (s && attrs[1] !== code(meta.sectors, s)) return false;
    var grades = attrs.slice(2);
    if (y) {
      var at = meta.years.indexOf(Number(y));
      if (at < 0 || grades[at] === "-") return false;
      if (g && grades[at] !== code(meta.grades, g)) return false;
    } else if (g) {
      var latest = grades.replace(/-+$/, "").slice(-1);
      if (latest !== code(meta.grades, g)) return false;
    }
    return true;
  };

  Lookup.prototype.applyFilters = function () {
    var self = this;
    this.results.replaceChildren();
    this.detail.replaceChildren();
    this.detail.hidden = true;
    this.filtered = this.candidates.filter(function (c) { return self.matchesFilters(c[1]); });
    // A page still loading for the filters before must not land in this list.
    this.view = (this.view || 0) + 1;
    this.shown = 0;
    this.confirmed = 0;
    this.dropped = 0;
    this.rows = [];
    if (!this.filtered.length && !(this.list && this.list.next < this.list.pages)) {
      this.say(this.candidates.length ? "none_filtered" : "none");
      this.more.hidden = true;
      return Promise.resolve();
    }
    return this.showPage();
  };

  Lookup.prototype.showPage = function () {
    var self = this;
    var token = this.token, view = this.view;
    var width = this.meta.record_width;
    var wanted = this.confirmed + PAGE;
    var rounds = 0;
    function step() {
      var batch = self.filtered.slice(self.shown, self.shown + (wanted - self.confirmed));
      self.shown += batch.length;
      rounds++;
      return Promise.all(batch.map(function (c) {
        var id = c[0];
        return self.get("r/" + Math.floor(id / width) + ".json").then(function (records) {
          return records[id % width];
        });
      })).then(function (records) {
        if (token !== self.token || view !== self.view) return;
        records.forEach(function (record) {
          // The index matches grams; the name must contain the whole query.
          if (record && normalise(record[1]).indexOf(self.query) >= 0) {
            self.results.appendChild(self.resultItem(record));
            self.confirmed++;
            self.rows.push(record);
            self.last = record;
          } else {
            self.dropped++;
          }
        });
        var list = self.list;
        if (self.confirmed < wanted && self.shown < self.filtered.length && rounds < 3) return step();
        // A list reads a few more pages when the filters leave too little on those read.
        if (list && self.confirmed < wanted && list.next < list.pages && rounds < 6) {
          return self.nextPage().then(function () { if (view === self.view) return step(); });
        }
        if (self.download) {
          self.download.hidden = !self.confirmed || !window.portalRowsFile;
          self.download.textContent = fmt(self.labels.rows.download, { count: self.confirmed });
        }
        if (list) {
          self.sayList();
          self.more.hidden = self.shown >= self.filtered.length && list.next >= list.pages;
          return;
        }
        var total = self.filtered.length - self.dropped;
        self.say(total ? "found" : "none", { count: total, shown: self.confirmed });
        self.more.hidden = self.shown >= self.filtered.length;
        if (total === 1 && self.confirmed === 1) self.showDetail(self.last);
      });
    }
    return step();
  };

  Lookup.prototype.label = function (group, code) {
    var names = this.labels[group] || {};
    return Object.prototype.hasOwnProperty.call(names, code) ? names[code] : code;
  };

  // The rating a result line shows: of the year the reader filtered on, else the latest
  // (with ratings running to the present, "latest" is rarely the year asked about).
  Lookup.prototype.shownGrade = function (record) {
    var ratings = record[6];
    var year = Number(this.value("year"));
    if (year) {
      for (var i = ratings.length - 1; i >= 0; i--) if (ratings[i][0] === year) return ratings[i];
    }
    return ratings.length ? ratings[ratings.length - 1] : null;
  };

  Lookup.prototype.resultItem = function (record) {
    var self = this;
    var item = el("li", null, "lookup-result");
    var button = el("button", record[1], "lookup-name");
    button.type = "button";
    button.addEventListener("click", function () {
      self.showDetail(record);
      // Move focus to what was opened: keyboard and screen reader users land on the
      // details instead of on a button that scrolled out of sight.
      self.detail.focus();
    });
    item.appendChild(button);
    var latest = this.shownGrade(record);
    var facts = [record[0], this.label("districts", record[2]), this.label("sectors", record[3])];
    if (latest) facts.push(fmt(this.labels.text.grade_in, { year: latest[0], grade: this.label("grades", latest[2]) }));
    item.appendChild(el("div", facts.join(" · "), "lookup-facts"));
    if (window.portalChinese) window.portalChinese.mark(item);  // chinese.js
    return item;
  };

  Lookup.prototype.table = function (caption, headers, rows) {
    var wrap = el("div", null, "lookup-table");
    var table = el("table");
    table.appendChild(el("caption", caption));
    var head = el("tr");
    headers.forEach(function (h) { head.appendChild(el("th", h)); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (cell) {
        var td = el("td");
        if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null ? "—" : String(cell);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    return wrap;
  };

  // Everything dated about an enterprise, oldest first: ratings, certificates, blacklist
  // listings still public and supervised hazards (what the record holds, nothing more).
  Lookup.prototype.timeline = function (record) {
    var T = this.labels.text, self = this, asOf = this.meta.as_of, events = [];
    function add(date, text) { if (date) events.push([date, text]); }
    record[6].forEach(function (r) { add(r[3], fmt(T.tl_rated, { year: r[0], grade: self.label("grades", r[2]) })); });
    record[7].forEach(function (c) {
      add(c[2], fmt(T.tl_cert_issued, { id: c[0], level: self.label("levels", String(c[1])) }));
      add(c[3], fmt(T.tl_cert_expires, { id: c[0] }));
    });
    record[8].forEach(function (b) {
      add(b[2], fmt(T.tl_listed, { id: b[0], reason: self.label("reasons", b[1]) }));
      add(b[3], fmt(T.tl_list_expires, { id: b[0] }));
    });
    record[9].forEach(function (h) {
      add(h[2], fmt(T.tl_hazard, { id: h[0], level: self.label("hazard_levels", h[1]) }));
      if (h[4]) add(h[4], fmt(T.tl_hazard_rectified, { id: h[0] }));
      else add(h[3], fmt(T.tl_hazard_deadline, { id: h[0] }));
    });
    events.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
    var section = el("section", null, "lookup-timeline");
    section.appendChild(el("h4", T.timeline));
    var list = el("ol");
    events.forEach(function (e) {
      var item = el("li", null, e[0] > asOf ? "lookup-future" : null);
      var time = el("time", e[0]);
      time.setAttribute("datetime", e[0]);
      item.appendChild(time);
      item.appendChild(document.createTextNode(" " + e[1] + (e[0] > asOf ? " " + T.tl_future : "")));
      list.appendChild(item);
    });
    section.appendChild(list);
    return section;
  };

  Lookup.prototype.showDetail = function (record) {
    var L = this.labels, T = L.text, self = this;
    var asOf = this.meta.as_of;
    var box = this.detail;
    box.replaceChildren();
    box.hidden = false;
    box.appendChild(el("h3", record[1]));
    var facts = el("dl", null, "lookup-dl");
    [[T.uscc, record[0]], [T.district, this.label("districts", record[2])],
     [T.sector, this.label("sectors", record[3])], [T.scale, this.label("scales", record[4])],
     [T.established, record[5]]].forEach(function (pair) {
      facts.appendChild(el("dt", pair[0]));
      facts.appendChild(el("dd", pair[1]));
    });
    box.appendChild(facts);

    box.appendChild(record[6].length ? this.table(T.ratings, [T.year, T.grade, T.rated_on],
      record[6].map(function (r) { return [r[0], self.label("grades", r[2]), r[3]]; }))
      : el("p", T.no_ratings));
    box.appendChild(record[7].length ? this.table(T.certificates,
      [T.certificate_id, T.level, T.issued, T.expires, T.state],
      record[7].map(function (c) {
        var current = c[2] <= asOf && asOf < c[3];
        return [c[0], self.label("levels", String(c[1])), c[2], c[3], current ? T.current : T.expired];
      })) : el("p", T.no_certificates));
    box.appendChild(record[8].length ? this.table(T.listings,
      [T.listing_id, T.reason, T.listed, T.expires, T.accident],
      record[8].map(function (b) {
        var link = null;
        if (b[4]) {
          link = el("a", b[4]);
          link.href = L.accidents_href + "#" + new URLSearchParams({ q: b[4] }).toString();
        }
        return [b[0], self.label("reasons", b[1]), b[2], b[3], link];
      })) : el("p", T.no_listings));
    box.appendChild(record[9].length ? this.table(T.hazards,
      [T.hazard_id, T.level, T.listed, T.deadline, T.rectified, T.state],
      record[9].map(function (h) {
        return [h[0], self.label("hazard_levels", h[1]), h[2], h[3], h[4], self.label("hazard_statuses", h[5])];
      })) : el("p", T.no_hazards));
    var history = this.timeline(record);
    if (history.querySelector("li")) box.appendChild(history);
    box.appendChild(el("p", fmt(T.as_of, { date: asOf }), "portal-meta"));
    if (window.portalChinese) window.portalChinese.mark(box);  // chinese.js
    if (box.scrollIntoView) box.scrollIntoView({ block: "nearest" });
  };

  function start() {
    document.querySelectorAll(".lookup[data-index]").forEach(function (root) {
      if (!root.lookup) root.lookup = new Lookup(root);
    });
  }
  // mkdocs-material's instant navigation would need document$; plain page loads are used here.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
