"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015): check character and validity.

18 characters from ``0-9 A-H J-N P-R T U W-Y`` (I, O, Z, S and V are never used, so they
cannot be misread). Position 18 is a check character over positions 1–17 with weights
3^(i-1) mod 31; see DOMAIN.md section 5.
"""

from __future__ import annotations

import re

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # value = index
assert len(ALPHABET) == 31
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
_VALUE = {c: v for v, c in enumerate(ALPHABET)}
_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{18}")

# ASCII byte → value (255 = not in the alphabet); used by the vectorised helpers.
_LOOKUP = np.full(256, 255, dtype=np.uint8)
for _c, _v in _VALUE.items():
    _LOOKUP[ord(_c)] = _v
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def check_char(first17: str) -> str:
    """The 18th character for the 17 characters ``first17``.

    Raises ValueError on a wrong length or a character outside the code's alphabet.
    """
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not used in a USCC") from None
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True if ``code`` has the USCC shape and its check character matches."""
    if not isinstance(code, str) or not _SHAPE.fullmatch(code):
        return False
    return check_char(code[:17]) == code[17]


def check_chars(first17: np.ndarray) -> np.ndarray:
    """Vectorised check characters.

    ``first17`` is an (n, 17) uint8 array of ASCII bytes; returns (n,) uint8 ASCII bytes.
    """
    values = _LOOKUP[first17]
    if (values == 255).any():
        raise ValueError("a character outside the USCC alphabet")
    total = values.astype(np.int64) @ np.asarray(WEIGHTS, dtype=np.int64)
    return _ALPHABET_BYTES[(31 - total % 31) % 31]


def complete(first17: np.ndarray) -> np.ndarray:
    """Append check characters: (n, 17) uint8 ASCII → numpy ``S18`` array of full codes."""
    first17 = np.ascontiguousarray(first17, dtype=np.uint8)
    full = np.empty((first17.shape[0], 18), dtype=np.uint8)
    full[:, :17] = first17
    full[:, 17] = check_chars(first17)
    return full.view("S18").ravel()


def org_check_char(first8: np.ndarray) -> np.ndarray:
    """GB 11714 organisation-code check character for (n, 8) uint8 ASCII digits.

    Weights 3 7 9 10 5 8 4 2; C9 = 11 − (Σ mod 11), 10 → "X", 11 → "0". Giving the
    synthetic codes a correct inner check character keeps them realistic throughout.
    """
    digits = first8.astype(np.int64) - ord("0")
    total = digits @ np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
    c = 11 - total % 11
    out = (c + ord("0")).astype(np.uint8)
    out[c == 10] = ord("X")
    out[c == 11] = ord("0")
    return out


def make_codes(district_codes: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """Valid enterprise USCCs (``91`` + district + organisation code + check), as ``S18``.

    ``district_codes``: (n,) integers such as 320412 (the registering authority's division);
    ``serials``: (n,) distinct integers in [0, 10**8) that become the organisation codes,
    so distinct serials give distinct codes.
    """
    n = len(serials)
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, 0] = ord("9")  # registered with market regulation
    body[:, 1] = ord("1")  # enterprise
    body[:, 2:8] = _digits(np.asarray(district_codes, dtype=np.int64), 6)
    body[:, 8:16] = _digits(np.asarray(serials, dtype=np.int64), 8)
    body[:, 16] = org_check_char(body[:, 8:16])
    return complete(body)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
