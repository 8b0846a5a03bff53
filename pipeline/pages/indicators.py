"""Indicator progress: a dashboard of every indicator of the plan and one page per indicator.

Statuses, their inputs and the observations come from the catalog (``derived/progress_status``
and ``indicator-progress``); nothing is recomputed here, so a page shows exactly the row
that a journalist downloads. Views are plain dicts of raw values, escaped when rendered.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from urllib.parse import quote

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.charts import (
    PALETTE,
    Chart,
    Series,
    bar_chart,
    chart_block,
    fmt,
    line_chart,
)
from pipeline.pages.dates import stamp

CITY = "320400"
# Which rate of derived/rates holds the provincial benchmark of a rate indicator.
RATE_OF_UNIT = {"per_100m_yuan_gdp": "gdp_death_rate",
                "per_100k_workers": "industrial_death_rate",
                "per_10k_vehicles": "road_death_rate"}
CONTROL_OF_UNIT = {"accidents": "max_accidents", "deaths": "max_deaths"}
STATUS_ORDER = ("target_achieved", "on_track", "acceleration_needed", "limited_progress",
                "deterioration", "not_available")
DOWNLOADS = (("indicator-progress", "indicators"), ("indicator-progress", "observations"),
             ("derived", "progress_status"))


def slug(identifier: str) -> str:
    """A path segment for an identifier (indicator ids and department codes are slugs
    already; anything else is made one, so no data can shape a path)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(identifier)).strip("-") or "x"


def _rows(ctx, package: str, resource: str) -> list[dict]:
    return ctx.table(package, resource).to_pylist() if ctx.has(package, resource) else []


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def csv_href(ctx, package: str, resource: str) -> str | None:
    """The published CSV of a resource, relative to the site root, if the export wrote it."""
    path = f"data/{package}/latest/data/{resource}.csv"
    if ctx.manifest is None or any(entry.path == path for entry in ctx.manifest.files):
        return quote(path, safe="/")
    return None


class Data:
    """The tables the indicator, plan and home pages read, indexed once."""

    def __init__(self, ctx):
        lang = ctx.lang
        self.lang = lang
        self.districts = {r["code"]: r for r in _rows(ctx, "reference", "districts")}
        self.departments = {r["code"]: r for r in _rows(ctx, "reference", "departments")}
        self.measures = _rows(ctx, "indicator-progress", "measures")
        self.measure = {m["id"]: m for m in self.measures}
        self.indicators = _rows(ctx, "indicator-progress", "indicators")
        self.responsibilities = defaultdict(list)
        for r in sorted(_rows(ctx, "indicator-progress", "responsibilities"),
                        key=lambda r: (r.get("position") or 0, r["department_code"])):
            self.responsibilities[r["measure_id"]].append(r)
        self.observations = defaultdict(list)  # (indicator, district) → rows by year
        for r in _rows(ctx, "indicator-progress", "observations"):
            self.observations[(r["indicator_id"], r["district_code"])].append(r)
        for rows in self.observations.values():
            rows.sort(key=lambda r: r["year"])
        self.status = {(r["indicator_id"], r["district_code"]): {k: _clean(v) for k, v in r.items()}
                       for r in _rows(ctx, "derived", "progress_status")}
        # The year each indicator's statuses are judged at (the same for all its rows).
        self.judged = {iid: row["judged_year"] for (iid, _), row in self.status.items()
                       if row.get("judged_year") is not None}
        self.benchmarks = {}  # rate id → {year: provincial average}
        for r in _rows(ctx, "accident-outcomes", "provincial_benchmarks"):
            for rate in RATE_OF_UNIT.values():
                self.benchmarks.setdefault(rate, {})[r["year"]] = _clean(r.get(rate))
        self.controls = defaultdict(dict)  # (district, field) → {year: value}
        for r in _rows(ctx, "accident-outcomes", "control_targets"):
            for name in CONTROL_OF_UNIT.values():
                self.controls[(r["district_code"], name)][r["year"]] = r.get(name)
        self.by_measure = defaultdict(list)
        for ind in self.indicators:
            self.by_measure[ind["measure_id"]].append(ind)

    def district_name(self, code: str) -> str:
        row = self.districts.get(code)
        if row is None:
            return code
        return str(row.get("name_en") or code) if self.lang == "en" else str(row["name"])

    def department_name(self, code: str) -> str:
        row = self.departments.get(code)
        if row is None:
            return code
        return str(row.get("name_en") or code) if self.lang == "en" else str(row["name"])

    def measure_label(self, measure_id: str) -> str:
        m = self.measure.get(measure_id)
        if m is None:
            return measure_id
        title = m["title_en"] if self.lang == "en" and m.get("title_en") else m["title"]
        return t(f"plan.kind_label.{m['kind']}", self.lang, number=m["number"], title=title)

    def title(self, ind: dict) -> str:
        return str(ind["title_en"] if self.lang == "en" and ind.get("title_en") else ind["title"])

    def city_status(self, indicator_id: str) -> dict | None:
        return self.status.get((indicator_id, CITY))

    def judged_year(self, ind: dict) -> int | None:
        """The year the indicator's status is judged at (``progress_status.judged_year``)."""
        return self.judged.get(ind["id"], ind.get("target_year"))

    def after_plan(self, ind: dict, district: str = CITY) -> list[dict]:
        """Observations after the indicator's target year: after the plan period, shown
        apart and never judged."""
        end = ind.get("target_year")
        if end is None:
            return []
        return [r for r in self.observations.get((ind["id"], district), []) if r["year"] > end]

    def district_statuses(self, indicator_id: str) -> list[dict]:
        rows = [row for (ind, code), row in self.status.items()
                if ind == indicator_id and code != CITY]
        return sorted(rows, key=lambda r: r["district_code"])


