/* Chinese data drawn by a script into an English page (an enterprise's name as registered,
   a district as the data writes it) is marked lang="zh", as the pages' own rows are, so that
   screen readers and fonts treat it as Chinese: each run of Chinese in the text under a
   node gets a <span lang="zh">. The runs are those of pipeline/pages/render.py: from a
   Chinese character to the last one before a Latin letter. A Chinese page is Chinese
   already and is left alone. Text only: nothing is parsed as markup. */
(function () {
  "use strict";

  var HAN = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef";
  var RUN = new RegExp("[" + HAN + "](?:[^A-Za-z]*[" + HAN + "])?", "g");

  function english() {
    var lang = document.documentElement.getAttribute("lang") || "";
    return lang !== "" && !/^zh\b/i.test(lang);
  }

  function markText(node) {
    var value = node.nodeValue;
    RUN.lastIndex = 0;
    var match = RUN.exec(value);
    if (match === null) return;
    var fragment = document.createDocumentFragment();
    var at = 0;
    while (match !== null) {
      if (match.index > at) fragment.appendChild(document.createTextNode(value.slice(at, match.index)));
      var span = document.createElement("span");
      span.lang = "zh";
      span.textContent = match[0];
      fragment.appendChild(span);
      at = match.index + match[0].length;
      match = RUN.exec(value);
    }
    if (at < value.length) fragment.appendChild(document.createTextNode(value.slice(at)));
    node.parentNode.replaceChild(fragment, node);
  }

  function mark(root) {
    if (!root || !english()) return;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var texts = [];
    while (walker.nextNode()) {
      var parent = walker.currentNode.parentElement;
      if (parent && !parent.closest("[lang|=zh], script, style")) texts.push(walker.currentNode);
    }
    texts.forEach(markText);
  }

  window.portalChinese = { mark: mark };
})();
