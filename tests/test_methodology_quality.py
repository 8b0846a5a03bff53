"""The data-quality methodology page, rendered from its template without a build: each
edition in its own language (error types, their messages, the divergences from
frictionless), and every message the validator reports under a Table Schema type listed.
"""

from __future__ import annotations

import html
import re

import pytest
from conftest import ROOT

from pipeline.i18n import catalog
from pipeline.pages.methodology import OTHER_MESSAGES, quality_rules
from pipeline.pages.render import environment
from pipeline.validate.divergences import DIVERGENCE_TEXTS, DIVERGENCES
from pipeline.validate.errors import TITLES

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# Latin the Chinese page may show outside <code>: names of specifications, encodings,
# formats and programs (longest first, so "Table Schema" goes before a bare "Schema")...
NAMES = ("Table Dialect", "Table Schema", "XML Schema", "ISO 8601", "frictionless", "Python", "RE2",
         "Arrow", "Excel", "Unicode", "ASCII", "UTF-8", "GB18030", "GBK", "BOM", "CSV", "JSON",
         "URL", "U+202E", "GB", "kB")
# ... what a publisher writes in a descriptor, as the loader's messages quote it, and the
# letters a unified social credit code leaves out (I, O, Z, S, V).
QUOTED = {"dialect.header", "false", "encoding", "format", "csv", "mediatype", "text", "gb18030", "gbk",
          "I", "O", "Z", "S", "V"}


def rendered(lang: str) -> str:
    schema, rules, divergences = quality_rules(lang)
    return environment(lang).get_template("methodology_quality.md.j2").render(
        schema=schema, rules=rules, divergences=divergences)


def text_outside_code(page: str) -> str:
    body = page.split("---", 2)[2]  # after the front matter
    body = re.sub(r"<code>.*?</code>", " ", body, flags=re.DOTALL)
    body = re.sub(r"<[^>]+>", " ", body)
    body = re.sub(r"\{ #[\w-]+ \}", " ", body)  # heading anchors
    return html.unescape(body)


def test_the_chinese_page_has_no_english_outside_code():
    page = rendered("zh")
    assert 'lang="en"' not in page
    text = text_outside_code(page)
    for name in NAMES:
        text = text.replace(name, " ")
    assert sorted(set(LATIN.findall(text)) - QUOTED) == []
    assert "frictionless" in page and "<code>01|02</code>" in page


def test_the_english_page_has_no_chinese():
    page = rendered("en")
    assert CJK.findall(page) == []
    assert "<code>^(?:p)$</code>" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_error_type_has_a_title_in_the_pages_language(lang):
    schema, _, _ = quality_rules(lang)
    assert [rule.type for rule in schema] == list(TITLES)
    titles = {rule.type: rule.title for rule in schema}
    if lang == "en":  # the English titles are frictionless's, as the JSON report gives them
        assert titles == TITLES
    else:
        assert all(CJK.search(title) for title in titles.values()), titles


def test_the_loaders_types_show_their_messages():
    schema = {rule.type: rule.messages for rule in quality_rules("zh")[0]}
    for kind in ("encoding-error", "source-error", "format-error"):
        assert schema[kind], kind
    assert any("结束引号" in m for m in schema["source-error"])
    assert schema["scheme-error"] == []  # never reported: a remote scheme is a remote-path


def test_every_message_reported_under_a_table_schema_type_is_listed():
    """The pairs of type and message key the code writes literally (the loader's findings,
    the descriptor checks, the validator's errors): each key is among its type's messages on
    the page, and a type the code never reports has none."""
    code = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "pipeline").rglob("*.py"))
                     if p.name not in ("errors.py", "divergences.py", "methodology.py"))
    key = r"(?:error|load|descriptor)\.[\w.\-]+"
    types = "|".join(map(re.escape, TITLES))
    pairs = set(re.findall(rf"[\"']({types})[\"'],\s*[\"']({key})[\"']", code))
    pairs |= set(re.findall(rf"type=[\"']({types})[\"'],\s*key=[\"']({key})[\"']", code))
    pairs |= {(kind, k) for k, kind in re.findall(rf"[\"']({key})[\"'],\s*[\"']({types})[\"']", code)}
    assert len(pairs) > 15
    listed = {rule.type: rule.messages for rule in quality_rules("en")[0]}
    texts = catalog("en")
    for kind, k in sorted(pairs):
        shown = re.sub(r"\{[a-z_]+\}", "…", texts[k])
        assert shown in listed[kind], (kind, k)
    reported = {kind for kind, _ in pairs} | {kind for kind in TITLES if re.search(rf"[\"']{kind}[\"']", code)}
    assert not {kind for kind, messages in listed.items() if not messages} & reported
    assert set(OTHER_MESSAGES) <= set(TITLES)


def test_each_divergence_has_its_texts_in_both_languages():
    ids = [d["id"] for d in DIVERGENCES]
    assert len(ids) == len(set(ids)) == 13
    for lang in ("zh", "en"):
        texts = catalog(lang)
        for d in DIVERGENCES:
            for part in DIVERGENCE_TEXTS:
                assert texts[f"methodology.quality.divergence.{d['id']}.{part}"], (lang, d["id"], part)
        assert all(kind in TITLES or kind == "not-supported" for d in DIVERGENCES for kind in d["types"])
    prefix = "methodology.quality.divergence."
    assert {k.removeprefix(prefix).rsplit(".", 1)[0] for k in catalog("zh") if k.startswith(prefix)} == set(ids)


def test_code_in_a_divergence_is_the_same_in_both_languages():
    """Patterns, values and names in `backquotes` are code: the translation keeps them as
    they are (only the Chinese may quote a term the English says in words)."""
    zh, en = catalog("zh"), catalog("en")
    for d in DIVERGENCES:
        for part in DIVERGENCE_TEXTS:
            key = f"methodology.quality.divergence.{d['id']}.{part}"
            english = re.findall(r"`([^`]+)`", en[key])
            chinese = re.findall(r"`([^`]+)`", zh[key])
            assert set(english) <= set(chinese), (key, set(english) - set(chinese))
