"""Indicator progress: a dashboard of every indicator of the plan and one page per indicator.

Statuses, their inputs and the observations come from the catalog (``derived/progress_status``
and ``indicator-progress``); nothing is recomputed here, so a page shows exactly the row
that a journalist downloads. Views are plain dicts of raw values, escaped when rendered.
"""

from __future__ import annotations

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.chart_block import Area, Chart, chart_block
from pipeline.pages.charts import PALETTE, Series, bar_chart, fmt, line_chart
from pipeline.pages.core import (
    CONTROL_OF_UNIT,
    Data,
    clean,
    indicator_card,
    slug,
    status_counts,
    status_label,
    target_text,
)
from pipeline.pages.dates import stamp
from pipeline.pages.reuse import page_reuse

DOWNLOADS = (("indicator-progress", "indicators"), ("indicator-progress", "observations"),
             ("derived", "progress_status"))


def _line_chart(ctx, data: Data, ind: dict, base: str) -> object:
    lang = ctx.lang
    obs = data.observations.get((ind["id"], data.city), [])
    years = [r["year"] for r in obs]
    decimals = int(ind.get("decimals") or 0)
    # Years after the target year are after the plan period: their own series, no target.
    end = ind.get("target_year")
    after = {r["year"] for r in data.after_plan(ind)}
    series = [Series(t("indicator.series_city", lang),
                     [(r["year"], clean(r["value"])) for r in obs if r["year"] not in after])]
    target, target_label = None, ""
    benchmark_rows, benchmark_label = [], ""
    if ind["target_kind"] == "value" and clean(ind.get("target_value")) is not None:
        target = float(ind["target_value"])
        target_label = t("indicator.target_line", lang, year=ind["target_year"])
    elif ind["target_kind"] == "below_provincial_average":
        # The provincial average is data (a comparison line), published for every year.
        rate = data.rate_of_unit.get(ind["unit"])
        bench = data.benchmarks.get(rate, {})
        benchmark_label = t("indicator.series_province", lang)
        series.append(Series(benchmark_label, [(y, bench.get(y)) for y in years], dashed=True))
        benchmark_rows = [bench.get(y) for y in years]
    elif ind["target_kind"] == "below_control_target":
        control = data.controls.get((data.city, CONTROL_OF_UNIT.get(ind["unit"], "")), {})
        # Drawn as the plan's target only within the plan period; the table lists them all.
        target = {y: control.get(y) for y in years
                  if control.get(y) is not None and y not in after}
        target_label = benchmark_label = t("indicator.control_line", lang)
        benchmark_rows = [control.get(y) for y in years]
    if after:
        series.append(Series(t("indicator.series_after", lang),
                             [(r["year"], clean(r["value"])) for r in obs if r["year"] in after],
                             colour=PALETTE[5], dash="2 3"))
    title = data.title(ind)
    areas = _areas(data, ind)
    plot = line_chart(series, target=target, target_label=target_label,
                      y_label=t(f"unit_axis.{ind['unit']}", lang), x_values=years,
                      decimals=decimals, period_end=end if after else None,
                      after_label=t("indicator.after_period", lang),
                      extra=[v for a in areas for v in a.values.values()])
    headers = [t("indicator.col.year", lang), t("indicator.col.value", lang)]
    has_frac = any(r.get("numerator") is not None for r in obs)
    if has_frac:
        headers += [t("indicator.col.numerator", lang), t("indicator.col.denominator", lang)]
    if benchmark_rows:
        headers.append(benchmark_label)
    if after:
        headers.append(t("indicator.col.period", lang))
    # denominators that are counts (workers, vehicles) print as integers, amounts (GDP in
    # 100 million yuan) with two decimals: an employee count is not "1838800.00"
    counts = all(float(clean(r.get("denominator")) or 0).is_integer() for r in obs)
    rows = []
    for i, r in enumerate(obs):
        row = [r["year"], fmt(clean(r["value"]), decimals)]
        if has_frac:
            row += [fmt(clean(r.get("numerator")), 0),
                    fmt(clean(r.get("denominator")), 0 if counts else 2)]
        if benchmark_rows:
            row.append(fmt(benchmark_rows[i], decimals))
        if after:
            row.append(t("indicator.after_period" if r["year"] in after else
                         "indicator.in_period", lang))
        rows.append(row)
    chart = Chart(slug=f"indicator-{slug(ind['id'])}", title=title, plot=plot, headers=headers,
                  rows=rows, caption=t("indicator.chart_caption", lang, title=title),
                  desc=t("indicator.chart_desc", lang, title=title,
                         first=years[0] if years else "", last=years[-1] if years else ""),
                  source=t("indicator.chart_source", lang), table="indicator-progress/observations",
                  unit=t(f"unit_axis.{ind['unit']}", lang), areas=areas,
                  notes=[after_note(ind, sorted(after), lang)] if after else [],
                  page=f"indicators/{slug(ind['id'])}/")
    return chart_block(ctx, chart, base=base)


