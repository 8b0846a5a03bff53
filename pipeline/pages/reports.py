"""Investigation reports as several sections show them: where a report's page is, the
relative link to it, and the list of an area's or a year's investigations.

A library, not a section: the investigations section (``investigations``) writes the report
pages, and the district pages list a district's reports with :func:`district_reports`.
``report_url`` in the data is root-absolute (``/reports/<id>/``); every link made here is
relative to the page it sits on, so the site works from a sub-folder and in ``/en/``.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pipeline.config import current
from pipeline.i18n import t
from pipeline.pages.core import Ref, number, rows, text

PACKAGE = "accident-investigations"
SECTION = "investigations"  # the section (pipeline.pages.investigations) that writes the pages
REPORT_URL = re.compile(r"/reports/(A20[0-9]{7})/")
LATEST = 20  # reports a district page shows as a table; the others as links by year


def report_path(report_url: str | None) -> str | None:
    """``reports/<id>`` for a report URL of the data (``/reports/<id>/``), None otherwise.

    The URL is the data's (root-absolute); a page turns it into a relative link with
    :func:`report_href`, and the report page is written at this path."""
    match = REPORT_URL.fullmatch(report_url or "")
    return f"reports/{match.group(1)}" if match else None


def has_report_pages() -> bool:
    """Whether this site writes the report pages: the investigations section is among the
    sections of the configuration in force (``portal.yml``). Without it no page links a
    report, since the link would lead nowhere."""
    return SECTION in current().sections


def linked_report(report_url: str | None) -> str | None:
    """``reports/<id>/`` (the page's path under the edition's root) for a report this site
    has a page for, else None."""
    path = report_path(report_url)
    return f"{path}/" if path and has_report_pages() else None


def report_href(report_url: str | None, root: str) -> str | None:
    """The relative link to a report from a page ``root`` away from the edition's root
    (``"../../"`` from ``districts/<code>/``); None if the site has no page for it."""
    path = linked_report(report_url)
    return f"{root}{path}" if path else None


def yes_no(value, lang: str) -> str:
    if value is None:
        return t("datapage.na", lang)
    return t("datapage.yes", lang) if value else t("datapage.no", lang)


def pct(value) -> str:
    return "" if value is None else f"{value:.1f}%"


def days(value, lang: str) -> str:
    return "" if value is None else t("investigations.days", lang, n=number(value))


class Investigations:
    """The package's rows keyed by accident, and the accidents they belong to."""

    def __init__(self, ctx):
        self.rows = sorted(rows(ctx, PACKAGE, "investigations"), key=lambda r: r["accident_id"])
        self.accidents = {r["accident_id"]: r for r in rows(ctx, "accident-outcomes", "accidents")}
        self.handling = defaultdict(list)
        for r in rows(ctx, PACKAGE, "handling"):
            self.handling[r["accident_id"]].append(r)
        self.measures = defaultdict(list)
        for r in rows(ctx, PACKAGE, "rectification"):
            self.measures[r["accident_id"]].append(r)
        for values in self.measures.values():
            values.sort(key=lambda r: r["measure_no"])

    def year(self, r: dict) -> int:
        return r["accident_date"].year


def report_list(ctx, ref: Ref, data: Investigations, items: list[dict], root: str) -> list[dict]:
    """One entry per investigation for a list (newest first): the cells and, when the report
    is published, the relative link to its page."""
    lang = ctx.lang
    out = []
    for r in sorted(items, key=lambda r: (r["accident_date"], r["accident_id"]), reverse=True):
        accident = data.accidents.get(r["accident_id"], {})
        out.append({
            "id": r["accident_id"],
            "href": report_href(r.get("report_url"), root),
            "cells": [text(r["accident_date"]),
                      ref.districts.get(r["district_code"], r["district_code"]),
                      ref.grades.get(accident.get("stated_grade"), ""),
                      t(f"investigations.body.{r['investigating_body']}", lang),
                      t(f"investigations.stage.{r['stage']}", lang),
                      yes_no(r.get("within_deadline"), lang),
                      text(r.get("report_published"))]})
    return out


def list_headers(lang: str) -> list[str]:
    return [t("investigations.col.accident", lang), t("investigations.col.date", lang),
            t("datapage.district", lang), t("accidents.grade", lang),
            t("investigations.col.body", lang), t("investigations.col.stage", lang),
            t("investigations.col.within_deadline", lang),
            t("investigations.col.published_on", lang)]


def investigations(ctx) -> Investigations | None:
    """The package's rows for this edition (built once, kept in ``ctx.memo``); None when the
    catalog has no investigations or no accidents."""
    if not ctx.has(PACKAGE, "investigations") or not ctx.has("accident-outcomes", "accidents"):
        return None
    key = ("investigations", "data")
    if key not in ctx.memo:
        ctx.memo[key] = Investigations(ctx)
    return ctx.memo[key]


def district_reports(ctx, ref: Ref, code: str, root: str = "../../") -> dict | None:
    """The published reports of one district for its page: the newest ``LATEST`` as a
    table, and every one of them by year as links. None without the package."""
    data = investigations(ctx)
    if data is None or not has_report_pages():
        return None
    items = [r for r in data.rows if r["district_code"] == code and report_path(r.get("report_url"))]
    entries = report_list(ctx, ref, data, items, root)
    by_year = defaultdict(list)
    for entry, r in zip(entries, sorted(items, key=lambda r: (r["accident_date"], r["accident_id"]),
                                        reverse=True), strict=True):
        by_year[data.year(r)].append(entry)
    return {"headers": list_headers(ctx.lang), "latest": entries[:LATEST], "total": len(entries),
            "years": [{"year": y, "reports": by_year[y]} for y in sorted(by_year, reverse=True)]}
