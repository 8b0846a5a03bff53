"""Observations of the plan's indicators, yearly from the base year 2012 to the last complete
year of the data (the plan's targets stay those of its period, mostly 2015; later years show
what happened after it), derived from the other synthetic tables wherever the data allows it:

- the three rates and the accident/death counts are the city's rows of annual_outcomes;
- standardisation rates (``m03-std-*``) are the share of the indicator's sector/scale firms
  operating at year end that hold a valid certificate then (certificates table);
- the major-hazard rectification rate is the share of supervised hazards due that year
  that were rectified by their deadline (hazards table);
- other percentages, counts and milestones move toward their target along a noisy path
  (a null target gets a notional one so the series still moves); after the target year a
  percentage keeps closing part of its remaining gap each year, a count or milestone stays.

Districts are the units valid at year end (2015: after the reform); an indicator broken
down by district also gets a city row whose numerator and denominator are the districts'
sums, so progress can be shown for the city as a whole.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import numpy as np

from pipeline.synth import geography as geo
from pipeline.synth.dates import (
    DATA_END,
    LAST_FULL_YEAR,
    OBSERVATIONS_START,
    day,
    year_of,
)
from pipeline.synth.enterprises import Enterprises

YEARS = range(OBSERVATIONS_START, LAST_FULL_YEAR + 1)

def _rates() -> dict[str, tuple[str, str, str]]:
    """Indicator unit → (rate column, numerator, denominator) of the configuration's rates."""
    from pipeline.config import current

    return {spec["unit"]: (rate, spec["numerator"], spec["denominator"])
            for rate, spec in current().rate_formulas.items()}


NOTE_2015 = "2015-04-28区划调整后边界变化，与以前年度不可比"
# Rough sizes of the units a percentage counts (villages, schools, workplaces) per unit weight.
BASE_SIZE = {"m02-village-inspectors": 900, "m08-school-safety-facilities": 1100}
DEFAULT_BASE_SIZE = 6000


