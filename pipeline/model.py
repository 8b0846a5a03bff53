"""The one representation that flows through every stage.

A ``Catalog`` holds data packages; each ``Package`` holds ``Resource`` objects whose
``table`` is a pyarrow Table. After *load* the columns are strings exactly as read from
the CSV (so the validator can report the raw cell); after *validate* they are typed by
the Table Schema. Later stages add derived resources to the same catalog instead of
writing files and reading them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa


@dataclass
class Resource:
    package: str
    name: str
    descriptor: dict  # the resource descriptor, with its schema inlined
    path: Path | None  # the CSV on disk (None for derived resources)
    table: pa.Table | None = None
    typed: bool = False  # True once the columns carry their Table Schema types
    withheld: bool = False  # withheld by the portal's configuration (pipeline.config), not the descriptor

    @property
    def schema(self) -> dict:
        return self.descriptor.get("schema", {})

    @property
    def fields(self) -> list[dict]:
        return self.schema.get("fields", [])

    @property
    def public(self) -> bool:
        """False for a resource that is validated and derived from but never published row
        by row, such as the full blacklist: an expired listing must not be published with the
        enterprise's identity, so only its derived public form is. The configuration decides
        (``withheld``); a descriptor's ``"x-public": false`` may withhold more, never less."""
        return not self.withheld and self.descriptor.get("x-public", True) is not False


@dataclass
class Package:
    name: str
    descriptor: dict
    root: Path | None  # the folder holding datapackage.json
    resources: dict[str, Resource] = field(default_factory=dict)
    # Computed by the pipeline (the derived package), not edited by people: its version is
    # computed too (:mod:`pipeline.versions`), whatever its descriptor says.
    computed: bool = False

    @property
    def synthetic(self) -> bool:
        return bool(self.descriptor.get("synthetic"))


@dataclass
class Catalog:
    packages: dict[str, Package] = field(default_factory=dict)

    def resource(self, package: str, resource: str) -> Resource:
        return self.packages[package].resources[resource]

    def table(self, package: str, resource: str) -> pa.Table:
        table = self.resource(package, resource).table
        if table is None:
            raise LookupError(f"{package}/{resource} has not been loaded")
        return table

    def __iter__(self):
        for package in self.packages.values():
            yield from package.resources.values()
