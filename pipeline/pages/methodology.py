"""Methodology: how the figures are computed and checked, generated from the code and data
that compute and check them (so the pages cannot drift from what the build does).

Pages: the three rates (from ``derive.steps.rates.rate_specs`` and the outcomes schema), accident
grades (the reference table), progress status (``derive.progress`` constants), data quality
(the validator's error types and rules, and ``validate.divergences``), privacy, provenance
of the plan's targets (indicators whose target is not simply stated), what is synthetic
(descriptor flags), and the command line (``site/reference/cli.json``, which
``python -m pipeline.cli_reference`` writes from the command line's parser).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from pipeline.i18n import catalog as messages
from pipeline.i18n import t
from pipeline.pages import real_figures
from pipeline.pages.sources import SITE_SOURCES
from pipeline.pages.views import catalog_views, cell_text, english

PAGES = ("rates", "grades", "progress", "quality", "privacy", "provenance", "synthetic", "cli")
# The command line as data (``python -m pipeline.cli_reference`` writes it from the parser).
CLI_REFERENCE = SITE_SOURCES / "reference" / "cli.json"


# --- the three rates ---------------------------------------------------------------------

@dataclass
class RateRow:
    id: str
    title: str
    numerator: str
    numerator_title: str
    denominator: str
    denominator_title: str
    scale: int
    decimals: int
    tolerance: str


def _field_titles(ctx, package: str, resource: str) -> dict[str, str]:
    """Each field's title in the page's language (the English one from ``x-en``)."""
    pkg = ctx.catalog.packages.get(package)
    if pkg is None or resource not in pkg.resources:
        return {}
    return {str(f.get("name")): str((english(f, "title") if ctx.lang == "en" else None)
                                    or f.get("title") or f.get("name"))
            for f in pkg.resources[resource].fields}


def rate_rows(ctx) -> list[RateRow]:
    from pipeline.derive.steps.rates import rate_specs

    titles = _field_titles(ctx, "accident-outcomes", "annual_outcomes")
    rows = []
    for rate_id, num, den, scale, decimals, _ in rate_specs():
        rows.append(RateRow(rate_id, t(f"rate.{rate_id}", ctx.lang), num, titles.get(num, num), den,
                            titles.get(den, den), scale, decimals, f"{0.5 * 10 ** -decimals:.{decimals + 1}f}"))
    return rows


# --- accident grades -----------------------------------------------------------------------

def grade_table(ctx) -> tuple[list[str], list[str], list[list[str]]]:
    """(field names, field titles, rows as text) of reference/accident_grades, by rank."""
    if not ctx.has("reference", "accident_grades"):
        return [], [], []
    table = ctx.table("reference", "accident_grades")
    if "rank" in table.column_names:
        table = table.sort_by("rank")
    titles = _field_titles(ctx, "reference", "accident_grades")
    names = list(table.column_names)
    rows = [[cell_text(row[n]) for n in names] for row in table.to_pylist()]
    return names, [titles.get(n, n) for n in names], rows


# --- progress ------------------------------------------------------------------------------

def progress_values(lang: str) -> dict:
    from pipeline.derive import progress

    return {"on_track": progress.ON_TRACK_RATIO, "acceleration": progress.ACCELERATION_RATIO,
            "zero": progress.ZERO_SUBSTITUTE, "decimals": progress.RATIO_DECIMALS,
            "statuses": [(s, t(f"progress.status.{s}", lang)) for s in progress.STATUSES],
            "reasons": [(r, t(f"progress.reason.{r}", lang)) for r in progress.REASONS]}


# --- data quality --------------------------------------------------------------------------

@dataclass
class Rule:
    type: str
    title: str
    messages: list[str] = field(default_factory=list)


_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_CODE = re.compile(r"`([^`]+)`")
# Messages reported under a Table Schema error type whose keys are not ``error.<type>…``: what
# the loader (``load.``) and the descriptor checks (``descriptor.``) find, an empty file and a
# pattern that is no regular expression. Types the validator never reports have none (a
# remote scheme is refused as ``remote-path``, not as ``scheme-error``).
OTHER_MESSAGES = {
    "encoding-error": ("load.unknown_encoding", "load.bad_byte"),
    "source-error": ("error.source-empty", "load.missing_file", "load.unreadable", "load.unclosed_quote"),
    "format-error": ("load.no_header", "descriptor.extension", "descriptor.format", "descriptor.mediatype",
                     "descriptor.unsupported"),
    "schema-error": ("error.pattern-invalid",),
}


def _template(text: str) -> str:
    """A message template with its placeholders shown as an ellipsis."""
    return _PLACEHOLDER.sub("…", text)


def code_spans(text: str) -> Markup:
    """``text`` escaped, each `quoted` part of it (a value, a pattern, a name in the code) in
    ``<code>``."""
    parts = _CODE.split(text)
    return Markup("").join(Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
                           for i, part in enumerate(parts))


def divergences(lang: str) -> list[dict]:
    """Where the validator differs from frictionless (``validate.divergences``), in ``lang``:
    the error types concerned and the topic, what frictionless does, what we do and why."""
    from pipeline.validate.divergences import DIVERGENCE_TEXTS, DIVERGENCES

    return [{"id": d["id"], "types": list(d["types"]),
             **{part: code_spans(t(f"methodology.quality.divergence.{d['id']}.{part}", lang))
                for part in DIVERGENCE_TEXTS}}
            for d in DIVERGENCES]


def quality_rules(lang: str) -> tuple[list[Rule], list[Rule], list[dict]]:
    """Table Schema error types, domain rules (with their messages) and the divergences."""
    from pipeline.validate.errors import TITLES
    from pipeline.validate.rules import RULE_TYPES

    texts = messages(lang)
    schema = []
    for kind in TITLES:
        keys = [k for k in texts if k == f"error.{kind}" or k.startswith(f"error.{kind}-")
                or (kind == "constraint-error" and k.startswith("error.constraint."))]
        keys = sorted(keys) + [k for k in OTHER_MESSAGES.get(kind, ()) if k not in keys]
        schema.append(Rule(kind, t(f"title.{kind}", lang), [_template(texts[k]) for k in keys]))
    rules = []
    for kind in RULE_TYPES:
        stem = kind.removesuffix("-mismatch").removesuffix("-check-digit")
        keys = [k for k in texts if k == f"rule.{kind}" or k.startswith(f"rule.{kind}-")
                or (k.startswith(f"rule.{stem}-") and stem != kind)]
        rules.append(Rule(kind, t(f"quality.rule.{kind}", lang), [_template(texts[k]) for k in sorted(set(keys))]))
    return schema, rules, divergences(lang)


# --- provenance and synthetic data ---------------------------------------------------------

def uncertain_targets(ctx) -> list[dict[str, str]]:
    """Indicators whose target is not simply stated in the plan (damaged digits and the like)."""
    if not ctx.has("indicator-progress", "indicators"):
        return []
    rows = ctx.table("indicator-progress", "indicators").sort_by("id").to_pylist()
    return [{k: cell_text(row.get(k)) for k in ("id", "title", "title_en", "clause", "clause_en",
                                                 "target_status", "target_value", "target_year",
                                                 "provenance")}
            for row in rows if row.get("target_status") != "stated"]


# --- command line --------------------------------------------------------------------------

@dataclass
class Option:
    names: str
    metavar: str
    default: str
    help: str
    choices: str


@dataclass
class Command:
    name: str
    help: str
    usage: str
    options: list[Option]


def cli_commands(reference: dict | None = None, lang: str = "zh") -> tuple[str, list[Command]]:
    """Every subcommand of ``python -m pipeline`` with every option, its help in ``lang``, from
    the reference file (:data:`CLI_REFERENCE`) or a document of the same form."""
    if reference is None:
        reference = json.loads(CLI_REFERENCE.read_text(encoding="utf-8"))[lang]
    commands = [Command(c["name"], c["help"], c["usage"], [Option(**o) for o in c["options"]])
                for c in reference["commands"]]
    return str(reference["description"]), commands


# --- the section ---------------------------------------------------------------------------

def write(ctx) -> list:
    lang = ctx.lang
    packages = catalog_views(ctx.catalog, lang, ctx.manifest)
    values = {
        "rates": {"rates": rate_rows(ctx)},
        "grades": dict(zip(("names", "titles", "rows"), grade_table(ctx))),
        "progress": progress_values(lang),
        "quality": dict(zip(("schema", "rules", "divergences"), quality_rules(lang))),
        "privacy": {},
        "provenance": {"targets": uncertain_targets(ctx)},
        "synthetic": {"packages": packages, "real_figures": real_figures.comparison(ctx)},
        "cli": dict(zip(("description", "commands"), cli_commands(lang=lang))),
    }
    ctx.render("methodology/index.md", "methodology_index.md.j2", pages=PAGES)
    for name in PAGES:
        ctx.render(f"methodology/{name}.md", f"methodology_{name}.md.j2", **values[name])
    entries = ["methodology/index.md"] + [
        {str(escape(t(f"methodology.{name}.title", lang))): f"methodology/{name}.md"} for name in PAGES]
    return [{str(escape(t("nav.methodology", lang))): entries}]
