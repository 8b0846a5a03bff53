"""USCC check character (GB 32100-2015, DOMAIN 5) on the bound ``field``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import uscc
from pipeline.validate.rules import Bound, Field, check, mask

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


_BLOCK = 1 << 16  # codes per block: the (n, 17) int64 weights stay under 10 MB


def wrong_codes(codes: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For distinct non-null ``codes``: which have the USCC shape, which of those have a
    wrong check character, and the expected character of each of those."""
    shaped = mask(pc.match_substring_regex(codes, SHAPE))
    rows = np.flatnonzero(shaped)
    wrong = np.zeros(len(codes), dtype=bool)
    expected = np.zeros(len(codes), dtype=np.uint8)
    if len(rows):
        picked = codes.take(pa.array(rows)) if len(rows) < len(codes) else codes
        matrix = as_matrix(picked, 18)
        for start in range(0, len(rows), _BLOCK):
            block = matrix[start:start + _BLOCK]
            wanted = uscc.check_chars(np.ascontiguousarray(block[:, :17]))
            at = rows[start:start + _BLOCK]
            wrong[at] = block[:, 17] != wanted
            expected[at] = wanted
    return shaped, wrong, expected


@check("uscc-check-digit", batched=True, field=Field(("string",), "the credit code column"))
def uscc_check_digit(b: Bound) -> None:
    """The shape and the check character of each code in ``field``."""
    name = b.field("field")
    # A code repeats in every table that refers to the firm (a rating per year): each
    # distinct code is checked once and the verdict mapped back to its rows (the
    # foreign-key check has usually found the distinct codes already).
    at, distinct = b.item.encoding(name)
    if not len(distinct):
        return
    shaped, wrong, expected = wrong_codes(distinct)
    present = at >= 0
    at = np.where(present, at, 0)
    b.report("rule.uscc-shape", present & ~shaped[at], name)
    bad = present & wrong[at]
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    want = dict(zip(rows.tolist(), (chr(c) for c in expected[at[rows]])))
    b.report("rule.uscc-check-digit", bad, name, values=lambda row: {"expected": want[row]})
