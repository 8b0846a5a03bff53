"""The home page: the key facts of the latest year, progress at a glance, what is
published and when, and where to download everything."""

from __future__ import annotations

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.charts import fmt
from pipeline.pages.dates import stamp, status_date
from pipeline.pages.indicators import CITY, Data, status_counts
from pipeline.pages.views import catalog_views

SQLITE = "data/changzhou-work-safety.sqlite"
RATES = ("gdp_death_rate", "industrial_death_rate", "road_death_rate")


def _rows(ctx, package, resource):
    return ctx.table(package, resource).to_pylist() if ctx.has(package, resource) else []


def _rates(ctx) -> list[dict]:
    rows = [r for r in _rows(ctx, "derived", "rates")
            if r["district_code"] == CITY and r.get("rate") is not None]
    out = []
    for rate_id in RATES:
        mine = sorted((r for r in rows if r["rate_id"] == rate_id), key=lambda r: r["year"])
        if not mine:
            continue
        r = mine[-1]
        d = int(r["decimals"])
        met = r.get("goal_met")
        out.append({"label": t(f"rate.{rate_id}", ctx.lang), "year": r["year"],
                    "rate": fmt(r["rate"], d), "numerator": fmt(r.get("numerator"), 0),
                    "denominator": fmt(r.get("denominator"), 2), "scale": r["scale"],
                    "average": fmt(r.get("provincial_average"), d),
                    "met": met, "status": "target_achieved" if met else
                    ("deterioration" if met is False else "not_available"),
                    "verdict": t("home.below_average" if met else
                                 "home.not_below_average" if met is False else "home.no_average",
                                 ctx.lang)})
    return out


def _controls(ctx) -> list[dict]:
    rows = sorted((r for r in _rows(ctx, "derived", "control_targets_attainment")
                   if r["district_code"] == CITY), key=lambda r: r["year"])
    if not rows:
        return []
    r = rows[-1]
    out = []
    for name in ("accidents", "deaths"):
        met = r.get(f"{name}_met")
        out.append({"label": t(f"home.{name}", ctx.lang), "year": r["year"],
                    "value": r[name], "target": r.get(f"max_{name}"),
                    "change": r.get(f"{name}_change"),
                    "status": "target_achieved" if met else
                    ("deterioration" if met is False else "not_available"),
                    "verdict": t("home.within_target" if met else "home.over_target"
                                 if met is False else "home.no_target", ctx.lang)})
    return out


def _downloads(ctx) -> list[dict]:
    if ctx.manifest is None:
        return []
    files = {entry.path: entry for entry in ctx.manifest.files}
    out = []
    if SQLITE in files:
        out.append({"href": SQLITE, "label": t("home.download_sqlite", ctx.lang),
                    "bytes": files[SQLITE].bytes})
    for name in sorted(ctx.catalog.packages):
        path = f"data/{name}/latest/{name}.zip"
        if path in files:
            title = ctx.catalog.packages[name].descriptor.get("title") or name
            out.append({"href": path, "label": t("home.download_zip", ctx.lang, title=title),
                        "bytes": files[path].bytes})
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
    ctx.render("index.md", "home.md.j2", packages=packages, rates=_rates(ctx),
               controls=_controls(ctx), counts=counts, total=sum(c["count"] for c in counts),
               blacklist=blacklist, updates=updates, downloads=_downloads(ctx),
               as_of=status_date(ctx), stamps={
                   "keyfacts": stamp(ctx, "accident-outcomes"),
                   "progress": stamp(ctx, "indicator-progress"),
                   "blacklist": stamp(ctx, "enterprise-credit")})
    return [{str(escape(t("nav.home", ctx.lang))): "index.md"}]
