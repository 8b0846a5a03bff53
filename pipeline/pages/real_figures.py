"""Real published figures beside the synthetic values calibrated to them.

For the methodology page on synthetic data: each real figure (published-statistics/figures)
whose scope is that of a synthetic series (``synth.calibration.SYNTHETIC_SCOPE``: the city's
GDP at current prices, deaths of all kinds of accidents) is shown with its source and
reliability, marked real, next to the value the synthetic tables hold, marked synthetic.
Figures of other scopes get no synthetic value: they have no counterpart, and putting one
beside them would invite a comparison across scopes.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from pipeline.i18n import t
from pipeline.synth.calibration import SYNTHETIC_SCOPE

PACKAGE, RESOURCE = "published-statistics", "figures"
UNITS = {"亿元": "100m_yuan", "%": "percent", "人": "persons", "起": "accidents", "万元": "10k_yuan",
         "万人": "10k_persons"}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def period_text(start: dt.date, end: dt.date, lang: str) -> str:
    """2010年 / 2010, 2012年1—8月 / January–August 2012."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return t("figures.period.year", lang, year=start.year)
    return t("figures.period.months", lang, year=start.year, first=start.month, last=end.month,
             first_en=MONTHS_EN[start.month - 1], last_en=MONTHS_EN[end.month - 1])


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _decimals(value: float, unit: str) -> int:
    if unit in ("人", "起"):
        return 0
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text else 0


def _one_year_earlier(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1)


def _deaths(accidents, start: dt.date, end: dt.date) -> int:
    dates = accidents.column("date")
    inside = pc.and_(pc.greater_equal(dates, start), pc.less_equal(dates, end))
    return int(pc.sum(accidents.filter(inside).column("deaths")).as_py() or 0)


def _synthetic(ctx, fig: dict) -> str | None:
    """The synthetic tables' value for ``fig``, formatted as the real one; None if absent."""
    start, end, decimals = fig["period_start"], fig["period_end"], _decimals(fig["value"], fig["unit"])
    if fig["measure"] == "gdp" and ctx.has("accident-outcomes", "annual_outcomes"):
        out = ctx.table("accident-outcomes", "annual_outcomes")
        rows = out.filter(pc.and_(pc.equal(out.column("district_code"), fig["geography_code"]),
                                  pc.equal(out.column("year"), start.year))).column("gdp_100m_yuan")
        return None if len(rows) != 1 or rows[0].as_py() is None else _number(rows[0].as_py(), 2)
    if fig["measure"] in ("deaths", "deaths_change") and ctx.has("accident-outcomes", "accidents"):
        accidents = ctx.table("accident-outcomes", "accidents")
        now = _deaths(accidents, start, end)
        if fig["measure"] == "deaths":
            return str(now)
        before = _deaths(accidents, _one_year_earlier(start), _one_year_earlier(end))
        return None if not before else _number((now / before - 1) * 100, decimals)
    return None


def comparison(ctx) -> list[dict[str, str]]:
    """One row per real figure with a synthetic counterpart of the same scope."""
    if not ctx.has(PACKAGE, RESOURCE):
        return []
    lang = ctx.lang
    rows = []
    order = list(SYNTHETIC_SCOPE)  # GDP first, then deaths and their changes
    figures = [f for f in ctx.table(PACKAGE, RESOURCE).to_pylist() if f["measure"] in order]
    figures.sort(key=lambda f: (order.index(f["measure"]), f["period_start"], -f["period_end"].toordinal()))
    for fig in figures:
        if SYNTHETIC_SCOPE.get(fig["measure"]) != fig["scope"]:
            continue
        synthetic = _synthetic(ctx, fig)
        if synthetic is None:
            continue
        unit = t(f"figures.unit.{UNITS[fig['unit']]}", lang)
        rows.append({
            "figure": t(f"figures.measure.{fig['measure']}", lang),
            "scope": t(f"figures.scope.{fig['scope']}", lang),
            "period": period_text(fig["period_start"], fig["period_end"], lang),
            "real": _number(fig["value"], _decimals(fig["value"], fig["unit"])),
            "synthetic": synthetic,
            "unit": unit,
            "source": fig["source"],
            "reliability": t(f"figures.reliability.{fig['reliability']}", lang),
        })
    return rows
