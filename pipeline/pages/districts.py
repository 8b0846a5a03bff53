"""One page per district (county-level unit, 2012 and current ones): its rates, accidents,
indicator statuses, enterprises by grade, active listings and open hazards, how it compares
with the other districts, and the 2015 boundary change where it breaks a series. Sections of
``portal.yml`` may add a part of their own at the end (``districts:`` of a template section,
see :func:`pipeline.pages.sections.district_parts`).

District pages are item pages: listed on ``districts/``, kept out of the navigation
(``not_in_nav`` in mkdocs.yml) so the navigation every page carries stays small.
"""

from __future__ import annotations

import re
from collections import defaultdict

from markupsafe import escape

from pipeline.config import current
from pipeline.i18n import t
from pipeline.pages.chart_block import Area, Chart, chart_block
from pipeline.pages.charts import bar_chart, fmt
from pipeline.pages.core import (
    Ref,
    attainment_rows,
    attainment_table,
    blacklist_view,
    bracketed,
    city_code,
    denominator_decimals,
    hazards_view,
    number,
    rate_ids,
    rate_rows,
    rate_table,
    rows,
    synthetic_banner,
)
from pipeline.pages.dates import stamp
from pipeline.pages.sections import district_parts


def slug(code: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "-", str(code)) or "x"


def _comparison(ctx, ref: Ref, rate_id: str, year: int, code: str, base: str):
    """The districts' values of one rate in ``year``, this one highlighted, with its rank."""
    lang = ctx.lang
    values = sorted((r for r in rows(ctx, "derived", "rates")
                     if r["rate_id"] == rate_id and r["year"] == year
                     and r["district_code"] != city_code() and r.get("rate") is not None),
                    key=lambda r: (r["rate"], r["district_code"]))
    if not values:
        return None, ""
    decimals = values[0]["decimals"]
    labels = [ref.districts.get(r["district_code"], r["district_code"]) for r in values]
    title = t("districts.compare_title", lang, rate=t(f"rate.{rate_id}", lang), year=year)
    plot = bar_chart(labels, [r["rate"] for r in values], decimals=decimals,
                     reference=values[0].get("provincial_average"),
                     reference_label=t("accidents.provincial_average", lang),
                     highlight=ref.districts.get(code), value_label=t(f"rate.{rate_id}", lang))
    rank = next((i + 1 for i, r in enumerate(values) if r["district_code"] == code), None)
    block = chart_block(ctx, Chart(
        slug=f"districts-{slug(code)}-{rate_id}", title=title, plot=plot,
        desc=t("districts.compare_desc", lang),
        headers=[t("datapage.district", lang), t(f"accidents.numerator.{rate_id}", lang),
                 t(f"accidents.denominator.{rate_id}", lang), t("accidents.rate", lang)],
        rows=[[label, number(r.get("numerator")),
               number(r.get("denominator"), denominator_decimals(ctx, rate_id)),
               fmt(r["rate"], decimals)] for label, r in zip(labels, values, strict=True)],
        caption=title, source=t("accidents.source_rates", lang), table="derived/rates",
        unit=t(f"unit_axis.{current().rate_formulas[rate_id]['unit']}", lang),
        areas=[Area(r["district_code"], label, {year: r["rate"]})
               for label, r in zip(labels, values, strict=True)], year=year,
        page=f"districts/{slug(code)}/"), base=base)
    text = (t("districts.rank", lang, rank=rank, count=len(values)) if rank
            else t("districts.no_rank", lang))
    return block, text


def _grades(ctx, ref: Ref, code: str) -> dict:
    lang = ctx.lang
    counts = defaultdict(lambda: defaultdict(int))
    for r in rows(ctx, "derived", "credit_grade_distribution"):
        if r["district_code"] == code:
            counts[r["year"]][r["grade"]] += r["enterprises"]
    body = []
    for year in sorted(counts):
        rated = sum(counts[year].values())
        body.append([str(year)] + [f"{counts[year][g]:,}" + bracketed(f"{counts[year][g] / rated * 100:.1f}%", lang)
                                   if rated else "0" for g in ref.credit_grades]
                    + [f"{rated:,}"])
    return {"title": t("districts.grades", lang), "rows": body,
            "headers": [t("datapage.year", lang)]
            + [ref.credit_grade_names.get(g, g) for g in ref.credit_grades]
            + [t("credit.rated", lang)]}


