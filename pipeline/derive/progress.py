"""Progress toward a target: Statistics Canada's method as used by Open SDG (DOMAIN 9).

One implementation, vectorised over numpy arrays (``assess_arrays``); ``assess`` is the same
computation for a single series so it can be reasoned about and property-tested alone.
``progress_table`` applies it to the indicator-progress package.

Choices the method leaves open, fixed here and documented in the derived schema:
- "target achieved" is decided first, as in Open SDG's implementation (sdg-build): it needs
  only the latest value and the target, so it holds even with a single year of data or after
  a sign change; every other status needs two years and no sign change;
- the achieved test compares the observed values (0.001 stands in for 0 only inside the growth
  rates, where a 0 would divide by zero or take a root of 0);
- achieved on equality (``yi >= yT`` / ``yi <= yT``) except for targets of the form "below the
  provincial average", where ``strict=True`` makes equality *not* achieved, so the status agrees
  with ``goal_met`` (rate < provincial average) in the rates table;
- R is rounded to ``RATIO_DECIMALS`` before it meets the thresholds, so that an R of exactly 0.95
  in decimal terms is not demoted by binary floating-point noise (0.9499999999999998);
- when the required growth is zero (target equal to the base value) R is undefined: the status is
  ``deterioration`` if the series moved the wrong way, ``limited_progress`` if it did not move;
- a status is judged at the indicator's target year (``judged_year``), or at the reference date's
  year when that comes first: the latest value is the last one observed up to that year. The
  plan sets no target for the years after its own, so observations after the target year are
  published (and shown as "after the plan period") but never judged, and no target is made up
  for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

TARGET_ACHIEVED = "target_achieved"
ON_TRACK = "on_track"
ACCELERATION_NEEDED = "acceleration_needed"
LIMITED_PROGRESS = "limited_progress"
DETERIORATION = "deterioration"
NOT_AVAILABLE = "not_available"
STATUSES = (TARGET_ACHIEVED, ON_TRACK, ACCELERATION_NEEDED, LIMITED_PROGRESS,
            DETERIORATION, NOT_AVAILABLE)
# Best first; used by tests and pages to compare statuses.
STATUS_ORDER = {status: rank for rank, status in enumerate(STATUSES[:-1])}

REASONS = ("no_data", "insufficient_data", "target_unknown", "benchmark_missing",
           "control_target_missing", "direction_unknown", "sign_change",
           "target_year_not_after_base", "target_equals_base")

ON_TRACK_RATIO = 0.95
ACCELERATION_RATIO = 0.60
ZERO_SUBSTITUTE = 0.001
RATIO_DECIMALS = 6
DIRECTION_SIGN = {"higher": 1.0, "lower": -1.0}


@dataclass(frozen=True)
class Assessment:
    status: str
    reason: str | None
    cagr_actual: float | None
    cagr_needed: float | None
    ratio: float | None


def assess(base_year: int | None, base_value: float | None,
           latest_year: int | None, latest_value: float | None,
           target_value: float | None, target_year: int | None,
           direction: str | None, *, strict: bool = False,
           missing_target_reason: str = "target_unknown") -> Assessment:
    """The progress status of one series, from its base and latest observations."""
    out = assess_arrays(
        np.array([_num(base_year)]), np.array([_num(base_value)]),
        np.array([_num(latest_year)]), np.array([_num(latest_value)]),
        np.array([_num(target_value)]), np.array([_num(target_year)]),
        np.array([DIRECTION_SIGN.get(direction, np.nan)]), np.array([strict]),
        np.array([missing_target_reason], dtype=object))
    return Assessment(
        status=out["status"][0], reason=out["reason"][0],
        cagr_actual=_opt(out["cagr_actual"][0]), cagr_needed=_opt(out["cagr_needed"][0]),
        ratio=_opt(out["ratio"][0]))


def assess_arrays(base_year, base_value, latest_year, latest_value, target_value, target_year,
                  direction_sign, strict, missing_target_reason=None) -> dict[str, np.ndarray]:
    """Vectorised ``assess``: float arrays with NaN for null, direction as +1/-1 (NaN unknown).

    Returns arrays ``status``, ``reason`` (object, None where no reason), ``cagr_actual``,
    ``cagr_needed`` and ``ratio`` (float, NaN where not computed).
    """
    t0, y0 = np.asarray(base_year, float), np.asarray(base_value, float)
    ti, yi = np.asarray(latest_year, float), np.asarray(latest_value, float)
    yT, tT = np.asarray(target_value, float), np.asarray(target_year, float)
    d, strict = np.asarray(direction_sign, float), np.asarray(strict, bool)
    n = len(y0)
    if missing_target_reason is None:
        missing_target_reason = np.full(n, "target_unknown", dtype=object)

    status = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    undecided = np.ones(n, bool)

    def decide(mask, new_status, new_reason):
        nonlocal undecided
        hit = undecided & mask
        status[hit] = new_status
        if isinstance(new_reason, np.ndarray):
            reason[hit] = new_reason[hit]
        else:
            reason[hit] = new_reason
        undecided = undecided & ~mask

    with np.errstate(all="ignore"):
        decide(np.isnan(yT), NOT_AVAILABLE, np.asarray(missing_target_reason, dtype=object))
        decide(np.isnan(d), NOT_AVAILABLE, "direction_unknown")

        met_higher = np.where(strict, yi > yT, yi >= yT)  # NaN compares false: not met
        met_lower = np.where(strict, yi < yT, yi <= yT)
        decide(np.where(d > 0, met_higher, met_lower), TARGET_ACHIEVED, None)

        two_years = ~np.isnan(t0) & ~np.isnan(ti) & ~np.isnan(y0) & ~np.isnan(yi) & (ti > t0)
        decide(~two_years, NOT_AVAILABLE, "insufficient_data")

        y0s = np.where(y0 == 0, ZERO_SUBSTITUTE, y0)
        yTs = np.where(yT == 0, ZERO_SUBSTITUTE, yT)
        decide((y0s * yi < 0) | (y0s * yTs < 0), NOT_AVAILABLE, "sign_change")
        decide(np.isnan(tT) | (tT <= t0), NOT_AVAILABLE, "target_year_not_after_base")

        cagr_actual = np.power(yi / y0s, 1.0 / (ti - t0)) - 1.0
        cagr_needed = np.power(yTs / y0s, 1.0 / (tT - t0)) - 1.0
        s = np.where(y0s < 0, -1.0, 1.0)
        progress = s * d * cagr_actual  # positive = moving the desired way
        flat_target = cagr_needed == 0
        ratio = np.round(progress / np.abs(cagr_needed), RATIO_DECIMALS)
        ratio = np.where(flat_target, np.nan, ratio)

        computed = undecided.copy()
        decide(flat_target & (progress < 0), DETERIORATION, "target_equals_base")
        decide(flat_target, LIMITED_PROGRESS, "target_equals_base")
        decide(ratio >= ON_TRACK_RATIO, ON_TRACK, None)
        decide(ratio >= ACCELERATION_RATIO, ACCELERATION_NEEDED, None)
        decide(ratio >= 0, LIMITED_PROGRESS, None)
        decide(ratio < 0, DETERIORATION, None)
        # NaN ratio cannot remain here (all NaN inputs were decided above); guard anyway.
        decide(np.ones(n, bool), NOT_AVAILABLE, "insufficient_data")

    nan = np.full(n, np.nan)
    return {
        "status": status,
        "reason": reason,
        "cagr_actual": np.where(computed, cagr_actual, nan),
        "cagr_needed": np.where(computed, cagr_needed, nan),
        "ratio": np.where(computed, ratio, nan),
    }


def _num(value) -> float:
    return np.nan if value is None else float(value)


def _opt(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


# Which benchmark or control-target column stands for an indicator, by the indicator's unit:
# the three rate units each have one provincial average, counts of accidents and deaths each
# have one control target.
BENCHMARK_COLUMN = {"per_100m_yuan_gdp": "gdp_death_rate",
                    "per_100k_workers": "industrial_death_rate",
                    "per_10k_vehicles": "road_death_rate"}
CONTROL_TARGET_COLUMN = {"accidents": "max_accidents", "deaths": "max_deaths"}
TARGET_SOURCE = {"value": "indicator", "below_provincial_average": "provincial_benchmark",
                 "below_control_target": "control_target"}

# New columns go at the end, so that files read by column position keep working.
PROGRESS_COLUMNS = ["indicator_id", "district_code", "direction", "target_kind", "target_source",
                    "base_year", "base_value", "latest_year", "latest_value", "years_observed",
                    "target_value", "target_year", "cagr_actual", "cagr_needed", "ratio",
                    "status", "reason", "judged_year", "as_of"]


def judged_years(target_year, reference_year: int):
    """The year each status is judged at: the target year, or ``reference_year`` when that is
    earlier or the target year is unknown (``target_year`` a pandas Series; returns one)."""
    return target_year.where(target_year.notna() & (target_year <= reference_year),
                             reference_year).astype("int64")


def progress_table(indicators, observations, benchmarks, control_targets, *,
                   reference_date: date, city_code: str):
    """One row per indicator and district with observations (an indicator with none gets one
    ``no_data`` row for the city), carrying every input of its status.

    Each indicator is judged at ``judged_year`` = its target year, or the year of
    ``reference_date`` when that is earlier. Base = the first observed year on or after the
    indicator's base year; latest = the last observed year up to ``judged_year`` (later
    observations are not used, and no target is invented for them). For "below the provincial
    average" the target is the benchmark of the latest year; for "below the control target"
    the district's control target of the latest year.
    """
    import pandas as pd

    reference_year = reference_date.year
    ind = indicators.select(["id", "direction", "target_kind", "target_value", "target_year",
                             "base_year", "unit"]).to_pandas()
    ind["judged_year"] = judged_years(ind["target_year"], reference_year)
    obs = observations.select(["indicator_id", "district_code", "year", "value"]).to_pandas()
    obs = obs[obs["value"].notna()]
    obs = obs.merge(ind[["id", "base_year", "judged_year"]], left_on="indicator_id",
                    right_on="id")
    obs = obs[(obs["year"] <= obs["judged_year"])
              & (obs["base_year"].isna() | (obs["year"] >= obs["base_year"]))]
    obs = obs.sort_values(["indicator_id", "district_code", "year"])

    keys = ["indicator_id", "district_code"]
    grouped = obs.groupby(keys, sort=True)
    first, last = grouped.head(1), grouped.tail(1)
    series = (first[keys + ["year", "value"]]
              .rename(columns={"year": "base_year", "value": "base_value"})
              .merge(last[keys + ["year", "value"]]
                     .rename(columns={"year": "latest_year", "value": "latest_value"}), on=keys)
              .merge(grouped.size().rename("years_observed").reset_index(), on=keys))

    no_data = ind.loc[~ind["id"].isin(series["indicator_id"]), ["id"]]
    no_data = no_data.rename(columns={"id": "indicator_id"}).assign(district_code=city_code,
                                                                     years_observed=0)
    rows = pd.concat([series, no_data], ignore_index=True)
    rows = rows.merge(ind.drop(columns=["base_year"]), left_on="indicator_id", right_on="id")

    # Benchmarks and control targets in long form, keyed like the rows that look them up.
    bench_columns = [c for c in BENCHMARK_COLUMN.values() if c in benchmarks.column_names]
    control_columns = [c for c in CONTROL_TARGET_COLUMN.values()
                       if c in control_targets.column_names]
    bench = (benchmarks.select(["year", *bench_columns]).to_pandas()
             .melt(id_vars="year", var_name="bench_column", value_name="bench_value")
             .rename(columns={"year": "latest_year"}))
    control = (control_targets.select(["district_code", "year", *control_columns]).to_pandas()
               .melt(id_vars=["district_code", "year"], var_name="control_column",
                     value_name="control_value")
               .rename(columns={"year": "latest_year"}))
    rows["bench_column"] = rows["unit"].map(BENCHMARK_COLUMN)
    rows["control_column"] = rows["unit"].map(CONTROL_TARGET_COLUMN)
    rows = rows.merge(bench, on=["bench_column", "latest_year"], how="left")
    rows = rows.merge(control, on=["control_column", "district_code", "latest_year"], how="left")

    kind = rows["target_kind"]
    rows["target_value"] = (rows["target_value"].astype(float).where(kind == "value")
                            .fillna(rows["bench_value"].astype(float)
                                    .where(kind == "below_provincial_average"))
                            .fillna(rows["control_value"].astype(float)
                                    .where(kind == "below_control_target")))
    missing = kind.map({"below_provincial_average": "benchmark_missing",
                        "below_control_target": "control_target_missing"}).fillna("target_unknown")

    out = assess_arrays(
        rows["base_year"].astype(float), rows["base_value"].astype(float),
        rows["latest_year"].astype(float), rows["latest_value"].astype(float),
        rows["target_value"].astype(float), rows["target_year"].astype(float),
        rows["direction"].map(DIRECTION_SIGN).astype(float),
        (rows["target_kind"] == "below_provincial_average").to_numpy(),
        missing.to_numpy(dtype=object))
    for name, values in out.items():
        rows[name] = values
    rows.loc[rows["years_observed"] == 0, "reason"] = "no_data"
    rows["target_source"] = rows["target_kind"].map(TARGET_SOURCE)
    rows["as_of"] = reference_date
    return rows[PROGRESS_COLUMNS].sort_values(keys, ignore_index=True)
