"""The Jinja2 environment that turns catalog metadata into Markdown page sources.

Data values are text, never markup. A page source is Markdown, and Markdown (with
attr_list, toc markers, raw HTML) would happily interpret a title such as
``*x* {: onclick=...}``. Two contexts, two filters, and nothing else is allowed:

* inside raw HTML blocks (``<div>…</div>`` at the start of a line) Python-Markdown does
  not parse Markdown at all, so autoescaping (``& < > " '``) is enough;
* where a value must sit in Markdown itself (headings, admonition titles) it goes
  through ``md``, which writes every ASCII punctuation character as a numeric character
  reference: Markdown syntax needs the literal characters, so none can form.

Values of the data are written with the filters every template may use (a new package's
templates included): ``number`` (thousands separators, ``number(1)`` one decimal), ``pct``
(a percentage, ``12.3%``), ``text`` (a date as ``2015-06-30``), ``yes_no`` and ``label``
(the name of a code in the message catalog: ``r.stage|label("investigations.stage")`` is
``t("investigations.stage.published")``); each gives an empty string for a null, so no
page shows ``None``. ``zh`` marks the Chinese in a data value ``lang="zh"`` on an English
page (``{{ row.name|zh }}``), so only interface text is left to the catalogs.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from pipeline.i18n import catalog, t
from pipeline.pages.core import number, text
from pipeline.pages.views import human_size

TEMPLATES = Path(__file__).parent / "templates"
# The portal's own templates: a section of its own, or a package's or table's page
# (``package-<name>.md.j2``), found before the generic ones of the same name.
SITE_TEMPLATES = Path(__file__).resolve().parents[2] / "site" / "templates"
_PUNCT = {ord(c): f"&#{ord(c)};" for c in string.punctuation}


def md(value) -> Markup:
    """``value`` as inert Markdown inline text on one line."""
    text = " ".join(str(value).split())
    return Markup(text.translate(_PUNCT))


def html_lines(value, mark=escape) -> Markup:
    """``value`` escaped for HTML (each line by ``mark``), its line breaks kept as ``<br>``."""
    lines = str(value).strip().splitlines()
    return Markup("<br>").join(mark(line) for line in lines)


def breakable(value) -> Markup:
    """``value`` escaped, with line-break opportunities after ``/ . _ |`` so long
    identifiers such as ``reference/accident_categories.code`` wrap in a narrow column."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=[/._|])", str(value)))


def yaml_html(value) -> Markup:
    """A front-matter string: HTML-escaped (the theme prints titles as HTML), JSON-quoted
    (a JSON string is a YAML double-quoted scalar)."""
    return Markup(json.dumps(str(escape(" ".join(str(value).split()))), ensure_ascii=False))


# A run of Chinese in a text: from a CJK character to the last one before a Latin letter
# (digits, spaces and punctuation between them belong to it: 2015年4月28日, 常州市 · 溧阳市).
_HAN = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CHINESE_RUN = re.compile(f"[{_HAN}](?:[^A-Za-z]*[{_HAN}])?")


def chinese_marked(value) -> Markup:
    """``value`` escaped, each run of Chinese in it inside ``<span lang="zh">``: data quoted
    in an English page (a name as registered, a clause of the plan, a term in a
    description), which screen readers and fonts must treat as Chinese. For HTML contexts
    only (a heading's Markdown goes through ``md``)."""
    text = "" if value is None else str(value)
    out, at = [], 0
    for run in CHINESE_RUN.finditer(text):
        out += [escape(text[at:run.start()]), Markup('<span lang="zh">'), escape(run.group()),
                Markup("</span>")]
        at = run.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)


def message(key: str, lang: str, values: dict):
    """``t(key, lang, **values)`` for a template. A value already marked up (a name marked
    ``lang="zh"`` by ``zh``) keeps its markup inside the message, which is escaped around it;
    with plain values the message is plain text, escaped where it is written."""
    if any(isinstance(value, Markup) for value in values.values()):
        return Markup(escape(catalog(lang)[key])).format(**values)
    return t(key, lang, **values)


def percent(value, decimals: int = 1) -> str:
    """A percentage (already ×100) with ``decimals`` and a ``%`` sign; '' for null."""
    return "" if value is None else f"{float(value):.{decimals}f}%"


def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader([SITE_TEMPLATES, TEMPLATES]),
        autoescape=True,  # every template, whatever its extension: pages are HTML in Markdown
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md
    marked = chinese_marked if lang != "zh" else escape
    env.filters["lines"] = lambda value: html_lines(value, marked)  # descriptions: data text
    env.filters["yaml_html"] = yaml_html
    env.filters["breakable"] = breakable
    env.filters["number"] = number
    env.filters["pct"] = percent
    env.filters["text"] = text
    # Data that may be Chinese (names, clauses, descriptions): marked lang="zh" in the English
    # edition; the Chinese edition's pages are all lang="zh" already.
    env.filters["zh"] = marked
    # ``{% if v is chinese %} lang="zh"{% endif %}``: an element holding a value verbatim (a
    # code in <code>) is marked whole, where spans inside would break it up.
    env.tests["chinese"] = lambda value: lang != "zh" and CHINESE_RUN.search(str(value)) is not None
    env.filters["label"] = lambda value, prefix, default="": (
        default if value is None or value == "" else t(f"{prefix}.{value}", lang))
    env.filters["yes_no"] = lambda value: t("datapage.na" if value is None else
                                            "datapage.yes" if value else "datapage.no", lang)
    env.globals["t"] = lambda key, **values: message(key, lang, values)
    env.globals["lang"] = lang
    env.globals["size"] = lambda n: human_size(n, lang)
    return env