def _indicators(ctx, code: str) -> dict:
    lang = ctx.lang
    titles = {r["id"]: r["title"] if lang == "zh" else (r.get("title_en") or r["title"])
              for r in rows(ctx, "indicator-progress", "indicators")}
    body = []
    colon = t("punct.colon", lang)
    for r in sorted(rows(ctx, "derived", "progress_status"), key=lambda r: r["indicator_id"]):
        if r["district_code"] != code:
            continue
        latest = r.get("latest_value")
        body.append([titles.get(r["indicator_id"], r["indicator_id"]),
                     t(f"progress.status.{r['status']}", lang),
                     "" if r.get("base_year") is None else
                     f"{r['base_year']}{colon}{fmt(r.get('base_value'), 3).rstrip('0').rstrip('.')}",
                     "" if latest is None else
                     f"{r['latest_year']}{colon}{fmt(latest, 3).rstrip('0').rstrip('.')}",
                     "" if r.get("target_value") is None else
                     fmt(r["target_value"], 3).rstrip("0").rstrip("."),
                     "" if r.get("judged_year") is None else str(r["judged_year"])])
    return {"title": t("districts.indicators", lang), "rows": body,
            "headers": [t("districts.indicator", lang), t("districts.status", lang),
                        t("districts.base", lang), t("districts.latest", lang),
                        t("districts.target", lang), t("districts.judged_year", lang)]}


def write(ctx) -> list:
    if not ctx.has("derived", "rates"):
        return []
    lang = ctx.lang
    ref = Ref(ctx)
    rates = rate_ids()
    units = ref.units()
    all_rates = rows(ctx, "derived", "rates")
    years = sorted({r["year"] for r in all_rates if r["district_code"] == city_code()})
    latest = years[-1] if years else None
    notes = {b["code"]: b for b in ref.boundary_notes()}
    banner = synthetic_banner(lang, names=True)

    overview = []
    for code in units:
        d = ref.district[code]
        latest_rates = {r["rate_id"]: r for r in all_rates
                        if r["district_code"] == code and r["year"] == latest}
        overview.append([ref.districts[code], code, text_or(d.get("valid_from")),
                         text_or(d.get("valid_to")),
                         *[fmt(latest_rates[rid].get("rate"), latest_rates[rid]["decimals"])
                           if rid in latest_rates else "" for rid in rates]])
    ctx.render("districts/index.md", "districts_index.md.j2", banner=banner,
               units=[{"code": c, "name": ref.districts[c], "href": f"{slug(c)}/",
                       "note": notes.get(c)} for c in units],
               overview={"title": t("districts.overview", lang, year=latest),
                         "headers": [t("datapage.district", lang), t("districts.code", lang),
                                     t("districts.valid_from", lang),
                                     t("districts.valid_to", lang)]
                         + [t(f"rate.{rid}", lang) for rid in rates],
                         "rows": overview},
               boundaries=ref.boundary_notes())

    base = "../../"
    for code in units:
        name = ref.districts[code]
        by_rate = rate_rows(ctx, code)
        d_years = sorted({r["year"] for v in by_rate.values() for r in v if r.get("rate") is not None})
        compare_year = d_years[-1] if d_years else latest
        comparisons = []
        for rid in rates:
            block, rank = _comparison(ctx, ref, rid, compare_year, code, base)
            if block is not None:
                comparisons.append({"chart": block, "rank": rank})
        ctx.render(f"districts/{slug(code)}/index.md", "districts_page.md.j2", banner=banner,
                   name=name, code=code, note=notes.get(code),
                   rate_tables=[rate_table(ctx, rid, by_rate.get(rid, [])) for rid in rates],
                   attainment=attainment_table(lang, attainment_rows(ctx, code)),
                   indicators=_indicators(ctx, code), grades=_grades(ctx, ref, code),
                   b=blacklist_view(ctx, ref, code), h=hazards_view(ctx, ref, code),
                   comparisons=comparisons, compare_year=compare_year,
                   parts=district_parts(ctx, code, name, root=base),
                   stamps={"progress": stamp(ctx, "indicator-progress"),
                           "credit": stamp(ctx, "enterprise-credit")})
    return [{str(escape(t("nav.districts", lang))): "districts/index.md"}]


def text_or(value) -> str:
    return "" if value is None else str(value)
