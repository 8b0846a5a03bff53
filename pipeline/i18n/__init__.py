"""Interface text, one catalog per language, so the English edition is a translation."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

# Keys the code builds at run time from a value (``t(f"rate.{rate_id}")``, ``'sitecheck.' +
# what``, a template's ``|label("investigations.body")``), by their fixed beginning: a key
# that neither appears whole in the code nor starts with one of these is unused, and the
# catalog test says so. A new family of built keys is declared here.
DYNAMIC_PREFIXES = (
    "accidents.col.", "accidents.denominator.", "accidents.numerator.",
    "bench.budget.", "bench.col.", "bench.stage.", "build.cache.", "build.out.",
    "catalog.file.", "changelog.status.", "check.constraint.", "constraint.",
    "credit.cert_level.", "credit.hazard_level.", "credit.reason.", "credit.scale.",
    "descriptor.not_", "download.format.", "error.", "expect.",
    "export.changelog.", "export.citation.", "export.dictionary.", "export.download.",
    "figures.measure.", "figures.reliability.", "figures.scope.", "figures.unit.",
    "hazard.status.", "home.", "indicator.direction.", "indicator.download.",
    "indicator.target_kind.", "indicator.target_source.", "indicator.target_status.",
    "investigations.body.", "investigations.cause.", "investigations.handling.",
    "investigations.liability.", "investigations.measure.", "investigations.responsible.",
    "investigations.stage.", "investigations.status.",
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


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``; a missing key is a bug."""
    return catalog(lang)[key].format(**values)


def both(key: str, **values) -> str:
    """Chinese and English together, for errors that publishers and CI logs both read."""
    return f"{t(key, 'zh', **values)} / {t(key, 'en', **values)}"
