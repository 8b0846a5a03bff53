"""A synthetic enterprise's name must carry a mark (示例, "example", in ``portal.yml``), so no
real company can appear to be rated or blacklisted by the sample data (DESIGN: the data
packages). Only resources marked ``synthetic`` (or in a package so marked) are checked."""

from __future__ import annotations

import pyarrow.compute as pc

from pipeline.validate.rules import Bound, Field, Value, check, mask


@check("synthetic-name", batched=True,
       field=Field(("string",), "the enterprise's name"),
       mark=Value("the text every synthetic name contains"))
def synthetic_name(b: Bound) -> None:
    """Each name in a synthetic resource contains the mark."""
    resource = b.item.resource
    package = b.catalog.packages.get(resource.package) if b.catalog is not None else None
    if not resource.descriptor.get("synthetic", package.synthetic if package else False):
        return
    field, mark = b.field("field"), b.value("mark")
    names = b.col(field)
    bad = mask(pc.is_valid(names)) & ~mask(pc.match_substring(names, mark))
    b.report("rule.synthetic-name", bad, field, values=lambda row: {"mark": mark})
