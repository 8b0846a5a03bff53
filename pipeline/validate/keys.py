"""Unique, primary-key and foreign-key checks with Arrow sorts and set lookups.

Keys compare *typed* values, as the reference implementation does: ``007`` and ``7`` are
the same integer, ``1.0`` and ``1`` the same number. A cell that failed its type check
counts as null. Within a primary key, nulls compare equal to each other (a tuple with
``None`` in Python); a key made only of nulls is an error of its own. The first row with
a key is fine; each later row with the same key gets the error, noting the row before it.

Foreign keys are checked the same way whether the referenced resource is in the same
package (``foreignKeys``) or in another one (``x-foreignKeys`` with ``reference.package``).
A foreign key is looked up on typed values, never on text: one field with ``is_in``; several
fields by giving each value its position among the referenced field's distinct values and
combining those small integers into one int64 code per row (see :func:`encoded`), so no
row's key is ever spelled out as a string.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.load import LoadedResource
from pipeline.validate.celltypes import Parsed, field_type
from pipeline.validate.errors import Collector, ValidationError
from pipeline.validate.tableschema import TableResult, _as_list, not_supported

NULL = "\x00"
SEP = "\x1f"


@dataclass
class Checked:
    """A resource after its cell checks: what key checks read."""

    resource: LoadedResource
    result: TableResult | None
    out: Collector

    def column_of(self, name: str) -> int | None:
        if self.result is None:
            return None
        for i, fld in enumerate(self.result.fields):
            if fld is not None and fld.get("name") == name:
                return i
        return None

    def key(self, name: str) -> Parsed | None:
        col = self.column_of(name)
        return None if col is None else self.result.parsed.get(col)

    def encoding(self, name: str) -> tuple[np.ndarray, pa.Array]:
        """The key ``name`` as (index of each row's value among the distinct values, -1
        for null; the distinct values). One hash pass, shared by every check that needs
        distinct values of the column (a foreign key, the USCC rule)."""
        cache = self.__dict__.setdefault("_encodings", {})
        if name not in cache:
            cache[name] = dictionary_codes(self.key(name).key)
        return cache[name]


def dictionary_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(index of each value among the distinct values, -1 for null; the distinct values),
    by one hash pass."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        chunks = encoded.chunks
        # Arrow gives every chunk the one final dictionary; unifying (a hash pass per
        # chunk's dictionary) is only for the case where it did not.
        if len({_dictionary_id(c) for c in chunks}) > 1:
            chunks = encoded.unify_dictionaries().chunks
    else:
        chunks = [encoded]
    if not chunks:
        return np.zeros(0, np.int32), pa.array([], values.type)
    indices = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False)
                              for c in chunks]).astype(np.int32, copy=False)
    return indices, chunks[0].dictionary


def _dictionary_id(chunk: pa.DictionaryArray) -> tuple:
    return tuple(b.address if b is not None else 0 for b in chunk.dictionary.buffers())


def _mask(array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def repeated_rows(columns: list[pa.Array], rows: np.ndarray | None = None,
                  nulls_equal: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose key equals an earlier row's key, and for each the row just before it
    with that key. ``rows`` limits the check to those row indices."""
    n = len(columns[0])
    if rows is not None and len(rows) == n:
        rows = None  # every row: no copy of the key columns
    index = np.arange(n) if rows is None else rows
    cols = columns if rows is None else [c.take(pa.array(rows)) for c in columns]
    if not len(index):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if _strictly_increasing(cols):
        # Published tables are sorted by their key: then no key repeats, and proving it
        # needs only comparisons of each row with the next (zero-copy slices).
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes, span = _key_codes(cols) or (None, 0)
    if codes is not None:
        # One integer per row that is equal exactly when the keys are. When they are few
        # enough, counting each tells whether any repeats (the usual answer is no) in one
        # pass; only then are the codes sorted.
        if span <= 8 * len(codes) + 1024 and np.bincount(codes, minlength=span).max() <= 1:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        order_np = np.argsort(codes, kind="stable")  # equal keys keep row order
        ordered = codes[order_np]
        same = ordered[1:] == ordered[:-1]
        return index[order_np[1:][same]], index[order_np[:-1][same]]
    # A sort (stable, so equal keys keep row order) rather than a hash table: it needs
    # only the permutation and one sorted column at a time, and published tables are
    # usually sorted by their key already.
    table = pa.table({f"k{i}": c for i, c in enumerate(cols)})
    order = pc.sort_indices(table, sort_keys=[(f"k{i}", "ascending") for i in range(len(cols))])
    del table
    order_np = order.to_numpy()
    same = np.ones(len(index) - 1, dtype=bool)
    for c in cols:
        s = c.take(order)
        a, b = s.slice(1), s.slice(0, len(s) - 1)
        eq = _mask(pc.equal(a, b))
        if nulls_equal:
            eq |= _mask(pc.is_null(a)) & _mask(pc.is_null(b))
        same &= eq
        del s, a, b
        if not same.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
    later = order_np[1:][same]
    before = order_np[:-1][same]
    # Stable sort keeps row order within a key, so ``before`` is the previous occurrence.
    return index[later], index[before]


