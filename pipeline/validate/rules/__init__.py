"""The domain's checks (shared DOMAIN notes): small parameterised checks that ``portal.yml``
binds to resources.

A check is a function registered with :func:`check` under the name ``portal.yml`` uses, which
is the error type it reports (``uscc-check-digit``, ``rate-mismatch`` …; where one error
type has two checks, the second adds a variant after a dot: ``rate-mismatch.indicator``).
It declares its parameters:

* :class:`Field` — a column of each bound resource (``field: uscc``, ``date_field: date``),
  with the Table Schema types the check can read;
* :class:`Role` — another resource the check reads, as ``package/resource``
  (``districts: reference/districts``); the columns it reads there are a fixed, documented
  part of the check;
* :class:`Value` — anything else (a term in years, a mark, the columns of each rate).

The registry (:func:`registry`) is every check of every module in this package. ``portal.yml``
``checks:`` lists bindings, each a check, the resources it runs on (``package/resource``
patterns, ``*`` matching any name among the declared packages) and its parameters;
``config.schema.json`` holds each check's required parameters, and a test keeps it equal to
what the checks declare here. :func:`run_rules` runs exactly the bound checks:

* When ``portal.yml`` is loaded, its bindings are checked against the packages beside it
  (:func:`binding_problems`): a resource named in full, or a role, must exist in its
  package and declare the fields the binding names, and a pattern must match a resource
  that declares them; otherwise :class:`pipeline.config.ConfigError` with the key path.
* When other packages are validated, a resource named in full (or a role) without such a
  field is not checked, with a warning in the report naming the binding; a pattern with
  ``*`` binds the resources that declare the fields and leaves the others alone.
* A bound field declared with a type the check cannot read (a ``uscc`` declared
  ``integer``) is reported as a ``check-error`` on that resource, bilingual, naming
  package, resource, field, declared and expected types, and the check skips it.
* A field without a column in the file (``fieldsMatch``) has nothing to read: skipped.

Checks run on cells that passed their type checks (a null stands for a blank or unreadable
cell, which the Table Schema checks already reported).
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as _default

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.errors import ValidationError
from pipeline.validate.keys import Checked

RULE_TYPES = (
    "uscc-check-digit", "accident-grade-mismatch", "rate-mismatch", "district-validity",
    "blacklist-expiry", "blacklist-cause", "certificate-expiry", "outcome-sum-mismatch",
    "percent-range", "personal-data", "synthetic-name", "text-safety",
)
CHECK_ERROR = "check-error"  # a bound check cannot read a field (as frictionless names it)

NUMERIC = ("integer", "number")
# Arrow types each Table Schema type can be read as by the checks (celltypes.TYPED)
_ARROW = {
    "string": pa.types.is_string, "any": pa.types.is_string, "date": pa.types.is_date,
    "boolean": pa.types.is_boolean, "year": pa.types.is_integer,
    "integer": lambda t: pa.types.is_integer(t) or pa.types.is_decimal(t),
    "number": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t),
}


@dataclass(frozen=True)
class Field:
    """A column of each bound resource, read as one of ``types`` (Table Schema types)."""

    types: tuple[str, ...]
    doc: str = ""
    required: bool = True


@dataclass(frozen=True)
class Role:
    """Another resource the check reads, given as ``package/resource``; ``fields`` are the
    columns it reads there (fixed) with the types it can read them as."""

    fields: Mapping[str, tuple[str, ...]]
    doc: str = ""
    required: bool = True


@dataclass(frozen=True)
class Value:
    """Any other parameter; its JSON Schema is in ``config.schema.json``."""

    doc: str = ""
    required: bool = True


Param = Field | Role | Value


@dataclass(frozen=True)
class Check:
    name: str
    type: str  # the error type it reports (one of RULE_TYPES)
    params: Mapping[str, Param]
    run: Callable[[Bound], None]
    doc: str
    # extra columns named inside a Value (the rates' numerators …): params → [(key path, column, types)]
    columns: Callable[[Mapping], list[tuple[str, str, tuple[str, ...]]]] | None = None
    # each row's verdict depends on that row alone (and on role resources): the check can run
    # on a file batch by batch, with the same findings
    batched: bool = False


CHECKS: dict[str, Check] = {}


def check(name: str, *, type: str | None = None, columns=None, batched: bool = False,
          **params: Param):
    """Register the decorated function as the check ``name`` with its parameters."""
    def register(run: Callable[[Bound], None]):
        if name in CHECKS:
            raise ValueError(f"check {name} registered twice")
        CHECKS[name] = Check(name, type or name.split(".", 1)[0], params, run,
                             inspect.getdoc(run) or "", columns, batched)
        return run
    return register


def registry() -> dict[str, Check]:
    """Every check of every module in this package, by name."""
    _import_checks()
    return CHECKS


@functools.cache  # listing the package's folder costs about 3 ms, and registry() runs per batch
def _import_checks() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def col(item: Checked, name: str) -> pa.Array:
    """The typed column ``name`` (nulls where blank or unreadable)."""
    return item.key(name).typed


def raw(item: Checked, name: str) -> pa.Array:
    return item.resource.table.column(item.column_of(name)).combine_chunks()


def number(value) -> int | float:
    """A count or amount for a message: an integer when it is one (NaN and infinity as they are)."""
    value = float(value) if not isinstance(value, (int, np.integer)) else int(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def mask(array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def report(item: Checked, type: str, key: str, rows_mask: np.ndarray, field: str | None,
           values: Callable[[int], dict] | None = None, note: str = "",
           redact: bool = False) -> None:
    """Add ``type`` errors for the rows in ``rows_mask``; ``values(row)`` fills the message."""
    r = item.resource
    number = item.column_of(field) + 1 if field is not None else None

    def make(rows):
        out = []
        # only the reported rows' cells: no copy of the column when nothing is wrong
        cells = r.table.column(item.column_of(field)) if field is not None else None
        shown = cells.take(pa.array(rows)).to_pylist() if cells is not None else [None] * len(rows)
        if redact:
            shown = [None if s is None else f"{s[:2]}…({len(s)})" for s in shown]
        for i, row in enumerate(rows):
            vals = {"field": field or "", "cell": shown[i] or ""}
            if values is not None:
                vals.update(values(int(row)))
            out.append(ValidationError(
                type=type, key=key, values=vals, rowNumber=int(r.row_numbers[row]),
                fieldName=field, fieldNumber=number, cell=shown[i], line=int(r.lines[row]),
                note=note or key, extension=True))
        return out

    item.out.add_rows(type, rows_mask, make)


@dataclass
class Source:
    """A resource a check reads, with the columns it reads under their names."""

    item: Checked

    def col(self, name: str) -> pa.Array:
        typed = col(self.item, name)
        if pa.types.is_decimal(typed.type):  # an integer column with values beyond int64
            typed = pc.cast(typed, pa.float64(), safe=False)
        return typed

    @property
    def rows(self) -> int:
        return self.item.resource.table.num_rows


@dataclass
class Bound(Source):
    """One bound check on one resource: ``field(p)`` is the column parameter ``p`` names,
    ``col(field(p))`` its typed values, ``value(p)`` any other parameter, ``role(p)`` the
    resource a role names (None when it is not loaded or cannot be read)."""

    check: Check = None
    params: Mapping = _default(default_factory=dict)
    roles: Mapping[str, Source | None] = _default(default_factory=dict)
    catalog: object = None
    config: object = None

    def field(self, param: str) -> str:
        return self.params[param]

    def value(self, param: str, default=None):
        return self.params.get(param, default)

    def role(self, param: str) -> Source | None:
        return self.roles.get(param)

    def report(self, key: str, rows_mask: np.ndarray, field: str | None, values=None,
               redact: bool = False) -> None:
        report(self.item, self.check.type, key, rows_mask, field, values=values, redact=redact)


def field_columns(chk: Check, params: Mapping) -> list[tuple[str, str, tuple[str, ...]]]:
    """(parameter, column, types) of every column of the bound resource the binding names."""
    out = [(name, params[name], p.types) for name, p in chk.params.items()
           if isinstance(p, Field) and name in params]
    if chk.columns is not None:
        out += chk.columns(params)
    return out


def _declared(item: Checked) -> dict[str, dict]:
    return {f.get("name"): f for f in item.resource.fields if isinstance(f, dict)}


def _type_ok(item: Checked, fld: dict, types: tuple[str, ...]) -> bool:
    from pipeline.validate.celltypes import field_type

    declared = field_type(fld)
    if declared not in types:
        return False
    parsed = item.key(fld.get("name"))
    return parsed is None or _ARROW.get(declared, lambda t: True)(parsed.typed.type)


def _type_error(item: Checked, where: str, chk: Check, column: str, fld: dict, types) -> ValidationError:
    from pipeline.validate.celltypes import field_type

    r = item.resource
    number = item.column_of(column)
    return ValidationError(
        type=CHECK_ERROR, key="rule.check-field-type",
        values={"check": chk.name, "where": where, "package": r.package, "resource": r.name,
                "field": column, "declared": field_type(fld), "expected": " / ".join(types)},
        fieldName=column, fieldNumber=None if number is None else number + 1,
        note="rule.check-field-type", extension=True)


def _missing(chk: Check, params: Mapping, fields) -> list[tuple[str, str]]:
    """(parameter, column) of the columns the binding names that ``fields`` lacks."""
    return [(where, column) for where, column, _ in field_columns(chk, params) if column not in fields]


def binding_problems(config, schemas: Mapping[tuple[str, str], Collection[str]]) -> list[str]:
    """Messages for bindings that name what the resources in ``schemas`` ((package,
    resource) → its field names) do not have: a resource named in full, or a role, in one of
    those packages; a field of such a resource or a role column; a field that no resource a
    pattern matches declares. Checked when the configuration is loaded, against the packages
    beside it."""
    from pipeline.i18n import both

    checks = registry()
    packages = {package for package, _ in schemas}
    problems = []
    for binding in config.checks:
        chk = checks[binding.check]
        for pattern in binding.resources:
            package, resource = pattern.split("/", 1)
            if "*" in pattern:
                matched = [fields for (p, r), fields in schemas.items()
                           if config.declared(p) and fnmatch.fnmatchcase(f"{p}/{r}", pattern)]
                missing = [_missing(chk, binding.params, fields) for fields in matched]
                if matched and all(missing):
                    where, column = missing[0][0]
                    problems.append(both("config.check_no_field_any", path=f"{binding.path}.{where}",
                                         check=chk.name, resources=pattern, field=column))
            elif package in packages and (package, resource) not in schemas:
                problems.append(both("config.check_no_resource", path=f"{binding.path}.resources",
                                     check=chk.name, resource=pattern))
            elif (package, resource) in schemas:
                for where, column in _missing(chk, binding.params, schemas[package, resource]):
                    problems.append(both("config.check_no_field", path=f"{binding.path}.{where}",
                                         check=chk.name, resource=pattern, field=column,
                                         fields=", ".join(schemas[package, resource])))
        for name, spec in chk.params.items():
            target = binding.params.get(name) if isinstance(spec, Role) else None
            if target is None or target.split("/", 1)[0] not in packages:
                continue
            if tuple(target.split("/", 1)) not in schemas:
                problems.append(both("config.check_no_resource", path=f"{binding.path}.{name}",
                                     check=chk.name, resource=target))
                continue
            fields = schemas[tuple(target.split("/", 1))]
            for column in spec.fields:
                if column not in fields:
                    problems.append(both("config.check_no_field", path=f"{binding.path}.{name}",
                                         check=chk.name, resource=target, field=column,
                                         fields=", ".join(fields)))
    return problems


def batchable(config, package: str, resource: str) -> bool:
    """Whether the resource can be checked batch by batch: every check bound to it is
    (``batched``) and no binding reads it as a role (roles are read whole)."""
    if not config.declared(package):
        return True
    checks = registry()
    for binding in config.checks:
        chk = checks[binding.check]
        if binding.binds(package, resource) and not chk.batched:
            return False
        if any(isinstance(p, Role) and binding.params.get(name) == f"{package}/{resource}"
               for name, p in chk.params.items()):
            return False
    return True


def run_rules(checked: dict[tuple[str, str], Checked], catalog, config, *,
              only: tuple[str, str] | None = None, skip: Collection[tuple[str, str]] = (),
              reported: set | None = None, warnings: list[str] | None = None) -> list[str]:
    """Run the checks ``config`` (:class:`pipeline.config.Config`) binds, on the resources it
    binds them to, in the order of ``portal.yml``. Returns warnings: a resource named in full
    (or a role) that lacks a column the binding names is not checked, and said so.
    ``only`` checks that one resource (a batch of its rows), ``skip`` leaves resources out;
    ``reported`` and ``warnings`` carry what was said across calls (once per file, not per
    batch)."""
    from pipeline.i18n import both

    checks = registry()
    reported = set() if reported is None else reported
    warnings = [] if warnings is None else warnings

    def type_problem(item, where, chk, column, fld, types) -> None:
        key = (item.resource.package, item.resource.name, column, chk.name, where)
        if key not in reported:
            reported.add(key)
            item.out.add(_type_error(item, where, chk, column, fld, types))

    def warn(where, chk, item, column) -> None:
        text = both("rule.check-no-field", path=where, check=chk.name,
                    resource=f"{item.resource.package}/{item.resource.name}", field=column,
                    fields=", ".join(_declared(item)))
        if text not in warnings:
            warnings.append(text)

    for binding in config.checks:
        chk = checks[binding.check]
        params = binding.params
        for (package, resource), item in checked.items():
            if (only is not None and (package, resource) != only) or (package, resource) in skip:
                continue
            if item.result is None or not config.declared(package) or not binding.binds(package, resource):
                continue
            declared = _declared(item)
            missing = _missing(chk, params, declared)
            if missing:
                if f"{package}/{resource}" in binding.resources:  # named in full: say so
                    warn(f"{binding.path}.{missing[0][0]}", chk, item, missing[0][1])
                continue  # a pattern binds the resources that have the fields
            columns = field_columns(chk, params)
            wrong = [(where, column, types) for where, column, types in columns
                     if not _type_ok(item, declared[column], types)]
            for where, column, types in wrong:
                type_problem(item, f"{binding.path}.{where}", chk, column, declared[column], types)
            if wrong or any(item.key(column) is None for _, column, _ in columns):
                continue  # a field without a column (fieldsMatch): nothing to read
            roles = {name: _role(checked, config, chk, f"{binding.path}.{name}", name, params[name],
                                 type_problem, warn)
                     for name, p in chk.params.items() if isinstance(p, Role) and name in params}
            chk.run(Bound(item, check=chk, params=params, roles=roles, catalog=catalog, config=config))
    return warnings


def _role(checked, config, chk: Check, where: str, name: str, target: str, type_problem, warn):
    """The role resource ``target`` as a :class:`Source`, or None when it is not loaded, lacks
    a column (a warning) or has one of a type the check cannot read (reported there)."""
    package, resource = target.split("/", 1)
    item = checked.get((package, resource)) if config.declared(package) else None
    if item is None or item.result is None:
        return None
    declared = _declared(item)
    ok = True
    for column, types in chk.params[name].fields.items():
        if column not in declared:
            warn(where, chk, item, column)
            ok = False
        elif not _type_ok(item, declared[column], types):
            type_problem(item, where, chk, column, declared[column], types)
            ok = False
        elif item.key(column) is None:
            ok = False  # a field without a column (fieldsMatch): nothing to read
    return Source(item) if ok else None
