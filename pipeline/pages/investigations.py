"""Accident investigations (事故调查): timeliness against the legal deadline per year and per
district, the handling of those held responsible, rectification follow-up, a list of the
investigations of each year, and a page for every published report.

Every accident whose report is published carries ``report_url`` (``/reports/<id>/``); the
page for it is written at exactly that path inside the edition, and every link to it is
relative (``report_href``), so the site works from a sub-folder. Report pages are item
pages: kept out of the navigation (``not_in_nav`` in mkdocs.yml) and out of the search
index (front matter), reached from the year lists, the district pages and the accident list.

The timeliness figures are the derived table ``investigation_timeliness`` (a journalist
downloads the rows the page shows); names of codes come from the message catalog, names of
districts, sectors, categories and grades from the reference tables. Handling is counted,
never named: no page shows a person.
"""

from __future__ import annotations

from collections import defaultdict

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.core import Ref, city_code, number, rows, synthetic_banner, text
from pipeline.pages.reports import (
    Investigations,
    days,
    investigations,
    list_headers,
    pct,
    report_list,
    report_path,
    yes_no,
)

HANDLING = ("criminal_referral", "party_government_sanction", "personal_fine", "unit_fine")
STATUSES = ("completed", "in_progress", "overdue")


def timeliness_tables(ctx, ref: Ref) -> tuple[dict, dict]:
    """Share submitted within the deadline and published, per year (the whole city) and per
    district (all years), from ``derived/investigation_timeliness``."""
    lang = ctx.lang
    city = city_code()
    derived = rows(ctx, "derived", "investigation_timeliness")
    headers = [t("investigations.col.investigations", lang), t("investigations.col.due", lang),
               t("investigations.col.within", lang), t("investigations.col.within_pct", lang),
               t("investigations.col.published", lang),
               t("investigations.col.published_pct", lang)]
    by_year = []
    for r in sorted((r for r in derived if r["district_code"] == city), key=lambda r: r["year"]):
        by_year.append([str(r["year"]), number(r["investigations"]), number(r["reports_due"]),
                        number(r["within_deadline"]), pct(r.get("within_deadline_pct")),
                        number(r["published"]), pct(r.get("published_pct")),
                        days(r.get("median_days_to_publication"), lang)])
    totals = defaultdict(lambda: [0, 0, 0, 0])
    for r in derived:
        if r["district_code"] != city:
            total = totals[r["district_code"]]
            for i, key in enumerate(("investigations", "reports_due", "within_deadline",
                                     "published")):
                total[i] += r[key]
    by_district = []
    for code in sorted(totals):
        n, due, within, published = totals[code]
        by_district.append([ref.districts.get(code, code), number(n), number(due),
                            number(within), pct(within / due * 100 if due else None),
                            number(published), pct(published / n * 100 if n else None)])
    return ({"title": t("investigations.timeliness_by_year", lang),
             "headers": [t("datapage.year", lang), *headers,
                         t("investigations.col.median_days", lang)], "rows": by_year},
            {"title": t("investigations.timeliness_by_district", lang),
             "headers": [t("datapage.district", lang), *headers], "rows": by_district})


def penalties_table(ctx, data: Investigations) -> dict:
    """Handling per year of the accident: persons referred, persons sanctioned, fines."""
    lang = ctx.lang
    per_year = defaultdict(lambda: {k: [0, 0.0] for k in HANDLING})
    for accident_id, items in data.handling.items():
        accident = data.accidents.get(accident_id)
        if accident is None:
            continue
        year = accident["date"].year
        for h in items:
            cell = per_year[year][h["handling"]]
            cell[0] += h["subjects"]
            cell[1] += h.get("amount_10k_yuan") or 0.0
    body = []
    total = {k: [0, 0.0] for k in HANDLING}
    for year in sorted(per_year):
        v = per_year[year]
        for k in HANDLING:
            total[k][0] += v[k][0]
            total[k][1] += v[k][1]
        body.append(_penalty_row(str(year), v))
    if body:
        body.append(_penalty_row(t("investigations.total", lang), total))
    return {"title": t("investigations.penalties_by_year", lang),
            "headers": [t("datapage.year", lang),
                        t("investigations.col.referred", lang),
                        t("investigations.col.sanctioned", lang),
                        t("investigations.col.fined_persons", lang),
                        t("investigations.col.fines_persons", lang),
                        t("investigations.col.fined_units", lang),
                        t("investigations.col.fines_units", lang)],
            "rows": body}