# Key types whose hash equality is value equality (floats are not: 0.0 and -0.0 are equal
# values with different bits, and Python's NaN equals nothing).
_HASHED = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_date,
           pa.types.is_boolean)


def _key_codes(cols: list) -> tuple[np.ndarray, int] | None:
    """An int64 per row, equal for two rows exactly when every column is (null equal to
    null), from each column's dictionary codes, and the number of possible codes; None for
    key types without exact hashing or when the codes would not fit in 62 bits."""
    if not all(any(test(c.type) for test in _HASHED) for c in cols):
        return None
    codes, span = None, 1
    for c in cols:
        indices, distinct = dictionary_codes(c)
        size = len(distinct) + 1  # 0 stands for null
        span *= size
        if span >= 1 << 62:
            return None
        codes = indices.astype(np.int64) + 1 if codes is None else codes * size + indices + 1
    return codes, span


def _strictly_increasing(cols: list) -> bool:
    """True if the rows are in strictly increasing key order (lexicographic, no nulls)."""
    n = len(cols[0])
    if n < 2 or any(c.null_count for c in cols):
        return n < 2 and not any(c.null_count for c in cols)
    greater = np.zeros(n - 1, dtype=bool)
    equal_so_far = np.ones(n - 1, dtype=bool)
    for c in cols:
        a, b = c.slice(1), c.slice(0, n - 1)
        try:
            gt = _mask(pc.greater(a, b))
            eq = _mask(pc.equal(a, b))
        except pa.ArrowNotImplementedError:
            return False
        greater |= equal_so_far & gt
        equal_so_far &= eq
        if not (greater | equal_so_far).all():
            return False
    return bool(greater.all())


def check_unique(checked: Checked) -> None:
    result = checked.result
    for col, fld in enumerate(result.fields):
        if fld is None or not (fld.get("constraints") or {}).get("unique"):
            continue
        parsed = result.parsed.get(col)
        if parsed is None or field_type(fld) in ("object", "array"):
            continue
        if field_type(fld) == "duration":
            checked.out.add(not_supported("duration-key", fld.get("name"), col + 1))
            continue
        key = parsed.key
        valid = np.flatnonzero(_mask(pc.is_valid(key)))
        later, before = repeated_rows([key], valid, nulls_equal=False)
        _emit_repeats(checked, "unique-error", "error.unique-error", later, before,
                      field_name=fld.get("name"), field_number=col + 1)


def check_primary_key(checked: Checked) -> None:
    r, result = checked.resource, checked.result
    pk = _as_list(r.schema.get("primaryKey"))
    if not pk or result is None:
        return
    keys = [checked.key(name) for name in pk]
    if any(k is None for k in keys):
        return  # a key field has no column: the header errors already say so
    if _has_duration(checked, pk):
        checked.out.add(not_supported("duration-key", None, names=pk))
        return
    columns = [k.key for k in keys]
    all_null = np.ones(len(columns[0]), dtype=bool)
    for c in columns:
        all_null &= _mask(pc.is_null(c))
    values = {"fields": ", ".join(pk)}
    checked.out.add_rows("primary-key", all_null, lambda rows: [
        ValidationError(type="primary-key", key="error.primary-key-null", values=values,
                        rowNumber=int(r.row_numbers[i]), line=int(r.lines[i]), fieldNames=pk,
                        note='cells composing the primary keys are all "None"')
        for i in rows])
    later, before = repeated_rows(columns, np.flatnonzero(~all_null))
    _emit_repeats(checked, "primary-key", "error.primary-key", later, before, field_names=pk)


def _has_duration(checked: Checked, names: list[str]) -> bool:
    """Durations are compared as isodate values by the reference (PT1H equals PT60M, P1Y
    does not equal P12M in a key but does in an enum); the portal refuses them as keys."""
    fields = {f.get("name"): f for f in checked.result.fields if f is not None}
    return any(field_type(fields[n]) == "duration" for n in names if n in fields)


