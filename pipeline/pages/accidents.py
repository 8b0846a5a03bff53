"""Accidents: trends, the three rates against the provincial average, control targets,
breakdowns by category, sector and grade, and a searchable list of every accident.

Figures come from the derived tables (``rates``, ``control_targets_attainment``,
``accident_statistics``) so a page shows the rows a journalist downloads; names of codes
come from the reference tables. Every rate is printed with its numerator and denominator.
The list is a same-origin JSON asset drawn by ``accidents.js``; its first rows are also in
the HTML, so the page says something without JavaScript.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import date

from markupsafe import Markup, escape

from pipeline.i18n import catalog, t
from pipeline.pages.charts import Chart, Series, bar_chart, chart_block, fmt, line_chart
from pipeline.pages.lookup_index import dumps

CITY = "320400"
PROVINCE = "320000"
RATES = ("gdp_death_rate", "industrial_death_rate", "road_death_rate")
LIST_ROWS_IN_HTML = 50


def rows(ctx, package: str, resource: str) -> list[dict]:
    """The table's rows as dicts (NaN as None). Converted once per table and build (the
    district pages ask for the same tables again per district); each call gets its own
    list and dicts, so a caller may sort or change them."""
    if not ctx.has(package, resource):
        return []
    table = ctx.table(package, resource)
    memo = getattr(ctx, "memo", None)
    key = ("rows", package, resource)
    if memo is None or key not in memo or memo[key][0] is not table:
        converted = [{k: _clean(v) for k, v in r.items()} for r in table.to_pylist()]
        if memo is None:
            return converted
        memo[key] = (table, converted)  # the table is kept: its identity vouches for the rows
    return [dict(r) for r in memo[key][1]]


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def number(value, decimals: int = 0) -> str:
    """Integers with thousands separators, other numbers with fixed decimals; '' for null."""
    if value is None:
        return ""
    if decimals == 0:
        return f"{round(value):,}"
    return f"{float(value):,.{decimals}f}"


def script_json(value) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``< > &`` escaped so no data
    can close the element."""
    dumped = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Markup(dumped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class Ref:
    """Names of the codes used on the data pages, from the reference tables."""

    def __init__(self, ctx):
        self.lang = ctx.lang
        key = "name" if ctx.lang == "zh" else "name_en"
        self.district_rows = rows(ctx, "reference", "districts")
        self.districts = {r["code"]: r.get(key) or r["name"] for r in self.district_rows}
        self.district = {r["code"]: r for r in self.district_rows}
        self.sectors = {r["code"]: r.get(key) or r["name"] for r in rows(ctx, "reference", "sectors")}
        self.categories = {r["code"]: r.get(key) or r["name"]
                           for r in rows(ctx, "reference", "accident_categories")}
        grades = sorted(rows(ctx, "reference", "accident_grades"), key=lambda r: r["rank"])
        self.grade_order = [g["code"] for g in grades]
        self.grades = {r["code"]: r.get(key) or r["name"] for r in grades}
        scheme = sorted(rows(ctx, "reference", "credit_grade_scheme"),
                        key=lambda r: (r["scheme"], r["rank"]))
        self.credit_grades = [r["grade"] for r in scheme]
        self.credit_grade_names = {r["grade"]: r.get(key) or r["name"] for r in scheme}

    def units(self) -> list[str]:
        """County-level units (districts), old ones included, in code order."""
        return sorted(r["code"] for r in self.district_rows if r.get("level") not in
                      ("province", "prefecture_city"))

    def boundary_notes(self) -> list[dict]:
        """Every unit whose series the 2015 reform breaks: what happened, from when."""
        out = []
        for r in sorted(self.district_rows, key=lambda r: r["code"]):
            if r.get("valid_to") or r.get("valid_from") or r.get("boundary_changed_on"):
                note = r.get("boundary_note") if self.lang == "zh" else r.get("boundary_note_en")
                out.append({"code": r["code"], "name": self.districts[r["code"]],
                            "valid_from": text(r.get("valid_from")),
                            "valid_to": text(r.get("valid_to")),
                            "successor": self.districts.get(r.get("successor_code"), ""),
                            "changed": text(r.get("boundary_changed_on")),
                            "note": note or ""})
        return out


def synthetic_banner(lang: str, names: bool = False) -> dict:
    return {"title": t("datapage.synthetic_title", lang),
            "body": t("datapage.synthetic_body", lang)
            + (t("datapage.fictional_names", lang) if names else "")}


def rate_rows(ctx, ref: Ref, district: str) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for r in rows(ctx, "derived", "rates"):
        if r["district_code"] == district:
            out[r["rate_id"]].append(r)
    for values in out.values():
        values.sort(key=lambda r: r["year"])
    return out


def rate_table(ref: Ref, lang: str, rate_id: str, values: list[dict]) -> dict:
    """One rate by year: numerator, denominator, rate, provincial average, below it?"""
    body = []
    for r in values:
        d = r["decimals"]
        met = r.get("goal_met")
        body.append([str(r["year"]), number(r.get("numerator")),
                     number(r.get("denominator"), 2 if rate_id == "gdp_death_rate" else 0),
                     fmt(r.get("rate"), d), fmt(r.get("provincial_average"), d),
                     t("datapage.yes", lang) if met else t("datapage.no", lang) if met is False
                     else t("datapage.na", lang),
                     t("datapage.partial_year", lang) if r.get("partial_year") else
                     (r.get("boundary_note") or "")])
    return {"title": t(f"rate.{rate_id}", lang),
            "headers": [t("datapage.year", lang), t(f"accidents.numerator.{rate_id}", lang),
                        t(f"accidents.denominator.{rate_id}", lang),
                        t("accidents.rate", lang), t("accidents.provincial_average", lang),
                        t("accidents.below_average", lang), t("datapage.note", lang)],
            "rows": body}


def rate_chart(ctx, lang: str, rate_id: str, values: list[dict], district_name: str,
               slug: str, base: str) -> Markup:
    decimals = values[0]["decimals"] if values else 0
    years = [r["year"] for r in values]
    series = [Series(district_name, [(r["year"], r.get("rate")) for r in values]),
              Series(t("accidents.provincial_average", lang),
                     [(r["year"], r.get("provincial_average")) for r in values], dashed=True)]
    title = t("accidents.rate_chart_title", lang, rate=t(f"rate.{rate_id}", lang),
              place=district_name)
    svg = line_chart(series, slug=slug, title=title, desc=t("accidents.rate_chart_desc", lang),
                     x_values=years, decimals=decimals)
    table = [[str(r["year"]), number(r.get("numerator")),
              number(r.get("denominator"), 2 if rate_id == "gdp_death_rate" else 0),
              fmt(r.get("rate"), decimals), fmt(r.get("provincial_average"), decimals)]
             for r in values]
    return chart_block(ctx, Chart(
        slug=slug, title=title, svg=svg,
        headers=[t("datapage.year", lang), t(f"accidents.numerator.{rate_id}", lang),
                 t(f"accidents.denominator.{rate_id}", lang), t("accidents.rate", lang),
                 t("accidents.provincial_average", lang)],
        rows=table, caption=title, source=t("accidents.source_rates", lang),
        csv_href="data/derived/latest/data/rates.csv"), base=base)


def attainment_rows(ctx, district: str) -> list[dict]:
    return sorted((r for r in rows(ctx, "derived", "control_targets_attainment")
                   if r["district_code"] == district), key=lambda r: r["year"])


def attainment_table(lang: str, values: list[dict]) -> dict:
    def met(v):
        return (t("datapage.met", lang) if v else t("datapage.not_met", lang) if v is False
                else t("datapage.na", lang))

    def change(v, pct):
        if v is None:
            return ""
        sign = "+" if v > 0 else ""
        return f"{sign}{v}" + (f"（{sign}{pct:.1f}%）" if pct is not None else "")

    body = [[str(r["year"]), number(r["accidents"]), number(r.get("max_accidents")),
             met(r.get("accidents_met")), change(r.get("accidents_change"),
                                                 r.get("accidents_change_pct")),
             number(r["deaths"]), number(r.get("max_deaths")), met(r.get("deaths_met")),
             change(r.get("deaths_change"), r.get("deaths_change_pct")),
             t("datapage.partial_year", lang) if r.get("partial_year") else
             (r.get("boundary_note") or "")] for r in values]
    return {"title": t("accidents.control_targets", lang),
            "headers": [t("datapage.year", lang), t("accidents.accidents", lang),
                        t("accidents.max_accidents", lang), t("accidents.attained", lang),
                        t("accidents.change", lang), t("accidents.deaths", lang),
                        t("accidents.max_deaths", lang), t("accidents.attained", lang),
                        t("accidents.change", lang), t("datapage.note", lang)],
            "rows": body}


def trend_chart(ctx, lang: str, values: list[dict], place: str, slug: str, base: str) -> Markup:
    years = [r["year"] for r in values]
    title = t("accidents.trend_title", lang, place=place)
    svg = line_chart([Series(t("accidents.accidents", lang),
                             [(r["year"], r["accidents"]) for r in values]),
                      Series(t("accidents.deaths", lang),
                             [(r["year"], r["deaths"]) for r in values])],
                     slug=slug, title=title, desc=t("accidents.trend_desc", lang),
                     x_values=years)
    return chart_block(ctx, Chart(
        slug=slug, title=title, svg=svg,
        headers=[t("datapage.year", lang), t("accidents.accidents", lang),
                 t("accidents.deaths", lang), t("accidents.max_accidents", lang),
                 t("accidents.max_deaths", lang)],
        rows=[[str(r["year"]), number(r["accidents"]), number(r["deaths"]),
               number(r.get("max_accidents")), number(r.get("max_deaths"))] for r in values],
        caption=title, source=t("accidents.source_outcomes", lang),
        csv_href="data/derived/latest/data/control_targets_attainment.csv"), base=base)


def breakdown(stats: list[dict], key: str, names: dict, order: list[str] | None = None) -> list:
    """Accidents, deaths, serious injuries and loss per value of ``key`` over all years."""
    totals = defaultdict(lambda: [0, 0, 0, 0])
    for r in stats:
        total = totals[r[key]]
        total[0] += r["accidents"]
        total[1] += r["deaths"]
        total[2] += r["serious_injuries"]
        total[3] += r["direct_loss_yuan"]
    codes = order if order is not None else sorted(totals, key=lambda c: (-totals[c][1], c))
    return [[names.get(c, c), number(totals[c][0]), number(totals[c][1]),
             number(totals[c][2]), number(totals[c][3] / 10_000, 1)]
            for c in codes if c in totals]


def breakdown_chart(ctx, lang: str, table: list, title: str, slug: str, base: str) -> Markup:
    labels = [r[0] for r in table]
    values = [float(r[2].replace(",", "")) for r in table]
    svg = bar_chart(labels, values, slug=slug, title=title,
                    desc=t("accidents.breakdown_desc", lang))
    return chart_block(ctx, Chart(
        slug=slug, title=title, svg=svg, headers=breakdown_headers(lang), rows=table,
        caption=title, source=t("accidents.source_accidents", lang),
        csv_href="data/derived/latest/data/accident_statistics.csv"), base=base)


def breakdown_headers(lang: str) -> list[str]:
    return [t("datapage.item", lang), t("accidents.accidents", lang),
            t("accidents.deaths", lang), t("accidents.serious_injuries", lang),
            t("accidents.loss_10k", lang)]


def accident_list(ctx, ref: Ref) -> list[list]:
    """Every accident as a row of text, newest first (what the list page shows)."""
    lang = ctx.lang
    out = []
    for r in rows(ctx, "accident-outcomes", "accidents"):
        published = r.get("report_status") == "published"
        out.append([r["accident_id"], text(r["date"]), ref.districts.get(r["district_code"],
                                                                          r["district_code"]),
                    ref.sectors.get(r["sector_code"], r["sector_code"]),
                    ref.categories.get(r["category_code"], r["category_code"]),
                    ref.grades.get(r["stated_grade"], r["stated_grade"]),
                    r["deaths"], r["serious_injuries"], r["direct_loss_yuan"],
                    t("accidents.report.published" if published else "accidents.report.pending",
                      lang),
                    text(r.get("report_published"))])
    out.sort(key=lambda r: (r[1], r[0]), reverse=True)
    return out


def write(ctx) -> list:
    if not ctx.has("derived", "rates"):
        return []
    lang = ctx.lang
    ref = Ref(ctx)
    city = ref.districts.get(CITY, CITY)
    base = "../"
    rates_city = rate_rows(ctx, ref, CITY)
    attainment = attainment_rows(ctx, CITY)
    stats = rows(ctx, "derived", "accident_statistics")
    by_category = breakdown(stats, "category_code", ref.categories)
    by_sector = breakdown(stats, "sector_code", ref.sectors)
    by_grade = breakdown(stats, "grade_code", ref.grades, ref.grade_order)

    district_rates = []  # latest full year per district, for the comparison table
    all_rates = rows(ctx, "derived", "rates")
    full_years = sorted({r["year"] for r in all_rates if r["district_code"] == CITY})
    latest = full_years[-1] if full_years else None
    for rate_id in RATES:
        body = []
        for r in sorted((r for r in all_rates if r["rate_id"] == rate_id and r["year"] == latest
                         and r["district_code"] != CITY), key=lambda r: r["district_code"]):
            d = r["decimals"]
            body.append([ref.districts.get(r["district_code"], r["district_code"]),
                         number(r.get("numerator")),
                         number(r.get("denominator"), 2 if rate_id == "gdp_death_rate" else 0),
                         fmt(r.get("rate"), d), fmt(r.get("provincial_average"), d),
                         t("datapage.yes", lang) if r.get("goal_met") else
                         t("datapage.no", lang) if r.get("goal_met") is False else
                         t("datapage.na", lang),
                         t("datapage.partial_year", lang) if r.get("partial_year") else
                         (r.get("boundary_note") or "")])
        district_rates.append({"title": t(f"rate.{rate_id}", lang), "rows": body,
                               "headers": rate_table(ref, lang, rate_id, [])["headers"]})

    ctx.render("accidents/index.md", "accidents_index.md.j2",
               banner=synthetic_banner(lang),
               trend=trend_chart(ctx, lang, attainment, city, "accidents-city-trend", base),
               attainment=attainment_table(lang, attainment),
               rate_charts=[rate_chart(ctx, lang, rid, rates_city.get(rid, []), city,
                                       f"accidents-city-{rid}", base) for rid in RATES],
               rate_tables=[rate_table(ref, lang, rid, rates_city.get(rid, [])) for rid in RATES],
               district_rates=district_rates, latest=latest,
               by_category=breakdown_chart(ctx, lang, by_category,
                                           t("accidents.by_category", lang),
                                           "accidents-by-category", base),
               by_sector=breakdown_chart(ctx, lang, by_sector, t("accidents.by_sector", lang),
                                         "accidents-by-sector", base),
               by_grade={"headers": breakdown_headers(lang), "rows": by_grade},
               boundaries=ref.boundary_notes())

    listing = accident_list(ctx, ref)
    ctx.publish({"accidents/accidents.json": dumps(
        {"columns": ["id", "date", "district", "sector", "category", "grade", "deaths",
                     "serious_injuries", "loss", "report", "report_published"],
         "rows": listing})})
    ctx.render("accidents/list/index.md", "accidents_list.md.j2",
               banner=synthetic_banner(lang), rows=listing[:LIST_ROWS_IN_HTML],
               total=len(listing), shown=min(len(listing), LIST_ROWS_IN_HTML),
               districts=sorted({r[2] for r in listing}),
               grades=[ref.grades[g] for g in ref.grade_order],
               labels=script_json({"count": catalog(lang)["accidents.list_count"],
                                   "failed": t("datapage.load_failed", lang)}))
    nav = t("nav.accidents", lang)
    return [{str(escape(nav)): ["accidents/index.md",
                                {str(escape(t("accidents.list_title", lang))):
                                 "accidents/list/index.md"}]}]
