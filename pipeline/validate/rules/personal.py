"""No personal data in any field (DOMAIN 10): resident ID numbers and mobile numbers.

What is looked for, in every column whatever its type (the cell as written, and for
integer and number columns also the value as it would be published):

* **mobile numbers**: 11 digits ``1[3-9]…``, optionally after ``86`` / ``0086`` (``+86``);
* **resident ID numbers** (居民身份证, GB 11643): 18 characters, 17 digits and a last one
  that may be ``X``; the first two digits a province code, digits 7–14 a real birth date.
  With a valid check digit it is an ID number; with a wrong one it is still reported, as
  an ID number that was probably mistyped.

Before looking, the text is normalised: NFKC (full-width ``１３８``, ``Ｘ``, ideographic
spaces …) and every Unicode decimal digit read as its ASCII digit. Digits may be written in
groups: up to three separators (spaces, dots, dashes, slashes, underscores, middle dots,
line breaks, full-width forms) between two digits join them, so ``138.1234.5678`` and
``110105 19491231 002X`` are found. A number is found only as a whole run of such groups,
never inside a longer run of digits: ``213812345678`` is not a mobile number, but in
``2015 13812345678`` the second group is. Two groups joined by one decimal point alone
(``13.812345678``) are a decimal number, not a phone number.

A unified social credit code (GB 32100, DOMAIN 5) can be 18 digits too, but the
18th character checks the first 17 by another rule. An ID-shaped number whose ID check
digit is wrong but whose USCC check character is right is a credit code and not reported;
in a credit-code column (``uscc``, ``*_uscc``) a valid credit code is never reported as an
ID, whatever its ID check digit. Enterprise codes of market regulation start with ``9``,
which no province code does, so they never look like ID numbers at all.

The scan is columnar: one RE2 pass finds the cells where a mobile or ID shape stands (in
text beyond ASCII, after NFKC, the cells with a run of 11 digits of any script), normally
none; on those, vectorised passes decide the usual forms (a mobile number anywhere in the
cell, an ID number that is the whole cell: check digits in numpy), and only the rest
(several numbers in one note, exotic digits, a decimal point) is read in Python, once per
distinct value. Every expression is linear in the length of the text.

The check runs on the resources ``portal.yml`` binds it to; its optional parameter
``exempt`` maps ``"package/resource/field"`` to the kinds (``"mobile"``, ``"id"``) that
field may hold, e.g. a public hotline column; nothing else is exempt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import uscc
from pipeline.validate.rules import Bound, Value, check, mask, report
from pipeline.validate.rules.text_safety import printable_ascii

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PROVINCES = frozenset([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                       44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83])
KINDS = ("mobile", "id-unchecked", "id")  # ascending precedence: a cell reports its highest
NONE, MOBILE, ID_UNCHECKED, ID = 0, 1, 2, 3
SHORTEST = 11  # characters of the shortest finding: a mobile number without separators

# Separators after NFKC (which folds the full-width and no-break forms into these).
SEPARATORS = " \t\r\n.-/\\_\u00b7\u30fb\u3002\u2010\u2012\u2013\u2014\u2015\u2212\u2027"
_SEP = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SEPARATORS) + "]"
_S = _SEP + "{0,3}"


def _run(classes: list[str]) -> str:
    """Digits (one class each) with up to three separators between neighbours."""
    return _S.join(classes)


_DIGIT = "[0-9]"
_MOBILE_CLASSES = ["1", "[3-9]"] + [_DIGIT] * 9
_MOBILE = _run(_MOBILE_CLASSES)
_PREFIX = f"(?:(?:0{_S}0{_S})?8{_S}6{_S})?"  # 86 or 0086 before the number (+86 138…)
# year 18xx-20xx, month 0x/1x, day 0x-3x: the exact date is checked afterwards
_ID = _run(["[1-8]", _DIGIT] + [_DIGIT] * 4 + ["[12]", "[089]", _DIGIT, _DIGIT, "[01]", _DIGIT,
                                               "[0-3]", _DIGIT] + [_DIGIT] * 3 + ["[0-9Xx]"])
_BEFORE, _AFTER = "(?:^|[^0-9])", "(?:[^0-9]|$)"

# RE2 (Arrow) screens
LONG_RUN_ANY = rf"\p{{Nd}}(?:{_S}\p{{Nd}}){{10}}"  # 11 digits of any script in one run
EXOTIC_DIGIT = r"[^\P{Nd}0-9]"  # a decimal digit other than 0-9 (left after NFKC)
SCREEN_MOBILE = f"{_BEFORE}{_PREFIX}{_MOBILE}{_AFTER}"
SCREEN_ID = f"{_BEFORE}{_ID}{_AFTER}"
SCREEN_EITHER = f"{_BEFORE}(?:{_PREFIX}{_MOBILE}|{_ID}){_AFTER}"  # one pass over clean columns
# 11 digits 1[3-9]… split by one decimal point and nothing else: perhaps only a number
_DECIMAL = "(?:" + "|".join("".join(_MOBILE_CLASSES[:k]) + r"\." + "".join(_MOBILE_CLASSES[k:])
                            for k in range(1, 11)) + ")"
SCREEN_DECIMAL = f"{_BEFORE}{_DECIMAL}{_AFTER}"
WHOLE_DECIMAL = f"^[+-]?{_DECIMAL}$"  # the cell is just that number
WHOLE_ID = f"^{_SEP}*{_ID}{_SEP}*$"
_BLOCK = 1 << 16  # candidates per numpy block: the (n, 17) int64 digits stay under 10 MB


def _python(pattern: str) -> re.Pattern:
    """An RE2 expression with ``\\x{hex}`` escapes as a Python pattern. The look-arounds
    added below are one character wide and every repeat is bounded: linear time."""
    return re.compile(re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: f"\\U{int(m.group(1), 16):08x}", pattern))


FIND_MOBILE = _python(f"(?<![0-9]){_PREFIX}({_MOBILE})(?![0-9])")
FIND_ID = _python(f"(?<![0-9])({_ID})(?![0-9])")
_SEP_PY = _python(_SEP + "+")


def id_check_ok(number: str) -> bool:
    """GB 11643 check digit: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, mod 11 → 1 0 X 9 … 2."""
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == number[17].upper()


def _valid_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    days = days + ((month == 2) & leap)
    return (year >= 1800) & (year <= 2099) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)


def classify_ids(matrix: np.ndarray, uscc_column: bool = False) -> np.ndarray:
    """Kinds (NONE / ID_UNCHECKED / ID) of 18-character candidates, an (n, 18) uint8 matrix of
    ASCII ``[0-9]{17}[0-9Xx]``."""
    digits = matrix[:, :17].astype(np.int64) - ord("0")
    last = matrix[:, 17]
    province = digits[:, 0] * 10 + digits[:, 1]
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    shaped = np.isin(province, list(PROVINCES)) & _valid_date(year, month, day)
    wanted = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[(digits @ np.array(ID_WEIGHTS)) % 11]
    upper = np.where(last == ord("x"), ord("X"), last)
    checked = upper == wanted
    # digits are in the credit code's alphabet; its check character must be an upper-case X
    credit_code = uscc.check_chars(np.ascontiguousarray(matrix[:, :17])) == last
    kinds = np.where(checked, ID, ID_UNCHECKED)
    kinds = np.where(credit_code & (~checked | uscc_column), NONE, kinds)
    return np.where(shaped, kinds, NONE).astype(np.int8)


def normalise(text: str) -> str:
    """NFKC, then every decimal digit as its ASCII digit."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _matches(pattern: re.Pattern, text: str):
    """Every match, overlapping ones too (each search starts one character after the
    previous match's start, so the work stays linear)."""
    position = 0
    while (found := pattern.search(text, position)) is not None:
        yield found
        position = found.start() + 1


