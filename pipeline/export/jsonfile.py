"""JSON download: an array of records, one per line, keys in schema order, ISO dates.

The bytes are those of ``json.JSONEncoder(ensure_ascii=False)`` encoding each row as a
dict (``{"key": value, "key": value}``), one record per line. They are built a column at a
time with Arrow's string kernels instead of a Python loop over rows (a million rows took
about ten seconds that way): each column becomes the JSON text of its values, and the
record lines are those texts joined with the keys between them. Types whose text Arrow
writes differently from Python (floats, times, anything unusual) are encoded by Python's
encoder value by value, still a column at a time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.files import jsonable

BATCH_ROWS = 65_536

_ENCODE = json.JSONEncoder(ensure_ascii=False, default=jsonable, allow_nan=False).encode
# Characters the JSON encoder escapes, in the order they must be replaced ("\" first).
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
# Other control characters (\b, \f, \u00XX): rare, so such values go through the encoder.
_OTHER_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"


def write_json_records(table: pa.Table, path: Path) -> Path:
    keys = [_ENCODE(name) for name in table.column_names]
    with path.open("wb") as out:
        out.write(b"[")
        pending = b""  # the last chunk keeps its final "," until we know it is the last
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            if batch.num_rows == 0:
                continue
            out.write(pending)
            pending = _records(batch, keys)
        out.write(pending[:-1] + b"\n]\n" if pending else b"\n]\n")
    return path


def _records(batch: pa.RecordBatch, keys: list[str]) -> bytes:
    """``"\\n{record},"`` for every row of ``batch``, concatenated."""
    parts: list = []
    for i, (key, column) in enumerate(zip(keys, batch.columns, strict=True)):
        parts += [("\n{" if i == 0 else ", ") + key + ": ", json_text(column)]
    parts.append("}," if keys else "\n{},")
    lines = pc.binary_join_element_wise(*parts, "").cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()


def json_text(column: pa.Array) -> pa.Array:
    """The JSON text of every value of ``column`` (``null`` for nulls), as Python writes it."""
    type_ = column.type
    if pa.types.is_integer(type_):
        text = pc.cast(column, pa.string())
    elif pa.types.is_boolean(type_):
        text = pc.if_else(column, "true", "false")
    elif pa.types.is_date32(type_) or pa.types.is_date64(type_):
        text = _quoted(pc.cast(column, pa.string()))  # YYYY-MM-DD, as date.isoformat()
    elif pa.types.is_string(type_) or pa.types.is_large_string(type_):
        text = _string_text(column.cast(pa.string()))
    else:
        text = pa.array(_python_text(column), pa.string())
    return pc.fill_null(text, "null")


def _quoted(text: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('"', text, '"', "")


def _string_text(column: pa.Array) -> pa.Array:
    escaped = column
    for plain, escape in _ESCAPES:
        escaped = pc.replace_substring(escaped, plain, escape)
    text = _quoted(escaped)
    odd = pc.fill_null(pc.match_substring_regex(column, _OTHER_CONTROL), False)
    if pc.any(odd).as_py():
        rows = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
        values = column.take(pa.array(rows)).to_pylist()
        replaced = text.to_pylist()
        for row, value in zip(rows, values, strict=True):
            replaced[row] = _ENCODE(value)
        text = pa.array(replaced, pa.string())
    return text


def _python_text(column: pa.Array) -> list[str | None]:
    values = column.to_pylist()
    if pa.types.is_floating(column.type):
        # JSON has no NaN or infinity; a non-finite number is written as null.
        values = [None if v is not None and not math.isfinite(v) else v for v in values]
    return [None if v is None else _ENCODE(v) for v in values]
