"""Checking a large file batch by batch, so that memory grows with a few bytes per row.

A resource loaded with ``stream_above`` (:func:`pipeline.load.load_catalog`) has no table:
:func:`check_streamed` reads its rows in batches (:func:`pipeline.load.batches`) and runs
the cell checks and the row-by-row domain rules on each batch as if it were the whole
table (row numbers and lines are those of the file). What the key checks need is kept
small:

* its foreign keys are looked up segment by segment (some batches at a time) when every
  resource they refer to is checked already; otherwise their fields are kept for the end;
* its primary key and unique fields become one 64-bit hash per row and key
  (:func:`hash_values`). Rows whose hashes meet, and primary keys made only of nulls, are
  read again, and :func:`pipeline.validate.keys.check_unique` and
  :func:`~pipeline.validate.keys.check_primary_key` run on just those rows: every row with
  an equal key is among them, so the findings are exact whatever the hash;
* the fields other resources' foreign keys refer to are kept whole (typed).

The result is a :class:`Checked` whose table holds the kept columns (the others are
null-typed, taking no memory). The findings are those of the file read whole: property
tests split tables at random batch boundaries, with a hash that collides often, and compare.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.load import (
    Consecutive,
    LoadedResource,
    StreamFallback,
    batches,
)
from pipeline.validate.celltypes import Parsed, field_type, parse
from pipeline.validate.errors import Collector
from pipeline.validate.keys import (
    Checked,
    check_primary_key,
    check_references,
    check_unique,
)
from pipeline.validate.tableschema import (
    TableResult,
    _as_list,
    _single_chunk,
    blank_cells,
    check_header,
    check_table,
)

BLOCK_SIZE = 4 << 20  # bytes of the file per batch: larger ones cost memory, not less time
# the key columns' cells are kept as read while they take less than this, so that the rows
# whose hashes meet are found among them instead of in the file read a second time (about a
# tenth of a second a million rows); above it, memory stays a few bytes a row and the file is
# read again
KEEP_KEY_CELLS = 64 << 20
# rows whose foreign keys are looked up together: each lookup builds a hash set of the
# referenced keys, so few lookups, each over about a million rows' keys
SEGMENT_ROWS = 1 << 20
CHECKERS = 2  # batches checked at once (the machines measured on have two cores)


def references(r: LoadedResource) -> list[tuple[list[str], tuple[str, str], list[str]]]:
    """The foreign keys of ``r`` as (its fields, (package, resource) referred to, the
    fields there)."""
    declared = [(fk, False) for fk in r.schema.get("foreignKeys") or []]
    declared += [(fk, True) for fk in r.descriptor.get("x-foreignKeys") or []]
    found = []
    for fk, cross in declared:
        if not isinstance(fk, dict):
            continue
        ref = fk.get("reference") or {}
        target = ((ref.get("package") if cross else None) or r.package, ref.get("resource") or r.name)
        found.append((_as_list(fk.get("fields")), target, _as_list(ref.get("fields"))))
    return found


def referenced_fields(resources: list[LoadedResource]) -> dict[tuple[str, str], set[str]]:
    """(package, resource) → the fields that foreign keys refer to."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for r in resources:
        for _, target, names in references(r):
            wanted.setdefault(target, set()).update(names)
    return wanted


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit number for each of ``x`` (SplitMix64's finaliser)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_LENGTH_FACTOR = np.uint64(0xD6E8FEB86659FD93)


def _word_factors(words: int) -> np.ndarray:
    """A fixed odd mixed number for each 8-byte word position."""
    return _splitmix(np.arange(words, dtype=np.uint64)) | np.uint64(1)


def text_hash(text: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string: its bytes taken as little-endian 8-byte words (the last
    one padded with zeros), each word times a fixed odd mixed number for its position,
    summed, plus the length times another (multilinear hashing: two different strings
    rarely meet, and the exact comparison decides when they do). Vectorised over the whole
    array; null hashes as the empty string. Strings of one length (codes, dates: most keys)
    are hashed as a matrix of words; others byte by byte with each byte's share of its word,
    which gives the same number, so batches of either kind agree."""
    text = pc.fill_null(text, "")
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], np.int32, count=n + 1, offset=4 * text.offset)
    first, lengths = int(offsets[0]), np.diff(offsets)
    size = int(offsets[-1]) - first
    data = np.frombuffer(text.buffers()[2], np.uint8, count=size, offset=first) if size else \
        np.zeros(0, np.uint8)
    longest = int(lengths.max(initial=0))
    words = (longest + 7) // 8
    tail = lengths.astype(np.uint64) * _LENGTH_FACTOR
    if n and int(lengths.min()) == longest:
        padded = np.zeros((n, words * 8), np.uint8)
        padded[:, :longest] = data.reshape(n, longest)
        return (padded.view("<u8") * _word_factors(words)).sum(axis=1, dtype=np.uint64) + tail
    position = np.arange(size) - np.repeat(offsets[:-1] - first, lengths)
    byte = np.arange(words * 8, dtype=np.uint64)
    weights = np.repeat(_word_factors(words), 8) << (np.uint64(8) * (byte % np.uint64(8)))
    sums = np.zeros(size + 1, np.uint64)
    np.cumsum(data * weights[position], out=sums[1:])
    ends = offsets - first
    return sums[ends[1:]] - sums[ends[:-1]] + tail


def hash_values(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of each key value that equal values share (null: a constant)."""
    if pa.types.is_integer(values.type) or pa.types.is_boolean(values.type):
        return pc.fill_null(pc.cast(values, pa.int64(), safe=False), 0).to_numpy().view(np.uint64)
    if pa.types.is_floating(values.type):
        values = pc.add(values, 0.0)  # -0.0 and 0.0 are the same key
    try:
        return text_hash(pc.cast(values, pa.string()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise StreamFallback(f"no hash for {values.type}") from None


class _Keys:
    """The primary key and the unique fields of a streamed file: a hash per row and key,
    and the rows whose primary key is only nulls (each is an error, so they are few)."""

    def __init__(self, header: Checked):
        expected = header.result.fields
        pk = [header.column_of(name) for name in _as_list(header.resource.schema.get("primaryKey"))]
        unique = [col for col, fld in enumerate(expected)
                  if fld is not None and (fld.get("constraints") or {}).get("unique")]
        # read again for the exact checks, durations and objects too: those checks refuse
        # or skip them themselves
        self.columns = sorted({c for c in pk if c is not None} | set(unique))
        self.keys: list[tuple[list[int], bool]] = []  # (columns, whether nulls are keys)
        if pk and None not in pk and not any(field_type(expected[c]) == "duration" for c in pk):
            self.keys.append((pk, True))
        self.keys += [([c], False) for c in unique
                      if field_type(expected[c]) not in ("object", "array", "duration")]
        self.hashes: list[list[np.ndarray]] = [[] for _ in self.keys]
        self.null_keys: list[np.ndarray] = []
        # (first row, table of the key columns' cells) per batch, while within the budget
        self.cells: list[tuple[int, pa.Table]] | None = [] if self.keys else None
        self.room = KEEP_KEY_CELLS

    def keep(self, start: int, table: pa.Table) -> None:
        """Keep the key columns' cells of the batch at ``start`` while they fit the budget."""
        if self.cells is None:
            return
        cells = table.select([f"c{i}" for i in self.columns])
        self.room -= cells.nbytes
        if self.room < 0:
            self.cells = None
        else:
            self.cells.append((start, cells))

    def add(self, start: int, parsed: dict[int, Parsed]) -> None:
        for (columns, nulls_are_keys), hashes in zip(self.keys, self.hashes):
            code = np.zeros(len(parsed[columns[0]].key), np.uint64)
            null = None
            for col in columns:
                key = parsed[col].key
                code *= np.uint64(0x9E3779B97F4A7C15)
                code += hash_values(key)
                nulls = pc.is_null(key).to_numpy(zero_copy_only=False)
                null = nulls if null is None else null & nulls
            rows = np.flatnonzero(null)
            if nulls_are_keys:
                if len(rows):
                    self.null_keys.append(rows + start)
            else:  # a null repeats nothing: a hash of its own (the row's position, inverted)
                code[rows] = ~(rows + start).astype(np.uint64)
            hashes.append(code)

    def rows(self) -> np.ndarray:
        """The positions of the rows whose keys the exact checks must see: those whose
        hash another row shares, and the primary keys of nulls."""
        found = list(self.null_keys)
        for hashes in self.hashes:
            code = np.concatenate(hashes)
            hashes.clear()
            ordered = np.sort(code)
            met = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
            del ordered
            if len(met):
                found.append(np.flatnonzero(met[np.searchsorted(met, code).clip(max=len(met) - 1)] == code))
        return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _lines(lines, start: int, count: int):
    if isinstance(lines, Consecutive):
        return Consecutive(lines.start + start, count)
    return lines[start:start + count]


def _chunks(values) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def _joined(parts: list[Parsed]) -> Parsed:
    """The readings of one column over several batches (of one type: see
    :func:`check_streamed`)."""
    typed = [c for p in parts for c in _chunks(p.typed)]
    key = [c for p in parts for c in _chunks(p.key)]
    return Parsed(np.concatenate([p.valid for p in parts]), pa.chunked_array(typed, typed[0].type),
                  pa.chunked_array(key, key[0].type), parts[0].numeric)


class _Columns:
    """The readings of some columns over some batches, and where ``keep`` says so their
    cells as written (the messages of unique and foreign-key errors show them)."""

    def __init__(self, keep: dict[int, bool], first: dict[int, Parsed] | None = None):
        self.readings = {i: [first[i]] if first else [] for i in keep}
        self.raw: dict[int, list] = {i: [] for i, raw in keep.items() if raw}
        self.rows = 0

    def add(self, table: pa.Table, parsed: dict[int, Parsed]) -> None:
        for i, parts in self.readings.items():
            parts.append(parsed[i])
        for i, cells in self.raw.items():
            cells.extend(_chunks(table.column(f"c{i}")))
        self.rows += table.num_rows

    def table(self, width: int) -> pa.Table:
        columns = [pa.chunked_array(self.raw[i], pa.string()) if i in self.raw else pa.nulls(self.rows)
                   for i in range(width)]
        return pa.table(columns, names=[f"c{i}" for i in range(width)])

    def checked(self, resource: LoadedResource, expected: list, out: Collector, row_numbers,
                lines) -> Checked:
        """These rows as a resource of their own, at ``row_numbers`` and ``lines``."""
        view = dataclasses.replace(resource, table=self.table(len(expected)), stream=None,
                                   row_numbers=row_numbers, lines=lines, cell_counts=None,
                                   findings=[])
        return Checked(view, self.result(expected), out)

    def result(self, expected: list) -> TableResult:
        return TableResult(fields=expected,
                           parsed={i: _joined(p) for i, p in self.readings.items() if p})


def _reading(schema: dict, field: dict, values) -> Parsed:
    return parse(field, values, ~blank_cells(schema, field, values))


def _parse_rows(schema: dict, field: dict, values, at: pa.Array, template: Parsed | None) -> Parsed:
    """The reading of ``values[at]``: those cells alone, unless that reads as another type
    than the whole batch did (integers beyond int64 elsewhere in it): then the batch's."""
    some = _reading(schema, field, values.take(at))
    if template is None or (some.typed.type, some.key.type) == (template.typed.type, template.key.type):
        return some
    whole = _reading(schema, field, values)
    local = at.to_numpy()
    return Parsed(whole.valid[local], whole.typed.take(at), whole.key.take(at), whole.numeric)


def _check_keys(resource: LoadedResource, expected: list, keys: _Keys, out: Collector,
                templates: dict[int, Parsed], block_size: int) -> None:
    """The unique and primary-key checks on the rows :meth:`_Keys.rows` names, read again
    (the file is not read again when there are none, the usual case; when many keys repeat,
    memory grows with those rows' keys)."""
    rows = keys.rows()
    unique = {i for i in keys.columns
              if (expected[i].get("constraints") or {}).get("unique")}
    picked = _Columns({i: i in unique for i in keys.columns}, templates)
    if len(rows):
        kept = keys.cells if keys.cells is not None else \
            batches(resource, block_size, [f"c{i}" for i in keys.columns])
        for start, table in kept:
            local = rows[np.searchsorted(rows, start):np.searchsorted(rows, start + table.num_rows)] - start
            if not len(local):
                continue
            at = pa.array(local)
            parsed = {}
            for i in keys.columns:
                parsed[i] = _parse_rows(resource.schema, expected[i],
                                        _single_chunk(table.column(f"c{i}")), at, templates.get(i))
            picked.add(table.take(at), parsed)
    item = picked.checked(resource, expected, out, rows + 2, resource.lines[rows])
    check_unique(item)
    check_primary_key(item)


def _checked(resource: LoadedResource, expected: list, block_size: int, limit: int | None):
    """Each batch of the file with its cell checks done (:func:`check_table`), in order: the
    batch, its view as a resource, the readings and the findings. ``CHECKERS`` batches are
    checked at once on other threads while the caller takes the keys of the one before and
    the next is read on another: Arrow's and NumPy's kernels run without the GIL, so the
    checks of two batches use two cores."""
    counts = resource.cell_counts
    pending: deque = deque()
    with ThreadPoolExecutor(CHECKERS, thread_name_prefix="check") as pool:
        for start, table in batches(resource, block_size):
            n = table.num_rows
            view = dataclasses.replace(
                resource, table=table, stream=None, row_numbers=Consecutive(2 + start, n),
                lines=_lines(resource.lines, start, n),
                cell_counts=None if counts is None else counts[start:start + n], findings=[])
            found = Collector(limit)
            pending.append((start, table, view, found, pool.submit(check_table, view, found, expected)))
            if len(pending) > CHECKERS:
                start, table, view, found, checking = pending.popleft()
                yield start, table, view, checking.result(), found
        while pending:
            start, table, view, found, checking = pending.popleft()
            yield start, table, view, checking.result(), found


def check_streamed(resource: LoadedResource, out: Collector, referenced: set[str], rules=None,
                   block_size: int = BLOCK_SIZE, foreign=None) -> Checked:
    """Check the streamed ``resource`` batch by batch into ``out``, its unique fields and
    primary key included, keeping the readings of the fields in ``referenced``.
    ``rules(item)`` runs the row-by-row domain rules on one batch's :class:`Checked`;
    ``foreign(item)`` gives the foreign keys to look up segment by segment (see
    :func:`pipeline.validate.keys.foreign_keys`; ``item`` has the header only), or None
    when they wait for the end (their fields are then kept). Raises
    :class:`StreamFallback` (the caller then reads the file whole and checks it so, with a
    new collector) when the file cannot be read in batches."""
    stream = resource.stream
    expected = check_header(resource, out, rows=stream.rows)
    if expected is None:
        return Checked(resource, None, out)
    header = Checked(resource, TableResult(fields=expected), out)
    fks = foreign(header) if foreign is not None else None
    keep = {header.column_of(name): False for name in referenced}
    if fks is None:
        keep.update({header.column_of(name): True for fields, _, _ in references(resource)
                     for name in fields})
    keep.pop(None, None)
    whole, keys = _Columns(keep), _Keys(header)
    segment_keep = {header.column_of(name): True for fields, *_ in fks or [] for name in fields}
    segment_keep.pop(None, None)
    segment, segment_start = _Columns(segment_keep), 0
    # a column whose batches read as different types (integers beyond int64 in one batch
    # only) cannot be joined or compared as one: the file is then read whole
    templates: dict[int, Parsed] = {}
    watched = set(keep) | set(segment_keep) | set(keys.columns)

    def look_up():
        rows = segment.rows
        check_references(segment.checked(resource, expected, out, Consecutive(2 + segment_start, rows),
                                         _lines(resource.lines, segment_start, rows)), fks)

    for start, table, view, result, found in _checked(resource, expected, block_size, out.limit):
        n = table.num_rows
        out.merge(found)
        if rules is not None:
            rules(Checked(view, result, out))
        for i in watched:
            p = result.parsed[i]
            first = templates.setdefault(i, Parsed(p.valid[:0], p.typed[:0], p.key[:0], p.numeric))
            if (p.typed.type, p.key.type) != (first.typed.type, first.key.type):
                raise StreamFallback("column types differ between batches")
        keys.add(start, result.parsed)
        keys.keep(start, table)
        whole.add(table, result.parsed)
        if fks:
            segment.add(table, result.parsed)
            if segment.rows >= SEGMENT_ROWS:
                look_up()
                segment, segment_start = _Columns(segment_keep), start + n
    if fks and segment.rows:
        look_up()
    _check_keys(resource, expected, keys, out, templates, block_size)
    resource.table = whole.table(len(expected))
    return Checked(resource, whole.result(expected), out)
