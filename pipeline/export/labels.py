"""Columns for reading a download: the names behind codes, and the synthetic-data mark.

The site says 溧阳市, 消防, 一般事故 where a table holds ``320482``, ``fire``, ``general``.
A download carries both: for every foreign key into a table with ``name`` and ``name_en``
columns (the reference package: districts, sectors, accident categories and grades, credit
grades, departments), two columns are added, ``<stem>_name_zh`` and ``<stem>_name_en``
(``district_code`` → ``district_name_zh``, ``district_name_en``; ``stated_grade`` →
``stated_grade_name_zh``). Every row of a synthetic table gets ``synthetic = true``, so
no cell of a downloaded file can be taken for a real figure once it is copied out.

The added columns come after the table's own columns, in the order of its foreign keys:
the source columns keep their names and positions, so a script that reads a download by
name or by position keeps working. Each added field is declared in the published
descriptor (and so in every data dictionary: XLSX sheet, SQLite ``_fields``, Parquet
metadata) with ``x-labelOf`` (the code column it names) or ``x-marks: synthetic``; the
changelog compares releases without them, since they are not the publisher's data.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.i18n import t
from pipeline.model import Catalog, Resource

LABEL_OF = "x-labelOf"
MARKS = "x-marks"
SYNTHETIC = "synthetic"
LANGUAGES = {"zh": "name", "en": "name_en"}  # suffix of the label column → column of the reference table
SEPARATOR = "\x1f"  # joins the parts of a composite key; appears in no code


def _keys(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def added_field(field: dict) -> bool:
    """Whether a published field is one of the columns added here (not the publisher's)."""
    return LABEL_OF in field or field.get(MARKS) == SYNTHETIC


def _stem(fields: list[str]) -> str:
    last = fields[-1]
    return last.removesuffix("_code")


def _joined(columns: list) -> pa.ChunkedArray | pa.Array:
    if len(columns) == 1:
        return columns[0].cast(pa.string())
    return pc.binary_join_element_wise(*[c.cast(pa.string()) for c in columns], SEPARATOR)


def _array(values) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


TAKE_ROWS = 1 << 22  # rows of a label column taken at once: one chunk each
TAKE_THREADS = 2  # the machines measured on have two cores


def _take(values: pa.Array, at: pa.Array) -> pa.ChunkedArray:
    """``values.take(at)`` a slice of ``at`` at a time. Taken whole, the names of 60
    million rows are 2.4 GB of text in one string array, past its 2 GiB of offsets: Arrow
    returned it without an error and the CSV writer then failed on it (at five times the
    national tier). A chunk of 4 million names stays far below.

    The chunks are taken by two threads (Arrow's take runs without Python's lock): the
    label columns of the national tables were 21 s of the export on one core."""
    starts = range(0, len(at), TAKE_ROWS)
    if len(starts) < 2:
        return pa.chunked_array([values.take(at)], values.type)
    with ThreadPoolExecutor(TAKE_THREADS) as pool:
        chunks = list(pool.map(lambda start: values.take(at.slice(start, TAKE_ROWS)), starts))
    return pa.chunked_array(chunks, values.type)


class Labeller:
    """Adds the label columns and the synthetic mark to the tables of one export."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def _target(self, resource: Resource, fk: dict, same_package: bool) -> Resource | None:
        reference = fk.get("reference") or {}
        package = resource.package if same_package else reference.get("package", resource.package)
        name = reference.get("resource") or resource.name
        target = self.catalog.packages.get(package)
        if target is None or name not in target.resources:
            return None
        found = target.resources[name]
        if found.table is None or LANGUAGES["zh"] not in found.table.column_names:
            return None
        return found

    def labels(self, resource: Resource, table: pa.Table) -> list[tuple[dict, pa.Array]]:
        """(field descriptor, values) of every label column of ``resource``."""
        schema = resource.schema
        declared = [(fk, True) for fk in schema.get("foreignKeys", []) or []]
        declared += [(fk, False) for fk in resource.descriptor.get("x-foreignKeys", []) or []]
        by_name = {f["name"]: f for f in resource.fields}
        out: list[tuple[dict, pa.Array]] = []
        taken = set(table.column_names)
        for fk, same_package in declared:
            fields = _keys(fk.get("fields"))
            reference = _keys((fk.get("reference") or {}).get("fields"))
            target = self._target(resource, fk, same_package)
            if target is None or not fields or len(fields) != len(reference) \
                    or any(f not in table.column_names for f in fields) \
                    or any(r not in target.table.column_names for r in reference):
                continue
            at = pc.index_in(_joined([table[f] for f in fields]),
                             value_set=_array(_joined([target.table[r] for r in reference])))
            stem = _stem(fields)
            code_field = by_name.get(fields[-1]) or {}
            code_title = (code_field.get("title") or fields[-1]).removesuffix("代码")
            english = (code_field.get("x-en") or {}).get("title") or fields[-1]
            code_title_en = english.removesuffix(" code").removesuffix(" ID")
            for lang, column in LANGUAGES.items():
                name = f"{stem}_name_{lang}"
                if name in taken or column not in target.table.column_names:
                    continue
                taken.add(name)
                values = _take(_array(target.table[column]), at)
                field = {
                    "name": name, "type": "string",
                    "title": t(f"export.labels.title_{lang}", "zh", title=code_title),
                    "x-en": {"title": t(f"export.labels.title_{lang}", "en", title=code_title_en)},
                    "description": t("export.labels.description", "en", language=t(f"export.labels.lang_{lang}", "en"),
                                     field=", ".join(fields), table=f"{target.package}/{target.name}",
                                     column=column),
                    LABEL_OF: fields[-1] if len(fields) == 1 else fields,
                }
                out.append((field, values))
        return out

    def synthetic(self, resource: Resource) -> bool:
        package = self.catalog.packages[resource.package]
        return bool(resource.descriptor.get("synthetic", package.descriptor.get("synthetic", False)))

    def apply(self, resource: Resource, table: pa.Table,
              kept: pa.Table | None = None) -> tuple[pa.Table, list[dict]]:
        """``table`` with its label columns (and the synthetic mark) appended, and the added
        fields' descriptors. ``kept``, the same table as an earlier export published it,
        gives the label values instead of the reference tables when it has the same rows
        (it is of the same version, and a version's rows do not change)."""
        added = self.labels(resource, table)
        fields = [field for field, _ in added]
        for field, values in added:
            if kept is not None and kept.num_rows == table.num_rows and field["name"] in kept.column_names \
                    and kept.select(table.column_names).equals(table):
                values = kept[field["name"]].cast(pa.string())
            table = table.append_column(pa.field(field["name"], pa.string()), values)
        if self.synthetic(resource) and SYNTHETIC not in table.column_names:
            mark = {"name": SYNTHETIC, "type": "boolean", "title": t("export.labels.synthetic_title", "zh"),
                    "x-en": {"title": t("export.labels.synthetic_title", "en")},
                    "description": t("export.labels.synthetic_description", "en"), MARKS: SYNTHETIC,
                    "constraints": {"required": True}}
            table = table.append_column(pa.field(SYNTHETIC, pa.bool_(), nullable=False),
                                        pa.array(np.ones(table.num_rows, dtype=bool)))
            fields.append(mark)
        return table, fields


def describe(descriptor: dict, fields: list[dict]) -> dict:
    """The resource descriptor with the added fields at the end of its schema."""
    if not fields:
        return descriptor
    schema = dict(descriptor.get("schema") or {})
    schema["fields"] = [*schema.get("fields", []), *fields]
    return {**descriptor, "schema": schema}


def without_added(table: pa.Table, descriptor: dict) -> pa.Table:
    """A published table without the columns added here (as the publisher's data compares)."""
    added = {f["name"] for f in (descriptor.get("schema") or {}).get("fields", []) if added_field(f)}
    keep = [name for name in table.column_names if name not in added]
    return table.select(keep) if len(keep) != table.num_columns else table
