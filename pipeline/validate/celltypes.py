"""Reading cells as Table Schema types, a column at a time.

Every type has two readers:

* a **fast** one in Arrow compute that decides the common, canonical spellings
  (``42``, ``3.5``, ``2013-05-01``, ``true``) for the whole column at once, and
* an **exact** one in Python that decides everything else exactly as frictionless (the
  reference implementation) does — but only once per *distinct* leftover value, so valid
  data never reaches Python and a column of bad values costs one call per distinct value.

The typed column that comes out (see ``TYPED``) is what later stages use; the ``key``
column is what unique / primary-key / foreign-key checks compare.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Arrow type of each Table Schema type in a validated table. Types without a natural
# Arrow counterpart keep their text, which is what a download shows anyway.
TYPED = {
    "string": "string", "integer": "int64 (decimal128(38,0) beyond int64, text beyond that)",
    "number": "float64", "boolean": "bool", "date": "date32", "year": "int64",
    "datetime": "string", "time": "string", "yearmonth": "string", "duration": "string",
    "geopoint": "string", "geojson": "string", "object": "string", "array": "string",
    "list": "string", "any": "string",
}
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
INT64_MAX = 2**63 - 1
_YEAR_ONE = (date(1, 1, 1) - date(1970, 1, 1)).days


@dataclass
class Parsed:
    valid: np.ndarray  # bool per row: the cell is present and reads as the type
    typed: pa.Array  # typed values, null where blank or invalid
    key: pa.Array  # comparable values for keys (numbers as float64, others typed/text)
    numeric: bool = False  # key is numeric (compares equal across integer/number/boolean)


def field_type(field: dict) -> str:
    # A field without a type is a string (Table Schema; frictionless reads it so too):
    # its pattern, minLength and maxLength apply.
    return field.get("type") or "string"


def field_format(field: dict) -> str:
    fmt = field.get("format") or "default"
    return fmt.removeprefix("fmt:")


# ---------------------------------------------------------------------------------------
# exact (per distinct value) readers, mirroring the reference implementation


def _strip_non_bare(cell: str) -> str:
    """What ``re.sub(r"((^[^-\\d]*)|(\\D*$))", "", cell)`` (the reference's reading of
    ``bareNumber: false``) leaves, without its quadratic backtracking on long cells: the
    leading characters that are neither "-" nor a digit and the trailing non-digits go."""
    start, end = 0, len(cell)
    while start < end and not (cell[start] == "-" or cell[start].isdecimal()):
        start += 1
    while end > start and not cell[end - 1].isdecimal():
        end -= 1
    return cell[start:end]


def exact_reader(field: dict) -> Callable[[str], Any]:
    """A function str → typed Python value, or None when the cell is not of the type."""
    kind, fmt = field_type(field), field_format(field)
    if kind == "integer":
        bare = field.get("bareNumber", True)

        def read(cell):
            cell = cell.strip()
            if not bare:
                cell = _strip_non_bare(cell)
            try:
                return int(cell)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
        return read
    if kind == "number":
        bare = field.get("bareNumber", True)
        group = field.get("groupChar", "")
        decimal_char = field.get("decimalChar", ".")
        custom = any(k in field for k in ("groupChar", "decimalChar", "bareNumber"))

        def read(cell):
            cell = cell.strip()
            if custom:
                if not bare:
                    cell = _strip_non_bare(cell)
                cell = cell.replace(group, "") if group else cell
                if decimal_char != "." and "." in cell:
                    return None
                cell = cell.replace(decimal_char, ".")
            try:
                return Decimal(cell)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
        return read
    if kind == "boolean":
        mapping = {v: True for v in field.get("trueValues", DEFAULT_TRUE)}
        mapping.update({v: False for v in field.get("falseValues", DEFAULT_FALSE)})
        return mapping.get
    if kind == "date":
        def read(cell):
            try:
                if fmt == "default":
                    return datetime.strptime(cell, "%Y-%m-%d").date()
                if fmt == "any":
                    from dateutil import parser
                    return parser.parse(cell).date()
                return datetime.strptime(cell, fmt).date()
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
        return read
    if kind == "datetime":
        def read(cell):
            try:
                if fmt == "default":
                    from dateutil import parser
                    if cell[16] != ":" or len(cell) < 19:
                        return None
                    return parser.isoparse(cell)
                if fmt == "any":
                    from dateutil import parser
                    return parser.parse(cell)
                return datetime.strptime(cell, fmt)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
        return read
    if kind == "time":
        def read(cell):
            try:
                from dateutil import parser
                if fmt == "default":
                    if cell[5] != ":" or len(cell) < 8:
                        return None
                    return parser.isoparse(f"2000-01-01T{cell}").timetz()
                if fmt == "any":
                    return parser.parse(cell).timetz()
                return datetime.strptime(cell, fmt).timetz()
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
        return read
    if kind == "year":
        def read(cell):
            if len(cell) != 4:
                return None
            try:
                value = int(cell)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
            return value if 0 <= value <= 9999 else None
        return read
    if kind == "yearmonth":
        def read(cell):
            try:
                year, month = cell.split("-")
                year, month = int(year), int(month)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
            return (year, month) if 1 <= month <= 12 else None
        return read
    if kind == "duration":
        return _read_duration
    if kind == "geopoint":
        def read(cell):
            try:
                if fmt == "default":
                    lon, lat = cell.split(",")
                    lon, lat = lon.strip(), lat.strip()
                elif fmt == "array":
                    lon, lat = json.loads(cell)
                else:
                    obj = json.loads(cell)
                    if len(obj) != 2:
                        return None
                    lon, lat = obj["lon"], obj["lat"]
                lon, lat = Decimal(lon), Decimal(lat)
                if lon > 180 or lon < -180 or lat > 90 or lat < -90:
                    return None
                return (lon, lat)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
        return read
    if kind in ("object", "geojson"):
        def read(cell):
            try:
                value = json.loads(cell)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
            if not isinstance(value, dict):
                return None
            if kind == "geojson" and fmt == "default" and value.get("type") not in _GEOJSON:
                return None
            return value
        return read
    if kind == "array":
        def read(cell):
            try:
                value = json.loads(cell)
            except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                return None
            return value if isinstance(value, list) else None
        return read
    if kind == "list":
        delimiter = field.get("delimiter", ",")
        item = field.get("itemType", "string")
        item_reader = exact_reader({"type": item}) if item != "string" else None

        def read(cell):
            items = cell.split(delimiter)
            if item_reader is not None:
                items = [item_reader(i) for i in items]
                if any(i is None for i in items):
                    return None
            return items
        return read
    if kind == "string":
        if fmt == "email":
            return lambda cell: cell if _is_email(cell) else None
        if fmt == "uuid":
            return lambda cell: cell if _UUID.fullmatch(cell) else None
        if fmt == "uri":
            return lambda cell: cell if _URI.fullmatch(cell) else None
        if fmt == "binary":
            def read(cell):
                try:
                    base64.b64decode(cell)
                except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
                    return None
                return cell
            return read
        return lambda cell: cell
    return lambda cell: cell  # any, and types we do not know: accepted as text


_GEOJSON = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
            "GeometryCollection", "Feature", "FeatureCollection"}
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*")
_DURATION = re.compile(
    r"P(?!$)(?:(?P<y>\d+(?:[.,]\d+)?)Y)?(?:(?P<mo>\d+(?:[.,]\d+)?)M)?(?:(?P<w>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<d>\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<mi>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?", re.ASCII)


def _is_email(cell: str) -> bool:
    """``[^@\\s]+@[^@\\s]+\\.[^@\\s]+`` as a whole, in linear time (the regular expression
    backtracks quadratically on a long run of dots): one "@" with text before it, and a dot
    after it that is neither the first nor the last character of the domain; no spaces."""
    local, at, domain = cell.partition("@")
    if not at or not local or "@" in domain or any(c.isspace() for c in cell):
        return False
    return "." in domain[1:-1]


def _read_duration(cell: str):
    match = _DURATION.fullmatch(cell)
    return cell if match else None


# ---------------------------------------------------------------------------------------
# columnar reading


def _mask(array: pa.Array) -> np.ndarray:
    """An Arrow boolean array (nulls as False) as a numpy bool array."""
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _match(values: pa.Array, regex: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(values, regex))


def _residue(values: pa.Array, todo: np.ndarray, reader) -> tuple[pa.Array, list]:
    """Apply ``reader`` once per distinct value among ``values[todo]``.

    Returns (distinct values, their readings) and the index of each todo row in them.
    """
    rows = np.flatnonzero(todo)
    picked = values.take(pa.array(rows))
    distinct = pc.unique(picked)
    readings = [reader(v) for v in distinct.to_pylist()]
    index = pc.index_in(picked, value_set=distinct).to_numpy(zero_copy_only=False)
    return rows, readings, index


def parse(field: dict, values: pa.Array, present: np.ndarray) -> Parsed:
    """Read ``values`` (strings) where ``present`` as the type of ``field``."""
    kind = field_type(field)
    fmt = field_format(field)
    n = len(values)
    if kind == "string" and fmt == "default" or kind == "any":
        # no copy when nothing is blank (the usual case for required text)
        typed = values if present.all() else pc.if_else(pa.array(present), values, pa.nulls(n, pa.string()))
        return Parsed(present.copy(), typed, typed)
    if kind == "integer" and field.get("bareNumber", True):
        return _parse_integer(field, values, present)
    if kind == "number" and not any(k in field for k in ("groupChar", "decimalChar", "bareNumber")):
        return _parse_number(field, values, present)
    if kind == "boolean":
        return _parse_boolean(field, values, present)
    if kind == "date" and fmt == "default":
        return _parse_date(field, values, present)
    if kind == "year":
        return _parse_year(field, values, present)
    return _parse_generic(field, values, present)


def _whole_column(values: pa.Array, present: np.ndarray, filler: str, target: pa.DataType):
    """Cast every present cell at once; None if any of them does not cast. Arrow's parsers
    accept a subset of what the exact readers accept, so a clean cast decides the column."""
    try:
        if present.all():
            return values.cast(target)
        filled = pc.if_else(pa.array(present), values, pa.scalar(filler, pa.string()))
        return filled.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _masked(whole, present: np.ndarray, target: pa.DataType) -> pa.Array:
    """``whole`` with nulls where cells are blank; no copy when none is."""
    if present.all():  # chunked as read: combining would copy
        return whole
    return pc.if_else(pa.array(present), whole, pa.scalar(None, target))


def _parse_integer(field, values, present):
    whole = _whole_column(values, present, "0", pa.int64())
    if whole is not None:
        typed = _masked(whole, present, pa.int64())
        return Parsed(present.copy(), typed, typed, numeric=True)
    # A column that did not cast has a few bad cells among many plain ones: unsigned
    # digits first, without a regex; the signed among the rest
    fast = present & _mask(pc.and_(pc.ascii_is_decimal(values),
                                   pc.less_equal(pc.binary_length(values), 18)))
    ints = np.zeros(len(values), dtype=np.int64)
    if fast.any():
        ints[fast] = values.filter(pa.array(fast)).cast(pa.int64()).to_numpy()
    rest = np.flatnonzero(present & ~fast)
    if len(rest):
        signed = _match(values.take(pa.array(rest)), r"^[+-][0-9]{1,18}$")
        if signed.any():
            rows = rest[signed]
            picked = pc.replace_substring_regex(values.take(pa.array(rows)), r"^\+", "")
            ints[rows] = picked.cast(pa.int64()).to_numpy()
            fast[rows] = True
    valid = fast.copy()
    todo = present & ~fast
    big: dict[int, int] = {}
    if todo.any():
        rows, readings, index = _residue(values, todo, exact_reader(field))
        for row, i in zip(rows, index):
            value = readings[i]
            if value is None:
                continue
            valid[row] = True
            if -INT64_MAX - 1 <= value <= INT64_MAX:
                ints[row] = value
            else:
                big[row] = value
    if not big:
        typed = pa.array(ints, pa.int64(), mask=~valid)
        return Parsed(valid, typed, typed, numeric=True)
    # Integers beyond int64 (rare, but legal in Table Schema): decimal, or text beyond that.
    py = [None] * len(values)
    for row in np.flatnonzero(valid):
        py[row] = big.get(int(row), int(ints[row]))
    if all(abs(v) < 10**38 for v in big.values()):
        typed = pa.array([None if v is None else Decimal(v) for v in py], pa.decimal128(38, 0))
    else:
        typed = pa.array([None if v is None else str(v) for v in py], pa.string())
    key = pa.array([None if v is None else float(v) for v in py], pa.float64())
    return Parsed(valid, typed, key, numeric=True)


_NUMBER_FAST = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"


def _parse_number(field, values, present):
    whole = _whole_column(values, present, "0", pa.float64())
    if whole is not None:
        typed = _masked(whole, present, pa.float64())
        return Parsed(present.copy(), typed, typed, numeric=True)
    fast = present & _match(values, _NUMBER_FAST)
    floats = np.full(len(values), np.nan)
    if fast.any():
        picked = values.filter(pa.array(fast))
        floats[fast] = picked.cast(pa.float64()).to_numpy()
    valid = fast.copy()
    todo = present & ~fast
    if todo.any():
        rows, readings, index = _residue(values, todo, exact_reader(field))
        for row, i in zip(rows, index):
            value = readings[i]
            if value is None:
                continue
            valid[row] = True
            floats[row] = _to_float(value)
    typed = pa.array(floats, pa.float64(), mask=~valid)
    return Parsed(valid, typed, typed, numeric=True)


def _to_float(value: Decimal) -> float:
    try:
        return float(value)
    except (ValueError, InvalidOperation):  # signalling NaN
        return float("nan")


def _parse_boolean(field, values, present):
    trues = pa.array(field.get("trueValues", DEFAULT_TRUE), pa.string())
    falses = pa.array(field.get("falseValues", DEFAULT_FALSE), pa.string())
    is_true = present & _mask(pc.is_in(values, value_set=trues))
    is_false = present & _mask(pc.is_in(values, value_set=falses)) & ~is_true
    valid = is_true | is_false
    typed = pa.array(is_true, pa.bool_(), mask=~valid)
    # true == 1 and false == 0 as keys, as in Python; compared as numbers where needed
    return Parsed(valid, typed, typed, numeric=True)


def _parse_date(field, values, present):
    # Arrow's ISO date cast accepts exactly YYYY-MM-DD with a day that exists in its
    # month (no signs, spaces, short or long years), all of which the exact reader
    # accepts too: when the cast of the whole column succeeds, no regex is needed. Year 0
    # (which Python's date cannot hold) is left to the exact reader.
    whole = _whole_column(values, present, "2000-01-01", pa.date32())
    earliest = pc.min(whole.cast(pa.int32())).as_py() if whole is not None else None
    if whole is not None and (earliest is None or earliest >= _YEAR_ONE):
        typed = _masked(whole, present, pa.date32())
        return Parsed(present.copy(), typed, typed)
    canonical = present & _match(values, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    days = np.zeros(len(values), dtype=np.int32)
    fast = np.zeros(len(values), dtype=bool)
    if canonical.any():
        picked = values.filter(pa.array(canonical))
        stamps = pc.strptime(picked, format="%Y-%m-%d", unit="s", error_is_null=True)
        # Arrow rolls 2013-02-30 over to March; only a round trip proves the date exists.
        same = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), picked)
        ok = _mask(pc.and_(same, pc.greater_equal(pc.year(stamps), 1)))
        rows = np.flatnonzero(canonical)
        fast[rows[ok]] = True
        days[rows[ok]] = stamps.filter(pa.array(ok)).cast(pa.date32()).cast(pa.int32()).to_numpy()
    valid = fast.copy()
    todo = present & ~fast
    if todo.any():
        epoch = date(1970, 1, 1)
        rows, readings, index = _residue(values, todo, exact_reader(field))
        for row, i in zip(rows, index):
            value = readings[i]
            if value is not None:
                valid[row] = True
                days[row] = (value - epoch).days
    typed = pa.array(days, pa.int32(), mask=~valid).cast(pa.date32())
    return Parsed(valid, typed, typed)


def _parse_year(field, values, present):
    fast = present & _match(values, r"^[0-9]{4}$")
    years = np.zeros(len(values), dtype=np.int64)
    if fast.any():
        years[fast] = values.filter(pa.array(fast)).cast(pa.int64()).to_numpy()
    valid = fast.copy()
    todo = present & ~fast
    if todo.any():
        rows, readings, index = _residue(values, todo, exact_reader(field))
        for row, i in zip(rows, index):
            if readings[i] is not None:
                valid[row] = True
                years[row] = readings[i]
    typed = pa.array(years, pa.int64(), mask=~valid)
    return Parsed(valid, typed, typed, numeric=True)


def _parse_generic(field, values, present):
    """Types without a fast path: one exact read per distinct value. The key is a canonical
    text of the reading, so equal values (e.g. the same instant written two ways) match."""
    valid = np.zeros(len(values), dtype=bool)
    keys: list = [None] * 0
    key_index = np.full(len(values), -1, dtype=np.int64)
    if present.any():
        rows, readings, index = _residue(values, present, exact_reader(field))
        keys = [None if r is None else canonical_text(r) for r in readings]
        ok = np.array([r is not None for r in readings], dtype=bool)
        if len(index):
            good = ok[index]
            valid[rows[good]] = True
            key_index[rows] = index
    typed = pc.if_else(pa.array(valid), values, pa.nulls(len(values), pa.string()))
    key_values = pa.array(keys + [None], pa.string())
    key = key_values.take(pa.array(np.where(valid, key_index, len(keys))))
    return Parsed(valid, typed, key)


def canonical_text(value: Any) -> str:
    """A text that is the same for two readings exactly when the reference implementation
    finds the values equal (Python's ``==``): the key that unique, primary and foreign keys
    and ``enum`` compare. The same instant written with two offsets is one key; a time or
    datetime without an offset never equals one with an offset; ``120.50, 30.2`` is the
    point ``120.5,30.2``."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is None:
            return "N" + value.isoformat()
        # the instant as a timedelta since year 1 (no overflow near year 1 or 9999)
        instant = value.replace(tzinfo=None) - datetime(1, 1, 1) - offset
        return f"A{instant.days}:{instant.seconds}:{instant.microseconds}"
    if isinstance(value, time):
        offset = value.utcoffset()
        if offset is None:
            return "N" + value.isoformat()
        # as CPython compares aware times: seconds of the day minus the offset (not wrapped
        # around midnight), then microseconds
        seconds = value.hour * 3600 + value.minute * 60 + value.second - offset.days * 86400 - offset.seconds
        return f"A{seconds}:{value.microsecond}"
    if isinstance(value, tuple) and value and all(isinstance(v, Decimal) for v in value):
        return "(" + ",".join(decimal_key(v) for v in value) + ")"  # geopoint
    return repr(value)


def decimal_key(value: Decimal) -> str:
    """The same text for numerically equal decimals (``1.50``, ``1.5``, ``15E-1``; ``-0``
    and ``0``), without rounding to the decimal context's precision."""
    if not value.is_finite():
        return str(value)
    sign, digits, exponent = value.as_tuple()
    text = "".join(map(str, digits)).lstrip("0")
    if not text:
        return "0"
    stripped = text.rstrip("0")
    return f"{'-' if sign else ''}{stripped}e{exponent + len(text) - len(stripped)}"


def exact_value(field: dict, cell: str):
    """The typed Python value of one cell (for messages and tie-breaks)."""
    return exact_reader(field)(cell)
