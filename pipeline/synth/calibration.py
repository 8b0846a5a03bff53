"""The real published figures the synthetic series must agree with.

The figures are read from the real ``published-statistics/figures`` table (one row per
figure, each with its statistical scope); nothing here repeats a value. A synthetic series
is calibrated to a real figure only when both count the same thing on the same basis:
``SYNTHETIC_SCOPE`` says, for each measure the generator produces for the whole city, which
scope it is on. A figure of another scope is never put in that series (the 2013
production-safety count of 121 deaths is on a narrower basis than the all-kinds 317 of 2011
and 164 of January–August 2012, and the synthetic deaths are all kinds).

- ``gdp``: annual_outcomes.gdp_100m_yuan is GDP at current prices, like the statistics
  bureau's figures; growth at comparable prices (``gdp_growth``) has no synthetic series.
- ``deaths`` and ``deaths_change``: the synthetic deaths are those of production-safety
  accidents of every kind, road traffic, fire, waterway, rail, farm machinery and fishing
  included (every sector counts in the GDP rate), which is the all-kinds scope. The change
  on the same period of the previous year fixes that period's deaths too.
- accident counts, injured and losses have no counterpart: the synthetic accidents table
  holds only accidents with a death or a serious injury, so its counts, injuries (serious
  only) and losses cover fewer accidents than "all kinds" (1,772 accidents and 1,427 injured
  against 317 deaths in 2011). Deaths are the same on both bases: an accident left out has
  none.
- registered population: the generator has no population series.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FIGURES = Path("published-statistics") / "data" / "figures.csv"

# measure → scope of the generator's city-wide series for it (no entry: no such series)
SYNTHETIC_SCOPE = {
    "gdp": "gdp_current_prices",
    "deaths": "all_kinds",
    "deaths_change": "all_kinds",
}


def _city() -> str:
    """The whole city's code (``site.city.code`` of portal.yml): its figures calibrate."""
    from pipeline.config import current

    return current().site.city_code


@dataclass(frozen=True)
class Figure:
    figure_id: str
    measure: str
    value: float
    unit: str
    start: np.datetime64
    end: np.datetime64
    geography: str
    scope: str
    decimals: int  # as published ("-2.76" → 2)


def read(real: Path) -> list[Figure]:
    """Every row of the real figures table; an empty list if the package is absent."""
    path = Path(real) / FIGURES
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [Figure(r["figure_id"], r["measure"], float(r["value"]), r["unit"],
                       np.datetime64(r["period_start"], "D"), np.datetime64(r["period_end"], "D"),
                       r["geography_code"], r["scope"], _decimals(r["value"]))
                for r in csv.DictReader(fh)]


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def calibrating(figures: list[Figure], measure: str) -> list[Figure]:
    """The city-wide figures of ``measure`` on the scope of the generator's series."""
    scope = SYNTHETIC_SCOPE.get(measure)
    return [f for f in figures
            if f.measure == measure and f.scope == scope and f.geography == _city()]


def gdp_targets(figures: list[Figure]) -> dict[int, int]:
    """{year: city GDP in 0.01 亿元} for every calendar year with a real figure."""
    out = {}
    for f in calibrating(figures, "gdp"):
        year = int(str(f.start)[:4])
        if (str(f.start), str(f.end), f.unit) != (f"{year}-01-01", f"{year}-12-31", "亿元"):
            raise ValueError(f"{f.figure_id}: GDP calibration needs a calendar year in 亿元")
        out[year] = round(f.value * 100)
    return out


def anchor(values: np.ndarray, years: list[int], targets: dict[int, int]) -> np.ndarray:
    """``values`` (one per year, 亿元) moved onto the targets (0.01 亿元) in their years.

    Between two anchored years the correction factor moves geometrically from one to the
    other, so the synthetic growth between them keeps its shape; before the first and after
    the last anchored year it stays that year's factor.
    """
    values = np.asarray(values, dtype=float)
    anchored = [i for i, y in enumerate(years) if y in targets]
    if not anchored:
        return values
    log_factor = np.log(np.array([targets[years[i]] / 100 for i in anchored]) / values[anchored])
    factor = np.exp(np.interp(np.arange(len(years)), anchored, log_factor))
    out = values * factor
    for i in anchored:
        out[i] = targets[years[i]] / 100
    return out


def previous_period(start: np.datetime64, end: np.datetime64) -> tuple[np.datetime64, np.datetime64]:
    """The same days one year earlier (the periods here never include 29 February)."""
    def back(d):
        y, rest = str(d)[:4], str(d)[4:]
        return np.datetime64(f"{int(y) - 1}{rest}", "D")
    return back(start), back(end)


def count_before(now: int, change_percent: float, decimals: int) -> int:
    """The count a period earlier from which ``now`` is a change of ``change_percent`` (as
    published, to ``decimals``); refuses a change no whole number gives."""
    guess = round(now / (1 + change_percent / 100))
    for before in sorted(range(max(1, guess - 3), guess + 4), key=lambda b: abs(b - guess)):
        if round((now / before - 1) * 100, decimals) == change_percent:
            return before
    raise ValueError(f"no whole number changes to {now} by {change_percent}%")


def death_targets(figures: list[Figure]) -> list[tuple[np.datetime64, np.datetime64, int]]:
    """(first day, last day, deaths) the synthetic accidents must have, city-wide.

    A death count fixes its period; a change on the previous year fixes the same period a
    year earlier (given the count of the period itself). Two figures for one period must
    agree, and any two periods must be nested or apart (so each can be met exactly).
    """
    counts = {(f.start, f.end): int(f.value) for f in calibrating(figures, "deaths")}
    if any(f.value != int(f.value) for f in calibrating(figures, "deaths")):
        raise ValueError("a death count must be a whole number")
    targets = dict(counts)
    for f in calibrating(figures, "deaths_change"):
        if (f.start, f.end) not in counts:
            raise ValueError(f"{f.figure_id}: a change needs the count of its own period")
        before = previous_period(f.start, f.end)
        value = count_before(counts[(f.start, f.end)], f.value, f.decimals)
        if targets.get(before, value) != value:
            raise ValueError(f"{f.figure_id}: disagrees with the deaths of {before}")
        targets[before] = value
    out = sorted(((a, b, v) for (a, b), v in targets.items()), key=lambda t: (t[0], -int((t[1] - t[0]).astype(int))))
    for i, (a1, b1, _) in enumerate(out):
        for a2, b2, _ in out[i + 1:]:
            overlap = a2 <= b1 and a1 <= b2
            nested = (a1 <= a2 and b2 <= b1) or (a2 <= a1 and b1 <= b2)
            if overlap and not nested:
                raise ValueError(f"death periods {a1}–{b1} and {a2}–{b2} overlap without nesting")
    return out
