"""The home page: the key facts of the latest year, progress at a glance, what is
published and when, and where to download everything."""

from __future__ import annotations

from markupsafe import escape

from pipeline.export.formats import SQLITE, ZIP
from pipeline.i18n import t
from pipeline.pages.charts import fmt
from pipeline.pages.core import (
    CONTROL_OF_UNIT,
    Data,
    city_code,
    denominator_decimals,
    number,
    rate_ids,
    rows,
    slug,
    status_counts,
)
from pipeline.pages.dates import stamp, status_date
from pipeline.pages.views import catalog_views, english


def _rates(ctx, links: dict[str, str]) -> list[dict]:
    city = [r for r in rows(ctx, "derived", "rates")
            if r["district_code"] == city_code() and r.get("rate") is not None]
    out = []
    for rate_id in rate_ids():
        mine = sorted((r for r in city if r["rate_id"] == rate_id), key=lambda r: r["year"])
        if not mine:
            continue
        r = mine[-1]
        d = int(r["decimals"])
        met = r.get("goal_met")
        scale = r["scale"]
        out.append({"label": t(f"rate.{rate_id}", ctx.lang), "year": r["year"],
                    "href": links.get(rate_id), "rate": fmt(r["rate"], d),
                    # the fraction in the words of the rate tables' columns (with units):
                    # "死亡人数 180 ÷ GDP（亿元）10,356.80", "× 1" left out
                    "fraction": t("home.fraction", ctx.lang,
                                  numerator_label=t(f"accidents.numerator.{rate_id}", ctx.lang),
                                  numerator=number(r.get("numerator")),
                                  denominator_label=t(f"accidents.denominator.{rate_id}", ctx.lang),
                                  denominator=number(r.get("denominator"),
                                                     denominator_decimals(ctx, rate_id)),
                                  scale="" if scale == 1 else
                                  t("home.fraction_scale", ctx.lang, scale=number(scale))),
                    "average": fmt(r.get("provincial_average"), d),
                    "met": met, "status": "target_achieved" if met else
                    ("deterioration" if met is False else "not_available"),
                    "verdict": t("home.below_average" if met else
                                 "home.not_below_average" if met is False else "home.no_average",
                                 ctx.lang)})
    return out


def _controls(ctx, links: dict[str, str]) -> list[dict]:
    years = sorted((r for r in rows(ctx, "derived", "control_targets_attainment")
                    if r["district_code"] == city_code()), key=lambda r: r["year"])
    if not years:
        return []
    r = years[-1]
    out = []
    for name in ("accidents", "deaths"):
        met = r.get(f"{name}_met")
        out.append({"label": t(f"home.{name}", ctx.lang), "year": r["year"],
                    "href": links.get(name), "value": number(r[name]), "target": r.get(f"max_{name}"),
                    "change": r.get(f"{name}_change"),
                    "status": "target_achieved" if met else
                    ("deterioration" if met is False else "not_available"),
                    "verdict": t("home.within_target" if met else "home.over_target"
                                 if met is False else "home.no_target", ctx.lang)})
    return out


def _indicator_links(data: Data) -> dict[str, str]:
    """The indicator page each key fact is about: rate id (a rate's unit) or control
    ("accidents", "deaths", the unit of its indicator) → the page's address."""
    out = {}
    for ind in data.indicators:
        key = data.rate_of_unit.get(ind["unit"]) or (
            ind["unit"] if ind["unit"] in CONTROL_OF_UNIT else None)
        if key is not None:
            out.setdefault(key, f"indicators/{slug(ind['id'])}/")
    return out


def _downloads(ctx) -> list[dict]:
    """The database of every table and each package's archive, as the export published them."""
    out = []
    database = ctx.published(None, None, SQLITE.key)
    if database is not None:
        out.append({"href": database.path, "label": t("home.download_sqlite", ctx.lang),
                    "bytes": database.bytes})
    for name in sorted(ctx.catalog.packages):
        archive = ctx.published(name, None, ZIP.key)
        if archive is not None:
            descriptor = ctx.catalog.packages[name].descriptor
            title = (english(descriptor, "title") if ctx.lang == "en" else None) or descriptor.get("title") or name
            out.append({"href": archive.path, "label": t("home.download_zip", ctx.lang, title=title),
                        "bytes": archive.bytes})
    return out


def write(ctx) -> list:
    packages = catalog_views(ctx.catalog, ctx.lang, ctx.manifest)
    updates = []
    for p in packages:
        descriptor = ctx.catalog.packages[p.name].descriptor
        next_update = descriptor.get("x-nextUpdate")
        # The release record's date, as on the package's own page (never ``created``,
        # which says when the files were generated, not when the public got the data).
        updates.append({"name": p.name, "title": p.title, "url": p.url, "version": p.version,
                        "updated": p.data_updated or "",
                        "next": str(next_update) if next_update else t("home.next_unknown",
                                                                       ctx.lang)})
    data = Data(ctx) if ctx.has("indicator-progress", "indicators") else None
    counts = status_counts(data, ctx.lang) if data else []
    blacklist = (ctx.table("derived", "blacklist_public").num_rows
                 if ctx.has("derived", "blacklist_public") else None)
    links = _indicator_links(data) if data else {}
    ctx.render("index.md", "home.md.j2", packages=packages, rates=_rates(ctx, links),
               controls=_controls(ctx, links), counts=counts, total=sum(c["count"] for c in counts),
               blacklist=blacklist, updates=updates, downloads=_downloads(ctx),
               as_of=status_date(ctx), stamps={
                   "keyfacts": stamp(ctx, "accident-outcomes"),
                   "progress": stamp(ctx, "indicator-progress"),
                   "blacklist": stamp(ctx, "enterprise-credit")})
    return [{str(escape(t("nav.home", ctx.lang))): "index.md"}]
