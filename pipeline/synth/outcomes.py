"""Annual outcomes per unit and year, provincial benchmarks and control targets.

Counts are sums of the accident rows; the city row is the sum of its units. Denominators
(GDP in 亿元, industrial employees, motor vehicles) follow a smooth growth path split by
each unit's economic weight. A unit that existed for part of 2015 gets a row flagged
``partial_year`` with null denominators and rates (its boundary did not last the year), so
in 2015 the city's denominators are the city's own totals, not the sum of the full-year
units; every other year they are exactly that sum. From 2016 on the units are the six of the
new divisions, each for the whole year. In every year with a real published GDP figure of
the city (``published-statistics/figures``, GDP at current prices: 2010, 2011, 2014, 2015) the
city's GDP is that figure, and the years between follow the synthetic growth moved onto them
(``calibration.anchor``).

Years run from 2010 to the last complete year (LAST_FULL_YEAR): there is no row for the
year in which the data end, because half a year's deaths divided by a whole year's GDP, or
compared with a whole year's control target or provincial average, is not a figure anyone
publishes (the accidents of those months are in the accidents table).
"""

from __future__ import annotations

import numpy as np

from pipeline.synth import calibration
from pipeline.synth import geography as geo
from pipeline.synth.accidents import (
    DEATHS,
    DEATHS_P,
    INDUSTRIAL,
    KINDS,
    Accidents,
    expected_deaths,
)
from pipeline.synth.dates import LAST_FULL_YEAR

YEARS = range(2010, LAST_FULL_YEAR + 1)
# Yearly growth after each year from 2010 (nominal GDP, industrial employees, motor
# vehicles), one value per year from 2011; a year past the list repeats the last value.
GDP_GROWTH = [0.14, 0.12, 0.11, 0.10, 0.09,  # 2011-2015
              0.08, 0.09, 0.08, 0.07, 0.035, 0.12, 0.06, 0.06, 0.05, 0.05]  # 2016-2025
EMP_GROWTH = [0.02, 0.015, 0.01, 0.01, 0.005,
              0.005, 0.0, 0.0, -0.005, -0.01, 0.01, 0.0, -0.005, 0.0, 0.0]
VEH_GROWTH = [0.09, 0.08, 0.08, 0.07, 0.06,
              0.07, 0.07, 0.06, 0.06, 0.05, 0.05, 0.04, 0.04, 0.03, 0.03]

NOTE_CHANGED = "2015-04-28区划调整后边界变化，2015年与以前年度不可比"
NOTE_FIRST_FULL = "2015-04-28区划调整后第一个完整年度，与2015年及以前年度不可比"
NOTE_PARTIAL = {320405: "2015-04-27撤销并入武进区：仅含1月1日至4月27日的事故，无分母和死亡率",
                320482: "2015-04-27撤市设区：仅含1月1日至4月27日的事故，无分母和死亡率",
                320413: "2015-04-28设立：仅含4月28日至12月31日的事故，无分母和死亡率"}
NOTE_CITY_2015 = "事故数为各辖市区之和；分母为全市全年数(部分年度单位无分母)"


def _growth_path(rng, start: float, rates: list[float], sd: float) -> np.ndarray:
    """Values for every year of YEARS, starting at ``start``."""
    steps = len(YEARS) - 1
    rates = (list(rates) + [rates[-1]] * steps)[:steps]
    growth = np.asarray(rates) + rng.normal(0.0, sd, steps)
    return start * np.cumprod(np.r_[1.0, 1.0 + growth])