def _penalty_row(label: str, v: dict) -> list[str]:
    return [label, number(v["criminal_referral"][0]), number(v["party_government_sanction"][0]),
            number(v["personal_fine"][0]), number(v["personal_fine"][1], 1),
            number(v["unit_fine"][0]), number(v["unit_fine"][1], 1)]


def rectification_table(ctx, data: Investigations) -> dict:
    lang = ctx.lang
    per_year = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for accident_id, items in data.measures.items():
        accident = data.accidents.get(accident_id)
        if accident is None:
            continue
        for m in items:
            per_year[accident["date"].year][m["status"]] += 1
    body = []
    for year in sorted(per_year):
        v = per_year[year]
        n = sum(v.values())
        body.append([str(year), number(n)]
                    + [f"{number(v[s])}（{v[s] / n * 100:.1f}%）" for s in STATUSES])
    return {"title": t("investigations.rectification_by_year", lang),
            "headers": [t("datapage.year", lang), t("investigations.col.measures", lang)]
            + [t(f"investigations.status.{s}", lang) for s in STATUSES],
            "rows": body}


def _report(ctx, ref: Ref, data: Investigations, r: dict) -> dict:
    lang = ctx.lang
    a = data.accidents.get(r["accident_id"], {})
    facts = [
        [t("investigations.col.accident", lang), r["accident_id"]],
        [t("investigations.col.date", lang), text(r["accident_date"])],
        [t("datapage.district", lang), ref.districts.get(r["district_code"], r["district_code"])],
        [t("investigations.sector", lang), ref.sectors.get(a.get("sector_code"), "")],
        [t("investigations.category", lang), ref.categories.get(a.get("category_code"), "")],
        [t("accidents.grade", lang), ref.grades.get(a.get("stated_grade"), "")],
        [t("accidents.deaths", lang), number(a.get("deaths"))],
        [t("accidents.serious_injuries", lang), number(a.get("serious_injuries"))],
        [t("accidents.loss_10k", lang),
         number(a["direct_loss_yuan"] / 10_000, 1) if a.get("direct_loss_yuan") is not None else ""],
        [t("investigations.liability", lang),
         t(f"investigations.liability.{a['liability']}", lang) if a.get("liability") else ""],
    ]
    extension = r.get("extension_days") or 0
    timing = [
        [t("investigations.col.body", lang), t(f"investigations.body.{r['investigating_body']}", lang)],
        [t("investigations.deadline", lang),
         t("investigations.deadline_extended", lang, days=r["deadline_days"], ext=extension)
         if extension else t("investigations.deadline_plain", lang, days=r["deadline_days"])],
        [t("investigations.submitted", lang), text(r.get("report_submitted"))],
        [t("investigations.days_to_submission", lang), days(r.get("days_to_submission"), lang)],
        [t("investigations.col.within_deadline", lang), yes_no(r.get("within_deadline"), lang)],
        [t("investigations.approved", lang), text(r.get("report_approved"))],
        [t("investigations.col.published_on", lang), text(r.get("report_published"))],
        [t("investigations.days_to_publication", lang), days(r.get("days_to_publication"), lang)],
    ]
    causes = [
        [t("investigations.direct_cause", lang),
         t(f"investigations.cause.{r['direct_cause']}", lang) if r.get("direct_cause") else ""],
        [t("investigations.indirect_cause", lang),
         t(f"investigations.cause.{r['indirect_cause']}", lang) if r.get("indirect_cause")
         else t("investigations.no_indirect", lang)],
    ]
    handling = [[t(f"investigations.handling.{h['handling']}", lang),
                 t("investigations.units" if h["handling"] == "unit_fine"
                   else "investigations.persons", lang, n=number(h["subjects"])),
                 number(h.get("amount_10k_yuan"), 1)]
                for h in sorted(data.handling.get(r["accident_id"], []),
                                key=lambda h: HANDLING.index(h["handling"]))]
    measures = [[str(m["measure_no"]), t(f"investigations.measure.{m['measure']}", lang),
                 t(f"investigations.responsible.{m['responsible']}", lang), text(m["due_date"]),
                 t(f"investigations.status.{m['status']}", lang), text(m.get("completed_on")),
                 text(m.get("checked_on"))]
                for m in data.measures.get(r["accident_id"], [])]
    return {
        "id": r["accident_id"], "district_code": r["district_code"],
        "year": data.year(r),
        "facts": {"title": t("investigations.facts", lang),
                  "headers": [t("datapage.item", lang), t("investigations.value", lang)],
                  "rows": facts},
        "timing": {"title": t("investigations.timing", lang),
                   "headers": [t("datapage.item", lang), t("investigations.value", lang)],
                   "rows": timing},
        "causes": {"title": t("investigations.causes", lang),
                   "headers": [t("datapage.item", lang), t("investigations.value", lang)],
                   "rows": causes},
        "handling": {"title": t("investigations.handling_title", lang),
                     "headers": [t("investigations.col.handling", lang),
                                 t("investigations.col.subjects", lang),
                                 t("investigations.col.amount", lang)],
                     "rows": handling},
        "measures": {"title": t("investigations.measures_title", lang),
                     "headers": [t("investigations.col.no", lang),
                                 t("investigations.col.measure", lang),
                                 t("investigations.col.responsible", lang),
                                 t("investigations.col.due_date", lang),
                                 t("investigations.col.status", lang),
                                 t("investigations.col.completed", lang),
                                 t("investigations.col.checked", lang)],
                     "rows": measures},
    }


