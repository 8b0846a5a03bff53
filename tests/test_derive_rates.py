"""Rates, rounding, goal_met and control-target attainment with year-on-year change."""

from __future__ import annotations

import pyarrow as pa

from pipeline.derive.schemas import conform
from pipeline.derive.steps.control_targets_attainment import control_targets_attainment
from pipeline.derive.steps.rates import rates

S, I, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()


def outcomes(rows: list[dict]) -> pa.Table:
    defaults = {"accidents": 0, "deaths": 0, "industrial_deaths": 0, "road_deaths": 0,
                    "gdp_100m_yuan": None, "industrial_employees": None, "motor_vehicles": None,
                    "gdp_death_rate": None, "industrial_death_rate": None, "road_death_rate": None,
                    "partial_year": False, "boundary_note": None}
    types = {"district_code": S, "year": I, "accidents": I, "deaths": I, "industrial_deaths": I,
                 "road_deaths": I, "gdp_100m_yuan": F, "industrial_employees": I,
                 "motor_vehicles": I,
                 "gdp_death_rate": F, "industrial_death_rate": F, "road_death_rate": F,
                 "partial_year": B, "boundary_note": S}
    rows = [{**defaults, **r} for r in rows]
    return pa.table({k: pa.array([r[k] for r in rows], t) for k, t in types.items()})


def benchmarks(rows: list[tuple]) -> pa.Table:
    names = ["year", "gdp_death_rate", "industrial_death_rate", "road_death_rate"]
    return pa.table({n: pa.array([r[i] for r in rows], I if i == 0 else F)
                     for i, n in enumerate(names)})


def by_key(table: pa.Table, *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in table.to_pylist()}


def test_rates_recomputed_and_rounded_half_away_from_zero():
    out = rates(outcomes([
        # 7 / 2800 = 0.0025 → 0.003; 9 × 1e5 / 800000 = 1.125 → 1.13; 5 × 1e4 / 200000 = 0.25
        # → 0.3. Banker's rounding would give 0.002, 1.12 and 0.2.
        {"district_code": "320402", "year": 2013, "deaths": 7, "gdp_100m_yuan": 2800.0,
         "industrial_deaths": 9, "industrial_employees": 800000, "road_deaths": 5,
         "motor_vehicles": 200000, "gdp_death_rate": 0.003},
        # 1 / 3000 = 0.000333 → 0.000; 1 × 1e5 / 300000 = 0.3333 → 0.33; 1e4 / 30000 → 0.3
        {"district_code": "320400", "year": 2013, "deaths": 1, "gdp_100m_yuan": 3000.0,
         "industrial_deaths": 1, "industrial_employees": 300000, "road_deaths": 1,
         "motor_vehicles": 30000},
    ]), benchmarks([(2013, 0.003, 1.2, 0.5)]))
    got = {k: r["rate"] for k, r in by_key(out, "rate_id", "district_code").items()}
    assert got == {
        ("gdp_death_rate", "320402"): 0.003, ("industrial_death_rate", "320402"): 1.13,
        ("road_death_rate", "320402"): 0.3, ("gdp_death_rate", "320400"): 0.0,
        ("industrial_death_rate", "320400"): 0.33, ("road_death_rate", "320400"): 0.3}
    row = by_key(out, "rate_id", "district_code")[("industrial_death_rate", "320402")]
    assert (row["numerator"], row["denominator"], row["scale"], row["decimals"]) == (
        9, 800000.0, 100000, 2)
    gdp = by_key(out, "rate_id", "district_code")[("gdp_death_rate", "320402")]
    assert (gdp["numerator"], gdp["denominator"], gdp["scale"], gdp["decimals"],
            gdp["stated_rate"]) == (7, 2800.0, 1, 3, 0.003)


def test_goal_met_is_strictly_below_the_provincial_average():
    out = rates(outcomes([
        {"district_code": "320400", "year": 2013, "deaths": 6, "gdp_100m_yuan": 2000.0,  # 0.003
         "industrial_deaths": 1, "industrial_employees": 100000,  # 1.00
         "road_deaths": 2, "motor_vehicles": 100000},  # 0.2
        {"district_code": "320400", "year": 2014, "deaths": 6, "gdp_100m_yuan": 2000.0},
    ]), benchmarks([(2013, 0.003, 1.01, 0.1)]))
    rows = by_key(out, "rate_id", "year")
    assert rows[("gdp_death_rate", 2013)]["goal_met"] is False  # equal is not below
    assert rows[("industrial_death_rate", 2013)]["goal_met"] is True
    assert rows[("road_death_rate", 2013)]["goal_met"] is False
    assert rows[("gdp_death_rate", 2014)]["provincial_average"] is None  # no 2014 benchmark
    assert rows[("gdp_death_rate", 2014)]["goal_met"] is None


