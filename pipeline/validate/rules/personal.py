"""No personal data in any text field (DOMAIN 10): 18-digit resident ID numbers whose
check digit is valid (GB 11643) and mainland mobile numbers.

The whole column is screened with one RE2 pass; only the (normally zero) candidate rows
are examined in Python, where the ID's check digit separates real IDs from long numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_BODY = r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
_MOBILE_BODY = r"(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}"
SCREEN_ID = f"(?:^|[^0-9]){_ID_BODY}(?:[^0-9]|$)"
SCREEN_MOBILE = f"(?:^|[^0-9+]){_MOBILE_BODY}(?:[^0-9]|$)"
SHORTEST = 11  # characters of the shortest match: a mobile number without separators
FIND_ID = re.compile(f"(?<![0-9])({_ID_BODY})(?![0-9])")
MOBILE = re.compile(f"(?<![0-9+]){_MOBILE_BODY}(?![0-9])")


def id_check_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == number[17].upper()


def finding(text: str) -> str | None:
    """What kind of personal data ``text`` holds ("id" / "mobile"), or None."""
    if any(id_check_ok(m) for m in FIND_ID.findall(text)):
        return "id"
    if MOBILE.search(text):
        return "mobile"
    return None


def exempt(name: str) -> bool:
    # enterprise codes are 18 characters and may be all digits: not personal data
    return name == "uscc" or name.endswith("_uscc")


def check(view: View) -> None:
    for item in view:
        for fld in item.resource.fields:
            name = fld.get("name", "")
            if fld.get("type", "string") not in ("string", "any") or exempt(name):
                continue
            values = col(item, name)
            if (pc.max(pc.utf8_length(values)).as_py() or 0) < SHORTEST:
                continue  # codes and short words cannot hold a phone number or an ID
            candidates = mask(pc.match_substring_regex(values, SCREEN_ID)) | \
                mask(pc.match_substring_regex(values, SCREEN_MOBILE))
            rows = np.flatnonzero(candidates)
            if not len(rows):
                continue
            kinds = {}
            for row, text in zip(rows.tolist(), values.take(pa.array(rows)).to_pylist()):
                kind = finding(text)
                if kind:
                    kinds[row] = kind
            for kind in ("id", "mobile"):
                bad = np.zeros(len(values), dtype=bool)
                bad[[r for r, k in kinds.items() if k == kind]] = True
                # the report must not repeat what it found: CI logs are public too
                report(item, "personal-data", f"rule.personal-data-{kind}", bad, name, redact=True)
