"""Standardisation certificates last three years: expires = issued + 3 years (DOMAIN 8)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report
from pipeline.validate.rules.dates import add_years, iso, to_days

TERM_YEARS = 3


def check(view: View) -> None:
    item = view.get("enterprise-credit", "certificates", "issued", "expires")
    if item is None:
        return
    issued, expires = col(item, "issued"), col(item, "expires")
    known = mask(pc.is_valid(issued)) & mask(pc.is_valid(expires))
    expected = add_years(to_days(issued), np.full(len(issued), TERM_YEARS))
    bad = known & (to_days(expires) != expected)
    report(item, "certificate-expiry", "rule.certificate-expiry", bad, "expires",
           values=lambda row: {"expected": iso(expected[row])})