def kind_of(text: str, uscc_column: bool = False) -> int:
    """The kind (NONE, MOBILE, ID_UNCHECKED, ID) of the personal data ``text`` holds."""
    text = normalise(text)
    best = NONE
    for found in _matches(FIND_ID, text):
        number = _SEP_PY.sub("", found.group(1))
        matrix = np.frombuffer(number.encode("ascii"), dtype=np.uint8).reshape(1, 18)
        best = max(best, int(classify_ids(matrix, uscc_column)[0]))
        if best == ID:
            return ID
    if best:
        return best
    for found in _matches(FIND_MOBILE, text):
        prefix = found.group(0)[: found.start(1) - found.start(0)]
        if not prefix and [c for c in found.group(1) if c in SEPARATORS] == ["."]:
            continue  # 13.812345678: a decimal number
        return MOBILE
    return NONE


def finding(text: str, uscc_column: bool = False) -> str | None:
    """What kind of personal data ``text`` holds ("id", "id-unchecked", "mobile"), or None."""
    kind = kind_of(text, uscc_column)
    return KINDS[kind - 1] if kind else None


def _regex(values, pattern: str) -> np.ndarray:
    return mask(pc.match_substring_regex(values, pattern))


def detect(values: pa.Array | pa.ChunkedArray, uscc_column: bool = False) -> np.ndarray:
    """Kind of personal data (NONE … ID) in each text of ``values``, as an int8 array."""
    n = len(values)
    kinds = np.zeros(n, dtype=np.int8)
    if n == 0 or (pc.max(pc.utf8_length(values)).as_py() or 0) < SHORTEST:
        return kinds  # codes and short words cannot hold a phone or an ID number
    ascii_only = printable_ascii(values)
    text = values if ascii_only else pc.utf8_normalize(values, form="NFKC")
    # ASCII: the cells where a mobile or ID shape stands; otherwise the cells with 11 digits
    # of any script in a run (exotic digits are read in Python)
    rows = np.flatnonzero(_regex(text, SCREEN_EITHER if ascii_only else LONG_RUN_ANY))
    if not len(rows):
        return kinds
    sub = text.take(pa.array(rows)) if len(rows) < n else text
    if isinstance(sub, pa.ChunkedArray):
        sub = sub.combine_chunks()
    exotic = np.zeros(len(rows), dtype=bool) if ascii_only else _regex(sub, EXOTIC_DIGIT)
    mobile = _regex(sub, SCREEN_MOBILE)
    decimal = mobile & _regex(sub, SCREEN_DECIMAL)  # perhaps only a number: decided below
    ids = _regex(sub, SCREEN_ID)
    whole = ids & _regex(sub, WHOLE_ID)
    unsure = decimal.copy()
    if decimal.any():  # a cell that is just such a number holds nothing else
        unsure[decimal] = ~_regex(sub.filter(pa.array(decimal)), WHOLE_DECIMAL)
    found = np.where(mobile & ~decimal, MOBILE, NONE).astype(np.int8)
    if whole.any():  # an ID number that is the whole cell: decided in numpy
        from pipeline.validate.rules.uscc import as_matrix

        at = np.flatnonzero(whole)
        for start in range(0, len(at), _BLOCK):
            block = at[start:start + _BLOCK]
            bare = pc.replace_substring_regex(sub.take(pa.array(block)), _SEP + "+", "")
            found[block] = np.maximum(found[block], classify_ids(as_matrix(bare, 18), uscc_column))
    slow = exotic | unsure | (ids & ~whole)
    if slow.any():  # several numbers in one text, a decimal point, exotic digits
        at = np.flatnonzero(slow)
        originals = values.take(pa.array(rows[at])).to_pylist()
        cache: dict[str, int] = {}
        for i, original in zip(at.tolist(), originals):
            if original is not None:
                if original not in cache:
                    cache[original] = kind_of(original, uscc_column)
                found[i] = cache[original]
    kinds[rows] = found
    return kinds


