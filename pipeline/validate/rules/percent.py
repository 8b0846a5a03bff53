"""Percentages within 0–100: observations of ``percent`` indicators, and any field that
declares itself a percentage (``unit``/``x-unit`` "percent", or a ``_pct``/``_percent``
name)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report


def _out_of_range(values) -> np.ndarray:  # noqa: F821
    as_float = pc.cast(values, pa.float64())
    return mask(pc.or_(pc.less(as_float, 0.0), pc.greater(as_float, 100.0)))


def check(view: View) -> None:
    for item in view:
        for fld in item.resource.fields:
            name = fld.get("name", "")
            declared = "percent" in (fld.get("unit"), fld.get("x-unit"))
            if (declared or name.endswith(("_pct", "_percent"))) and fld.get("type") in ("number", "integer") \
                    and item.key(name) is not None:  # a field without a column has nothing to read
                report(item, "percent-range", "rule.percent-range", _out_of_range(col(item, name)), name)
    item = view.get("indicator-progress", "observations", "indicator_id", "value")
    indicators = view.get("indicator-progress", "indicators", "id", "unit")
    if item is None or indicators is None:
        return
    percent_ids = col(indicators, "id").filter(pc.fill_null(pc.equal(col(indicators, "unit"), "percent"), False))
    is_percent = mask(pc.is_in(col(item, "indicator_id"), value_set=percent_ids))
    report(item, "percent-range", "rule.percent-range", is_percent & _out_of_range(col(item, "value")), "value")
