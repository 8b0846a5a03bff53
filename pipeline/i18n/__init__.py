"""Interface text, one catalog per language, so the English edition is a translation."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    return json.loads((Path(__file__).parent / f"{lang}.json").read_text(encoding="utf-8"))


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``; a missing key is a bug."""
    return catalog(lang)[key].format(**values)


def both(key: str, **values) -> str:
    """Chinese and English together, for errors that publishers and CI logs both read."""
    return f"{t(key, 'zh', **values)} / {t(key, 'en', **values)}"
