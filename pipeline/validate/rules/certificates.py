"""Standardisation certificates last a fixed term: expires = issued + term (DOMAIN 8: three
years; ``term_years`` in ``portal.yml``)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from pipeline.validate.rules import Bound, Field, Value, check, mask
from pipeline.validate.rules.dates import add_years, iso, to_days


@check("certificate-expiry", batched=True,
       issued_field=Field(("date",), "the issue date"),
       expires_field=Field(("date",), "the stated expiry date"),
       term_years=Value("how many years a certificate lasts"))
def certificate_expiry(b: Bound) -> None:
    """expires = issued + term_years years (29 February becomes 28 February)."""
    issued = b.col(b.field("issued_field"))
    expires_field = b.field("expires_field")
    expires = b.col(expires_field)
    years = b.value("term_years")
    known = mask(pc.is_valid(issued)) & mask(pc.is_valid(expires))
    expected = add_years(to_days(issued), np.full(len(issued), years))
    bad = known & (to_days(expires) != expected)
    b.report("rule.certificate-expiry", bad, expires_field,
             values=lambda row: {"expected": iso(expected[row]), "years": years})