def _published_text(parsed) -> pa.Array | None:
    """Integer and number values of 11 or more digits as the text a download would show
    (1.3812345678E10 is published as 13812345678); None when there are none."""
    typed = parsed.typed
    if pa.types.is_floating(typed.type):
        big = mask(pc.and_(pc.greater_equal(pc.abs(typed), 1e10), pc.less(pc.abs(typed), 9e18)))
        if not big.any():
            return None
        values = pc.if_else(pa.array(big), typed, pa.scalar(None, typed.type))
        integral = mask(pc.equal(pc.floor(values), values))
        values = pc.if_else(pa.array(integral), values, pa.scalar(None, typed.type))
        return pc.cast(pc.cast(values, pa.int64()), pa.string())
    if pa.types.is_integer(typed.type):
        big = mask(pc.or_(pc.greater_equal(typed, 10**10), pc.less_equal(typed, -10**10)))
        if not big.any():
            return None
        return pc.cast(pc.if_else(pa.array(big), typed, pa.scalar(None, typed.type)), pa.string())
    if pa.types.is_decimal(typed.type) or pa.types.is_string(typed.type):  # beyond int64
        return pc.cast(typed, pa.string())
    return None


def _exemptions(exempt: Mapping[str, Iterable[str]] | None) -> dict[str, frozenset[int]]:
    out = {}
    for where, kinds in (exempt or {}).items():
        codes = set()
        for kind in [kinds] if isinstance(kinds, str) else kinds:
            if kind == "mobile":
                codes.add(MOBILE)
            elif kind == "id":
                codes.update((ID, ID_UNCHECKED))
            else:
                raise ValueError(f"personal-data exemption {where}: unknown kind {kind!r} (mobile, id)")
        out[where] = frozenset(codes)
    return out


@check("personal-data", batched=True, exempt=Value(
    "\"package/resource/field\" → the kinds (mobile, id) that field may hold, e.g. a public "
    "hotline column; nothing else is exempt", required=False))
def personal_data(b: Bound) -> None:
    """No mobile or resident ID number in any field of the bound resources."""
    scan(b.item, b.value("exempt"))


def scan(item, exempt: Mapping[str, Iterable[str]] | None = None) -> None:
    """Report the personal data in every field of ``item`` (a checked resource), but the
    kinds ``exempt`` allows in a field (``"package/resource/field"`` → kinds)."""
    allowed = _exemptions(exempt)
    r = item.resource
    for fld in r.fields:
        name = fld.get("name", "")
        col = item.column_of(name)
        if col is None:
            continue  # a field without a column (fieldsMatch): nothing to read
        credit_code = name == "uscc" or name.endswith("_uscc")
        cells = r.table.column(col)  # the cells as written (typed only after validation)
        kinds = detect(cells if pa.types.is_string(cells.type) else pc.cast(cells, pa.string()), credit_code)
        parsed = item.key(name)
        published = _published_text(parsed) if parsed is not None and parsed.numeric else None
        if published is not None:
            kinds = np.maximum(kinds, detect(published, credit_code))
        for code in allowed.get(f"{r.package}/{r.name}/{name}", ()):
            kinds[kinds == code] = NONE
        for code in (ID, ID_UNCHECKED, MOBILE):
            # the report must not repeat what it found: CI logs are public too
            report(item, "personal-data", f"rule.personal-data-{KINDS[code - 1]}", kinds == code,
                   name, redact=True)
