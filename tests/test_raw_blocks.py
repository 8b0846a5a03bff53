"""Marked HTML blocks (pipeline/pages/raw_blocks.py) go to Markdown's stash unparsed, and the
page comes out byte for byte as Markdown's own HTML parser would have made it; mkdocs still
learns the ids inside them. Differential: each page is converted with the markers and the
extension, and without both, by the Markdown the site uses (mkdocs.yml's extensions)."""

from __future__ import annotations

import markdown
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.structure.pages import _RawHTMLPreprocessor

from pipeline.config import ROOT
from pipeline.pages.raw_blocks import CLOSE, OPEN


def _extensions() -> tuple[list[str], dict]:
    names, configs = [], {}
    for item in yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["markdown_extensions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        names.append(name)
        if options:
            configs[name] = options
    return names, configs


NAMES, CONFIGS = _extensions()


def _convert(text: str, marked: bool) -> tuple[str, set[str]]:
    names = NAMES if marked else [n for n in NAMES if n != "pipeline.pages.raw_blocks"]
    md = markdown.Markdown(extensions=names, extension_configs=CONFIGS)
    ids = _RawHTMLPreprocessor()  # what mkdocs registers for every page
    ids._register(md)
    return md.convert(text), ids.present_anchor_ids


def _page(pieces, marked: bool) -> str:
    parts = []
    for kind, body, gap in pieces:
        if kind == "block" and marked:
            body = f"{OPEN}\n{body}\n{CLOSE}"
        parts.append(body + gap)
    return "".join(parts)


TABLE = ('<div class="data-scroll" role="region" aria-label="{label}" data-search-exclude>\n'
         '<table class="data-table">\n<caption>{label}</caption>\n<tbody>\n'
         '<tr><th scope="row" id="{anchor}">{cell}</th><td>*not emphasis* {{: #x }}</td></tr>\n'
         '</tbody>\n</table>\n</div>')
words = st.text(alphabet="abc 事故率 &*_#", min_size=1, max_size=12).map(lambda s: s.strip() or "x")
# Markdown text as the templates write it: a value there goes through ``md`` (an "&" alone,
# such as "&#" at a line's end, would stop Markdown's parser from seeing the next block)
prose = st.text(alphabet="abc 事故率 *_", min_size=1, max_size=12).map(lambda s: s.strip() or "x")
piece = st.one_of(
    st.tuples(st.just("text"), prose.map(lambda w: f"Some *text* {w}")),
    st.tuples(st.just("heading"), prose.map(lambda w: f"## {w} {{ #h-{abs(hash(w)) % 97} }}")),
    st.tuples(st.just("html"), words.map(lambda w: f'<p class="portal-scroll-hint" hidden>{w.replace("&", "&amp;")}</p>')),
    st.tuples(st.just("admonition"), prose.map(lambda w: f'!!! warning "{w}"\n\n    {w}')),
    st.tuples(st.just("block"), st.tuples(words, words).map(
        lambda pair: TABLE.format(label=pair[0].replace("&", "&amp;"), anchor=f"r-{len(pair[1])}",
                                  cell=pair[1].replace("&", "&amp;")))),
)
gap = st.sampled_from(["\n", "\n\n", "\n\n\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(piece, gap).map(lambda p: (*p[0], p[1])), min_size=1, max_size=8))
def test_a_marked_page_converts_to_the_same_html_with_the_same_ids(pieces):
    plain, plain_ids = _convert(_page(pieces, marked=False), marked=False)
    fast, fast_ids = _convert(_page(pieces, marked=True), marked=True)
    assert fast == plain
    assert plain_ids <= fast_ids


def test_a_marker_without_its_pair_leaves_the_page_to_markdown():
    text = f"{OPEN}\n<div>\n<p>a</p>\n</div>\n\ntext"
    fast, _ = _convert(text, marked=True)
    assert fast == _convert(text, marked=False)[0]
    assert OPEN in fast  # the lone marker stays the comment it is


def test_markdown_inside_a_marked_block_is_not_read_and_its_ids_reach_mkdocs():
    text = f"Intro\n\n{OPEN}\n<div id=\"facts\">\n<p>*x* {{: onclick=\"y\" }}</p>\n</div>\n{CLOSE}\n\n[link](#facts)"
    html, ids = _convert(text, marked=True)
    assert '<p>*x* {: onclick="y" }</p>' in html and "<em>" not in html.split("facts")[1].split("</div>")[0]
    assert "facts" in ids


def test_a_data_value_cannot_write_a_marker():
    from markupsafe import escape

    from pipeline.pages.render import md

    assert OPEN not in str(escape(OPEN)) and OPEN not in str(md(OPEN))