def status_label(status: str | None, lang: str) -> str:
    return t(f"progress.status.{status or 'not_available'}", lang)


def value_text(value, ind: dict, lang: str) -> str:
    """A value with the indicator's decimals and unit, or the word for 'unknown'."""
    value = _clean(value)
    if value is None:
        return t("indicator.unknown", lang)
    decimals = int(ind.get("decimals") or 0)
    if ind.get("unit") == "milestone":
        return t("indicator.milestone_done" if value >= 1 else "indicator.milestone_open", lang)
    return t(f"unit.{ind['unit']}", lang, value=fmt(value, decimals))


def target_text(ind: dict, lang: str) -> str:
    kind = ind["target_kind"]
    if kind == "value":
        return t("indicator.target_value", lang, value=value_text(ind.get("target_value"), ind, lang),
                 year=ind["target_year"])
    return t(f"indicator.target_kind.{kind}", lang, year=ind["target_year"])


def _line_chart(ctx, data: Data, ind: dict, base: str) -> object:
    lang = ctx.lang
    obs = data.observations.get((ind["id"], CITY), [])
    years = [r["year"] for r in obs]
    decimals = int(ind.get("decimals") or 0)
    # Years after the target year are after the plan period: their own series, no target.
    end = ind.get("target_year")
    after = {r["year"] for r in data.after_plan(ind)}
    series = [Series(t("indicator.series_city", lang),
                     [(r["year"], _clean(r["value"])) for r in obs if r["year"] not in after])]
    target, target_label = None, ""
    benchmark_rows, benchmark_label = [], ""
    if ind["target_kind"] == "value" and _clean(ind.get("target_value")) is not None:
        target = float(ind["target_value"])
        target_label = t("indicator.target_line", lang, year=ind["target_year"])
    elif ind["target_kind"] == "below_provincial_average":
        # The provincial average is data (a comparison line), published for every year.
        rate = RATE_OF_UNIT.get(ind["unit"])
        bench = data.benchmarks.get(rate, {})
        benchmark_label = t("indicator.series_province", lang)
        series.append(Series(benchmark_label, [(y, bench.get(y)) for y in years], dashed=True))
        benchmark_rows = [bench.get(y) for y in years]
    elif ind["target_kind"] == "below_control_target":
        control = data.controls.get((CITY, CONTROL_OF_UNIT.get(ind["unit"], "")), {})
        # Drawn as the plan's target only within the plan period; the table lists them all.
        target = {y: control.get(y) for y in years
                  if control.get(y) is not None and y not in after}
        target_label = benchmark_label = t("indicator.control_line", lang)
        benchmark_rows = [control.get(y) for y in years]
    if after:
        series.append(Series(t("indicator.series_after", lang),
                             [(r["year"], _clean(r["value"])) for r in obs if r["year"] in after],
                             colour=PALETTE[5], dash="2 3"))
    title = data.title(ind)
    svg = line_chart(series, slug=f"indicator-{slug(ind['id'])}", title=title,
                     desc=t("indicator.chart_desc", lang, title=title,
                            first=years[0] if years else "", last=years[-1] if years else ""),
                     target=target, target_label=target_label,
                     y_label=t(f"unit_axis.{ind['unit']}", lang), x_values=years,
                     decimals=decimals, period_end=end if after else None,
                     after_label=t("indicator.after_period", lang))
    headers = [t("indicator.col.year", lang), t("indicator.col.value", lang)]
    has_frac = any(r.get("numerator") is not None for r in obs)
    if has_frac:
        headers += [t("indicator.col.numerator", lang), t("indicator.col.denominator", lang)]
    if benchmark_rows:
        headers.append(benchmark_label)
    if after:
        headers.append(t("indicator.col.period", lang))
    rows = []
    for i, r in enumerate(obs):
        row = [r["year"], fmt(_clean(r["value"]), decimals)]
        if has_frac:
            row += [fmt(_clean(r.get("numerator")), 0), fmt(_clean(r.get("denominator")), 2)]
        if benchmark_rows:
            row.append(fmt(benchmark_rows[i], decimals))
        if after:
            row.append(t("indicator.after_period" if r["year"] in after else
                         "indicator.in_period", lang))
        rows.append(row)
    chart = Chart(slug=f"indicator-{slug(ind['id'])}", title=title, svg=svg, headers=headers,
                  rows=rows, caption=t("indicator.chart_caption", lang, title=title),
                  source=t("indicator.chart_source", lang),
                  csv_href=csv_href(ctx, "indicator-progress", "observations"),
                  notes=[after_note(ind, sorted(after), lang)] if after else [])
    return chart_block(ctx, chart, base=base)


