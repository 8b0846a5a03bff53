"""What every page section is given: the catalog, the export's manifest, and ways to write.

A section (a module of ``pipeline.pages`` listed in ``SECTIONS``) has one function,
``write(ctx) -> list`` that writes its page sources and assets through ``ctx`` and returns
its entries for the site navigation. Sections read the typed (and derived) tables from the
catalog, never files that an earlier stage wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
from jinja2 import Environment

from pipeline.model import Catalog


@dataclass
class SiteContext:
    catalog: Catalog
    docs_dir: Path
    env: Environment
    lang: str = "zh"
    manifest: object | None = None  # pipeline.export.Manifest, when the export ran
    reference_date: date | None = None
    written: list[str] = field(default_factory=list)
    # Values derived from the tables and asked for by several pages (see accidents.rows).
    memo: dict = field(default_factory=dict, repr=False)

    def has(self, package: str, resource: str) -> bool:
        pkg = self.catalog.packages.get(package)
        return pkg is not None and resource in pkg.resources

    def table(self, package: str, resource: str) -> pa.Table:
        return self.catalog.table(package, resource)

    def render(self, relative: str, template: str, **values) -> None:
        """Render ``template`` with ``values`` into the page source ``relative``."""
        self.write(relative, self.env.get_template(template).render(**values))

    def write(self, relative: str, content: str | bytes) -> None:
        """Write a page source or an asset (JSON shard, SVG) under the docs folder."""
        target = self.docs_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        self.written.append(relative)
