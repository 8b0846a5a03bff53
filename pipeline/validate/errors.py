"""The error record and the per-resource collector.

An error has the fields frictionless reports (``type``, ``rowNumber``, ``fieldName``,
``cell``, ``note``) plus the physical ``line`` and a message in both languages through the
i18n catalogs. The collector counts every error but keeps only the first ``limit`` per
resource as objects, so a file where every row is wrong costs counts, not memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from pipeline.i18n import catalog, t

# frictionless's error titles, kept for the JSON report
TITLES = {
    "encoding-error": "Encoding Error", "source-error": "Source Error",
    "scheme-error": "Scheme Error", "format-error": "Format Error",
    "extra-label": "Extra Label", "missing-label": "Missing Label", "blank-label": "Blank Label",
    "duplicate-label": "Duplicate Label", "incorrect-label": "Incorrect Label",
    "blank-header": "Blank Header", "unmatched-header": "Unmatched Header",
    "blank-row": "Blank Row", "primary-key": "PrimaryKey Error", "foreign-key": "ForeignKey Error",
    "extra-cell": "Extra Cell", "missing-cell": "Missing Cell", "type-error": "Type Error",
    "constraint-error": "Constraint Error", "unique-error": "Unique Error",
    "hash-count": "Hash Count Error", "byte-count": "Byte Count Error",
    "field-count": "Field Count Error", "row-count": "Row Count Error",
    "schema-error": "Schema Error",
}
# Position of each type within one row when sorting (header first, then row, then cells).
_ORDER = {name: i for i, name in enumerate(TITLES)}


@dataclass
class ValidationError:
    type: str
    key: str  # i18n key of the message
    values: dict = field(default_factory=dict)
    rowNumber: int | None = None
    fieldName: str | None = None
    fieldNumber: int | None = None
    cell: str | None = None
    note: str = ""
    line: int | None = None  # physical line in the file (1-based), for annotations
    fieldNames: list[str] | None = None
    # A check beyond Table Schema (cross-package keys, domain rules): frictionless, which
    # only knows Table Schema, cannot find it, so comparisons with it leave these out.
    extension: bool = False

    @property
    def table_schema(self) -> bool:
        """One of the findings Table Schema defines (and frictionless reports)."""
        return not self.extension and self.type in TITLES

    def message(self, lang: str = "zh") -> str:
        values = dict(self.values)
        if "type" in values:  # what the cell should have looked like, in the reader's language
            values["type_name"] = t(f"expect.{values['type']}", lang) \
                if f"expect.{values['type']}" in catalog(lang) else values["type"]
        return t(self.key, lang, **values)

    def title(self, lang: str = "zh") -> str:
        key = f"title.{self.type}"
        try:
            return t(key, lang)
        except KeyError:
            return TITLES.get(self.type, self.type)

    def sort_key(self):
        return (self.rowNumber or 0, self.fieldNumber or 0, _ORDER.get(self.type, 99), self.type)

    def to_dict(self, lang: str = "zh") -> dict:
        out = {"type": self.type, "title": TITLES.get(self.type, self.type),
               "note": self.note, "message": self.message(lang), "messages": {
                   "zh": self.message("zh"), "en": self.message("en")}}
        for name in ("rowNumber", "fieldName", "fieldNumber", "cell", "fieldNames", "line"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class Collector:
    """Errors of one resource: all counted, the first ``limit`` (in row order) kept."""

    def __init__(self, limit: int | None = 1000):
        self.limit = limit
        self.items: list[ValidationError] = []
        self.counts: Counter[str] = Counter()

    def add(self, error: ValidationError) -> None:
        self.counts[error.type] += 1
        self.items.append(error)
        self._trim()

    def add_rows(self, type: str, mask: np.ndarray,
                 make: Callable[[np.ndarray], Iterable[ValidationError]]) -> None:
        """Count the rows in ``mask``; build error objects only for the first ``limit``."""
        count = int(np.count_nonzero(mask))
        if not count:
            return
        self.counts[type] += count
        rows = np.flatnonzero(mask)
        if self.limit is not None:
            rows = rows[: self.limit]
        self.items.extend(make(rows))
        self._trim()

    def merge(self, other: Collector) -> None:
        """Add what ``other`` (another part of the same resource's rows) found."""
        self.counts.update(other.counts)
        self.items.extend(other.items)
        self._trim()

    def _trim(self) -> None:
        if self.limit is not None and len(self.items) > 4 * self.limit:
            self.items.sort(key=ValidationError.sort_key)
            del self.items[self.limit:]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def kept(self) -> list[ValidationError]:
        self.items.sort(key=ValidationError.sort_key)
        if self.limit is not None:
            del self.items[self.limit:]
        return self.items
