"""Every stated rate against its numerator and denominator (DOMAIN 2 and 8).

A stated rate may differ from numerator ÷ denominator × scale by at most half a unit in
its last published decimal (no formal rounding rule was found, so any rounding passes).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, report

# rate field → (numerator, denominator, scale, decimals), from the contract
ANNUAL = {
    "gdp_death_rate": ("deaths", "gdp_100m_yuan", 1, 3),
    "industrial_death_rate": ("industrial_deaths", "industrial_employees", 100_000, 2),
    "road_death_rate": ("road_deaths", "motor_vehicles", 10_000, 1),
}
# indicator unit → scale of value = numerator / denominator × scale
UNIT_SCALE = {"percent": 100, "per_100m_yuan_gdp": 1, "per_100k_workers": 100_000,
              "per_10k_vehicles": 10_000}
EPS = 1e-9  # float noise at the tolerance boundary


def floats(array) -> np.ndarray:
    return pc.fill_null(pc.cast(array, pa.float64()), np.nan).to_numpy(zero_copy_only=False)


def mismatch(stated, numerator, denominator, scale, decimals):
    """Rows where all three are known, the denominator is positive and the rate is off."""
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = numerator / denominator * scale
    tolerance = 0.5 * 10.0 ** (-np.asarray(decimals, dtype=float)) + EPS
    known = ~np.isnan(stated) & ~np.isnan(numerator) & ~np.isnan(denominator) & (denominator > 0)
    return known & (np.abs(stated - computed) > tolerance), computed


def check(view: View) -> None:
    for rate, (num, den, scale, decimals) in ANNUAL.items():
        item = view.get("accident-outcomes", "annual_outcomes", rate, num, den)
        if item is None:
            continue
        stated = floats(col(item, rate))
        bad, computed = mismatch(stated, floats(col(item, num)), floats(col(item, den)), scale, decimals)
        report(item, "rate-mismatch", "rule.rate-mismatch", bad, rate, values=lambda row, c=computed,
               num=num, den=den, d=decimals: {"expected": f"{c[row]:.{d}f}", "numerator": num,
                                              "denominator": den})
    _observations(view)


def _observations(view: View) -> None:
    item = view.get("indicator-progress", "observations", "indicator_id", "value", "numerator", "denominator")
    indicators = view.get("indicator-progress", "indicators", "id", "unit", "decimals")
    if item is None or indicators is None:
        return
    ids = col(indicators, "id")
    position = pc.index_in(col(item, "indicator_id"), value_set=ids)
    unit = col(indicators, "unit").take(position)
    decimals = floats(col(indicators, "decimals").take(position))
    scale = floats(pa.array(list(UNIT_SCALE.values()), pa.float64()).take(
        pc.index_in(unit, value_set=pa.array(list(UNIT_SCALE)))))
    decimals = np.where(np.isnan(decimals), 0, decimals)
    stated = floats(col(item, "value"))
    bad, computed = mismatch(stated, floats(col(item, "numerator")), floats(col(item, "denominator")),
                             np.where(np.isnan(scale), 1, scale), decimals)
    bad &= ~np.isnan(scale)  # counts and milestones have no rate to check
    report(item, "rate-mismatch", "rule.rate-mismatch", bad, "value",
           values=lambda row: {"expected": f"{computed[row]:.{int(decimals[row])}f}",
                               "numerator": "numerator", "denominator": "denominator"})