def write(ctx) -> list:
    data = investigations(ctx)
    if data is None:
        return []
    lang = ctx.lang
    ref = Ref(ctx)
    banner = synthetic_banner(lang)
    by_year, by_district = timeliness_tables(ctx, ref)
    years = sorted({data.year(r) for r in data.rows})
    published = [r for r in data.rows if report_path(r.get("report_url"))]
    due = [r for r in data.rows if r.get("within_deadline") is not None]
    on_time = sum(1 for r in due if r["within_deadline"])

    ctx.render("investigations/index.md", "investigations_index.md.j2", banner=banner,
               summary={"investigations": number(len(data.rows)),
                        "published": number(len(published)),
                        "due": number(len(due)), "within": number(on_time),
                        "within_pct": pct(on_time / len(due) * 100 if due else None)},
               by_year=by_year, by_district=by_district,
               penalties=penalties_table(ctx, data),
               rectification=rectification_table(ctx, data),
               years=[{"year": y, "href": f"{y}/"} for y in years])

    headers = list_headers(lang)
    for year in years:
        items = [r for r in data.rows if data.year(r) == year]
        ctx.render(f"investigations/{year}/index.md", "investigations_year.md.j2",
                   banner=banner, year=year, headers=headers,
                   items=report_list(ctx, ref, data, items, "../../"),
                   published=sum(1 for r in items if report_path(r.get("report_url"))))

    district_slugs = set(ref.units())
    for r in published:
        report = _report(ctx, ref, data, r)
        report["district_href"] = (f"../../districts/{r['district_code']}/"
                                   if r["district_code"] in district_slugs else None)
        ctx.render(f"{report_path(r['report_url'])}/index.md", "investigations_report.md.j2",
                   banner=banner, r=report)

    section = str(escape(t("nav.investigations", lang)))
    return [{section: ["investigations/index.md"]
             + [{str(y): f"investigations/{y}/index.md"} for y in years]}]
