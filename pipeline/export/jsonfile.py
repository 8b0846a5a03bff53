"""JSON download: an array of records, one per line, keys in schema order, ISO dates."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from pipeline.export.files import jsonable

BATCH_ROWS = 65_536


def write_json_records(table: pa.Table, path: Path) -> Path:
    names = table.column_names
    encode = json.JSONEncoder(ensure_ascii=False, default=jsonable, allow_nan=False).encode
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("[")
        first = True
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            columns = [_finite(column.to_pylist(), column.type) for column in batch.columns]
            for row in zip(*columns):
                out.write("\n" if first else ",\n")
                out.write(encode(dict(zip(names, row))))
                first = False
        out.write("\n]\n")
    return path


def _finite(values: list, type_: pa.DataType) -> list:
    # JSON has no NaN or infinity; a non-finite number is written as null.
    if pa.types.is_floating(type_):
        return [None if v is not None and (v != v or v in (float("inf"), float("-inf"))) else v for v in values]
    return values
