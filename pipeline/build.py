"""The stages in order, ending in an atomic swap of the published folder.

Everything is built in fresh folders beside ``out``; ``out`` is replaced only after every
stage succeeded, so invalid data or a failing build leaves the last good site untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

from pipeline.derive import derive, missing_sources
from pipeline.export import export
from pipeline.load import LoadError, load_catalog
from pipeline.model import Catalog
from pipeline.pages import write_docs
from pipeline.pages.mkdocs_site import run_mkdocs, write_config
from pipeline.validate import report_from_load_error, validate_catalog


class InvalidData(Exception):
    """Loading or validation failed; ``report`` says where. Nothing was written."""

    def __init__(self, report):
        super().__init__("invalid data")
        self.report = report


def build(data: Path, out: Path, *, reference_date: date | None = None,
          lang: str = "zh") -> None:
    """load → validate → derive → export → pages → site, then swap the site into ``out``.

    Raises :class:`InvalidData` (carrying the report) when loading or validation fails,
    ``SiteError`` when mkdocs refuses the site, ``LoadError`` for usage errors (no such
    folder); ``out`` is untouched in every case. ``reference_date`` is the day the build
    speaks for (which blacklist listings are still active, which certificates current); it
    defaults to today, and passing it makes the whole output reproducible.
    """
    day = reference_date or date.today()
    catalog = _load(Path(data))
    report = validate_catalog(catalog)
    if not report.valid:
        raise InvalidData(report)
    if not missing_sources(catalog):  # a third-party package alone has nothing to derive
        derive(catalog, reference_date=day)
    out = Path(out).resolve()  # mkdocs would read a relative site_dir against its config's folder
    with _replacing(out) as site_dir, tempfile.TemporaryDirectory(
            prefix=f".{out.name}.work-", dir=out.parent) as work:
        work = Path(work)
        # Downloads are written beside the docs, not inside them: mkdocs would copy every
        # file once more, and it empties its site folder before building.
        downloads = work / "downloads"
        manifest = export(catalog, downloads, reference_date=day,
                          previous=out if out.is_dir() else None)
        nav = write_docs(catalog, work / "docs", lang=lang, manifest=manifest,
                         reference_date=day)
        run_mkdocs(write_config(work, nav, lang=lang), site_dir, build_date=day)
        _merge(downloads, site_dir)


def _merge(source: Path, target: Path) -> None:
    """Move every file of ``source`` into ``target`` (same file system: renames, no copies)."""
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        destination = target / path.relative_to(source)
        if destination.exists():
            raise FileExistsError(f"{destination} was written by both the site and the export")
        destination.parent.mkdir(parents=True, exist_ok=True)
        path.rename(destination)


def _load(data: Path) -> Catalog:
    try:
        return load_catalog([data])
    except LoadError as error:
        if error.type == "usage-error":  # no such folder, no packages: not a data error
            raise
        raise InvalidData(report_from_load_error(error)) from error


@contextlib.contextmanager
def _replacing(out: Path):
    """Yield a fresh folder beside ``out``; if the block succeeds, it becomes ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        yield new
        os.chmod(new, 0o755)  # mkdtemp makes it private; a published folder is readable
        _swap(new, out)
    finally:
        shutil.rmtree(new, ignore_errors=True)  # gone already after a successful swap


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` in place of ``out`` with renames (same file system, so each is atomic)."""
    if not out.exists():
        new.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()  # only the unique name is wanted
    out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old)
