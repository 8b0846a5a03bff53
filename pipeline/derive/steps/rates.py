"""The three death rates per district and year, recomputed and set against the provincial
average (DOMAIN 2).

Which rates are the plan's targets, and how each is computed, is the configuration's
(``indicators.rates`` in ``portal.yml``), keyed by the rate's id (the column of
``annual_outcomes`` and ``provincial_benchmarks`` that holds it).
"""

from __future__ import annotations

from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import F64, flags, null_like

INPUTS = (("accident-outcomes", "annual_outcomes"), ("accident-outcomes", "provincial_benchmarks"))
OUTPUTS = ("rates",)
ORDER = 10


class RateSpec(NamedTuple):
    rate_id: str
    numerator: str  # column of annual_outcomes
    denominator: str  # column of annual_outcomes
    scale: int
    decimals: int
    unit: str  # indicator-progress/indicators unit of an indicator of this rate


def rate_specs(config=None) -> tuple[RateSpec, ...]:
    """The configuration's rates (default: the one in force), in its order, with their
    formulas (``indicators.rates`` in ``portal.yml``, the one place they are written)."""
    from pipeline.config import current

    config = current() if config is None else config
    return tuple(RateSpec(rate_id, spec["numerator"], spec["denominator"], spec["scale"],
                          spec["decimals"], spec["unit"])
                 for rate_id, spec in config.rate_formulas.items())


def rates(outcomes: pa.Table, benchmarks: pa.Table, specs=None) -> pa.Table:
    """Every rate of ``specs`` (default: the configuration's) for every row of ``outcomes``."""
    specs = rate_specs() if specs is None else specs
    partial_year, boundary_note = flags(outcomes)
    n = outcomes.num_rows
    parts = []
    for rate_id, num, den, scale, decimals, _ in specs:
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

    columns = [spec.rate_id for spec in specs if spec.rate_id in benchmarks.column_names]
    averages = pa.concat_tables([
        pa.table({"rate_id": pa.repeat(pa.scalar(rate_id), benchmarks.num_rows),
                  "year": benchmarks["year"],
                  "provincial_average": pc.cast(benchmarks[rate_id], F64)})
        for rate_id in columns])
    table = table.join(averages, ["rate_id", "year"], join_type="left outer")
    return table.append_column("goal_met", pc.less(table["rate"], table["provincial_average"]))


def run(inputs, *, reference_date, config) -> dict:
    return {"rates": rates(inputs["accident-outcomes", "annual_outcomes"],
                           inputs["accident-outcomes", "provincial_benchmarks"],
                           rate_specs(config))}
