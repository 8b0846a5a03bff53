"""Table Schema checks for one resource: header, rows, types and constraints, by column.

Errors carry the ``type``, ``rowNumber`` and ``fieldName`` that frictionless reports for
the same input (see ``divergences.py`` for the few deliberate differences).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.load import LoadedResource
from pipeline.validate.celltypes import (
    Parsed,
    canonical_text,
    exact_reader,
    field_format,
    field_type,
    parse,
)
from pipeline.validate.errors import Collector, ValidationError
from pipeline.validate.patterns import PatternRefused, compile_pattern

NUMERIC = {"integer", "number", "year"}
BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_COMPARE = {">=": pc.greater_equal, "<=": pc.less_equal, ">": pc.greater, "<": pc.less}
_SUPPORTED = {
    "string": {"required", "minLength", "maxLength", "pattern", "enum"},
    "array": {"required", "minLength", "maxLength", "enum"},
    "object": {"required", "minLength", "maxLength", "enum"},
    "list": {"required", "minLength", "maxLength"},
}
_ORDERED = {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
for _kind in ("integer", "number", "date", "datetime", "time", "year", "yearmonth"):
    _SUPPORTED[_kind] = _ORDERED
for _kind in ("any", "boolean", "duration", "geojson", "geopoint"):
    _SUPPORTED[_kind] = {"required", "enum"}


@dataclass
class TableResult:
    """What the key checks and the typed table need from the cell checks."""

    fields: list[dict | None]  # the schema field read from each column (None: extra label)
    parsed: dict[int, Parsed] = field(default_factory=dict)  # column → typed reading
    blank_row: np.ndarray | None = None
    usable: bool = True  # header matched well enough to build a typed table


def missing_values(schema: dict, fld: dict | None) -> list[str]:
    values = (fld or {}).get("missingValues", schema.get("missingValues", [""]))
    return [v["value"] if isinstance(v, dict) else str(v) for v in values]


def blank_cells(schema: dict, fld: dict | None, values: pa.Array) -> np.ndarray:
    """The cells that are missing: null (no cell at all) or one of the missing values."""
    missing = missing_values(schema, fld)
    if missing == [""]:  # the default: a length test, where a set lookup hashes every cell
        return _mask(pc.fill_null(pc.equal(pc.binary_length(values), 0), True))
    missing = pa.array(missing, pa.string())
    return _mask(pc.is_null(values)) | _mask(pc.is_in(values, value_set=missing))


class RowErrors:
    """Builds error objects for rows of one resource."""

    def __init__(self, resource: LoadedResource):
        self.r = resource

    def make(self, type, key, rows, *, column=None, field_name=None, field_number=None,
             cells=None, note="", values=None, per_row=None):
        out = []
        raw = cells.take(pa.array(rows)).to_pylist() if cells is not None else [None] * len(rows)
        for i, row in enumerate(rows):
            vals = dict(values or {})
            vals.setdefault("field", field_name or "")
            vals.setdefault("cell", "" if raw[i] is None else raw[i])
            if per_row is not None:
                vals.update(per_row(int(row), raw[i]))
            out.append(ValidationError(
                type=type, key=key, values=vals, rowNumber=int(self.r.row_numbers[row]),
                fieldName=field_name, fieldNumber=field_number, cell=raw[i] if cells is not None else None,
                note=vals.get("note", note), line=int(self.r.lines[row])))
        return out


def check_table(resource: LoadedResource, out: Collector,
                expected: list[dict | None] | None = None) -> TableResult | None:
    """Run header, row, type and constraint checks; return the readings for key checks.
    With ``expected`` (what :func:`check_header` gave for the file), ``resource`` is one
    batch of the file's rows and only the rows are checked."""
    if expected is None:
        expected = check_header(resource, out)
        if expected is None:
            return None
    schema = resource.schema
    labels = resource.labels or []
    table = resource.table
    result = TableResult(fields=expected)
    n = table.num_rows
    width = len(expected)
    errs = RowErrors(resource)
    counts = resource.cell_counts
    blank = np.ones(n, dtype=bool)
    present_by_col = []
    for col, fld in enumerate(expected):
        values = _single_chunk(table.column(col)) if table.num_columns > col else pa.nulls(n, pa.string())
        is_blank = blank_cells(schema, fld, values)
        blank &= is_blank
        present_by_col.append((values, ~is_blank))
    blank_row = blank if width else np.zeros(n, dtype=bool)
    result.blank_row = blank_row
    out.add_rows("blank-row", blank_row, lambda rows: errs.make(
        "blank-row", "error.blank-row", rows))

    # missing / extra cells (only ragged rows have them)
    if counts is not None:
        names = column_names(expected, labels)
        for col, fld in enumerate(expected):
            name = names[col]
            mask = (counts <= col) & ~blank_row
            out.add_rows("missing-cell", mask, lambda rows, name=name, col=col: errs.make(
                "missing-cell", "error.missing-cell", rows, field_name=name, field_number=col + 1))
        extra_rows = np.zeros(n, dtype=bool)
        for row in resource.extra_cells:
            extra_rows[row] = True
        extra_rows &= ~blank_row
        for row in np.flatnonzero(extra_rows)[: out.limit or None]:
            for j, cell in enumerate(resource.extra_cells[int(row)], start=width + 1):
                out.add(ValidationError(
                    type="extra-cell", key="error.extra-cell",
                    values={"field": "", "cell": cell, "position": j},
                    rowNumber=int(resource.row_numbers[row]), fieldName="", fieldNumber=j,
                    cell=cell, line=int(resource.lines[row])))
        over = int(np.count_nonzero(extra_rows)) - (out.limit or n)
        if over > 0:  # counted though not itemised
            out.counts["extra-cell"] += over

    for col, fld in enumerate(expected):
        if fld is None:
            continue
        values, present = present_by_col[col]
        parsed = parse(fld, values, present)
        result.parsed[col] = parsed
        name = fld.get("name", "")
        kind, fmt = field_type(fld), field_format(fld)
        bad = present & ~parsed.valid & ~blank_row
        out.add_rows("type-error", bad, lambda rows, name=name, col=col, kind=kind, fmt=fmt, values=values:
                     errs.make("type-error", "error.type-error", rows, field_name=name,
                               field_number=col + 1, cells=values,
                               values={"type": kind, "format": fmt},
                               note=f'type is "{kind}/{fmt}"'))
        _check_constraints(fld, col, values, present, parsed, blank_row, out, errs)
    return result


