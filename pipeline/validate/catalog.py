"""Validating a loaded catalog: Table Schema checks, keys across packages, domain rules.

``validate_catalog(catalog)`` returns a :class:`Report`. When the whole catalog is valid,
each resource's string table is replaced by its typed table (see
``celltypes.TYPED`` for the mapping) and ``resource.typed`` is set.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from pipeline.load import LoadedResource, StreamFallback
from pipeline.model import Catalog
from pipeline.validate import DEFAULT_MAX_ERRORS, batched
from pipeline.validate.errors import Collector, ValidationError
from pipeline.validate.keys import (
    Checked,
    check_foreign_keys,
    check_primary_key,
    check_unique,
    foreign_keys,
)
from pipeline.validate.tableschema import check_table


@dataclass
class Task:
    """The outcome for one resource."""

    package: str
    resource: str
    path: str
    errors: list[ValidationError]
    counts: Counter
    rows: int = 0
    fields: int = 0
    seconds: float = 0.0
    digests: dict = field(default_factory=dict)
    byte_count: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(self.counts.values())

    @property
    def dropped(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def valid(self) -> bool:
        return self.error_count == 0


@dataclass
class Report:
    tasks: list[Task] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(task.valid for task in self.tasks)

    @property
    def errors(self) -> list[ValidationError]:
        return [error for task in self.tasks for error in task.errors]

    @property
    def error_count(self) -> int:
        return sum(task.error_count for task in self.tasks)


def validate_catalog(catalog: Catalog, *, max_errors: int | None = DEFAULT_MAX_ERRORS,
                     rules: bool = True, config=None,
                     progress: Callable[[str, int, int], None] | None = None,
                     block_size: int = batched.BLOCK_SIZE) -> Report:
    """Table Schema checks, keys across packages and, where ``config`` (the portal's
    configuration, ``portal.yml`` by default) binds them, the domain rules.

    A resource loaded for streaming (``load_catalog(..., stream_above=...)``) is checked
    batch by batch of about ``block_size`` bytes (:mod:`pipeline.validate.batched`) unless a
    rule bound to it needs its whole table; it then keeps a few bytes per row for its keys
    and gets no typed table."""
    started = time.perf_counter()
    checked: dict[tuple[str, str], Checked] = {}
    timings: dict[tuple[str, str], float] = {}
    resources = [r for r in catalog if isinstance(r, LoadedResource)]
    if rules:
        from pipeline.config import load_config
        from pipeline.validate.rules import batchable, run_rules

        config = config if config is not None else load_config()
    streamed = [r for r in resources if r.stream is not None]
    if streamed:
        from pipeline.load import read_whole

        for resource in streamed:  # checks that need the whole table: read it whole
            if rules and not batchable(config, resource.package, resource.name):
                read_whole(resource)
        streamed = [r for r in resources if r.stream is not None]
        referenced = batched.referenced_fields(resources)
    # whole tables first: the rows of a streamed file are checked against them (roles)
    order = [r for r in resources if r.stream is None] + streamed
    said: set = set()
    warnings: list[str] = []
    looked_up: set = set()  # streamed resources whose foreign keys were checked as they were read

    def resolve(package, name):
        return checked.get((package, name))

    def has_package(name):
        return name in catalog.packages

    for step, resource in enumerate(order, start=1):
        if progress:
            progress(f"{resource.package}/{resource.name}", step, len(resources))
        t0 = time.perf_counter()
        key = (resource.package, resource.name)
        out = Collector(max_errors)
        if resource.stream is not None:
            def batch_rules(item, key=key):
                run_rules({**checked, key: item}, catalog, config, only=key, reported=said,
                          warnings=warnings)
            # its foreign keys are looked up as it is read when what they refer to is
            # checked already (whole tables are; a streamed one is when it comes first)
            pending = {(r.package, r.name) for r in order[step - 1:]}
            ready = not any(target in pending for _, target, _ in batched.references(resource))
            foreign = (lambda header: foreign_keys(header, resolve, has_package)) if ready else None
            try:
                item = batched.check_streamed(resource, out, referenced.get(key, set()),
                                              batch_rules if rules else None, block_size, foreign)
                if ready:
                    looked_up.add(key)
            except StreamFallback:  # e.g. a row of another width: read whole and check so
                from pipeline.load import read_whole

                read_whole(resource)
                streamed.remove(resource)  # its rules run with the others', on the whole table
                said.difference_update({k for k in said if k[:2] == key})
                out = Collector(max_errors)
                item = Checked(resource, check_table(resource, out), out)
        else:
            item = Checked(resource, check_table(resource, out), out)
        if item.result is not None:
            _check_stats(resource, out)
            if resource.stream is None:  # a streamed one's were checked as it was read
                check_unique(item)
                check_primary_key(item)
        checked[key] = item
        timings[key] = time.perf_counter() - t0

    for key, item in checked.items():
        if key in looked_up:
            continue
        t0 = time.perf_counter()
        check_foreign_keys(item, resolve, has_package)
        timings[(item.resource.package, item.resource.name)] += time.perf_counter() - t0

    if rules:
        run_rules(checked, catalog, config, skip={(r.package, r.name) for r in streamed},
                  reported=said, warnings=warnings)

    report = Report(warnings=list(warnings))
    for r in resources:  # in the catalog's order, whichever was checked first
        key = (r.package, r.name)
        item = checked[key]
        report.tasks.append(Task(
            package=r.package, resource=r.name, path=r.display_path, errors=item.out.kept(),
            counts=item.out.counts, rows=r.table.num_rows if r.table is not None else 0,
            fields=len(r.fields), seconds=timings[key], digests=r.digests, byte_count=r.byte_count))
    report.seconds = time.perf_counter() - started
    if report.valid:
        for item in checked.values():
            if item.result is not None and item.resource.stream is None:
                item.resource.table = typed_table(item)
                item.resource.typed = True
    return report


def typed_table(item: Checked) -> pa.Table:
    """The resource as typed columns named after its fields, in schema order."""
    columns, names = [], []
    for fld in item.resource.fields:
        parsed = item.key(fld.get("name"))
        if parsed is None:
            continue
        columns.append(parsed.typed)
        names.append(fld.get("name"))
    return pa.table(columns, names=names)


def _check_stats(resource: LoadedResource, out: Collector) -> None:
    """The descriptor's ``bytes`` and ``hash`` against the file (as frictionless does)."""
    declared = resource.descriptor.get("bytes")
    if isinstance(declared, int) and declared != resource.byte_count:
        out.add(ValidationError(type="byte-count", key="error.byte-count",
                                values={"expected": declared, "actual": resource.byte_count},
                                note=f'expected is "{declared}" and actual is "{resource.byte_count}"'))
    declared_hash = resource.descriptor.get("hash")
    if isinstance(declared_hash, str) and declared_hash:
        algorithm, _, expected = declared_hash.rpartition(":")
        algorithm = algorithm or "md5"
        actual = resource.digests.get(algorithm)
        if actual is None and algorithm in hashlib.algorithms_available:
            actual = None  # other algorithms are not checked, as in the reference
        if actual and actual != expected:
            out.add(ValidationError(type="hash-count", key="error.hash-count",
                                    values={"expected": expected, "actual": actual},
                                    note=f'expected is "{expected}" and actual is "{actual}"'))


def report_from_load_error(error) -> Report:
    """A report holding the loading error: every descriptor problem when there are several
    (:class:`pipeline.load.DescriptorError`), else the one unsafe or unreadable file."""
    if getattr(error, "problems", None):
        from pipeline.validate.descriptor_errors import report_from_problems

        return report_from_problems(error.problems)
    item = ValidationError(type=error.type, key=error.key, values=error.values, note=str(error))
    task = Task(package="", resource="", path=error.file, errors=[item], counts=Counter({error.type: 1}))
    return Report(tasks=[task])
