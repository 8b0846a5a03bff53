"""The Lexbor parser of pipeline.sitecheck reads every page as the ``html.parser`` one it
replaced did (``tests/sitecheck_reference.py``): on every page of the built site, on
generated well-formed documents, and on the cases the checks hinge on."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sitecheck_reference import parse_text as reference

from pipeline.pages.csp import digest
from pipeline.sitecheck import _parse_text


def test_every_page_of_the_built_site_reads_as_with_the_reference(site):
    pages = sorted(site.out.rglob("*.html"))
    assert len(pages) > 100
    differing = [page.relative_to(site.out).as_posix() for page in pages
                 if _parse_text(text := page.read_text(encoding="utf-8")) != reference(text)]
    assert differing == []


# --- generated documents ----------------------------------------------------------------
# Characters that need escaping in markup (& " < > '), CJK, whitespace; no CR or NUL, which
# HTML5 rewrites before tokenizing and html.parser does not.
_CHARS = st.sampled_from(list("aZ09 -_./?#=;:&\"'<>\n\t") + list("常州市安全é"))
_VALUE = st.text(_CHARS, max_size=12)
# Raw text of <script> and <style>: anything but an end tag or a comment opener, whose
# handling inside scripts HTML5 defines and a tokenizer does not.
_RAW = st.text(_CHARS, max_size=30).filter(lambda text: "</" not in text and "<!--" not in text)


def _attrs(*pairs: tuple[str, str | None]) -> str:
    """Attribute text; a value of None leaves the attribute out, "" writes it bare or empty."""
    out = []
    for name, value in pairs:
        if value is None:
            continue
        out.append(f" {name}" if value == "" else f' {name}="{html.escape(value)}"')
    return "".join(out)


_OPTIONAL = st.none() | _VALUE


@st.composite
def _script(draw) -> str:
    kind = draw(st.sampled_from([None, "", "module", "text/javascript", " Text/JavaScript ",
                                 "application/json", "application/ld+json", "text/plain"]))
    src = draw(st.none() | st.just("js/app.js"))
    return f"<script{_attrs(('type', kind), ('src', src))}>{draw(_RAW)}</script>"


_HEAD_PARTS = st.one_of(
    _script(),
    _RAW.map(lambda css: f"<style>{css}</style>"),
    st.builds(lambda content: f'<meta http-equiv="refresh"{_attrs(("content", content))}>',
              st.sampled_from(["0; url=../", "5;URL='next.html'", "3", "0;url=a&b.html"]) | _VALUE),
    st.builds(lambda content: f'<meta name="robots"{_attrs(("content", content))}>',
              st.sampled_from(["noindex", "NoIndex, nofollow", "index"]) | _VALUE),
    st.builds(lambda lang, href: f'<link rel="alternate"{_attrs(("hreflang", lang), ("href", href))}>',
              st.sampled_from(["zh", "en", "x-default", ""]), _VALUE),
    st.builds(lambda href: f'<link rel="stylesheet"{_attrs(("href", href))}>', _VALUE),
    st.builds(lambda rel: f'<link{_attrs(("rel", rel))}>', _VALUE),
    st.just('<meta charset="utf-8">'),
)

_COMMON = st.tuples(_OPTIONAL, _OPTIONAL)  # id, style
_TEXT = _VALUE.map(html.escape)


def _svg(draw) -> str:
    parts = []
    for tag in draw(st.lists(st.sampled_from(["use", "image", "feImage"]), max_size=3)):
        ident, style = draw(_COMMON)
        attrs = _attrs(("id", ident), ("href", draw(_OPTIONAL)), ("xlink:href", draw(_OPTIONAL)),
                       ("style", style))
        element = f"<{tag}{attrs}/>" if draw(st.booleans()) else f"<{tag}{attrs}></{tag}>"
        parts.append(f"<filter>{element}</filter>" if tag == "feImage" else element)
    return f'<svg xmlns:xlink="http://www.w3.org/1999/xlink">{"".join(parts)}</svg>'


@st.composite
def _flow(draw, depth: int = 0) -> str:
    """Body content: div, a, img, svg, script and text, nested; never an <a> inside an <a>."""
    parts = []
    for kind in draw(st.lists(st.sampled_from(["div", "a", "img", "svg", "script", "text"]), max_size=4)):
        ident, style = draw(_COMMON)
        if kind == "div":
            inner = draw(_flow(depth + 1)) if depth < 3 else draw(_TEXT)
            parts.append(f"<div{_attrs(('id', ident), ('name', draw(_OPTIONAL)), ('style', style))}>"
                         f"{inner}</div>")
        elif kind == "a":
            inner = draw(_TEXT) + (f'<img src="{html.escape(draw(_VALUE))}">' if draw(st.booleans()) else "")
            attrs = _attrs(("href", draw(_OPTIONAL)), ("id", ident), ("name", draw(_OPTIONAL)),
                           ("style", style))
            parts.append(f"<{draw(st.sampled_from(['a', 'A']))}{attrs}>{inner}</a>")
        elif kind == "img":
            attrs = _attrs(("src", draw(_OPTIONAL)), ("srcset", draw(_OPTIONAL)), ("id", ident),
                           ("style", style))
            parts.append(f"<{draw(st.sampled_from(['img', 'IMG']))}{attrs}>")
        elif kind == "svg":
            parts.append(_svg(draw))
        elif kind == "script":
            parts.append(draw(_script()))
        else:
            parts.append(draw(_TEXT))
    return "".join(parts)


@st.composite
def _documents(draw) -> str:
    head = draw(st.lists(_HEAD_PARTS, max_size=6))
    if draw(st.booleans()):
        policy = draw(st.sampled_from(["default-src 'self'", "script-src 'self' 'sha256-x='"]) | _VALUE)
        where = draw(st.integers(0, len(head)))
        head.insert(where, f'<meta http-equiv="{draw(st.sampled_from(["Content-Security-Policy", "content-security-policy"]))}"'
                           f'{_attrs(("content", policy))}>')
    if draw(st.booleans()):
        head.insert(draw(st.integers(0, len(head))), f"<title>{draw(_TEXT)}</title>")
    lang = _attrs(("lang", draw(_OPTIONAL)))
    return (f"<!doctype html>\n<html{lang}>\n<head>\n{''.join(head)}\n</head>\n"
            f"<body{_attrs(('id', draw(_OPTIONAL)))}>{draw(_flow())}</body>\n</html>\n")


@given(_documents())
def test_generated_well_formed_documents_read_as_with_the_reference(document):
    assert _parse_text(document) == reference(document)


# --- the cases the checks hinge on --------------------------------------------------------

def test_a_policy_after_a_script_did_not_come_before_content():
    page = _parse_text('<html><head><script>var a;</script>'
                       '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">')
    assert page.csp == [("default-src 'self'", False)]
    first = _parse_text('<html><head><meta http-equiv="content-security-policy" content="x">'
                        '<link rel="stylesheet" href="a.css"><meta http-equiv="Content-Security-Policy" content="y">')
    assert first.csp == [("x", True), ("y", False)]


def test_only_executable_inline_scripts_are_hashed():
    page = _parse_text('<script type="application/json">{"a": 1}</script><script src="a.js"></script>'
                       '<script type="module">go()</script>')
    assert page.scripts == [digest("go()")]
    assert page.refs == [("script", "src", "a.js")]


def test_character_references_in_attributes_are_decoded():
    page = _parse_text('<a href="?a=1&amp;b=&quot;2&quot;" id="x&amp;y">t</a>')
    assert page.refs == [("a", "href", '?a=1&b="2"')]
    assert page.ids == {"x&y"}


def test_an_element_matching_several_parts_is_read_once_and_svg_names_are_lower_case():
    page = _parse_text('<a href="a.html" id="i" name="n" style="color:red">t</a>'
                       '<svg><filter><feImage xlink:href="f.png"/></filter></svg>'
                       '<meta http-equiv="refresh" content="0; url=b.html"><img src="c.png">')
    assert page.refs == [("a", "href", "a.html"), ("feimage", "xlink:href", "f.png"),
                         ("meta", "http-equiv=refresh", "b.html"), ("img", "src", "c.png")]
    assert page.ids == {"i", "n"}
    assert page.style_attrs == [digest("color:red")] and page.css == ["color:red"]


@pytest.mark.parametrize(("markup", "field", "browser"), [
    ('<a href="?a=1&notin=2">', "refs", [("a", "href", "?a=1&notin=2")]),  # not "¬in"
    ("<title>a <b>b</b></title>", "title", "a <b>b</b>"),  # a title holds text only
    ("<template><a href=t.html></a></template>", "refs", []),  # inert until cloned
    ('<html lang="en"><html lang="zh">', "lang", "en"),  # the first value stays
])
def test_on_malformed_markup_the_reading_is_a_browsers(markup, field, browser):
    assert getattr(_parse_text(markup), field) == browser
    assert getattr(reference(markup), field) != browser