def check_header(resource: LoadedResource, out: Collector, rows: int | None = None) -> list[dict | None] | None:
    """What the loader found and the header's errors; the field expected in each column,
    or None when there are no rows to check. ``rows``: how many rows the file has, when
    its table is not read."""
    for finding in resource.findings:
        out.add(ValidationError(type=finding.type, key=finding.key,
                                values={"file": resource.display_path, **finding.values},
                                note=finding.note, line=finding.line))
    if resource.findings or (resource.table is None and rows is None):
        return None
    schema = resource.schema
    fields = [f for f in schema.get("fields", []) if isinstance(f, dict)]
    labels = resource.labels or []
    if not labels and (resource.table.num_rows if rows is None else rows) == 0:
        out.add(ValidationError(type="source-error", key="error.source-empty",
                                values={"file": resource.display_path}, note="the source is empty"))
        return None
    return _check_header(schema, fields, labels, out, resource)


def column_names(expected: list[dict | None], labels: list[str]) -> list[str]:
    """The name each column is reported under: its field's name, or for a column without
    a field its label, made unique with a numeric suffix as frictionless does (a, a2, a3)."""
    names, used = [], set()
    for col, fld in enumerate(expected):
        base = fld.get("name", "") if fld is not None else (labels[col] if col < len(labels) else "")
        name, suffix = base, 2
        while name in used:
            name, suffix = f"{base}{suffix}", suffix + 1
        names.append(name)
        used.add(name)
    return names


def _single_chunk(column: pa.ChunkedArray):
    # Arrow compute takes chunked columns as they are; combining would copy the column.
    return column.chunk(0) if column.num_chunks == 1 else column


