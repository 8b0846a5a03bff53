"""A district code used outside its validity dates (DOMAIN 7: the 2015-04-28 reform).

Dated rows (an accident's date, a hazard's listing) must fall inside [valid_from,
valid_to]; yearly rows need the district to exist on some day of that year.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report

DATED = (("accident-outcomes", "accidents", "date"), ("enterprise-credit", "hazards", "listed"))
YEARLY = (("accident-outcomes", "annual_outcomes"), ("accident-outcomes", "control_targets"),
          ("indicator-progress", "observations"))
NEVER = np.iinfo(np.int64).max
SINCE_EVER = np.iinfo(np.int64).min


def days(array) -> np.ndarray:
    """date32 → days since 1970 (int64); null → -1 sentinel handled by callers' masks."""
    return pc.fill_null(pc.cast(pc.cast(array, pa.date32()), pa.int32()), 0).to_numpy(
        zero_copy_only=False).astype(np.int64)


def check(view: View) -> None:
    districts = view.get("reference", "districts", "code", "valid_from", "valid_to")
    if districts is None:
        return
    codes = col(districts, "code")
    start = np.where(mask(pc.is_valid(col(districts, "valid_from"))), days(col(districts, "valid_from")), SINCE_EVER)
    end = np.where(mask(pc.is_valid(col(districts, "valid_to"))), days(col(districts, "valid_to")), NEVER)

    def lookup(item):
        where = pc.index_in(col(item, "district_code"), value_set=codes)
        known = mask(pc.is_valid(where))
        idx = pc.fill_null(where, 0).to_numpy(zero_copy_only=False)
        return known, start[idx], end[idx]

    def shown(value):
        if value in (NEVER, SINCE_EVER):
            return "…"
        return str(np.datetime64(int(value), "D"))

    for package, resource, date_field in DATED:
        item = view.get(package, resource, "district_code", date_field)
        if item is None:
            continue
        known, lo, hi = lookup(item)
        dates = col(item, date_field)
        d = days(dates)
        bad = known & mask(pc.is_valid(dates)) & ((d < lo) | (d > hi))
        report(item, "district-validity", "rule.district-validity", bad, "district_code",
               values=lambda row, lo=lo, hi=hi, d=d: {"when": shown(d[row]), "start": shown(lo[row]),
                                                      "end": shown(hi[row])})
    for package, resource in YEARLY:
        item = view.get(package, resource, "district_code", "year")
        if item is None:
            continue
        known, lo, hi = lookup(item)
        years = col(item, "year")
        y = pc.fill_null(pc.cast(years, pa.int64()), 1970).to_numpy(zero_copy_only=False)
        first = (np.clip(y, 1, 9999) - 1970).astype("M8[Y]").astype("M8[D]").astype(np.int64)
        last = (np.clip(y, 1, 9999) - 1970 + 1).astype("M8[Y]").astype("M8[D]").astype(np.int64) - 1
        bad = known & mask(pc.is_valid(years)) & ((last < lo) | (first > hi))
        report(item, "district-validity", "rule.district-validity", bad, "district_code",
               values=lambda row, lo=lo, hi=hi, y=y: {"when": str(y[row]), "start": shown(lo[row]),
                                                      "end": shown(hi[row])})
