"""What every page section is given: the catalog, the export's manifest, and ways to write.

A section (a module of ``pipeline.pages`` listed in ``SECTIONS``) has one function,
``write(ctx) -> list`` that writes its page sources and assets through ``ctx`` and returns
its entries for the site navigation. Sections read the typed (and derived) tables from the
catalog, never files that an earlier stage wrote.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Self

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

        The files are written by two threads while the caller makes the next ones: creating
        a file is the kernel's work, done without Python's lock, and the national lookup
        index is 400,000 files (about 200 µs each here, as long as making them).
        """
        root = self.assets_dir or self.docs_dir
        folders: set[Path] = set()
        pairs = sorted(files.items()) if isinstance(files, dict) else files
        with _Writers() as writers:
            for relative, content in pairs:
                target = root / relative
                if target.parent not in folders:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    folders.add(target.parent)
                writers.submit(self._put, relative, content, target)
                self.written.append(relative)

    def _put(self, relative: str, content: bytes, target: Path) -> None:
        if not self._link_same(relative, content, target):
            write_file(target, content)

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


def write_file(path: Path, content: bytes) -> None:
    """``path.write_bytes(content)`` with the system's calls alone (no file object: for
    hundreds of thousands of small files its making was a third of the time)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(handle, view):]
    finally:
        os.close(handle)


class _Writers:
    """Two threads writing files while the caller goes on, at most ``PENDING`` files
    waiting (their bytes held); the first failure is raised when the block ends, after
    every file given was written or has failed."""

    THREADS = 2
    PENDING = 512

    def __enter__(self) -> Self:
        self._pool = ThreadPoolExecutor(self.THREADS)
        self._room = threading.BoundedSemaphore(self.PENDING)
        self._failures: list[BaseException] = []
        return self

    def submit(self, write, *arguments) -> None:
        if self._failures:  # stop giving work once a write has failed (a full disk)
            raise self._failures[0]
        self._room.acquire()
        self._pool.submit(write, *arguments).add_done_callback(self._done)

    def _done(self, future) -> None:
        self._room.release()
        if future.exception() is not None:  # kept, and raised in the caller's thread
            self._failures.append(future.exception())

    def __exit__(self, *raised) -> None:
        self._pool.shutdown(wait=True)
        if self._failures and raised[0] is None:
            raise self._failures[0]
