/* The search index is fetched when a reader first uses the search, not on every page.
 *
 * The theme's script requests search/search_index.json (about as heavy as the rest of a
 * page together) and starts its search worker as soon as any page loads. This file runs
 * before the theme's script (it is included with the search box, above it in the page) and
 * holds both back:
 *
 * - the index request is sent only when the search is first used: the search box gets
 *   the focus (a click, a tap, the theme's "/" or "s" keys), the search toggle is switched
 *   on (the magnifier on a phone), or the address asks for a search (?q=, a link to the
 *   search) or for the highlighting of a search's words (?h=, after following a result);
 * - the theme's worker (a stand-in receives its messages) is started when the theme first
 *   posts to it, which it does once the index has arrived.
 *
 * Works from any edition's root: the index is recognised by its path's end
 * (".../search/search_index.json"), and the worker by the address the theme's own
 * configuration gives.
 *
 * The theme re-runs a search on "keyup" only, so text that arrives without a key being
 * released (pasted from a menu, some input methods' committed words) would not be searched
 * until the next key; an "input" event is passed on as a keyup so it is.
 */
(function () {
  "use strict";

  var INDEX = /\/search\/search_index\.json(?:[?#].*)?$/;
  var released = false;
  var waiting = [];

  function release() {
    if (released) return;
    released = true;
    document.documentElement.setAttribute("data-search-index", "requested");
    waiting.splice(0).forEach(function (send) { send(); });
  }

  // --- the index request waits for first use ---
  var indexRequests = new WeakSet();
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    if (INDEX.test(String(url))) indexRequests.add(this);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (released || !indexRequests.has(this)) return send.apply(this, arguments);
    var request = this, args = arguments;
    waiting.push(function () {
      if (request.readyState === XMLHttpRequest.OPENED) send.apply(request, args);
    });
  };

  // --- the worker starts with the first message posted to it ---
  var RealWorker = window.Worker;

  // The theme's configuration is written at the end of the page, after this script ran, and
  // before the theme's script starts the worker.
  function isSearchWorker(url) {
    try {
      var config = JSON.parse(document.getElementById("__config").textContent);
      return new URL(String(url), location.href).href === new URL(config.search, location.href).href;
    } catch (error) {
      return false;
    }
  }

  function LazyWorker(url, options) {
    var target = document.createDocumentFragment();  // an EventTarget in every browser
    var worker = null;
    target.postMessage = function (message, transfer) {
      if (!worker) {
        worker = new RealWorker(url, options);
        worker.addEventListener("message", function (event) {
          target.dispatchEvent(new MessageEvent("message", { data: event.data }));
        });
        worker.addEventListener("error", function (event) {
          target.dispatchEvent(new ErrorEvent("error", { message: event.message }));
        });
      }
      worker.postMessage(message, transfer || []);
    };
    target.terminate = function () { if (worker) worker.terminate(); };
    return target;
  }

  if (RealWorker) {
    window.Worker = function (url, options) {
      return isSearchWorker(url) ? LazyWorker(url, options) : new RealWorker(url, options);
    };
    window.Worker.prototype = RealWorker.prototype;
  }

  // --- what counts as first use ---
  var params = new URLSearchParams(location.search);
  if (params.has("q") || params.has("h")) release();

  function isQuery(element) {
    return element && element.matches && element.matches("[data-md-component=search-query]");
  }
  document.addEventListener("focusin", function (event) {
    if (isQuery(event.target)) release();
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "__search" && event.target.checked) release();
  });
  function searchNow(element) {
    release();
    element.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  }
  // While an input method composes a word the field holds its spelling (pinyin): the word
  // is searched when it is committed.
  document.addEventListener("input", function (event) {
    if (isQuery(event.target) && !event.isComposing) searchNow(event.target);
  });
  document.addEventListener("compositionend", function (event) {
    if (isQuery(event.target)) searchNow(event.target);
  });
})();
