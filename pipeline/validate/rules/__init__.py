"""The domain's rules (shared DOMAIN notes), one module per group.

Each rule reads the typed columns of resources named in the team contract and reports an
error type of its own (``uscc-check-digit``, ``rate-mismatch`` …). Each group (a module
here) sees only the resources ``portal.yml`` binds it to (``rules:``), so a package the
configuration does not declare is checked by the Table Schema alone; a rule whose resources
or fields are absent does nothing. Rules run on cells that passed their type checks (a null stands for a blank
or unreadable cell, which the Table Schema checks already reported).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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


class View:
    """Typed columns of the checked resources, by (package, resource, field).

    ``scope(package, resource)`` says which resources the rule may read and report on.
    """

    def __init__(self, checked: dict[tuple[str, str], Checked], catalog,
                 scope: Callable[[str, str], bool] = lambda package, resource: True):
        self.checked = {key: item for key, item in checked.items() if scope(*key)}
        self.catalog = catalog

    def get(self, package: str, resource: str, *fields: str) -> Checked | None:
        item = self.checked.get((package, resource))
        if item is None or item.result is None:
            return None
        if any(item.key(f) is None for f in fields):
            return None
        return item

    def __iter__(self) -> Iterator[Checked]:
        return (c for c in self.checked.values() if c.result is not None)


def col(item: Checked, name: str) -> pa.Array:
    """The typed column ``name`` (nulls where blank or unreadable)."""
    return item.key(name).typed


def raw(item: Checked, name: str) -> pa.Array:
    return item.resource.table.column(item.column_of(name)).combine_chunks()


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


def run_rules(checked: dict[tuple[str, str], Checked], catalog, config) -> None:
    """Run each group of rules on the resources ``config`` (:class:`pipeline.config.Config`) binds it to."""
    from pipeline.validate.rules import (
        accidents,
        blacklist,
        certificates,
        districts,
        outcomes,
        percent,
        personal,
        rates,
        synthetic,
        text_safety,
        uscc,
    )

    for module in (uscc, accidents, rates, districts, blacklist, certificates, outcomes,
                   percent, personal, synthetic, text_safety):
        group = module.__name__.rsplit(".", 1)[-1]
        module.check(View(checked, catalog,
                          lambda package, resource, group=group: config.applies(group, package, resource)))
