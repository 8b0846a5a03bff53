"""A district code used outside its validity dates (DOMAIN 7: the 2015-04-28 reform).

Dated rows (an accident's date, a hazard's listing) must fall inside [valid_from,
valid_to] of the code in the districts table (a role); yearly rows need the district to
exist on some day of that year. Which columns hold the code and the date is bound in
``portal.yml``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import Bound, Field, Role, check, mask

NEVER = np.iinfo(np.int64).max
SINCE_EVER = np.iinfo(np.int64).min


def days(array) -> np.ndarray:
    """date32 → days since 1970 (int64); null → -1 sentinel handled by callers' masks."""
    return pc.fill_null(pc.cast(pc.cast(array, pa.date32()), pa.int32()), 0).to_numpy(
        zero_copy_only=False).astype(np.int64)


def _shown(value) -> str:
    if value in (NEVER, SINCE_EVER):
        return "…"
    return str(np.datetime64(int(value), "D"))


@check("district-validity", batched=True,
       field=Field(("string",), "the district code"),
       date_field=Field(("date", "year", "integer"), "the row's date, or its year"),
       districts=Role({"code": ("string",), "valid_from": ("date",), "valid_to": ("date",)},
                      "the districts with the dates each code is valid (an empty end: still valid)"))
def district_validity(b: Bound) -> None:
    """A dated row needs its district valid on that day; a yearly row (``date_field`` an
    integer or year column) needs it valid on some day of that year."""
    districts = b.role("districts")
    if districts is None:
        return
    valid_from, valid_to = districts.col("valid_from"), districts.col("valid_to")
    start = np.where(mask(pc.is_valid(valid_from)), days(valid_from), SINCE_EVER)
    end = np.where(mask(pc.is_valid(valid_to)), days(valid_to), NEVER)
    field = b.field("field")
    where = pc.index_in(b.col(field), value_set=districts.col("code"))
    known = mask(pc.is_valid(where))
    idx = pc.fill_null(where, 0).to_numpy(zero_copy_only=False)
    lo, hi = start[idx], end[idx]
    when = b.col(b.field("date_field"))
    if pa.types.is_date(when.type):
        d = days(when)
        bad = known & mask(pc.is_valid(when)) & ((d < lo) | (d > hi))
        b.report("rule.district-validity", bad, field,
                 values=lambda row: {"when": _shown(d[row]), "start": _shown(lo[row]), "end": _shown(hi[row])})
        return
    y = pc.fill_null(pc.cast(when, pa.int64(), safe=False), 1970).to_numpy(zero_copy_only=False)
    first = (np.clip(y, 1, 9999) - 1970).astype("M8[Y]").astype("M8[D]").astype(np.int64)
    last = (np.clip(y, 1, 9999) - 1970 + 1).astype("M8[Y]").astype("M8[D]").astype(np.int64) - 1
    bad = known & mask(pc.is_valid(when)) & ((last < lo) | (first > hi))
    b.report("rule.district-validity", bad, field,
             values=lambda row: {"when": str(y[row]), "start": _shown(lo[row]), "end": _shown(hi[row])})