def read_indicators(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return sorted(csv.DictReader(fh), key=lambda r: r["id"])


def generate(rng: np.random.Generator, indicators: list[dict], outcomes: dict, firms: Enterprises, certs: dict,
             haz: dict) -> dict:
    rows = []  # (indicator_id, district, year, value, numerator, denominator, note) as text
    rates = _rates()
    for ind in indicators:
        unit, dec = ind["unit"], int(ind["decimals"] or 0)
        if unit in rates or unit in ("accidents", "deaths"):
            rows.extend(_from_outcomes(ind, outcomes, rates))
        elif unit == "percent":
            rows.extend(_percent(ind, dec, firms, certs, haz))
        else:
            rows.extend(_count(rng, ind, dec))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    cols = list(zip(*rows))
    return {"indicator_id": np.array(cols[0]), "district_code": np.array(cols[1]),
            "year": np.array(cols[2], dtype=np.int64),
            **{name: np.array(c, dtype=object) for name, c in
               zip(("value", "numerator", "denominator", "note"), cols[3:])}}


def _from_outcomes(ind, out, rates) -> list[tuple]:
    rows = []
    city = np.flatnonzero(out["district_code"] == geo.CITY)
    for i in city:
        year = int(out["year"][i])
        if year not in YEARS:
            continue
        if ind["unit"] in rates:
            rate, num, den = rates[ind["unit"]]
            value = _fmt_col(out[rate], i)
            rows.append((ind["id"], str(geo.CITY), year, value, _fmt_col(out[num], i),
                         _fmt_col(out[den], i), None))
        else:
            rows.append((ind["id"], str(geo.CITY), year, _fmt_col(out[ind["unit"]], i), None, None, None))
    return rows


def _fmt_col(col, i) -> str:
    """The cell exactly as annual_outcomes writes it, so the two tables agree to the byte."""
    if isinstance(col, tuple):
        values, dp = col
        return f"{values[i]:.{dp}f}"
    return str(col[i])


def _units(year: int) -> np.ndarray:
    return geo.units_on(day(f"{year}-12-31"))


def _percent(ind, dec, firms, certs, haz) -> list[tuple]:
    rows = []
    for year in YEARS:
        units, num, den = _percent_counts(ind, year, firms, certs, haz)
        keep = den > 0  # a unit with nothing to count has no rate
        for unit, n, d in zip(units[keep], num[keep], den[keep]):
            note = NOTE_2015 if year == 2015 and unit in geo.BOUNDARY_CHANGED else None
            rows.append(_pct_row(ind, str(unit), year, n, d, dec, note))
        if ind["breakdown"] == "district":
            rows.append(_pct_row(ind, str(geo.CITY), year, num.sum(), den.sum(), dec, None))
    return rows


def _pct_row(ind, unit, year, n, d, dec, note) -> tuple:
    return (ind["id"], unit, year, f"{100 * n / d:.{dec}f}", str(int(n)), str(int(d)), note)


def _percent_counts(ind, year, firms, certs, haz):
    """(units, numerators, denominators) for a percentage indicator in ``year``."""
    year_end = day(f"{year}-12-31")
    units = _units(year)
    where = firms.district_on(np.full(len(firms), year_end), np.arange(len(firms)))
    exists = firms.operating(year_end)
    if ind["breakdown"] == "city":
        units_for = np.full(len(firms), geo.CITY)
        units = np.array([geo.CITY])
    else:
        units_for = where
    sector, scale = ind.get("sector_code") or "", ind.get("enterprise_scale") or ""
    pool = exists.copy()
    if sector:
        pool &= firms.sector == sector
    if scale:
        pool &= firms.above == (scale == "above")

    if ind["id"].startswith("m03-std-"):
        valid = (certs["issued"] <= year_end) & (year_end < certs["expires"])
        holder = np.zeros(len(firms), dtype=bool)
        holder[certs["_owner"][valid]] = True
        den = np.array([np.sum(pool & (units_for == u)) for u in units])
        num = np.array([np.sum(pool & holder & (units_for == u)) for u in units])
        return units, num, den
    if ind["id"] == "m04-major-hazard-rectification":
        due = (year_of(haz["deadline"]) == year) & (haz["deadline"] <= DATA_END)
        ok = due & ~np.isnat(haz["rectified"]) & (haz["rectified"] <= haz["deadline"])
        hunits = haz["district_code"] if ind["breakdown"] == "district" else np.full(len(due), geo.CITY)
        # a hazard listed before the reform in an abolished unit counts for its successor
        hunits = geo.current(hunits) if year >= 2015 else hunits
        den = np.array([np.sum(due & (hunits == u)) for u in units])
        num = np.array([np.sum(ok & (hunits == u)) for u in units])
        return units, num, den
    if scale:  # baseline acceptance: all firms of that scale are the base
        den = np.array([np.sum(pool & (units_for == u)) for u in units])
    else:
        weights = np.array([geo.weight(int(u), year) if u != geo.CITY else 1.0 for u in units])
        size = BASE_SIZE.get(ind["id"], DEFAULT_BASE_SIZE)
        den = np.round(size * weights * _stable_noise(ind["id"], units)).astype(np.int64)
    share = _share(ind, year, len(units))
    num = np.minimum(den, np.round(den * share)).astype(np.int64)
    return units, num, den


def _stable_noise(key: str, units) -> np.ndarray:
    """The same base size every year for an indicator and unit (a base that jumped around
    from year to year would make the rates meaningless)."""
    seed = [int(u) for u in units] + [zlib.crc32(key.encode())]
    return np.random.default_rng(seed).uniform(0.85, 1.15, len(units))


def _share(ind, year, k) -> np.ndarray:
    """Fraction meeting the requirement: from 45–70% in 2012 toward the target by its year,
    stopping a little short in some units, then closing a quarter of the remaining gap each
    year after it; deterministic per indicator and unit."""
    target = float(ind["target_value"]) / 100 if ind["target_value"] else 0.9
    t_year = int(ind["target_year"] or 2015)
    g = np.random.default_rng([zlib.crc32(ind["id"].encode()), k])
    start = g.uniform(0.45, 0.70, k)
    reach = target * g.uniform(0.93, 1.0, k)
    if year > t_year:
        return reach + (target - reach) * (1 - 0.75 ** (year - t_year))
    progress = min(1.0, (year - 2012) / max(1, t_year - 2012))
    return start + (reach - start) * progress


def _count(rng, ind, dec) -> list[tuple]:
    target = float(ind["target_value"]) if ind["target_value"] else None
    t_year = int(ind["target_year"] or 2015)
    rows = []
    if ind["unit"] == "milestone":
        done_year = t_year - int(rng.integers(0, 2))
        values = [1 if y >= done_year else 0 for y in YEARS]
    else:
        goal = target if target is not None else float(rng.integers(2, 5))
        start = float(rng.uniform(0.2, 0.5))
        values = []
        for y in YEARS:
            progress = min(1.0, (y - 2012) / max(1, t_year - 2012))
            values.append(int(np.floor(goal * (start + (1 - start) * progress) + rng.uniform(-0.3, 0.3))))
        values = list(np.maximum.accumulate(np.maximum(values, 0)))
    for y, v in zip(YEARS, values):
        rows.append((ind["id"], str(geo.CITY), y, f"{v:.{dec}f}", None, None, None))
    return rows
