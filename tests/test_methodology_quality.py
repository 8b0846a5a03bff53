"""The data-quality methodology page: each error type by its title in the page's language,
and every message the validator reports under a Table Schema type listed.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from pipeline.i18n import catalog
from pipeline.pages.methodology import OTHER_MESSAGES, quality_rules
from pipeline.validate.errors import TITLES

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")


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
