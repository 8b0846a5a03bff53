"""Every stated rate against its numerator and denominator (DOMAIN 2 and 8).

The columns of each rate come from ``portal.yml`` (``indicators.rates``, or the binding's own
``rates``); the unit → scale table of the
indicators (``UNIT_SCALE``) is the meaning of those unit codes and fixed here.

A stated rate may differ from numerator ÷ denominator × scale by at most half a unit in
its last published decimal (no formal rounding rule was found, so any rounding passes).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import NUMERIC, Bound, Field, Role, Value, check

# indicator unit → scale of value = numerator / denominator × scale
UNIT_SCALE = {"percent": 100, "per_100m_yuan_gdp": 1, "per_100k_workers": 100_000,
              "per_10k_vehicles": 10_000}
EPS = 1e-9  # float noise at the tolerance boundary


def floats(array) -> np.ndarray:
    return pc.fill_null(pc.cast(array, pa.float64(), safe=False), np.nan).to_numpy(zero_copy_only=False)


def mismatch(stated, numerator, denominator, scale, decimals):
    """Rows where all three are known, the denominator is positive and the rate is off."""
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = numerator / denominator * scale
    tolerance = 0.5 * 10.0 ** (-np.asarray(decimals, dtype=float)) + EPS
    known = ~np.isnan(stated) & ~np.isnan(numerator) & ~np.isnan(denominator) & (denominator > 0)
    return known & (np.abs(stated - computed) > tolerance), computed


def _rate_columns(params) -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for rate, spec in params.get("rates", {}).items():
        out.append((f"rates.{rate}", rate, NUMERIC))
        out += [(f"rates.{rate}.{part}", spec[part], NUMERIC) for part in ("numerator", "denominator")]
    return out


@check("rate-mismatch", columns=_rate_columns,
       rates=Value("rate column (an indicator id of indicators.rates) → numerator and denominator "
                   "columns, scale (rate = numerator ÷ denominator × scale) and published decimals; "
                   "by default the formulas of indicators.rates", required=False))
def rate_mismatch(b: Bound) -> None:
    """Each stated rate column against its numerator and denominator columns in the same row."""
    for rate, spec in b.value("rates").items():
        num, den, scale, decimals = spec["numerator"], spec["denominator"], spec["scale"], spec["decimals"]
        stated = floats(b.col(rate))
        bad, computed = mismatch(stated, floats(b.col(num)), floats(b.col(den)), scale, decimals)
        b.report("rule.rate-mismatch", bad, rate, values=lambda row, c=computed, num=num, den=den,
                 d=decimals: {"expected": f"{c[row]:.{d}f}", "numerator": num, "denominator": den})


@check("rate-mismatch.indicator",
       indicator_field=Field(("string",), "the indicator id of the row"),
       value_field=Field(NUMERIC, "the stated value"),
       numerator_field=Field(NUMERIC, "its numerator"),
       denominator_field=Field(NUMERIC, "its denominator"),
       indicators=Role({"id": ("string",), "unit": ("string",), "decimals": ("integer",)},
                       "the indicators: id, unit (its scale below) and decimals published"))
def rate_mismatch_by_indicator(b: Bound) -> None:
    """A stated value against its numerator and denominator, with the scale of its
    indicator's unit (UNIT_SCALE; counts and milestones have no rate to check)."""
    indicators = b.role("indicators")
    if indicators is None:
        return
    ids = indicators.col("id")
    position = pc.index_in(b.col(b.field("indicator_field")), value_set=ids)
    unit = indicators.col("unit").take(position)
    decimals = floats(indicators.col("decimals").take(position))
    scale = floats(pa.array(list(UNIT_SCALE.values()), pa.float64()).take(
        pc.index_in(unit, value_set=pa.array(list(UNIT_SCALE)))))
    decimals = np.where(np.isnan(decimals), 0, decimals)
    value, num, den = (b.field(p) for p in ("value_field", "numerator_field", "denominator_field"))
    stated = floats(b.col(value))
    bad, computed = mismatch(stated, floats(b.col(num)), floats(b.col(den)),
                             np.where(np.isnan(scale), 1, scale), decimals)
    bad &= ~np.isnan(scale)  # counts and milestones have no rate to check
    b.report("rule.rate-mismatch", bad, value,
             values=lambda row: {"expected": f"{computed[row]:.{int(decimals[row])}f}",
                                 "numerator": num, "denominator": den})