def after_note(ind: dict, years: list[int], lang: str) -> str:
    return t("indicator.after_note", lang, first=years[0], last=years[-1],
             year=ind["target_year"])


def _bar_chart(ctx, data: Data, ind: dict, base: str):
    """The districts in the latest year any of them reported up to the year the status is
    judged at (never after the plan period, where no target applies), as bars; None if
    city only."""
    lang = ctx.lang
    judged = data.judged_year(ind)
    per_district = {code: [r for r in rows if judged is None or r["year"] <= judged]
                    for (iid, code), rows in data.observations.items()
                    if iid == ind["id"] and code != CITY}
    per_district = {code: rows for code, rows in per_district.items() if rows}
    if not per_district:
        return None, None
    year = max(r["year"] for rows in per_district.values() for r in rows)
    codes = sorted(code for code, rows in per_district.items() if any(r["year"] == year for r in rows))
    values = [next(_clean(r["value"]) for r in per_district[code] if r["year"] == year)
              for code in codes]
    city = next((_clean(r["value"]) for r in data.observations.get((ind["id"], CITY), [])
                 if r["year"] == year), None)
    labels = [data.district_name(c) for c in codes]
    if city is not None:
        labels.append(data.district_name(CITY))
        values.append(city)
    decimals = int(ind.get("decimals") or 0)
    target = _clean(ind.get("target_value")) if ind["target_kind"] == "value" else None
    title = t("indicator.bar_title", lang, title=data.title(ind), year=year)
    name = f"indicator-{slug(ind['id'])}-districts"
    svg = bar_chart(labels, values, slug=name, title=title,
                    desc=t("indicator.bar_desc", lang, year=year), decimals=decimals,
                    reference=target, reference_label=t("indicator.target_short", lang),
                    missing_label=t("chart.no_data", lang),
                    highlight=data.district_name(CITY))
    chart = Chart(slug=name, title=title, svg=svg,
                  headers=[t("indicator.col.district", lang), t("indicator.col.value", lang)],
                  rows=[[label, fmt(v, decimals)] for label, v in zip(labels, values, strict=True)],
                  caption=title, source=t("indicator.chart_source", lang),
                  csv_href=csv_href(ctx, "indicator-progress", "observations"))
    return chart_block(ctx, chart, base=base), year


