"""The English edition's page sources have no Chinese outside elements marked ``lang="zh"``.

Every page module and template section renders its page sources in English
(``write_docs(lang="en")``, no mkdocs run, no browser); each source is read as HTML (its
Markdown text counts as text) and every run of CJK characters in a text node, or in an
attribute people read (``title``, ``aria-label``, ``placeholder``, ``alt``), must sit inside an
element with ``lang="zh"``: data quoted as registered or as written (names, the plan's
clauses) is marked so; interface text comes from the English catalog and has none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from html.parser import HTMLParser

import pytest
from conftest import DATAPACKAGES

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]+")
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
REFERENCE_DATE = date(2016, 1, 1)
# Hand-written pages: one file per language (site/docs/<lang>/), written by hand.
HANDWRITTEN = {"about.md", "scale.md"}


class _Unmarked(HTMLParser):
    """Collects the CJK text not inside a ``lang="zh"`` element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, Chinese here)
        self.found: list[str] = []

    def _chinese(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        lang = values.get("lang")
        chinese = lang.lower().startswith("zh") if lang is not None else self._chinese()
        if not chinese:
            for name in READ_ATTRIBUTES:
                if values.get(name) and CJK.search(values[name]):
                    self.found.append(f"<{tag} {name}={values[name]!r}>")
        if tag not in VOID:
            self.stack.append((tag, chinese))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):  # Markdown sources may leave a tag open
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._chinese():
            self.found += CJK.findall(data)


def unmarked(source: str) -> list[str]:
    parser = _Unmarked()
    parser.feed(source)
    parser.close()
    return parser.found


def test_the_scanner_sees_unmarked_chinese_and_only_that():
    assert unmarked('<p>Name: <span lang="zh">示例公司</span></p>') == []
    assert unmarked('<div lang="zh"><p>条款<br>第二行</p></div>') == []
    assert unmarked("# 标题\n\nText") == ["标题"]
    assert unmarked('<p lang="zh">一</p><p>二</p>') == ["二"]
    assert unmarked('<input placeholder="例如">') == ['<input placeholder=\'例如\'>']
    assert unmarked('<td><span lang="zh">甲</span><br>乙</td>') == ["乙"]


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    from pipeline.derive import derive
    from pipeline.export import export
    from pipeline.load import load_catalog
    from pipeline.pages import write_docs
    from pipeline.validate import validate_catalog

    catalog = load_catalog([DATAPACKAGES])
    assert validate_catalog(catalog).valid
    derive(catalog, reference_date=REFERENCE_DATE)
    root = tmp_path_factory.mktemp("english")
    manifest = export(catalog, root / "downloads", reference_date=REFERENCE_DATE)
    write_docs(catalog, root / "docs", lang="en", manifest=manifest,
               reference_date=REFERENCE_DATE, assets_dir=root / "assets")
    return root / "docs"


def _page_type(relative: str) -> str:
    """data/reference/tables/districts.md -> data/*/tables/*; plan/departments/x/index.md ->
    plan/departments/*: pages made by one template share a type."""
    parts = relative.split("/")
    if len(parts) == 1:
        return parts[0]
    return "/".join([parts[0], *("*" if p not in ("tables", "departments", "index.md") else p
                                 for p in parts[1:])])


def test_every_page_of_the_english_edition_marks_its_chinese(english):
    by_type: dict[str, list[str]] = defaultdict(list)
    pages = sorted(english.rglob("*.md"))
    assert len(pages) > 100
    for page in pages:
        relative = page.relative_to(english).as_posix()
        if relative in HANDWRITTEN:
            continue
        found = unmarked(page.read_text(encoding="utf-8"))
        if found:
            by_type[_page_type(relative)].append(f"{relative}: {' | '.join(found[:3])}")
    report = {kind: (len(found), found[0]) for kind, found in sorted(by_type.items())}
    assert report == {}
