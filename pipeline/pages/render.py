"""The Jinja2 environment that turns catalog metadata into Markdown page sources.

Data values are text, never markup. A page source is Markdown, and Markdown (with
attr_list, toc markers, raw HTML) would happily interpret a title such as
``*x* {: onclick=...}``. Two contexts, two filters, and nothing else is allowed:

* inside raw HTML blocks (``<div>…</div>`` at the start of a line) Python-Markdown does
  not parse Markdown at all, so autoescaping (``& < > " '``) is enough;
* where a value must sit in Markdown itself (headings, admonition titles) it goes
  through ``md``, which writes every ASCII punctuation character as a numeric character
  reference: Markdown syntax needs the literal characters, so none can form.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from pipeline.i18n import t
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


def html_lines(value) -> Markup:
    """``value`` escaped for HTML, its line breaks kept as ``<br>``."""
    lines = str(value).strip().splitlines()
    return Markup("<br>").join(escape(line) for line in lines)


def breakable(value) -> Markup:
    """``value`` escaped, with line-break opportunities after ``/ . _ |`` so long
    identifiers such as ``reference/accident_categories.code`` wrap in a narrow column."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=[/._|])", str(value)))


def yaml_html(value) -> Markup:
    """A front-matter string: HTML-escaped (the theme prints titles as HTML), JSON-quoted
    (a JSON string is a YAML double-quoted scalar)."""
    return Markup(json.dumps(str(escape(" ".join(str(value).split()))), ensure_ascii=False))


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
    env.filters["lines"] = html_lines
    env.filters["yaml_html"] = yaml_html
    env.filters["breakable"] = breakable
    env.globals["t"] = lambda key, **values: t(key, lang, **values)
    env.globals["lang"] = lang
    env.globals["size"] = lambda n: human_size(n, lang)
    return env