def test_partial_year_and_zero_denominator_give_null_rates_with_flags():
    out = rates(outcomes([
        {"district_code": "320413", "year": 2015, "deaths": 3, "partial_year": True,
         "boundary_note": "设立于2015-04-28"},
        {"district_code": "320481", "year": 2015, "deaths": 3, "gdp_100m_yuan": 0.0,
         "industrial_employees": 0, "motor_vehicles": 0},
    ]), benchmarks([(2015, 0.003, 1.0, 1.0)]))
    rows = by_key(out, "rate_id", "district_code")
    partial = rows[("gdp_death_rate", "320413")]
    assert (partial["rate"], partial["goal_met"], partial["partial_year"],
            partial["boundary_note"]) == (None, None, True, "设立于2015-04-28")
    assert partial["numerator"] == 3
    assert all(rows[(r, "320481")]["rate"] is None for r in
               ("gdp_death_rate", "industrial_death_rate", "road_death_rate"))
    assert len(conform(out, "rates")) == 6


def targets(rows: list[tuple]) -> pa.Table:
    return pa.table({"district_code": pa.array([r[0] for r in rows], S),
                     "year": pa.array([r[1] for r in rows], I),
                     "max_accidents": pa.array([r[2] for r in rows], I),
                     "max_deaths": pa.array([r[3] for r in rows], I)})


def test_control_targets_met_on_equality_and_year_on_year_change():
    out = control_targets_attainment(outcomes([
        {"district_code": "320400", "year": 2012, "accidents": 8, "deaths": 16},
        {"district_code": "320400", "year": 2013, "accidents": 7, "deaths": 15},
        {"district_code": "320400", "year": 2014, "accidents": 7, "deaths": 0},
        {"district_code": "320400", "year": 2015, "accidents": 3, "deaths": 2},
    ]), targets([("320400", 2013, 7, 14), ("320400", 2014, 6, 0)]))
    rows = by_key(out, "year")
    first = rows[(2012,)]
    assert (first["accidents_change"], first["accidents_change_pct"],
            first["accidents_previous"], first["accidents_met"]) == (None, None, None, None)
    y13 = rows[(2013,)]
    assert (y13["accidents_met"], y13["deaths_met"]) == (True, False)  # 7 ≤ 7; 15 > 14
    # −1/8 = −12.5 %; −1/16 = −6.25 % → −6.3 (half away from zero)
    assert (y13["accidents_previous"], y13["accidents_change"],
            y13["accidents_change_pct"]) == (8, -1, -12.5)
    assert (y13["deaths_previous"], y13["deaths_change"], y13["deaths_change_pct"]) == (
        16, -1, -6.3)
    y14 = rows[(2014,)]
    assert (y14["accidents_met"], y14["deaths_met"]) == (False, True)  # 7 > 6; 0 ≤ 0
    assert (y14["accidents_change"], y14["accidents_change_pct"]) == (0, 0.0)
    y15 = rows[(2015,)]
    # previous deaths 0: the change is known, the percent is not
    assert (y15["deaths_change"], y15["deaths_change_pct"]) == (2, None)
    # 3/7 − 1 = −57.142857 % → −57.1
    assert y15["accidents_change_pct"] == -57.1
    assert y15["max_accidents"] is None and y15["accidents_met"] is None


def test_year_on_year_is_null_after_a_gap_or_a_partial_year():
    out = control_targets_attainment(outcomes([
        {"district_code": "320402", "year": 2012, "accidents": 5, "deaths": 1},
        {"district_code": "320402", "year": 2014, "accidents": 6, "deaths": 1},  # 2013 missing
        {"district_code": "320413", "year": 2015, "accidents": 4, "deaths": 1,
         "partial_year": True},
        {"district_code": "320413", "year": 2016, "accidents": 9, "deaths": 2},  # previous partial
        {"district_code": "320412", "year": 2014, "accidents": 9, "deaths": 2},
        {"district_code": "320412", "year": 2015, "accidents": 4, "deaths": 1, "partial_year": True,
         "boundary_note": "区划调整"},  # this one partial
    ]), targets([]))
    rows = by_key(out, "district_code", "year")
    for key in [("320402", 2014), ("320413", 2016), ("320412", 2015)]:
        assert rows[key]["accidents_change"] is None, key
        assert rows[key]["deaths_change_pct"] is None, key
        assert rows[key]["accidents_previous"] is None, key
    assert rows[("320412", 2015)]["boundary_note"] == "区划调整"
    assert rows[("320412", 2015)]["partial_year"] is True
