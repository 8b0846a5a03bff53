"""The three death rates per district and year, and accidents/deaths against control targets."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import F64, null_like, pct, when

# rate id (= the column name in annual_outcomes and provincial_benchmarks), numerator column,
# denominator column, scale, decimals (DOMAIN 2).
RATE_SPECS = (
    ("gdp_death_rate", "deaths", "gdp_100m_yuan", 1, 3),
    ("industrial_death_rate", "industrial_deaths", "industrial_employees", 100_000, 2),
    ("road_death_rate", "road_deaths", "motor_vehicles", 10_000, 1),
)


def _flags(outcomes: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """partial_year (false where null) and boundary_note, as carried through."""
    return pc.fill_null(outcomes["partial_year"], False), outcomes["boundary_note"]


def rates(outcomes: pa.Table, benchmarks: pa.Table) -> pa.Table:
    partial_year, boundary_note = _flags(outcomes)
    n = outcomes.num_rows
    parts = []
    for rate_id, num, den, scale, decimals in RATE_SPECS:
        numerator = outcomes[num]
        denominator = pc.cast(outcomes[den], F64)
        positive = pc.greater(denominator, 0.0)
        # Multiply before dividing, as the formula reads; rounding is 四舍五入
        # (half away from zero), the convention of Chinese statistical tables.
        raw = pc.divide(pc.multiply(pc.cast(numerator, F64), float(scale)),
                        pc.if_else(positive, denominator, null_like(F64)))
        parts.append(pa.table({
            "rate_id": pa.repeat(pa.scalar(rate_id), n),
            "district_code": outcomes["district_code"],
            "year": outcomes["year"],
            "numerator": numerator,
            "denominator": denominator,
            "scale": pa.repeat(pa.scalar(scale, pa.int64()), n),
            "decimals": pa.repeat(pa.scalar(decimals, pa.int64()), n),
            "rate": pc.round(raw, decimals, round_mode="half_towards_infinity"),
            "stated_rate": pc.cast(outcomes[rate_id], F64),
            "partial_year": partial_year,
            "boundary_note": boundary_note,
        }))
    table = pa.concat_tables(parts)

    columns = [spec[0] for spec in RATE_SPECS if spec[0] in benchmarks.column_names]
    averages = pa.concat_tables([
        pa.table({"rate_id": pa.repeat(pa.scalar(rate_id), benchmarks.num_rows),
                  "year": benchmarks["year"],
                  "provincial_average": pc.cast(benchmarks[rate_id], F64)})
        for rate_id in columns])
    table = table.join(averages, ["rate_id", "year"], join_type="left outer")
    return table.append_column("goal_met", pc.less(table["rate"], table["provincial_average"]))


def control_targets_attainment(outcomes: pa.Table, targets: pa.Table) -> pa.Table:
    partial_year, boundary_note = _flags(outcomes)
    base = pa.table({
        "district_code": outcomes["district_code"], "year": outcomes["year"],
        "accidents": outcomes["accidents"], "deaths": outcomes["deaths"],
        "partial_year": partial_year, "boundary_note": boundary_note,
    })
    previous = pa.table({
        "district_code": outcomes["district_code"],
        "year": pc.add(outcomes["year"], 1),
        "prev_accidents": outcomes["accidents"], "prev_deaths": outcomes["deaths"],
        "prev_partial": partial_year,
    })
    table = (base.join(targets.select(["district_code", "year", "max_accidents", "max_deaths"]),
                       ["district_code", "year"], join_type="left outer")
             .join(previous, ["district_code", "year"], join_type="left outer"))

    # A change is only meaningful between two whole years that both have a row.
    comparable = pc.and_(pc.is_valid(table["prev_partial"]),
                         pc.invert(pc.or_(table["prev_partial"], table["partial_year"])))
    out = {name: table[name] for name in base.column_names}
    out["max_accidents"], out["max_deaths"] = table["max_accidents"], table["max_deaths"]
    for what in ("accidents", "deaths"):
        current = table[what]
        prev = when(comparable, table[f"prev_{what}"], pa.int64())
        change = pc.subtract(current, prev)
        out[f"{what}_met"] = pc.less_equal(current, table[f"max_{what}"])
        out[f"{what}_previous"] = prev
        out[f"{what}_change"] = change
        out[f"{what}_change_pct"] = pct(change, prev)
    return pa.table(out)