def _mask(array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _check_header(schema, fields, labels, out: Collector, resource) -> list[dict | None]:
    """Compare labels with fields; return the field expected in each column."""
    mode = schema.get("fieldsMatch", "exact")
    shown = ", ".join(labels)

    def label_error(type, name, number, label="", note=""):
        out.add(ValidationError(type=type, key=f"error.{type}", values={
            "field": name or "", "label": label, "labels": shown, "position": number, "note": note},
            fieldName=name, fieldNumber=number, cell=label, note=note, line=resource.header_line))

    if not labels:  # no header row to compare: columns are the fields, by position
        return list(fields)
    if mode == "exact":
        for i, label in enumerate(labels[len(fields):], start=len(fields) + 1):
            label_error("extra-label", "", i, label)
        for i, fld in enumerate(fields[len(labels):], start=len(labels) + 1):
            label_error("missing-label", fld.get("name"), i)
        for i, (fld, label) in enumerate(zip(fields, labels), start=1):
            name = fld.get("name")
            if not label:
                label_error("blank-label", name, i)
                continue
            earlier = [str(j) for j, seen in enumerate(labels[: i - 1], start=1) if seen == label]
            if earlier:
                label_error("duplicate-label", name, i, label, f'at position "{", ".join(earlier)}"')
                continue
            if label != name:
                label_error("incorrect-label", name, i, label)
        return [fields[i] if i < len(fields) else None for i in range(len(labels))]
    # Name-matched modes (Table Schema v2 fieldsMatch): order does not matter.
    by_name = {f.get("name"): f for f in fields}
    if len(set(labels)) != len(labels):
        out.add(ValidationError(type="schema-error", key="error.schema-error", values={
            "note": "fieldsMatch by name requires unique labels"},
            note="fieldsMatch by name requires unique labels", line=resource.header_line))
    matched = [by_name.get(label) for label in labels]
    if mode not in ("subset", "partial"):
        for i, (label, fld) in enumerate(zip(labels, matched), start=1):
            if fld is None:
                label_error("extra-label", "", i, label)
    if mode == "partial" and fields and not any(matched):
        out.add(ValidationError(type="unmatched-header", key="error.unmatched-header",
                                values={"labels": shown}, line=resource.header_line))
    pk = set(_as_list(schema.get("primaryKey")))
    unmatched = [f for f in fields if f.get("name") not in set(labels)]
    if mode in ("superset", "partial"):
        unmatched = [f for f in unmatched
                     if (f.get("constraints") or {}).get("required") or f.get("name") in pk]
    for offset, fld in enumerate(unmatched):
        label_error("missing-label", fld.get("name"), len(labels) + offset + 1)
    return matched


def _as_list(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# ---------------------------------------------------------------------------------------
# constraints


def _check_constraints(fld, col, values, present, parsed: Parsed, blank_row, out, errs):
    constraints = fld.get("constraints") or {}
    kind = field_type(fld)
    name = fld.get("name", "")
    supported = _SUPPORTED.get(kind, {"required", "enum"})
    ok_cells = parsed.valid & ~blank_row  # constraints are read only on well-typed cells

    def emit(cname, mask, expected):
        note = f'constraint "{cname}" is "{_py_repr(constraints[cname])}"'
        out.add_rows("constraint-error", mask, lambda rows: errs.make(
            "constraint-error", f"error.constraint.{cname}", rows, field_name=name,
            field_number=col + 1, cells=values, note=note,
            values={"constraint": cname, "expected": expected}))

    if constraints.get("required"):
        emit("required", ~present & ~blank_row, "")
    for cname in ("minLength", "maxLength"):
        if cname in constraints and cname in supported:
            bound = constraints[cname]
            lengths = _lengths(fld, values, ok_cells)
            mask = ok_cells & ((lengths < bound) if cname == "minLength" else (lengths > bound))
            emit(cname, mask, str(bound))
    if "pattern" in constraints and "pattern" in supported:
        try:
            mask = ok_cells & ~pattern_matches(constraints["pattern"], values, ok_cells)
        except PatternRefused as refused:
            out.add(refusal(refused, name, col + 1, constraints["pattern"]))
        else:
            emit("pattern", mask, constraints["pattern"])
    if "enum" in constraints and "enum" in supported and kind == "duration":
        out.add(not_supported("duration-enum", name, col + 1))
    elif "enum" in constraints and "enum" in supported:
        mask = ok_cells & ~_in_enum(fld, constraints["enum"], values, parsed, ok_cells)
        emit("enum", mask, " | ".join(map(str, constraints["enum"])))
    for cname, op in BOUNDS.items():
        if cname in constraints and cname in supported:
            mask = ok_cells & ~_within(fld, cname, op, constraints[cname], values, parsed, ok_cells)
            emit(cname, mask, f"{op} {constraints[cname]}")


def _py_repr(value) -> str:
    # frictionless prints the constraint with Python's str(); keep notes comparable
    return str(value) if not isinstance(value, bool) else repr(value)


def refusal(refused: PatternRefused, name: str, number: int, pattern) -> ValidationError:
    """The finding for a pattern that is not run: invalid (a schema error, as it is for
    every reader of the schema) or needing a backtracking engine (not supported)."""
    shown = pattern if isinstance(pattern, str) else json.dumps(pattern, ensure_ascii=False)
    values = {"field": name, "pattern": shown, "detail": refused.detail}
    if refused.reason == "invalid":
        return ValidationError(type="schema-error", key="error.pattern-invalid", values=values,
                               fieldName=name, fieldNumber=number,
                               note=f'constraint "pattern" is not a regular expression: {refused.detail}')
    return ValidationError(type="not-supported", key=f"error.not-supported.pattern-{refused.reason}",
                           values=values, fieldName=name, fieldNumber=number, extension=True,
                           note=f'constraint "pattern" is not supported ({refused.reason})')


def not_supported(feature: str, name: str | None, number: int | None = None,
                  names: list[str] | None = None) -> ValidationError:
    """A schema feature the portal refuses rather than check differently from the
    reference implementation (``divergences.py``); the command exits with 2."""
    return ValidationError(type="not-supported", key=f"error.not-supported.{feature}",
                           values={"field": name or ", ".join(names or [])}, fieldName=name,
                           fieldNumber=number, fieldNames=names, extension=True,
                           note=f"not supported: {feature}")


def _lengths(fld, values, ok) -> np.ndarray:
    kind = field_type(fld)
    if kind == "string":
        return pc.fill_null(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False)
    lengths = np.zeros(len(values), dtype=np.int64)
    reader = exact_reader(fld)
    rows = np.flatnonzero(ok)
    if len(rows):
        picked = values.take(pa.array(rows))
        distinct = pc.unique(picked)
        sizes = np.array([len(reader(v)) for v in distinct.to_pylist()], dtype=np.int64)
        lengths[rows] = sizes[pc.index_in(picked, value_set=distinct).to_numpy()]
    return lengths


def pattern_matches(pattern: str, values: pa.Array, ok: np.ndarray) -> np.ndarray:
    """Whole-value match, as the Table Schema spec says: ``^(?:pattern)$``, in linear time
    (see ``patterns``). Raises :class:`PatternRefused` for a pattern that is not run."""
    return compile_pattern(pattern).matches(values)


def _constraint_value(fld, value):
    """A constraint value read as the field's type (as frictionless's value reader does)."""
    kind = field_type(fld)
    if kind in ("integer", "number", "year") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value)) if isinstance(value, float) else value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "string" and not isinstance(value, str):
        return None
    if isinstance(value, str):
        return exact_reader(fld)(value)
    return None


