"""Annual outcomes equal the sums of the incident rows (contract: accident-outcomes).

Per district and year: the accidents column counts the incidents, the deaths column sums
their deaths, the industrial one those in sectors flagged ``industrial``, the road one those
in sectors flagged ``in_road_rate``. The city row (``site.city.code`` of ``portal.yml``) is
the sum of the district rows; the province row (``province_code``) is neither. The annual
table's columns are bound in ``portal.yml``; the incidents and the sectors are roles whose
columns are fixed (``INCIDENT_COLUMNS``, ``SECTOR_COLUMNS``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import (
    NUMERIC,
    Bound,
    Field,
    Role,
    Value,
    check,
    mask,
    number,
)

# measure → the parameter naming its column in the annual table
MEASURES = {"accidents": "accidents_field", "deaths": "deaths_field",
            "industrial_deaths": "industrial_field", "road_deaths": "road_field"}
INCIDENT_COLUMNS = {"district_code": ("string",), "date": ("date",), "deaths": NUMERIC,
                    "sector_code": ("string",)}
SECTOR_COLUMNS = {"code": ("string",), "industrial": ("boolean",), "in_road_rate": ("boolean",)}


@check("outcome-sum-mismatch",
       district_field=Field(("string",), "the district code (the city's and the province's rows too)"),
       year_field=Field(("integer", "year"), "the year"),
       accidents_field=Field(NUMERIC, "number of accidents"),
       deaths_field=Field(NUMERIC, "deaths"),
       industrial_field=Field(NUMERIC, "deaths in industry, mining, commerce and trade"),
       road_field=Field(NUMERIC, "road-traffic deaths"),
       province_code=Value("the province's code: its row is not part of the city's sum"),
       incidents=Role(INCIDENT_COLUMNS, "the incident rows: district, date, deaths, sector"),
       sectors=Role(SECTOR_COLUMNS, "the sectors and which rate each counts in"))
def outcome_sum_mismatch(b: Bound) -> None:
    """Each district's yearly counts against the incident rows; the city's against the districts'."""
    from pipeline.config import current

    city = b.config.site.city_code if b.config is not None else current().site.city_code
    totals = pa.array([city, b.value("province_code")], pa.string())
    annual = {m: b.col(b.field(p)) for m, p in MEASURES.items()}
    codes, years = b.col(b.field("district_field")), b.col(b.field("year_field"))
    incidents, sectors = b.role("incidents"), b.role("sectors")
    if incidents is not None and sectors is not None:
        deaths = pc.fill_null(incidents.col("deaths"), 0).to_numpy(zero_copy_only=False)
        sector = incidents.col("sector_code")

        def flagged(name: str) -> np.ndarray:
            return mask(pc.is_in(sector, value_set=sectors.col("code").filter(
                pc.fill_null(sectors.col(name), False))))
        industrial, road = flagged("industrial"), flagged("in_road_rate")
        table = pa.table({
            "district_code": incidents.col("district_code"),
            "year": pc.year(incidents.col("date")),
            "accidents": pa.array(np.ones(len(deaths), dtype=np.int64)),
            "deaths": pa.array(deaths.astype(np.int64)),
            "industrial_deaths": pa.array(np.where(industrial, deaths, 0).astype(np.int64)),
            "road_deaths": pa.array(np.where(road, deaths, 0).astype(np.int64)),
        })
        sums = table.group_by(["district_code", "year"]).aggregate([(m, "sum") for m in MEASURES])
        district = mask(pc.invert(pc.is_in(codes, value_set=totals)))
        _compare(b, codes, years, annual, sums, district, "rule.outcome-sum-mismatch")
    # city = sum of district rows
    districts = mask(pc.invert(pc.is_in(codes, value_set=totals)))
    rows = pa.table({"year": years, **annual}).filter(pa.array(districts))
    sums = rows.group_by(["year"]).aggregate([(m, "sum") for m in MEASURES])
    sums = sums.append_column("district_code", pa.array([city] * sums.num_rows, pa.string()))
    _compare(b, codes, years, annual, sums, mask(pc.equal(codes, city)), "rule.outcome-city-sum-mismatch")


def _compare(b: Bound, codes, years, annual: dict, sums: pa.Table, rows_mask: np.ndarray, key: str) -> None:
    """Compare annual rows in ``rows_mask`` with ``sums`` (0 where no incident matched)."""
    years = pc.cast(years, pa.int64(), safe=False)
    keys = pc.binary_join_element_wise(codes, pc.cast(years, pa.string()), "|")
    sum_keys = pc.binary_join_element_wise(sums["district_code"].combine_chunks(),
                                           pc.cast(pc.cast(sums["year"].combine_chunks(), pa.int64(), safe=False),
                                                   pa.string()), "|")
    where = pc.index_in(keys, value_set=sum_keys)
    known = rows_mask & mask(pc.is_valid(codes)) & mask(pc.is_valid(years))
    for m, param in MEASURES.items():
        stated = annual[m]
        expected = pc.fill_null(sums[f"{m}_sum"].combine_chunks().take(where), 0)
        if not (pa.types.is_integer(stated.type) and pa.types.is_integer(expected.type)):
            # a number column: compared as numbers (no exception for an integer beyond 2^53)
            stated, expected = pc.cast(stated, pa.float64(), safe=False), pc.cast(expected, pa.float64(), safe=False)
        expected_np = expected.to_numpy(zero_copy_only=False)
        bad = known & mask(pc.is_valid(stated)) & mask(pc.not_equal(stated, expected))
        b.report(key, bad, b.field(param), values=lambda row, e=expected_np: {"expected": number(e[row])})
