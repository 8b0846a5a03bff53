"""Annual outcomes equal the sums of the incident rows (contract: accident-outcomes).

Per district and year: ``accidents`` counts the accidents, ``deaths`` sums their deaths,
``industrial_deaths`` those in sectors flagged ``industrial``, ``road_deaths`` those in
sectors flagged ``in_road_rate``. The city row (320400) is the sum of the district rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report

CITY = "320400"
PROVINCE = "320000"
MEASURES = ("accidents", "deaths", "industrial_deaths", "road_deaths")


def _sector_flag(view: View, name: str, sectors: pa.Array) -> np.ndarray | None:
    ref = view.get("reference", "sectors", "code", name)
    if ref is None:
        return None
    flagged = col(ref, "code").filter(pc.fill_null(col(ref, name), False))
    return mask(pc.is_in(sectors, value_set=flagged))


def check(view: View) -> None:
    annual = view.get("accident-outcomes", "annual_outcomes", "district_code", "year", *MEASURES)
    accidents = view.get("accident-outcomes", "accidents", "district_code", "date", "deaths", "sector_code")
    if annual is None:
        return
    if accidents is not None:
        deaths = pc.fill_null(col(accidents, "deaths"), 0).to_numpy(zero_copy_only=False)
        sectors = col(accidents, "sector_code")
        industrial = _sector_flag(view, "industrial", sectors)
        road = _sector_flag(view, "in_road_rate", sectors)
        if industrial is not None and road is not None:
            incidents = pa.table({
                "district_code": col(accidents, "district_code"),
                "year": pc.year(col(accidents, "date")),
                "accidents": pa.array(np.ones(len(deaths), dtype=np.int64)),
                "deaths": pa.array(deaths.astype(np.int64)),
                "industrial_deaths": pa.array(np.where(industrial, deaths, 0).astype(np.int64)),
                "road_deaths": pa.array(np.where(road, deaths, 0).astype(np.int64)),
            })
            sums = incidents.group_by(["district_code", "year"]).aggregate(
                [(m, "sum") for m in MEASURES])
            district = mask(pc.invert(pc.is_in(col(annual, "district_code"),
                                               value_set=pa.array([CITY, PROVINCE]))))
            _compare(annual, sums, district, "rule.outcome-sum-mismatch")
    # city = sum of district rows
    codes = col(annual, "district_code")
    districts = mask(pc.invert(pc.is_in(codes, value_set=pa.array([CITY, PROVINCE]))))
    rows = pa.table({"year": col(annual, "year"), **{m: col(annual, m) for m in MEASURES}}).filter(
        pa.array(districts))
    sums = rows.group_by(["year"]).aggregate([(m, "sum") for m in MEASURES])
    sums = sums.append_column("district_code", pa.array([CITY] * sums.num_rows, pa.string()))
    _compare(annual, sums, mask(pc.equal(codes, CITY)), "rule.outcome-city-sum-mismatch")


def _compare(annual, sums: pa.Table, rows_mask: np.ndarray, key: str) -> None:
    """Compare annual rows in ``rows_mask`` with ``sums`` (0 where no incident matched)."""
    codes = col(annual, "district_code")
    years = pc.cast(col(annual, "year"), pa.int64())
    keys = pc.binary_join_element_wise(codes, pc.cast(years, pa.string()), "|")
    sum_keys = pc.binary_join_element_wise(sums["district_code"].combine_chunks(),
                                           pc.cast(sums["year"].combine_chunks(), pa.string()), "|")
    where = pc.index_in(keys, value_set=sum_keys)
    known = rows_mask & mask(pc.is_valid(codes)) & mask(pc.is_valid(years))
    for m in MEASURES:
        stated = col(annual, m)
        expected = pc.fill_null(sums[f"{m}_sum"].combine_chunks().take(where), 0)
        expected_np = pc.cast(expected, pa.int64()).to_numpy(zero_copy_only=False)
        bad = known & mask(pc.is_valid(stated)) & mask(pc.not_equal(pc.cast(stated, pa.int64()), expected))
        report(annual, "outcome-sum-mismatch", key, bad, m,
               values=lambda row, e=expected_np: {"expected": int(e[row])})
