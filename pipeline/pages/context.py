"""What every page section is given: the catalog, the export's manifest, and ways to write.

A section (a module of ``pipeline.pages`` listed in ``SECTIONS``) has one function,
``write(ctx) -> list`` that writes its page sources and assets through ``ctx`` and returns
its entries for the site navigation. Sections read the typed (and derived) tables from the
catalog, never files that an earlier stage wrote.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
from jinja2 import Environment

from pipeline.export.releases import latest_path
from pipeline.model import Catalog
from pipeline.outdir import inside


@dataclass
class SiteContext:
    catalog: Catalog
    docs_dir: Path
    env: Environment
    # Where ``publish`` puts files the pages fetch but mkdocs never needs to read (lookup
    # shards, list data); the build moves them into the finished site. Defaults to the docs.
    assets_dir: Path | None = None
    # The site this build replaces: a published file with the very bytes ``publish`` would
    # write is hard-linked from there instead (see ``publish``).
    reuse_dir: Path | None = None
    lang: str = "zh"
    manifest: object | None = None  # pipeline.export.Manifest, when the export ran
    reference_date: date | None = None
    written: list[str] = field(default_factory=list)
    # Values derived from the tables and asked for by several pages (see core.rows).
    memo: dict = field(default_factory=dict, repr=False)

    def has(self, package: str, resource: str) -> bool:
        pkg = self.catalog.packages.get(package)
        return pkg is not None and resource in pkg.resources

    def table(self, package: str, resource: str) -> pa.Table:
        return self.catalog.table(package, resource)

    def published(self, package: str | None, resource: str | None = None, fmt: str = "csv"):
        """The manifest entry (path, bytes, sha256) of a file of ``package``'s ``latest``
        release, or of a portal-wide file when ``package`` is None (``sqlite`` ...); None
        if the export wrote no such file or did not run."""
        return None if self.manifest is None else self.manifest.latest(package, resource, fmt)

    def download(self, package: str | None, resource: str | None = None,
                 fmt: str = "csv") -> str | None:
        """The address, under the site root, of a file of ``package``'s ``latest`` release
        (``resource`` in format ``fmt``, or the package's ``zip`` ...), as the export's
        manifest lists it; None if the export did not publish it (a withheld table).

        Pages rendered without an export (``manifest`` None, as in some tests) get the
        address the export gives such a file (:func:`pipeline.export.releases.latest_path`);
        a portal-wide file has none then."""
        if self.manifest is None:
            return latest_path(package, resource, fmt) if package is not None else None
        entry = self.published(package, resource, fmt)
        return entry.path if entry is not None else None

    def render(self, relative: str, template: str, **values) -> None:
        """Render ``template`` with ``values`` into the page source ``relative``."""
        self.write(relative, self.env.get_template(template).render(**values))

    def write(self, relative: str, content: str | bytes) -> None:
        """Write a page source or an asset a page links to (SVG chart) under the docs folder.

        Page paths are built from package and resource names: each part must be a plain
        name and the result stay inside the docs folder (:func:`pipeline.outdir.inside`)."""
        target = inside(self.docs_dir, *relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        self.written.append(relative)

    def publish(self, files: dict[str, bytes] | Iterable[tuple[str, bytes]]) -> None:
        """Write files that scripts fetch (``relative path → bytes``) beside the docs: a dict,
        written in the order of its paths, or (path, bytes) pairs, each written as it comes
        (so a caller that makes them one at a time never holds them all).

        mkdocs would copy each one again (and list it among the site's files): at province
        scale the lookup index alone is 42,000 files, which made mkdocs' time grow with the
        data. Nothing in a page source links to them, so mkdocs need not know them.

        A file whose bytes equal those of the same file in ``reuse_dir`` is hard-linked from
        there: after a one-row change nearly every lookup shard is as it was, and creating
        thousands of files was the slowest and least steady part of writing the pages.
        Equality is decided by comparing the bytes, never by file times.
        """
        root = self.assets_dir or self.docs_dir
        folders: set[Path] = set()
        pairs = sorted(files.items()) if isinstance(files, dict) else files
        for relative, content in pairs:
            target = root / relative
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            if not self._link_same(relative, content, target):
                target.write_bytes(content)
            self.written.append(relative)

    def _link_same(self, relative: str, content: bytes, target: Path) -> bool:
        if self.reuse_dir is None:
            return False
        old = self.reuse_dir / relative
        try:
            status = os.lstat(old)  # one call: a national index is 400,000 files
            if not stat.S_ISREG(status.st_mode) or status.st_size != len(content) \
                    or old.read_bytes() != content:
                return False
            os.link(old, target)
        except OSError:  # missing, unreadable, or links not possible here: write it
            return False
        return True
