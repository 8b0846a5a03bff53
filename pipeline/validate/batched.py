"""Checking a large file batch by batch, so that memory grows with its key columns only.

A resource loaded with ``stream_above`` (:func:`pipeline.load.load_catalog`) has no table:
:func:`check_streamed` reads its rows in batches (:func:`pipeline.load.batches`), runs the
cell checks and the row-by-row domain rules on each batch as if it were the whole table
(row numbers and lines are those of the file), and keeps only the columns that the key
checks need afterwards (primary key, unique fields, its foreign keys and the fields other
resources' foreign keys refer to). The result is a :class:`Checked` whose table holds those
columns (the others are null-typed, taking no memory), on which the unique, primary-key and
foreign-key checks run as on a whole table. The findings are the same as when the file is
read whole: a property test splits tables at random batch boundaries and compares.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa

from pipeline.load import Consecutive, LoadedResource, StreamFallback, batches
from pipeline.validate.celltypes import Parsed
from pipeline.validate.errors import Collector
from pipeline.validate.keys import Checked
from pipeline.validate.tableschema import (
    TableResult,
    _as_list,
    check_header,
    check_table,
)

BLOCK_SIZE = 4 << 20  # bytes of the file per batch: larger ones cost memory, not less time


def key_fields(resources: list[LoadedResource]) -> dict[tuple[str, str], dict[str, bool]]:
    """(package, resource) → the fields the key checks read (its primary key, its unique
    fields, its foreign keys' fields and the fields that foreign keys refer to), each with
    whether the cells as written are needed too (the messages of unique and foreign-key
    errors show them; a primary-key error shows none)."""
    wanted: dict[tuple[str, str], dict[str, bool]] = {}

    def want(where, names, raw):
        fields = wanted.setdefault(where, {})
        for name in names:
            fields[name] = fields.get(name, False) or raw

    for r in resources:
        where = (r.package, r.name)
        want(where, _as_list(r.schema.get("primaryKey")), False)
        want(where, [f.get("name") for f in r.fields
                     if isinstance(f, dict) and (f.get("constraints") or {}).get("unique")], True)
        declared = [(fk, False) for fk in r.schema.get("foreignKeys") or []]
        declared += [(fk, True) for fk in r.descriptor.get("x-foreignKeys") or []]
        for fk, cross in declared:
            if not isinstance(fk, dict):
                continue
            want(where, _as_list(fk.get("fields")), True)
            ref = fk.get("reference") or {}
            target = ((ref.get("package") if cross else None) or r.package, ref.get("resource") or r.name)
            want(target, _as_list(ref.get("fields")), False)
    return wanted


def _lines(lines, start: int, count: int):
    if isinstance(lines, Consecutive):
        return Consecutive(lines.start + start, count)
    return lines[start:start + count]


def _chunks(values) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def _joined(parts: list[Parsed]) -> Parsed:
    """The readings of one column over every batch. A column whose batches read as different
    types (integers beyond int64 in one batch only) cannot be joined: the file is then read
    whole."""
    typed = [c for p in parts for c in _chunks(p.typed)]
    key = [c for p in parts for c in _chunks(p.key)]
    if len({c.type for c in typed}) > 1 or len({c.type for c in key}) > 1:
        raise StreamFallback("column types differ between batches")
    return Parsed(np.concatenate([p.valid for p in parts]), pa.chunked_array(typed),
                  pa.chunked_array(key), parts[0].numeric)


def check_streamed(resource: LoadedResource, out: Collector, keep: dict[str, bool], rules=None,
                   block_size: int = BLOCK_SIZE) -> Checked:
    """Check the streamed ``resource`` batch by batch into ``out``, keeping the readings of
    the fields in ``keep`` (and their cells as written where it says so, see
    :func:`key_fields`); ``rules(item)`` runs
    the row-by-row domain rules on one batch's :class:`Checked`. Raises
    :class:`StreamFallback` (the caller then reads the file whole and checks it so, with a
    new collector) when the file cannot be read in batches."""
    stream = resource.stream
    expected = check_header(resource, out, rows=stream.rows)
    if expected is None:
        return Checked(resource, None, out)
    kept = [i for i, f in enumerate(expected) if f is not None and f.get("name") in keep]
    raw: dict[int, list] = {i: [] for i in kept if keep[expected[i].get("name")]}
    readings: dict[int, list[Parsed]] = {i: [] for i in kept}
    blank: list[np.ndarray] = []
    for start, table in batches(resource, block_size):
        n = table.num_rows
        counts = resource.cell_counts
        view = dataclasses.replace(
            resource, table=table, stream=None, row_numbers=Consecutive(2 + start, n),
            lines=_lines(resource.lines, start, n),
            cell_counts=None if counts is None else counts[start:start + n], findings=[])
        result = check_table(view, out, expected)
        if rules is not None:
            rules(Checked(view, result, out))
        for i in kept:
            readings[i].append(result.parsed[i])
        for i, cells in raw.items():
            cells.extend(_chunks(table.column(i)))
        blank.append(result.blank_row)
    n = stream.rows
    columns = [pa.chunked_array(raw[i], pa.string()) if i in raw else pa.nulls(n)
               for i in range(len(expected))]
    resource.table = pa.table(columns, names=[f"c{i}" for i in range(len(expected))])
    result = TableResult(fields=expected, parsed={i: _joined(readings[i]) for i in kept if readings[i]},
                         blank_row=np.concatenate(blank) if blank else np.zeros(0, bool))
    return Checked(resource, result, out)
