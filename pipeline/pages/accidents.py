"""Accidents: trends, the three rates against the provincial average, control targets,
breakdowns by category, sector and grade, and a searchable list of every accident.

Figures come from the derived tables (``rates``, ``control_targets_attainment``,
``accident_statistics``) so a page shows the rows a journalist downloads; names of codes
come from the reference tables. Every rate is printed with its numerator and denominator.
The list is a same-origin JSON asset drawn by ``accidents.js``; its first rows are also in
the HTML, so the page says something without JavaScript.
"""

from __future__ import annotations

from collections import defaultdict

from markupsafe import Markup, escape

from pipeline.config import current
from pipeline.i18n import catalog, t
from pipeline.pages.chart_block import Area, Chart, chart_block
from pipeline.pages.charts import Series, bar_chart, fmt, line_chart
from pipeline.pages.core import (
    Ref,
    attainment_rows,
    attainment_table,
    city_code,
    denominator_decimals,
    inert_json,
    number,
    rate_cells,
    rate_headers,
    rate_ids,
    rate_rows,
    rate_table,
    row_note,
    rows,
    rows_file_labels,
    script_json,
    synthetic_banner,
    text,
)
from pipeline.pages.sections import linked_page

LIST_ROWS_IN_HTML = 50


def rate_chart(ctx, rate_id: str, values: list[dict], district_name: str,
               slug: str, base: str) -> Markup:
    lang = ctx.lang
    decimals = values[0]["decimals"] if values else 0
    years = [r["year"] for r in values]
    series = [Series(district_name, [(r["year"], r.get("rate")) for r in values]),
              Series(t("accidents.provincial_average", lang),
                     [(r["year"], r.get("provincial_average")) for r in values], dashed=True)]
    title = t("accidents.rate_chart_title", lang, rate=t(f"rate.{rate_id}", lang),
              place=district_name)
    areas = district_areas(ctx, rate_id)
    plot = line_chart(series, x_values=years, decimals=decimals,
                      extra=[v for a in areas for v in a.values.values()])
    table = [[str(r["year"]), number(r.get("numerator")),
              number(r.get("denominator"), denominator_decimals(ctx, rate_id)),
              fmt(r.get("rate"), decimals), fmt(r.get("provincial_average"), decimals)]
             for r in values]
    return chart_block(ctx, Chart(
        slug=slug, title=title, plot=plot, desc=t("accidents.rate_chart_desc", lang),
        headers=[t("datapage.year", lang), t(f"accidents.numerator.{rate_id}", lang),
                 t(f"accidents.denominator.{rate_id}", lang), t("accidents.rate", lang),
                 t("accidents.provincial_average", lang)],
        rows=table, caption=title, source=t("accidents.source_rates", lang),
        table="derived/rates", unit=t(f"unit_axis.{current().rate_formulas[rate_id]['unit']}", lang),
        areas=areas,
        page="accidents/"), base=base)


def district_areas(ctx, rate_id: str) -> list[Area]:
    """Each district's values of ``rate_id`` by year: lines a reader may add, and the map."""
    names = Ref(ctx).districts
    by_code: dict[str, dict] = defaultdict(dict)
    for r in rows(ctx, "derived", "rates"):
        if r["rate_id"] == rate_id and r["district_code"] != city_code():
            by_code[r["district_code"]][r["year"]] = r.get("rate")
    return [Area(code, names.get(code, code), values) for code, values in sorted(by_code.items())]


def trend_chart(ctx, lang: str, values: list[dict], place: str, slug: str, base: str) -> Markup:
    years = [r["year"] for r in values]
    title = t("accidents.trend_title", lang, place=place)
    plot = line_chart([Series(t("accidents.accidents", lang),
                              [(r["year"], r["accidents"]) for r in values]),
                       Series(t("accidents.deaths", lang),
                              [(r["year"], r["deaths"]) for r in values])], x_values=years)
    return chart_block(ctx, Chart(
        slug=slug, title=title, plot=plot, desc=t("accidents.trend_desc", lang),
        headers=[t("datapage.year", lang), t("accidents.accidents", lang),
                 t("accidents.deaths", lang), t("accidents.max_accidents", lang),
                 t("accidents.max_deaths", lang)],
        rows=[[str(r["year"]), number(r["accidents"]), number(r["deaths"]),
               number(r.get("max_accidents")), number(r.get("max_deaths"))] for r in values],
        caption=title, source=t("accidents.source_outcomes", lang),
        table="derived/control_targets_attainment", page="accidents/"), base=base)


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
    plot = bar_chart(labels, values, value_label=t("accidents.deaths", lang))
    return chart_block(ctx, Chart(
        slug=slug, title=title, plot=plot, desc=t("accidents.breakdown_desc", lang),
        headers=breakdown_headers(lang), rows=table,
        caption=title, source=t("accidents.source_accidents", lang),
        table="derived/accident_statistics", page="accidents/"), base=base)


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
                    text(r.get("report_published")),
                    # the report page's path under the edition root, linked relatively,
                    # when a section of portal.yml writes a page at the report's URL
                    linked_page(ctx, r.get("report_url"))])
    out.sort(key=lambda r: (r[1], r[0]), reverse=True)
    return out


