"""Parquet download: the typed table with its Table Schema carried in Arrow metadata.

Each Arrow field carries the Table Schema field's title, description and type; the schema
metadata carries the package descriptor (without its resources) and the resource
descriptor, as JSON. Written with fixed options so the file is the same on every run
(the writer's ``created_by`` names the pyarrow version, which is pinned per build).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.export.files import dumps

ROW_GROUP_SIZE = 256 * 1024


def with_metadata(table: pa.Table, fields: list[dict], package: dict, resource: dict) -> pa.Table:
    by_name = {field["name"]: field for field in fields}
    arrow_fields = []
    for arrow_field in table.schema:
        field = by_name.get(arrow_field.name, {})
        metadata = {key: str(field[key]) for key in ("title", "description", "type") if field.get(key) is not None}
        arrow_fields.append(arrow_field.with_metadata(metadata or None))
    schema_metadata = {
        "datapackage": dumps(package, indent=None).strip(),
        "resource": dumps(resource, indent=None).strip(),
    }
    return table.cast(pa.schema(arrow_fields, metadata=schema_metadata))


def write_parquet(table: pa.Table, path: Path, *, fields: list[dict], package: dict, resource: dict) -> Path:
    pq.write_table(
        with_metadata(table, fields, package, resource),
        path,
        row_group_size=ROW_GROUP_SIZE,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
    )
    return path
