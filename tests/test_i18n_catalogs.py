"""The message catalogs: every key in both languages, every key used, every English text
English.

A key is *used* when the code or a template names it whole (in quotes) or it starts with
one of ``DYNAMIC_PREFIXES`` (keys built from a value at run time). The code is every module
and template the portal renders or runs: ``pipeline/`` and ``site/`` (templates, theme
overrides, scripts); tests do not count, so a key only a test reads is unused.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from pipeline.i18n import DYNAMIC_PREFIXES, LANGS, catalog

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")
KEY = r"[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)+"
SOURCES = ("pipeline/**/*.py", "pipeline/**/*.j2", "site/**/*.j2", "site/**/*.html", "site/**/*.js")


@pytest.fixture(scope="module")
def code() -> str:
    declaration = ROOT / "pipeline" / "i18n" / "__init__.py"  # naming a prefix is no use of it
    files = sorted({p for pattern in SOURCES for p in ROOT.glob(pattern)} - {declaration})
    assert len(files) > 50
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_both_catalogs_have_the_same_keys():
    zh, en = catalog("zh"), catalog("en")
    assert sorted(set(zh) - set(en)) == [], "keys missing in en.json"
    assert sorted(set(en) - set(zh)) == [], "keys missing in zh.json"


def test_no_english_text_is_left_untranslated():
    """No English text contains CJK (Chinese inside an English page is data, marked
    ``lang="zh"`` by the template, never a catalog text), and none equals its Chinese text
    unless that has no CJK either (a symbol, a format such as ``{value}%``, a name like
    GeoJSON)."""
    zh, en = catalog("zh"), catalog("en")
    assert sorted(k for k, v in en.items() if CJK.search(v)) == []
    assert sorted(k for k, v in en.items() if v == zh.get(k) and CJK.search(v)) == []
    assert sorted(k for k, v in en.items() if not v.strip()) == []


def test_every_key_is_used(code):
    named = set(re.findall(rf"[\"']({KEY})[\"']", code))
    unused = sorted(k for k in catalog("zh") if k not in named
                    and not k.startswith(DYNAMIC_PREFIXES))
    assert unused == []


def test_every_declared_prefix_is_built_somewhere_and_has_keys(code):
    for prefix in DYNAMIC_PREFIXES:
        stem = re.escape(prefix.rstrip("."))
        # f"rate.{id}", 'sitecheck.' + what, 'accidents.col.' ~ name, |label('investigations.body')
        assert re.search(rf"[\"']{stem}(?:\.|\{{|[\"'])", code), f"{prefix} is built nowhere"
        assert any(k.startswith(prefix) for k in catalog("zh")), f"{prefix} has no keys"


def test_every_key_the_code_asks_for_exists(code):
    """Keys named whole in a call (``t("…")``, ``both("…")``, ``catalog(lang)["…"]``); the
    theme's own ``lang.t(…)`` is mkdocs-material's catalog, not ours."""
    asked = set(re.findall(rf"(?<![\w.])(?:t|both)\(\s*[\"']({KEY})[\"']", code))
    asked |= set(re.findall(rf"catalog\([^)]*\)\[[\"']({KEY})[\"']\]", code))
    asked = {k for k in asked if not k.endswith(("_", "-"))}  # the head of a built key
    assert len(asked) > 300
    assert sorted(asked - set(catalog("zh"))) == []


def test_a_missing_key_or_language_is_an_error():
    from pipeline.i18n import t

    with pytest.raises(KeyError):
        t("no.such.key", "en")
    with pytest.raises(ValueError):
        catalog("fr")
    assert set(LANGS) == {"zh", "en"}
