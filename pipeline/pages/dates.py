"""The dates pages state, from one place, so that every page of a build says the same.

- **status date** (状态截至): the build's reference date, the day statuses (active listings,
  current certificates, open hazards, progress) are computed for. The derived tables carry
  it as ``as_of``.
- **coverage** (数据覆盖): the period a package's data cover, as the export recorded it in
  the package's dataset record (``temporalCoverage``: the descriptor's ``x-temporal`` or
  the range of its dates and years); without an export, the same function on the tables.
- **data updated** (数据更新): the package's release record (``x-release.data_updated`` of
  the published descriptor): the reference date of the build that first published its
  current data. Never the descriptor's ``created``, which says when the files were made.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.export.metadata import temporal_coverage


@dataclass(frozen=True)
class Stamp:
    """What a status-bearing page or section says about its dates."""
    as_of: str  # ISO date, "" when the build has no reference date
    start: str | None = None
    end: str | None = None

    @property
    def coverage(self) -> str | None:
        """``start/end`` as in the dataset records, or None if unknown."""
        return f"{self.start}/{self.end}" if self.start and self.end else None


def status_date(ctx) -> str:
    return ctx.reference_date.isoformat() if ctx.reference_date else ""


def coverage(ctx, package: str) -> tuple[str, str] | None:
    """(start, end) of ``package``'s data: the export's record, else computed alike."""
    key = ("dates.coverage", package)
    if key not in ctx.memo:
        ctx.memo[key] = _coverage(ctx, package)
    return ctx.memo[key]


def _coverage(ctx, package: str) -> tuple[str, str] | None:
    manifest = ctx.manifest
    if manifest is not None and package in getattr(manifest, "datasets", {}):
        recorded = (manifest.datasets[package] or {}).get("temporalCoverage")
        if recorded and "/" in str(recorded):
            start, end = str(recorded).split("/", 1)
            return start, end
        return None
    pkg = ctx.catalog.packages.get(package)
    if pkg is None:
        return None
    tables = {name: r.table for name, r in pkg.resources.items()
              if r.public and r.table is not None}
    return temporal_coverage(pkg.descriptor, tables)


def stamp(ctx, package: str) -> Stamp:
    """The status date of the build and the coverage of ``package``."""
    span = coverage(ctx, package)
    return Stamp(as_of=status_date(ctx), start=span[0] if span else None,
                 end=span[1] if span else None)


def release_record(manifest, package: str) -> dict:
    """The release record of ``package`` (``released``, ``data_updated``,
    ``metadata_updated``) as the export published it; empty before export."""
    if manifest is None:
        return {}
    descriptor = getattr(manifest, "descriptors", {}).get(package) or {}
    return dict(descriptor.get("x-release") or {})


def data_updated(manifest, package: str) -> str | None:
    """When ``package``'s data last changed (ISO date), from its release record."""
    value = release_record(manifest, package).get("data_updated")
    return str(value)[:10] if value else None