def _emit_repeats(checked, type, key, later, before, field_name=None, field_number=None,
                  field_names=None):
    r = checked.resource
    if not len(later):
        return
    order = np.argsort(later, kind="stable")
    later, before = later[order], before[order]
    mask = np.zeros(len(r.row_numbers), dtype=bool)
    mask[later] = True
    previous = dict(zip(later.tolist()[: (checked.out.limit or len(later))],
                        before.tolist()[: (checked.out.limit or len(later))]))
    col = checked.column_of(field_name) if field_name else None
    cells = r.table.column(col) if col is not None else None

    def make(rows):
        out = []
        for i in rows:
            prev = int(r.row_numbers[previous[int(i)]])
            cell = cells[int(i)].as_py() if cells is not None else None
            out.append(ValidationError(
                type=type, key=key, values={"field": field_name or "", "cell": cell or "",
                                            "fields": ", ".join(field_names or []), "previous": prev},
                rowNumber=int(r.row_numbers[i]), line=int(r.lines[i]), fieldName=field_name,
                fieldNumber=field_number, cell=cell, fieldNames=field_names,
                note=f"the same as in the row at position {prev}"))
        return out

    checked.out.add_rows(type, mask, make)


def _category(fld: dict, parsed: Parsed) -> str:
    if parsed.numeric:
        return "n"
    kind = field_type(fld)
    return "s" if kind in ("string", "any") else kind


def _as_text(parsed: Parsed, category: str, exact_integers: bool) -> pa.Array:
    if category == "n":
        key = parsed.key
        if pa.types.is_boolean(key.type):  # true == 1, false == 0, as in Python
            key = pc.cast(key, pa.int8())
        if exact_integers and pa.types.is_integer(key.type):
            return pc.cast(key, pa.string())
        # mixed integer/number pairs compare as float64 (+ 0.0 turns -0 into 0)
        return pc.cast(pc.add(pc.cast(key, pa.float64(), safe=False), 0.0), pa.string())
    return pc.cast(parsed.key, pa.string())


def _integer_key(checked: Checked, name: str) -> bool:
    parsed = checked.key(name)
    return parsed is not None and (pa.types.is_integer(parsed.key.type) or pa.types.is_boolean(parsed.key.type))


def composite(checked: Checked, names: list[str], exact: list[bool] | None = None
              ) -> tuple[pa.Array, np.ndarray] | None:
    """One text key per row for the fields ``names`` (type-tagged, nulls marked), and the
    rows where every part is null. None if a field has no column. ``exact[i]``: the i-th
    numbers are integers on both sides and compare by their digits."""
    parts, all_null = [], None
    for i, name in enumerate(names):
        col = checked.column_of(name)
        parsed = checked.result.parsed.get(col) if col is not None else None
        if parsed is None:
            return None
        category = _category(checked.result.fields[col], parsed)
        text = _as_text(parsed, category, bool(exact and exact[i]))
        nulls = _mask(pc.is_null(text))
        all_null = nulls if all_null is None else all_null & nulls
        parts.append(pc.fill_null(pc.binary_join_element_wise(category, text, ":"), NULL))
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, SEP)
    return joined, all_null


def _comparable(parsed: Parsed, category: str, exact: bool) -> pa.Array:
    """The key as values that are equal exactly when the text keys of ``_as_text`` are."""
    key = parsed.key
    if category != "n":
        return key
    if pa.types.is_boolean(key.type):  # true == 1, false == 0, as in Python
        key = pc.cast(key, pa.int8())
    if exact and pa.types.is_integer(key.type):
        return pc.cast(key, pa.int64())
    # + 0.0 folds -0 into 0 (a hash tells them apart, text and equality do not)
    return pc.add(pc.cast(key, pa.float64(), safe=False), 0.0)


def _pairs(checked: Checked, names: list[str], source: Checked, ref_names: list[str],
           exact: list[bool]) -> list[tuple[pa.Array, pa.Array]] | None:
    """Per field, the child's and the parent's comparable key; None when a field has no
    column; ``[]`` when some pair is of different kinds (only the text keys decide those)."""
    pairs = []
    for name, ref_name, exact_pair in zip(names, ref_names, exact):
        mine, theirs = checked.column_of(name), source.column_of(ref_name)
        a = checked.result.parsed.get(mine) if mine is not None else None
        b = source.result.parsed.get(theirs) if theirs is not None else None
        if a is None or b is None:
            return None
        ca = _category(checked.result.fields[mine], a)
        cb = _category(source.result.fields[theirs], b)
        left, right = _comparable(a, ca, exact_pair), _comparable(b, cb, exact_pair)
        if ca != cb or left.type != right.type:
            return []
        pairs.append((left, right))
    return pairs