def write(ctx) -> list:
    if not ctx.has("derived", "rates"):
        return []
    lang = ctx.lang
    ref = Ref(ctx)
    city_row, rates = city_code(), rate_ids()
    city = ref.districts.get(city_row, city_row)
    base = "../"
    rates_city = rate_rows(ctx, city_row)
    attainment = attainment_rows(ctx, city_row)
    stats = rows(ctx, "derived", "accident_statistics")
    by_category = breakdown(stats, "category_code", ref.categories)
    by_sector = breakdown(stats, "sector_code", ref.sectors)
    by_grade = breakdown(stats, "grade_code", ref.grades, ref.grade_order)

    district_rates = []  # latest full year per district, for the comparison table
    all_rates = rows(ctx, "derived", "rates")
    full_years = sorted({r["year"] for r in all_rates if r["district_code"] == city_row})
    latest = full_years[-1] if full_years else None
    for rate_id in rates:
        mine = sorted((r for r in all_rates if r["rate_id"] == rate_id and r["year"] == latest
                       and r["district_code"] != city_row), key=lambda r: r["district_code"])
        district_rates.append({
            "title": t(f"rate.{rate_id}", lang),
            "rows": [[ref.districts.get(r["district_code"], r["district_code"]),
                      *rate_cells(ctx, rate_id, r)] for r in mine],
            "notes": [row_note(lang, r) for r in mine],
            "headers": rate_headers(lang, rate_id, first="datapage.district")})

    ctx.render("accidents/index.md", "accidents_index.md.j2",
               banner=synthetic_banner(lang),
               trend=trend_chart(ctx, lang, attainment, city, "accidents-city-trend", base),
               attainment=attainment_table(lang, attainment),
               rate_charts=[rate_chart(ctx, rid, rates_city.get(rid, []), city,
                                       f"accidents-city-{rid}", base) for rid in rates],
               rate_tables=[rate_table(ctx, rid, rates_city.get(rid, [])) for rid in rates],
               district_rates=district_rates, latest=latest,
               by_category=breakdown_chart(ctx, lang, by_category,
                                           t("accidents.by_category", lang),
                                           "accidents-by-category", base),
               by_sector=breakdown_chart(ctx, lang, by_sector, t("accidents.by_sector", lang),
                                         "accidents-by-sector", base),
               by_grade={"headers": breakdown_headers(lang), "rows": by_grade},
               boundaries=ref.boundary_notes())

    listing = accident_list(ctx, ref)
    ctx.publish({"accidents/accidents.json": inert_json(
        {"columns": ["id", "date", "district", "sector", "category", "grade", "deaths",
                     "serious_injuries", "loss", "report", "report_published", "report_page"],
         "rows": listing}).encode("utf-8")})
    ctx.render("accidents/list/index.md", "accidents_list.md.j2",
               banner=synthetic_banner(lang), rows=listing[:LIST_ROWS_IN_HTML],
               total=len(listing), shown=min(len(listing), LIST_ROWS_IN_HTML),
               districts=sorted({r[2] for r in listing}),
               grades=[ref.grades[g] for g in ref.grade_order],
               labels=script_json({"count": catalog(lang)["accidents.list_count"],
                                   "failed": t("datapage.load_failed", lang),
                                   "rows": rows_file_labels(lang, t("accidents.list_title", lang),
                                                            "accident-list")}))
    nav = t("nav.accidents", lang)
    return [{str(escape(nav)): ["accidents/index.md",
                                {str(escape(t("accidents.list_title", lang))):
                                 "accidents/list/index.md"}]}]