def generate(rng: np.random.Generator, acc: Accidents, gdp_targets: dict[int, int] | None = None) -> dict:
    """``gdp_targets``: {year: city GDP in 0.01 亿元} from the real published figures
    (``calibration.gdp_targets``); the synthetic path is moved onto them."""
    gdp_city = _growth_path(rng, rng.uniform(3020, 3080), GDP_GROWTH, 0.005)
    gdp_city = calibration.anchor(gdp_city, list(YEARS), gdp_targets or {})
    emp_city = _growth_path(rng, rng.uniform(1.70e6, 1.76e6), EMP_GROWTH, 0.004)
    veh_city = _growth_path(rng, rng.uniform(0.67e6, 0.71e6), VEH_GROWTH, 0.01)

    year_of = acc["date"].astype("datetime64[Y]").astype(np.int64) + 1970
    industrial = np.isin(acc["sector_code"], INDUSTRIAL)
    road = acc["sector_code"] == "road"
    rows = []
    for y_i, year in enumerate(YEARS):
        units = geo.units_in_year(year)
        full = [c for c, partial in units if not partial]
        weights = np.array([geo.weight(c, year) for c in full])
        shares = weights * rng.lognormal(0.0, 0.03, len(full))
        covered = weights.sum()  # 1.0, or less in 2015 (金坛 is partial-year)
        shares = shares / shares.sum() * covered
        # integer units (0.01 亿元, persons, vehicles) so the city sum is exact
        gdp = dict(zip(full, _split(gdp_city[y_i] * 100, shares)))
        emp = dict(zip(full, _split(emp_city[y_i], shares)))
        veh = dict(zip(full, _split(veh_city[y_i], shares)))
        in_year = year_of == year
        year_rows = []
        for code, partial in units:
            m = in_year & (acc["district_code"] == code)
            note = (NOTE_PARTIAL.get(code) if partial
                    else NOTE_CHANGED if year == 2015 and code in geo.BOUNDARY_CHANGED
                    else NOTE_FIRST_FULL if year == 2016 and code in geo.BOUNDARY_CHANGED
                    else None)
            year_rows.append(_row(code, year, partial, m, acc, industrial, road,
                                  gdp.get(code), emp.get(code), veh.get(code), note))
        city = {k: sum(r[k] for r in year_rows) for k in
                ("accidents", "deaths", "industrial_deaths", "road_deaths")}
        if year == 2015:
            den = (round(float(gdp_city[y_i]) * 100), round(float(emp_city[y_i])), round(float(veh_city[y_i])))
        else:
            den = (sum(gdp.values()), sum(emp.values()), sum(veh.values()))
        rows.append(_rates(dict(district_code=geo.CITY, year=year, partial_year=False, **city,
                                gdp=den[0], emp=den[1], veh=den[2],
                                boundary_note=NOTE_CITY_2015 if year == 2015 else None)))
        rows.extend(year_rows)
    rows.sort(key=lambda r: (str(r["district_code"]), r["year"]))
    return {
        "annual_outcomes": _outcome_columns(rows),
        "provincial_benchmarks": _benchmarks(rng, rows),
        "control_targets": _targets(rng, acc),
    }


def _split(total: float, shares: np.ndarray) -> np.ndarray:
    """Integers proportional to ``shares`` summing to round(total × sum(shares)) (largest
    remainder), so that a whole city's figure (shares summing to 1) is met exactly."""
    whole = round(total * float(shares.sum()))
    raw = total * shares
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(-(raw - out), kind="stable")[: whole - int(out.sum())]] += 1
    return out


def _row(code, year, partial, m, acc, industrial, road, gdp, emp, veh, note) -> dict:
    return _rates({
        "district_code": code, "year": year, "partial_year": partial,
        "accidents": int(m.sum()), "deaths": int(acc["deaths"][m].sum()),
        "industrial_deaths": int(acc["deaths"][m & industrial].sum()),
        "road_deaths": int(acc["deaths"][m & road].sum()),
        "gdp": gdp, "emp": emp, "veh": veh, "boundary_note": note})


# The generator's own rate of each numerator (computed in _rates from its model's units).
_MODEL_RATE = {"deaths": "gdp_rate", "industrial_deaths": "ind_rate", "road_deaths": "road_rate"}