def _in_enum(fld, enum, values, parsed: Parsed, ok) -> np.ndarray:
    kind = field_type(fld)
    readings = [_constraint_value(fld, v) for v in enum]
    if kind in ("string", "any"):  # the text as written; a number in the list is never a text
        return _mask(pc.is_in(values, value_set=pa.array([v for v in readings if v is not None], pa.string())))
    if parsed.numeric:
        known = [v for v in readings if v is not None]
        if pa.types.is_integer(parsed.key.type) and all(isinstance(v, int) and abs(v) < 2**63 for v in known):
            return _mask(pc.is_in(parsed.key, value_set=pa.array(known, pa.int64())))
        floats = [float(v) for v in known]
        # + 0.0 folds -0 into 0: equal as numbers, but not as hashed bits
        as_float = pc.add(pc.cast(parsed.key, pa.float64(), safe=False), 0.0)
        hit = _mask(pc.is_in(as_float, value_set=pa.array([f + 0.0 for f in floats], pa.float64())))
        if kind == "number":  # floats that merely round to an enum value are not members
            hit &= _exact_ties(fld, values, hit, lambda d: any(d == Decimal(r) for r in readings if r is not None))
        return hit
    if kind == "date":
        return _mask(pc.is_in(parsed.typed, value_set=pa.array([v for v in readings if v is not None], pa.date32())))
    keys = [canonical_text(v) for v in readings if v is not None]
    return _mask(pc.is_in(parsed.key, value_set=pa.array(keys, pa.string())))