def _areas(data: Data, ind: dict) -> list[Area]:
    """Each district's observations of ``ind`` by year (lines a reader may add; the map)."""
    return [Area(code, data.district_name(code), {r["year"]: clean(r["value"]) for r in obs})
            for (iid, code), obs in sorted(data.observations.items())
            if iid == ind["id"] and code != data.city and obs]


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
                    if iid == ind["id"] and code != data.city}
    per_district = {code: rows for code, rows in per_district.items() if rows}
    if not per_district:
        return None, None
    year = max(r["year"] for rows in per_district.values() for r in rows)
    codes = sorted(code for code, rows in per_district.items() if any(r["year"] == year for r in rows))
    values = [next(clean(r["value"]) for r in per_district[code] if r["year"] == year)
              for code in codes]
    city = next((clean(r["value"]) for r in data.observations.get((ind["id"], data.city), [])
                 if r["year"] == year), None)
    labels = [data.district_name(c) for c in codes]
    if city is not None:
        labels.append(data.district_name(data.city))
        values.append(city)
    decimals = int(ind.get("decimals") or 0)
    target = clean(ind.get("target_value")) if ind["target_kind"] == "value" else None
    title = t("indicator.bar_title", lang, title=data.title(ind), year=year)
    name = f"indicator-{slug(ind['id'])}-districts"
    plot = bar_chart(labels, values, decimals=decimals, reference=target,
                     reference_label=t("indicator.target_short", lang),
                     missing_label=t("chart.no_data", lang),
                     highlight=data.district_name(data.city), value_label=data.title(ind))
    chart = Chart(slug=name, title=title, plot=plot, desc=t("indicator.bar_desc", lang, year=year),
                  headers=[t("indicator.col.district", lang), t("indicator.col.value", lang)],
                  rows=[[label, fmt(v, decimals)] for label, v in zip(labels, values, strict=True)],
                  caption=title, source=t("indicator.chart_source", lang),
                  table="indicator-progress/observations", unit=t(f"unit_axis.{ind['unit']}", lang),
                  areas=[Area(code, data.district_name(code), {year: v})
                         for code, v in zip(codes, values, strict=False)], year=year,
                  page=f"indicators/{slug(ind['id'])}/")
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
                           "cards": [indicator_card(data, ind, lang) for ind in inds]})
    district_codes = sorted({r["district_code"] for r in data.status.values()
                             if r["district_code"] != data.city})
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
        href = ctx.download(package, resource)
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
        "clause": ind.get("clause") or "", "clause_en": ind.get("clause_en") or "",
        "scope": (lang == "en" and ind.get("scope_en")) or ind.get("scope") or "",
        "target": target_text(ind, lang),
        "target_status": t(f"indicator.target_status.{ind['target_status']}", lang),
        "target_known": ind["target_kind"] != "value" or clean(ind.get("target_value")) is not None,
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
               stamp=stamp(ctx, "indicator-progress"),
               reuse=page_reuse(ctx, title=page["title"], path=f"indicators/{slug(ind['id'])}/",
                                key=f"indicator-{ind['id']}", base=base,
                                packages=list(dict.fromkeys(package for package, _ in DOWNLOADS))))
