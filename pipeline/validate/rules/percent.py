"""Percentages within 0–100.

* ``percent-range``: every field of the bound resources that declares itself a percentage
  (``unit``/``x-unit`` "percent", or a name ending ``_pct``/``_percent``: the declaration
  is the parameter, so this check takes none);
* ``percent-range.indicator``: the values of rows whose indicator (a role) has the unit
  ``percent``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import NUMERIC, Bound, Field, Role, check, mask


def _out_of_range(values) -> np.ndarray:
    as_float = pc.cast(values, pa.float64(), safe=False)
    return mask(pc.or_(pc.less(as_float, 0.0), pc.greater(as_float, 100.0)))


@check("percent-range")
def percent_range(b: Bound) -> None:
    """Each declared percentage between 0 and 100."""
    for fld in b.item.resource.fields:
        name = fld.get("name", "")
        declared = "percent" in (fld.get("unit"), fld.get("x-unit"))
        if (declared or name.endswith(("_pct", "_percent"))) and fld.get("type") in NUMERIC \
                and b.item.key(name) is not None:  # a field without a column has nothing to read
            if not pa.types.is_floating(b.col(name).type) and not pa.types.is_integer(b.col(name).type):
                continue  # an integer beyond 38 digits stays text: no percentage
            b.report("rule.percent-range", _out_of_range(b.col(name)), name)


@check("percent-range.indicator",
       indicator_field=Field(("string",), "the indicator id of the row"),
       value_field=Field(NUMERIC, "the stated value"),
       indicators=Role({"id": ("string",), "unit": ("string",)}, "the indicators: id and unit"))
def percent_range_by_indicator(b: Bound) -> None:
    """The value of each row of a ``percent`` indicator between 0 and 100."""
    indicators = b.role("indicators")
    if indicators is None:
        return
    percent_ids = indicators.col("id").filter(pc.fill_null(pc.equal(indicators.col("unit"), "percent"), False))
    is_percent = mask(pc.is_in(b.col(b.field("indicator_field")), value_set=percent_ids))
    value = b.field("value_field")
    b.report("rule.percent-range", is_percent & _out_of_range(b.col(value)), value)
