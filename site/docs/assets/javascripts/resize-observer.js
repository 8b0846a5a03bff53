/* A minimal ResizeObserver for browsers without one, so that the theme does not load
   its polyfill from a CDN. The theme only reads entry.target and measures the element
   itself, so reporting observed elements on window resize (and once on observe) is
   enough. ES5 on purpose: it runs where modern APIs are missing. */
(function () {
  "use strict";
  if (typeof window.ResizeObserver !== "undefined") {
    return;
  }
  function ResizeObserver(callback) {
    var self = this;
    self.callback = callback;
    self.targets = [];
    self.listener = function () { self.notify(); };
  }
  ResizeObserver.prototype.notify = function () {
    var entries = this.targets.map(function (target) {
      return { target: target, contentRect: target.getBoundingClientRect() };
    });
    if (entries.length) {
      this.callback(entries, this);
    }
  };
  ResizeObserver.prototype.observe = function (target) {
    var self = this;
    if (self.targets.indexOf(target) < 0) {
      self.targets.push(target);
    }
    if (self.targets.length === 1) {
      window.addEventListener("resize", self.listener);
    }
    window.setTimeout(function () { self.notify(); }, 0);
  };
  ResizeObserver.prototype.unobserve = function (target) {
    this.targets = this.targets.filter(function (t) { return t !== target; });
    if (!this.targets.length) {
      window.removeEventListener("resize", this.listener);
    }
  };
  ResizeObserver.prototype.disconnect = function () {
    this.targets = [];
    window.removeEventListener("resize", this.listener);
  };
  window.ResizeObserver = ResizeObserver;
}());
