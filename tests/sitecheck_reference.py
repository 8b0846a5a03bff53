"""The original ``html.parser`` implementation of ``pipeline.sitecheck._parse_text``, kept as
the oracle for the Lexbor one (selectolax) that replaced it.

It is the code as it was before the rewrite, moved here verbatim; only the tables and the
page record it fills (``FETCHED``, ``NAVIGATED``, ``_REFRESH``, ``_Page``) and the CSP helpers
are imported. ``tests/test_sitecheck_parser.py`` asserts both give equal pages, for every page
of the built sample site and for generated well-formed documents. On malformed markup the
two may legitimately differ: a tokenizer is not an HTML5 tree builder, and the module's is
what a browser sees.
"""

from __future__ import annotations

from html.parser import HTMLParser

from pipeline.pages.csp import META_NAME, digest, is_executable
from pipeline.sitecheck import _REFRESH, FETCHED, NAVIGATED, _Page


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = _Page()
        self._in_title = False
        self._title: list[str] = []
        self._raw: tuple[str, dict] | None = None  # open <script> or <style>
        self._raw_text: list[str] = []
        self._governed_seen = False  # a script, style or stylesheet came before the CSP meta

    def handle_starttag(self, tag, attrs):
        values = {name: value if value is not None else "" for name, value in reversed(attrs)}
        page = self.page
        if tag == "html":
            page.lang = values.get("lang")
        elif tag == "title" and page.title is None:
            self._in_title = True
        elif tag == "meta":
            equiv = values.get("http-equiv", "").lower()
            if equiv == META_NAME.lower():
                page.csp.append((values.get("content", ""), not self._governed_seen))
            elif equiv == "refresh":
                match = _REFRESH.search(values.get("content", ""))
                if match:
                    page.refs.append(("meta", "http-equiv=refresh", match["url"]))
            if values.get("name", "").lower() == "robots" and "noindex" in values.get("content", "").lower():
                page.noindex = True
        elif tag == "link" and values.get("rel", "").lower() == "alternate" and values.get("hreflang"):
            page.alternates.append((values["hreflang"], values.get("href", "")))
        if tag in ("script", "style") or (tag == "link" and "href" in values):
            self._governed_seen = True
        if tag in ("script", "style"):
            self._raw, self._raw_text = (tag, values), []
        for attribute in ("id",) + (("name",) if tag == "a" else ()):
            if values.get(attribute):
                page.ids.add(values[attribute])
        if "style" in values:
            page.style_attrs.append(digest(values["style"]))
            page.css.append(values["style"])
        for attribute in FETCHED.get(tag, ()) + NAVIGATED.get(tag, ()):
            if attribute in values:
                page.refs.append((tag, attribute, values[attribute]))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "title" and self._in_title:
            self._in_title = False
            self.page.title = "".join(self._title).strip()
        if self._raw and tag == self._raw[0]:
            name, values = self._raw
            text = "".join(self._raw_text)
            if name == "script" and is_executable(values):
                self.page.scripts.append(digest(text))
            elif name == "style":
                self.page.styles.append(digest(text))
                self.page.css.append(text)
            self._raw = None

    def handle_data(self, data):
        if self._in_title:
            self._title.append(data)
        if self._raw:
            self._raw_text.append(data)


def parse_text(text: str) -> _Page:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.page