def _rate_columns() -> list[tuple[str, str, int]]:
    """(model key, rate column, decimals) of each target rate of the configuration, matched
    by its numerator: the rate ids and their decimals are written once, in portal.yml."""
    from pipeline.config import current

    return [(_MODEL_RATE[spec["numerator"]], rate, spec["decimals"])
            for rate, spec in current().rate_formulas.items()]


def _rates(r: dict) -> dict:
    if r["gdp"] is None:
        r.update(gdp_rate=np.nan, ind_rate=np.nan, road_rate=np.nan)
    else:
        r.update(gdp_rate=round(r["deaths"] / (r["gdp"] / 100), 3),
                 ind_rate=round(r["industrial_deaths"] / r["emp"] * 1e5, 2),
                 road_rate=round(r["road_deaths"] / r["veh"] * 1e4, 1))
    return r


def _outcome_columns(rows: list[dict]) -> dict:
    def col(key, dtype=object):
        return np.array([r[key] for r in rows], dtype=dtype)

    gdp = np.array([np.nan if r["gdp"] is None else r["gdp"] / 100 for r in rows])
    return {
        "district_code": col("district_code", np.int64),
        "year": col("year", np.int64),
        "partial_year": col("partial_year", bool),
        "accidents": col("accidents", np.int64),
        "deaths": col("deaths", np.int64),
        "industrial_deaths": col("industrial_deaths", np.int64),
        "road_deaths": col("road_deaths", np.int64),
        "gdp_100m_yuan": (gdp, 2),
        "industrial_employees": col("emp"),
        "motor_vehicles": col("veh"),
        **{rate: (col(key, float), decimals) for key, rate, decimals in _rate_columns()},
        "boundary_note": col("boundary_note"),
    }


def _benchmarks(rng, rows) -> dict:
    """Jiangsu averages: around the city's rates in 2010, drifting ~15% above by 2015 and
    ~25% above by 2025."""
    city = [r for r in rows if r["district_code"] == geo.CITY]
    years = np.array([r["year"] for r in city])
    factor = 1.0 + 0.03 * np.minimum(years - 2010, 5) + 0.01 * np.maximum(years - 2015, 0)
    out = {"year": years}
    for key, name, dp in _rate_columns():
        values = np.array([r[key] for r in city]) * factor * rng.lognormal(0.0, 0.04, len(city))
        out[name] = (np.round(values, dp), dp)
    return out


def _targets(rng, acc: Accidents) -> dict:
    """Control targets handed down at the start of each year, a little above what is expected.

    Units are those valid on 1 January; the city's target is the sum of its units'. Years as
    for the outcomes: a target is only worth publishing beside the outcome it is judged by.
    """
    per_accident = float(DEATHS @ DEATHS_P)
    rows = []
    for year in YEARS:
        deaths = sum(expected_deaths(k, year) for k in KINDS)
        accidents = deaths / per_accident
        units = geo.units_on(np.datetime64(f"{year}-01-01"))
        w = np.array([geo.OLD_WEIGHTS[int(c)] if year <= 2015 else geo.NEW_WEIGHTS[int(c)]
                      for c in units])
        margin = rng.uniform(1.06, 1.12)
        d_alloc = _allocate(deaths * margin, w)
        a_alloc = _allocate(accidents * margin, w)
        rows.append((geo.CITY, year, int(a_alloc.sum()), int(d_alloc.sum())))
        rows.extend((int(c), year, int(a), int(d)) for c, a, d in zip(units, a_alloc, d_alloc))
    rows.sort(key=lambda r: (str(r[0]), r[1]))
    cols = list(zip(*rows))
    return {"district_code": np.array(cols[0]), "year": np.array(cols[1]),
            "max_accidents": np.array(cols[2]), "max_deaths": np.array(cols[3])}


def _allocate(total: float, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ceil(total) (largest remainder)."""
    total = int(np.ceil(total))
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out
