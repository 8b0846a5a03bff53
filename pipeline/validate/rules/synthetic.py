"""A synthetic enterprise's name must carry 示例 ("example"), so no real company can
appear to be rated or blacklisted by the sample data (DESIGN: the data packages)."""

from __future__ import annotations

import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report

MARK = "示例"


def check(view: View) -> None:
    item = view.get("enterprise-credit", "enterprises", "name")
    if item is None:
        return
    package = view.catalog.packages.get("enterprise-credit")
    synthetic = item.resource.descriptor.get("synthetic", package.synthetic if package else False)
    if not synthetic:
        return
    names = col(item, "name")
    bad = mask(pc.is_valid(names)) & ~mask(pc.match_substring(names, MARK))
    report(item, "synthetic-name", "rule.synthetic-name", bad, "name", values=lambda row: {"mark": MARK})
