"""USCC check character (GB 32100-2015, DOMAIN 5) on every ``uscc`` / ``*_uscc`` field."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import uscc
from pipeline.validate.rules import View, col, mask, report

SHAPE = "^[0-9A-HJ-NP-RTUW-Y]{18}$"


def as_matrix(codes: pa.Array, width: int) -> np.ndarray:
    """Strings of exactly ``width`` ASCII bytes as an (n, width) uint8 matrix, no copies
    per row: the bytes are already contiguous in the Arrow buffer."""
    codes = pc.cast(codes, pa.binary())
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    offsets = np.frombuffer(codes.buffers()[1], dtype=np.int32)[codes.offset: codes.offset + len(codes) + 1]
    data = np.frombuffer(codes.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]]
    return data.reshape(-1, width)


def check(view: View) -> None:
    for item in view:
        for fld in item.resource.fields:
            name = fld.get("name", "")
            if (name != "uscc" and not name.endswith("_uscc")) or fld.get("type", "string") != "string":
                continue
            values = col(item, name)
            present = mask(pc.is_valid(values))
            shaped = mask(pc.match_substring_regex(values, SHAPE))
            report(item, "uscc-check-digit", "rule.uscc-shape", present & ~shaped, name)
            rows = np.flatnonzero(shaped)
            if not len(rows):
                continue
            matrix = as_matrix(values.take(pa.array(rows)), 18)
            wanted = uscc.check_chars(np.ascontiguousarray(matrix[:, :17]))
            wrong = matrix[:, 17] != wanted
            bad = np.zeros(len(values), dtype=bool)
            bad[rows[wrong]] = True
            expected = dict(zip(rows[wrong].tolist(), (chr(c) for c in wanted[wrong])))
            report(item, "uscc-check-digit", "rule.uscc-check-digit", bad, name,
                   values=lambda row, expected=expected: {"expected": expected[row]})
