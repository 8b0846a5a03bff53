"""The JSON records writer: its bytes are those of Python's JSON encoder, one row at a time,
and they parse back to the table."""

from __future__ import annotations

import datetime as dt
import json
import math

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.export.files import jsonable
from pipeline.export.jsonfile import BATCH_ROWS, write_json_records


def reference_bytes(table: pa.Table) -> bytes:
    """The plain definition: each row a dict, encoded by the standard library."""
    encode = json.JSONEncoder(ensure_ascii=False, default=jsonable, allow_nan=False).encode
    rows = []
    for row in table.to_pylist():
        rows.append(encode({k: None if isinstance(v, float) and not math.isfinite(v) else v
                            for k, v in row.items()}))
    return ("[" + ",".join("\n" + r for r in rows) + "\n]\n").encode("utf-8")


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
COLUMNS = {
    "text": (pa.string(), TEXT),
    "whole": (pa.int64(), st.integers(-2**63, 2**63 - 1)),
    "small": (pa.int8(), st.integers(-128, 127)),
    "flag": (pa.bool_(), st.booleans()),
    "day": (pa.date32(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
    "number": (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
}


@st.composite
def tables(draw):
    names = draw(st.lists(st.sampled_from(sorted(COLUMNS)), unique=True, max_size=len(COLUMNS)))
    n = draw(st.integers(0, 8))
    arrays = []
    for name in names:
        type_, values = COLUMNS[name]
        arrays.append(pa.array(draw(st.lists(st.none() | values, min_size=n, max_size=n)), type_))
    # a key that itself needs escaping, and a non-ASCII one
    labels = [{"text": '名"称\\', "day": "日期"}.get(name, name) for name in names]
    return pa.table(arrays, names=labels) if names else pa.table({})


@settings(max_examples=300, deadline=None)
@given(tables())
def test_bytes_equal_the_row_by_row_encoding(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("json") / "t.json"
    write_json_records(table, path)
    assert path.read_bytes() == reference_bytes(table)


def test_parses_back_to_the_table_across_batches(tmp_path):
    n = BATCH_ROWS + 3  # more than one batch: the separator between batches counts too
    table = pa.table({"id": pa.array(range(n), pa.int64()),
                      "name": pa.array([f"示例{i}\n\"\x01" if i % 7 else None for i in range(n)]),
                      "rate": pa.array([i / 3 if i % 5 else float("nan") for i in range(n)]),
                      "day": pa.array([dt.date(2015, 1, 1) + dt.timedelta(days=i % 365)
                                       for i in range(n)])})
    path = tmp_path / "t.json"
    write_json_records(table, path)
    records = json.loads(path.read_text(encoding="utf-8"))
    expected = table.to_pylist()
    for row in expected:
        row["day"] = row["day"].isoformat()
        if isinstance(row["rate"], float) and math.isnan(row["rate"]):
            row["rate"] = None
    assert records == expected
    assert path.read_bytes() == reference_bytes(table)


def test_empty_table(tmp_path):
    path = tmp_path / "t.json"
    write_json_records(pa.table({"a": pa.array([], pa.int64())}), path)
    assert path.read_bytes() == b"[\n]\n"