_TABLE = 1 << 24  # codes up to this many are looked up in a bit table, not a hash set


def _codes(array, distinct) -> np.ndarray:
    """Each value's index among ``distinct`` (null is a value there too); -1 if absent.
    int32, as Arrow gives it: half the memory of int64 for a column of millions."""
    found = pc.index_in(array, value_set=distinct)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False)


def encoded(pairs: list[tuple[pa.Array, pa.Array]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Child codes (-1: some part is not among the parent's values), child all-null rows,
    and the parent's codes, for a key of several fields.

    Each field's value becomes its index among the parent field's distinct values (null
    is a value too, so a null part matches a null part, as in the text keys); the indices
    are combined as digits, in place in one int64 array per side. When the code space
    grows beyond the parent's rows, codes are renumbered by the parent's distinct
    combinations, so every step's product fits int64.
    """
    child = parent = all_null = None
    space = 1
    for left, right in pairs:
        distinct = pc.unique(right)
        a, b = _codes(left, distinct), _codes(right, distinct)
        nulls = _mask(pc.is_null(left))
        all_null = nulls if all_null is None else all_null & nulls
        if child is None:
            child, parent, space = a.copy(), b.copy(), len(distinct)
            continue
        if space * len(distinct) >= 2**31 and child.dtype != np.int64:
            child, parent = child.astype(np.int64), parent.astype(np.int64)
        absent = (child < 0) | (a < 0)
        child *= len(distinct)
        child += a
        child[absent] = -1
        del absent, a
        parent *= len(distinct)
        parent += b
        space *= len(distinct)
        if space > max(len(parent), _TABLE):
            combined = pc.unique(pa.array(parent))
            child = np.where(child >= 0, _codes(pa.array(child), combined), -1).astype(np.int64)
            parent = _codes(pa.array(parent), combined).astype(np.int64)
            space = len(combined)
    return child, all_null, parent


def _found(child: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """``child`` codes (-1: absent) that are among ``parent`` codes."""
    top = int(max(child.max(initial=0), parent.max(initial=0))) + 1
    if top <= max(_TABLE, len(parent)):
        table = np.zeros(top + 1, dtype=bool)  # the last slot is -1's: never found
        table[parent] = True
        return table[child]
    return _mask(pc.is_in(pa.array(child), value_set=pc.unique(pa.array(parent)))) & (child >= 0)


def _among(distinct: pa.Array, keys) -> np.ndarray:
    """Which of the ``distinct`` values are among ``keys`` (nulls never are). The hash set
    is built over the smaller side: a segment of a streamed file has fewer distinct keys
    than the resource it refers to, which is then only read through, never hashed whole."""
    if len(keys) <= len(distinct):
        return _mask(pc.is_in(distinct, value_set=keys, skip_nulls=True))
    hit = np.zeros(len(distinct), dtype=bool)
    hit[pc.index_in(keys, value_set=distinct, skip_nulls=True).drop_null().to_numpy()] = True
    return hit


def missing_keys(checked: Checked, fields: list[str], source: Checked, ref_fields: list[str],
                 exact: list[bool]) -> np.ndarray | None:
    """Rows whose key is not among the parent's keys (rows with every part null pass)."""
    pairs = _pairs(checked, fields, source, ref_fields, exact)
    if pairs is None:
        return None
    if not pairs:  # kinds differ: the text keys say what matches (only nulls can)
        target = composite(checked, fields, exact)
        parent = composite(source, ref_fields, exact)
        if target is None or parent is None:
            return None
        parent_keys, parent_null = parent
        lookup = pc.unique(parent_keys.filter(pa.array(~parent_null)))
        keys, null = target
        return ~_mask(pc.is_in(keys, value_set=lookup)) & ~null
    if len(pairs) == 1:
        left, right = pairs[0]
        if left is checked.key(fields[0]).key:  # as typed: look up each distinct value once
            indices, distinct = checked.encoding(fields[0])
            hit = _among(distinct, right)
            return ~np.append(hit, False)[indices] & (indices >= 0)  # -1 (null) passes
        # nulls never count as found; rows whose key is null pass anyway
        found = _mask(pc.is_in(left, value_set=pc.unique(right), skip_nulls=True))
        return ~found & _mask(pc.is_valid(left))
    child, null, parent = encoded(pairs)
    parent_null = None
    for _, right in pairs:
        nulls = _mask(pc.is_null(right))
        parent_null = nulls if parent_null is None else parent_null & nulls
    return ~_found(child, parent[~parent_null]) & ~null


def foreign_keys(checked: Checked, resolve, has_package=lambda name: True) -> list[tuple]:
    """The foreign keys of ``checked`` whose rows can be looked up, as (fields, the
    referenced resource's Checked, its fields, where it is as reports name it, whether it is
    in another package). What leaves the others unchecked (a package not loaded, a resource
    missing, durations) goes to ``checked.out`` here, once per key.
    ``resolve(package, resource)`` → Checked or None for the referenced resource;
    ``has_package(name)``: whether that package was loaded at all."""
    r = checked.resource
    declared = [(fk, False) for fk in r.schema.get("foreignKeys") or []]
    declared += [(fk, True) for fk in r.descriptor.get("x-foreignKeys") or []]
    keys = []
    for fk, cross in declared:
        fields = _as_list(fk.get("fields"))
        ref = fk.get("reference") or {}
        ref_fields = _as_list(ref.get("fields"))
        package = ref.get("package") if cross else r.package
        ref_name = ref.get("resource") or r.name
        source_checked = resolve(package or r.package, ref_name)
        if source_checked is None and cross and not has_package(package):
            # Not a data error: the package was not loaded (the loader looks beside the
            # package for it), so these keys could not be checked at all.
            checked.out.add(ValidationError(
                type="foreign-key-package-missing", key="error.foreign-key-package-missing",
                values={"package": package or "", "resource": ref_name,
                        "fields": ", ".join(fields)},
                fieldNames=fields, extension=True,
                note=f'package "{package}" was not loaded: keys not checked'))
            continue
        if source_checked is None:
            checked.out.add(ValidationError(
                type="foreign-key", key="error.foreign-key-reference",
                values={"package": package or r.package, "resource": ref_name,
                        "fields": ", ".join(fields)},
                fieldNames=fields, extension=cross, note=f'resource "{ref_name}" does not exist'))
            continue
        if source_checked.result is None:
            continue  # the referenced file could not be read; its own errors say why
        if _has_duration(checked, fields) or _has_duration(source_checked, ref_fields):
            checked.out.add(not_supported("duration-key", None, names=fields))
            continue
        where = f"{package}/{ref_name}" if cross else ref_name
        keys.append((fields, source_checked, ref_fields, where, cross))
    return keys


def check_references(checked: Checked, keys: list[tuple]) -> None:
    """The rows of ``checked`` whose foreign key (one of ``keys``, from :func:`foreign_keys`)
    is not among the referenced resource's keys."""
    r = checked.resource
    for fields, source_checked, ref_fields, where, cross in keys:
        exact = [_integer_key(checked, f) and _integer_key(source_checked, g)
                 for f, g in zip(fields, ref_fields)]
        missing = missing_keys(checked, fields, source_checked, ref_fields, exact)
        if missing is None:
            continue
        cells = [r.table.column(checked.column_of(f)) for f in fields]

        def make(rows, fields=fields, ref_fields=ref_fields, where=where, cells=cells, cross=cross):
            out = []
            for i in rows:
                shown = ", ".join("" if c[int(i)].as_py() is None else str(c[int(i)].as_py()) for c in cells)
                out.append(ValidationError(
                    type="foreign-key", key="error.foreign-key",
                    values={"fields": ", ".join(fields), "cell": shown, "reference": where,
                            "ref_fields": ", ".join(ref_fields)},
                    rowNumber=int(r.row_numbers[i]), line=int(r.lines[i]), fieldNames=fields,
                    cell=shown, extension=cross,
                    note=f'for "{", ".join(fields)}": values "{shown}" not found in the lookup '
                         f'table "{where}" as "{", ".join(ref_fields)}"'))
            return out

        checked.out.add_rows("foreign-key", missing, make)


def check_foreign_keys(checked: Checked, resolve, has_package=lambda name: True) -> None:
    """Every foreign key of ``checked`` (see :func:`foreign_keys`) on all its rows."""
    if checked.result is not None:
        check_references(checked, foreign_keys(checked, resolve, has_package))
