"""Accidents and deaths per district and year against the control targets, and the change on
the previous year."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import flags, pct, when

INPUTS = (("accident-outcomes", "annual_outcomes"), ("accident-outcomes", "control_targets"))
OUTPUTS = ("control_targets_attainment",)
ORDER = 20


def control_targets_attainment(outcomes: pa.Table, targets: pa.Table) -> pa.Table:
    partial_year, boundary_note = flags(outcomes)
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


def run(inputs, *, reference_date, config) -> dict:
    return {"control_targets_attainment": control_targets_attainment(
        inputs["accident-outcomes", "annual_outcomes"],
        inputs["accident-outcomes", "control_targets"])}