def _within(fld, cname, op, bound, values, parsed: Parsed, ok) -> np.ndarray:
    kind = field_type(fld)
    reading = _constraint_value(fld, bound)
    if reading is None:
        return np.ones(len(values), dtype=bool)
    compare = _COMPARE[op]
    if (parsed.numeric and kind != "number" and pa.types.is_integer(parsed.typed.type)
            and isinstance(reading, int) and abs(reading) < 2**63):
        return _mask(compare(parsed.typed, pa.scalar(reading, pa.int64())))
    if parsed.numeric:
        as_float = float(reading)
        key = pc.cast(parsed.key, pa.float64(), safe=False)
        result = _mask(compare(key, pa.scalar(as_float, pa.float64())))
        # Rounding to float64 keeps order but can create ties: decide those exactly.
        ties = ok & _mask(pc.equal(key, pa.scalar(as_float, pa.float64())))
        if ties.any():
            exact = Decimal(str(reading)) if not isinstance(reading, Decimal) else reading
            py_op = {">=": lambda a: a >= exact, "<=": lambda a: a <= exact,
                     ">": lambda a: a > exact, "<": lambda a: a < exact}[op]
            decided = _exact_ties(fld, values, ties, lambda d: py_op(Decimal(d)))
            result = np.where(ties, decided, result)
        return result
    if kind == "date":
        return _mask(compare(parsed.typed, pa.scalar(reading, pa.date32())))
    # datetime, time, yearmonth: exact comparison per distinct value
    reader = exact_reader(fld)
    result = np.ones(len(values), dtype=bool)
    rows = np.flatnonzero(ok)
    if len(rows):
        picked = values.take(pa.array(rows))
        distinct = pc.unique(picked)
        py_op = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
                 ">": lambda a, b: a > b, "<": lambda a, b: a < b}[op]
        hits = []
        for v in distinct.to_pylist():
            try:
                hits.append(bool(py_op(reader(v), reading)))
            except TypeError:  # e.g. naive vs aware datetimes
                hits.append(False)
        result[rows] = np.array(hits, dtype=bool)[pc.index_in(picked, value_set=distinct).to_numpy()]
    return result


def _exact_ties(fld, values, rows_mask, predicate) -> np.ndarray:
    """Evaluate ``predicate(Decimal)`` exactly for the rows in ``rows_mask``."""
    out = np.zeros(len(values), dtype=bool)
    rows = np.flatnonzero(rows_mask)
    if not len(rows):
        return out
    reader = exact_reader(fld)
    picked = values.take(pa.array(rows))
    distinct = pc.unique(picked)
    hits = []
    for v in distinct.to_pylist():
        d = reader(v)
        try:
            hits.append(d is not None and bool(predicate(Decimal(d))))
        except Exception:  # noqa: BLE001 -- the reference reader treats any failure as "not this type"
            hits.append(False)
    out[rows] = np.array(hits, dtype=bool)[pc.index_in(picked, value_set=distinct).to_numpy()]
    return out


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
