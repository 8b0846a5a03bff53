"""What the site's search index holds, and how it is written.

The theme's search plugin indexes the text of every page, a record per section, and the
search box shows a record's title with the start of its text. This module (run by mkdocs as
a hook, ``site/overrides/hooks/search.py``) decides what is worth finding:

- **No drawings.** Figures and SVG (the charts and their panels) are left out: their text is
  axis ticks, legend entries and button labels — numbers without context, already in the
  chart's data table (left out too, like every data table), and the chart's caption repeats
  the section it stands in.
- **No notices repeated from page to page.** The per-page notes that the data are synthetic,
  the "as of" date lines, the post-plan-period note, the lists of download links and the
  plan clause quoted on each indicator page (the plan page holds it once): on every page alike, they would fill the
  snippet of every result and match every query that touches them. A page that carries a
  synthetic-data note is tagged instead (the tag reads 合成数据 or 部分合成 beside the
  result), so a result still says its figures are synthetic, in two characters.
- **Pages weighted by what they answer.** A title outweighs text (mkdocs.yml); among pages
  whose titles match alike, an indicator's page (its value, target and progress: what a
  reader asking about 死亡率 wants) comes before the method and the data tables, and a
  package's validation report after them. The indicator's weight only breaks ties: a page
  whose title holds more of the query's words still comes first (事故调查 finds the
  investigation pages before an indicator whose title says 事故 alone). A page's own
  ``search: boost:`` front matter wins over this table.
- **Written as UTF-8.** The plugin writes ``\\uXXXX`` escapes for every character outside
  ASCII: six bytes for a Chinese character and for each zero-width space jieba puts
  between words, instead of three.

The theme's search worker is also corrected here (:mod:`pipeline.pages.search_worker`).
"""

from __future__ import annotations

import html
import json
import re
from fnmatch import fnmatchcase
from html.parser import HTMLParser
from pathlib import Path

from pipeline.i18n import LANGS, t

# Elements left out with everything inside them.
EXCLUDED_TAGS = ("figure", "svg")
# Elements of these classes are left out (the templates' notices repeated on many pages).
EXCLUDED_CLASSES = ("portal-asof", "portal-after-plan", "portal-clause", "portal-downloads")
# The titles of the notes that say a page's data are synthetic (message keys), and what
# part of the page they speak for.
SYNTHETIC_NOTES = {"indicator.synthetic_title": "part", "datapage.synthetic_title": "all",
                   "banner.synthetic_title": "all"}
# The tag a synthetic page gets in the index, by the page's ``synthetic`` front matter.
SYNTHETIC_TAGS = {"part": "package.partly_synthetic_badge", "all": "package.synthetic_badge"}

# Weights of pages by their address in the edition (mkdocs' page.url).
BOOSTS = {"indicators/*/": 1.25, "validation/*/": 0.5}

EXCLUDE = " data-search-exclude"
_ADMONITION = re.compile(
    r'<div class="admonition(?P<classes>[^"]*)"(?P<attrs>[^>]*)>\s*'
    r'<p class="admonition-title">(?P<title>.*?)</p>', re.DOTALL)
# Elements without content or end tag (the HTML standard's void elements).
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


def edition_language(config) -> str:
    lang = (config.get("theme") or {}).get("language") if hasattr(config, "get") else None
    return lang if lang in LANGS else LANGS[0]


def _excluded(tag: str, attrs: dict) -> bool:
    classes = set((attrs.get("class") or "").split())
    return ("data-search-exclude" in attrs or tag in EXCLUDED_TAGS
            or bool(classes & set(EXCLUDED_CLASSES)))


class _Excluded(HTMLParser):
    """The spans (start, end offsets) of the excluded elements of a page, outermost only.

    The search plugin has an ``data-search-exclude`` of its own, but it tracks excluded
    elements by tag name: inside an excluded element, the end of a nested element of the
    same name (a citation's ``<figure>`` inside a chart's) ends the exclusion, and the rest
    is indexed. So the excluded elements are cut out of the page before the plugin reads
    it, counting nested elements of the same name."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.text = text
        # where each line starts: the parser counts lines by "\n" and columns in characters
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self.spans: list[tuple[int, int]] = []
        self.open: list = []  # [tag, depth, start] of the excluded element being read

    def position(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.open:
            self.open[1] += tag == self.open[0]
        elif _excluded(tag, dict(attrs)):
            start = self.position()
            if tag in _VOID:
                self.spans.append((start, start + len(self.get_starttag_text())))
            else:
                self.open = [tag, 1, start]

    def handle_startendtag(self, tag, attrs):
        if not self.open and _excluded(tag, dict(attrs)):
            start = self.position()
            self.spans.append((start, start + len(self.get_starttag_text())))

    def handle_endtag(self, tag):
        if self.open and tag == self.open[0]:
            self.open[1] -= 1
            if self.open[1] == 0:
                end = self.text.index(">", self.position()) + 1
                self.spans.append((self.open[2], end))
                self.open = []


def for_index(page_html: str, lang: str) -> tuple[str, str | None]:
    """``page_html`` without what the index leaves out, and which synthetic-data note the
    page carried (``"all"``, ``"part"``), if any."""
    found: list[str] = []
    titles = {t(key, lang): scope for key, scope in SYNTHETIC_NOTES.items()}

    def note(match: re.Match) -> str:
        scope = titles.get(html.unescape(re.sub(r"<[^>]+>", "", match["title"])).strip())
        if scope is None:
            return match.group(0)
        found.append(scope)
        return match.group(0).replace(match["attrs"] + ">", match["attrs"] + EXCLUDE + ">", 1)

    marked = _ADMONITION.sub(note, page_html)
    parser = _Excluded(marked)
    parser.feed(marked)
    parser.close()
    if parser.open:  # an excluded element never closed: leave out the rest of the page
        parser.spans.append((parser.open[2], len(marked)))
    kept, at = [], 0
    for start, end in parser.spans:
        kept.append(marked[at:start])
        at = end
    kept.append(marked[at:])
    scope = "all" if "all" in found else "part" if found else None
    return "".join(kept), scope


def synthetic_tag(meta: dict, note: str | None, lang: str) -> str | None:
    """The tag of a page whose data are (partly) synthetic: by its front matter, else by
    the note it carries."""
    declared = meta.get("synthetic")
    scope = ("part" if declared == "part" else "all") if declared else note
    return t(SYNTHETIC_TAGS[scope], lang) if scope else None


def boost(url: str) -> float | None:
    """The weight of the page at ``url`` among equal matches (None: the plugin's 1)."""
    return next((weight for pattern, weight in BOOSTS.items() if fnmatchcase(url, pattern)),
                None)


def compact(site_dir: Path) -> int:
    """Rewrite the index as UTF-8 (the plugin escapes every non-ASCII character); return
    its size in bytes."""
    path = Path(site_dir) / "search" / "search_index.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(data)
    return len(data)