def judged_text(row: dict | None, ind: dict, lang: str) -> str:
    """The year a status is judged at, and why that year."""
    year = (row or {}).get("judged_year")
    if year is None:
        return t("indicator.none", lang)
    target = ind.get("target_year")
    key = "indicator.judged_reference" if target is not None and year < target \
        else "indicator.judged_target"
    return t(key, lang, year=year)


def _inputs(row: dict | None, ind: dict, lang: str) -> list[tuple[str, str]]:
    """The inputs of a status, as (label, text) pairs in the order the method uses them."""
    if row is None:
        return []
    decimals = int(ind.get("decimals") or 0)

    def num(value, places=None):
        return fmt(value, decimals if places is None else places) if value is not None \
            else t("indicator.none", lang)

    def pct(value):
        return t("indicator.pct", lang, value=fmt(value * 100, 2)) if value is not None \
            else t("indicator.none", lang)

    none = t("indicator.none", lang)
    target_source = row.get("target_source")
    return [
        (t("indicator.in.judged_year", lang), judged_text(row, ind, lang)),
        (t("indicator.in.base", lang), f"{row.get('base_year') or none} · {num(row.get('base_value'))}"),
        (t("indicator.in.latest", lang),
         f"{row.get('latest_year') or none} · {num(row.get('latest_value'))}"),
        (t("indicator.in.years", lang), str(row.get("years_observed"))),
        (t("indicator.in.target", lang),
         f"{num(row.get('target_value'))} · {row.get('target_year') or ''}"),
        (t("indicator.in.target_source", lang),
         t(f"indicator.target_source.{target_source}", lang) if target_source
         else t("indicator.none", lang)),
        (t("indicator.in.direction", lang), t(f"indicator.direction.{row.get('direction')}", lang)
         if row.get("direction") else t("indicator.none", lang)),
        (t("indicator.in.cagr_actual", lang), pct(row.get("cagr_actual"))),
        (t("indicator.in.cagr_needed", lang), pct(row.get("cagr_needed"))),
        (t("indicator.in.ratio", lang), num(row.get("ratio"), 3)),
    ]


def _card(data: Data, ind: dict, lang: str) -> dict:
    city = data.city_status(ind["id"])
    after = data.after_plan(ind)
    districts = [{"code": r["district_code"], "name": data.district_name(r["district_code"]),
                  "status": r["status"], "label": status_label(r["status"], lang)}
                 for r in data.district_statuses(ind["id"])]
    return {
        "id": ind["id"], "slug": slug(ind["id"]), "title": data.title(ind),
        "measure_id": ind["measure_id"], "target": target_text(ind, lang),
        "status": (city or {}).get("status") or "not_available",
        "status_label": status_label((city or {}).get("status"), lang),
        "latest": (t("indicator.latest_value", lang, year=city["latest_year"],
                     value=value_text(city.get("latest_value"), ind, lang))
                   if city and city.get("latest_year") else t("indicator.no_data", lang)),
        "judged": t("indicator.judged_at", lang, year=data.judged_year(ind))
        if data.judged_year(ind) is not None else "",
        "after": t("indicator.after_latest", lang, year=after[-1]["year"]) if after else "",
        "districts": districts,
    }


def status_counts(data: Data, lang: str) -> list[dict]:
    counts = defaultdict(int)
    for ind in data.indicators:
        row = data.city_status(ind["id"])
        counts[(row or {}).get("status") or "not_available"] += 1
    return [{"status": s, "label": status_label(s, lang), "count": counts[s]}
            for s in STATUS_ORDER]


