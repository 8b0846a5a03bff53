"""Progress status of every indicator per district (DOMAIN 9), by the method of
:mod:`pipeline.derive.progress`."""

from __future__ import annotations

from datetime import date

from pipeline.derive.progress import DIRECTION_SIGN, assess_arrays
from pipeline.derive.steps.rates import rate_specs

INPUTS = (("indicator-progress", "indicators"), ("indicator-progress", "observations"),
          ("accident-outcomes", "provincial_benchmarks"), ("accident-outcomes", "control_targets"))
OUTPUTS = ("progress_status",)
ORDER = 40

# Which benchmark or control-target column stands for an indicator, by the indicator's unit:
# each rate unit has one provincial average (the column of the rate with that unit, see
# ``benchmark_columns``), counts of accidents and deaths each have one control target.
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


def benchmark_columns(config=None) -> dict[str, str]:
    """indicator unit → column of provincial_benchmarks, for the configuration's rates."""
    return {spec.unit: spec.rate_id for spec in rate_specs(config)}


def progress_table(indicators, observations, benchmarks, control_targets, *,
                   reference_date: date, city_code: str, benchmark_column=None):
    """One row per indicator and district with observations (an indicator with none gets one
    ``no_data`` row for the city), carrying every input of its status.

    Each indicator is judged at ``judged_year`` = its target year, or the year of
    ``reference_date`` when that is earlier. Base = the first observed year on or after the
    indicator's base year; latest = the last observed year up to ``judged_year`` (later
    observations are not used, and no target is invented for them). For "below the provincial
    average" the target is the benchmark of the latest year; for "below the control target"
    the district's control target of the latest year. ``benchmark_column`` maps an indicator's
    unit to its column of ``benchmarks`` (default: :func:`benchmark_columns`).
    """
    import pandas as pd

    reference_year = reference_date.year
    benchmark_column = benchmark_columns() if benchmark_column is None else benchmark_column
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
    bench_columns = [c for c in benchmark_column.values() if c in benchmarks.column_names]
    control_columns = [c for c in CONTROL_TARGET_COLUMN.values()
                       if c in control_targets.column_names]
    bench = (benchmarks.select(["year", *bench_columns]).to_pandas()
             .melt(id_vars="year", var_name="bench_column", value_name="bench_value")
             .rename(columns={"year": "latest_year"}))
    control = (control_targets.select(["district_code", "year", *control_columns]).to_pandas()
               .melt(id_vars=["district_code", "year"], var_name="control_column",
                     value_name="control_value")
               .rename(columns={"year": "latest_year"}))
    rows["bench_column"] = rows["unit"].map(benchmark_column)
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


def run(inputs, *, reference_date, config) -> dict:
    return {"progress_status": progress_table(
        inputs["indicator-progress", "indicators"], inputs["indicator-progress", "observations"],
        inputs["accident-outcomes", "provincial_benchmarks"],
        inputs["accident-outcomes", "control_targets"], reference_date=reference_date,
        city_code=config.site.city_code, benchmark_column=benchmark_columns(config))}
