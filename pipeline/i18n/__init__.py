"""Interface text, one catalog per language, so the English edition is a translation."""

from __future__ import annotations

import contextlib
import json
from functools import cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
# What the command line's ``--lang`` may ask for: one language, or both (the default, so a
# CI log read by publishers and by maintainers carries each message in both).
BOTH = "both"
MESSAGE_LANGS = (*LANGS, BOTH)
_messages = BOTH  # set by the command line for the length of one command (``messages``)

# Keys the code builds at run time from a value (``t(f"rate.{rate_id}")``, ``'sitecheck.' +
# what``, a template's ``|label("investigations.body")``), by their fixed beginning: a key
# that neither appears whole in the code nor starts with one of these is unused, and the
# catalog test says so. A new family of built keys is declared here.
DYNAMIC_PREFIXES = (
    "accidents.col.", "accidents.denominator.", "accidents.numerator.",
    "bench.budget.", "bench.col.", "bench.stage.", "bench.tier.", "bench.tool.", "build.cache.", "build.out.",
    "catalog.file.", "changelog.status.", "check.constraint.", "constraint.",
    "credit.cert_level.", "credit.hazard_level.", "credit.reason.", "credit.scale.",
    "descriptor.not_", "download.format.", "error.", "expect.",
    "export.changelog.", "export.citation.", "export.dictionary.", "export.download.",
    "export.labels.title_", "export.labels.lang_",
    "field.unit.", "figures.measure.", "figures.reliability.", "figures.scope.", "figures.unit.",
    "hazard.status.", "home.", "indicator.direction.", "indicator.download.",
    "indicator.target_kind.", "indicator.target_source.", "indicator.target_status.",
    "investigations.body.", "investigations.cause.", "investigations.handling.",
    "investigations.liability.", "investigations.measure.", "investigations.responsible.",
    "investigations.stage.", "investigations.status.", "licence.",
    "lookup.", "methodology.", "methodology.provenance.label.", "plan.", "plan.kind_label.",
    "plan.role.", "progress.reason.", "progress.status.", "quality.rule.", "rate.",
    "redactions.reason.", "rule.", "sitecheck.", "table.js.", "title.", "type.", "unit.",
    "unit_axis.",
)


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    return json.loads((Path(__file__).parent / f"{lang}.json").read_text(encoding="utf-8"))


@cache
def field_units() -> tuple[str, ...]:
    """The units a field may declare (``x-unit``): those both catalogs can name."""
    prefix = "field.unit."
    return tuple(sorted(key.removeprefix(prefix) for key in catalog(DEFAULT_LANG) if key.startswith(prefix)))


def unit_of(field: dict, lang: str) -> str:
    """The unit a field descriptor declares (``x-unit``), in ``lang``; "" when it has none."""
    unit = field.get("x-unit")
    return t(f"field.unit.{unit}", lang) if unit in field_units() else ""


def t(key: str, lang: str = DEFAULT_LANG, /, **values) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``; a missing key is a bug.
    ``lang`` ``"both"`` gives the Chinese and the English message side by side."""
    if lang == BOTH:
        return " / ".join(t(key, one, **values) for one in LANGS)
    return catalog(lang)[key].format(**values)


def both(key: str, /, **values) -> str:
    """A message of the command line (errors, progress, results) in the languages its
    ``--lang`` chose: Chinese and English together unless one was asked for."""
    return t(key, _messages, **values)


def message_lang() -> str:
    """The language(s) the command line's messages are in now: ``zh``, ``en`` or ``both``."""
    return _messages


def message_langs() -> tuple[str, ...]:
    """The languages of the messages, one by one: a message made of parts (a sentence and a
    detail from elsewhere) is said whole in each, not part by part."""
    return LANGS if _messages == BOTH else (_messages,)


@contextlib.contextmanager
def messages(lang: str):
    """Messages (``both``) in ``lang`` (``zh``, ``en`` or ``both``) while the block runs."""
    global _messages
    if lang not in MESSAGE_LANGS:
        raise ValueError(f"unknown message language {lang!r}; expected one of {MESSAGE_LANGS}")
    previous, _messages = _messages, lang
    try:
        yield
    finally:
        _messages = previous