def write(ctx) -> list:
    if not ctx.has("indicator-progress", "indicators"):
        return []
    lang = ctx.lang
    data = Data(ctx)
    groups = []
    for m in data.measures:
        inds = data.by_measure.get(m["id"], [])
        if inds:
            groups.append({"id": m["id"], "label": data.measure_label(m["id"]),
                           "cards": [_card(data, ind, lang) for ind in inds]})
    district_codes = sorted({r["district_code"] for r in data.status.values()
                             if r["district_code"] != CITY})
    ctx.render("indicators/index.md", "indicators_index.md.j2", groups=groups,
               counts=status_counts(data, lang),
               districts=[{"code": c, "name": data.district_name(c)} for c in district_codes],
               downloads=_downloads(ctx), stamp=stamp(ctx, "indicator-progress"))
    for ind in data.indicators:
        _write_indicator(ctx, data, ind)
    return [{str(escape(t("nav.indicators", lang))): "indicators/index.md"}]


def _downloads(ctx, base: str = "../") -> list[dict]:
    out = []
    for package, resource in DOWNLOADS:
        href = csv_href(ctx, package, resource)
        if href:
            out.append({"href": base + href, "label": t(f"indicator.download.{resource}", ctx.lang)})
    return out


def _write_indicator(ctx, data: Data, ind: dict) -> None:
    lang = ctx.lang
    base = "../../"
    city = data.city_status(ind["id"])
    after = data.after_plan(ind)
    bar, bar_year = _bar_chart(ctx, data, ind, base)
    districts = []
    for r in data.district_statuses(ind["id"]):
        districts.append({
            "name": data.district_name(r["district_code"]), "code": r["district_code"],
            "status": r["status"], "label": status_label(r["status"], lang),
            "reason": t(f"progress.reason.{r['reason']}", lang) if r.get("reason") else "",
            "base": f"{r.get('base_year') or ''} · {fmt(r.get('base_value'), ind['decimals'] or 0)}",
            "latest": f"{r.get('latest_year') or ''} · "
                      f"{fmt(r.get('latest_value'), ind['decimals'] or 0)}",
            "ratio": fmt(r.get("ratio"), 3),
            "note": (data.districts.get(r["district_code"]) or {}).get(
                "boundary_note_en" if lang == "en" else "boundary_note") or "",
        })
    roles = []
    for r in data.responsibilities.get(ind["measure_id"], []):
        roles.append({"code": r["department_code"], "slug": slug(r["department_code"]),
                      "name": data.department_name(r["department_code"]),
                      "role": t(f"plan.role.{r['role']}", lang), "listed_as": r.get("listed_as")})
    page = {
        "id": ind["id"], "title": data.title(ind), "title_other": ind.get("title_en") if lang == "zh"
        else ind.get("title"),
        "measure_id": ind["measure_id"], "measure": data.measure_label(ind["measure_id"]),
        "clause": ind.get("clause") or "", "scope": ind.get("scope") or "",
        "target": target_text(ind, lang),
        "target_status": t(f"indicator.target_status.{ind['target_status']}", lang),
        "target_known": ind["target_kind"] != "value" or _clean(ind.get("target_value")) is not None,
        "provenance": ind.get("provenance") or "",
        "status": (city or {}).get("status") or "not_available",
        "status_label": status_label((city or {}).get("status"), lang),
        "reason": t(f"progress.reason.{city['reason']}", lang) if city and city.get("reason") else "",
        "inputs": _inputs(city, ind, lang),
        "breakdown": ind.get("breakdown"),
        "judged_year": data.judged_year(ind),
        "after_note": after_note(ind, [r["year"] for r in after], lang) if after else "",
    }
    ctx.render(f"indicators/{slug(ind['id'])}/index.md", "indicators_page.md.j2", p=page,
               line=_line_chart(ctx, data, ind, base), bar=bar, bar_year=bar_year,
               districts=districts, roles=roles, downloads=_downloads(ctx, base),
               stamp=stamp(ctx, "indicator-progress"))
