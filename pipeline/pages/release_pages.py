"""A page in every release folder (``data/<package>/<version>/`` and ``latest/``), so that
the address a citation gives opens a page rather than a folder listing or an error.

The page says which package and version the folder holds, when it was released, whether
its data are synthetic, lists every file of the folder with its size and SHA-256, gives
the changelog entry of that version and the release's citation in every style, and says
when a newer version exists (with a link to it). Every release folder the site serves gets
one, the folders carried forward from earlier builds and those of withdrawn packages
included: the export lists them (``Manifest.releases``). The page is written afresh by
every build (a newer version may have appeared since), so the export never carries it
forward (:data:`pipeline.export.releases.RELEASE_PAGE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from pipeline.export.citation import STYLES, citation
from pipeline.export.metadata import licence_title, publisher, text_or
from pipeline.export.releases import LATEST
from pipeline.pages.reuse import STYLE_LABELS
from pipeline.pages.views import Release, format_label, release_history
from pipeline.versions import newest


@dataclass
class ReleaseFile:
    href: str  # relative to the release page
    name: str  # the path inside the release folder
    what: str
    size: int
    sha256: str


@dataclass
class ReleasePage:
    package: str
    folder: str  # the version, or "latest"
    version: str | None
    title: str  # the package's
    synthetic: str | None  # "all", "part" or None
    publisher: str
    licences: list[str]
    released: str | None
    data_updated: str | None
    metadata_updated: str | None
    newest: str | None  # the newest version the site serves of the package
    files: list[ReleaseFile] = field(default_factory=list)
    entry: Release | None = None  # this version's changelog entry
    citations: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label key, text)

    @property
    def newer(self) -> bool:
        """A newer version than this folder's exists (``latest`` is never outdated)."""
        return self.folder != LATEST and self.newest is not None and self.newest != self.version


def _synthetic(descriptor: dict) -> str | None:
    resources = descriptor.get("resources") or []
    flags = [bool(r.get("synthetic")) for r in resources]
    if descriptor.get("synthetic") or (flags and all(flags)):
        return "all"
    return "part" if any(flags) else None


def _files(manifest, package: str, folder: str, lang: str) -> list[ReleaseFile]:
    prefix = f"data/{package}/{folder}/"
    files = []
    for entry in manifest.files:
        if entry.package != package or entry.version != folder or not entry.path.startswith(prefix):
            continue
        name = entry.path.removeprefix(prefix)
        what = format_label(entry.format, lang)
        if entry.resource:
            what = f"{entry.resource} · {what}"
        files.append(ReleaseFile(quote(name, safe="/"), name, what, entry.bytes, entry.sha256))
    return files


def release_page(manifest, found, versions: list[str], lang: str) -> ReleasePage:
    """The view of the release folder ``found`` (a :class:`ReleaseFolder`); ``versions`` are
    the versions of its package the site serves."""
    descriptor = found.descriptor
    record = descriptor.get("x-release") or {}
    version = found.version
    history = release_history(found.changelog)
    entry = next((r for r in history if r.version == version), None)
    citations = []
    if descriptor.get("name") and version:
        cited = {**descriptor, "version": version}
        citations = [(f"cite-{style}", STYLE_LABELS[style], citation(cited, style, lang))
                     for style in STYLES]
    return ReleasePage(
        package=found.package, folder=found.folder, version=version,
        title=text_or(descriptor, "title", lang) or found.package,
        synthetic=_synthetic(descriptor), publisher=publisher(descriptor, lang),
        licences=[licence_title(x, lang) for x in descriptor.get("licenses") or []
                  if isinstance(x, dict)],
        released=_day(record.get("released") or descriptor.get("created")),
        data_updated=_day(record.get("data_updated")), metadata_updated=_day(record.get("metadata_updated")),
        newest=newest(versions), files=_files(manifest, found.package, found.folder, lang),
        entry=entry, citations=citations)


def _day(value) -> str | None:
    return str(value)[:10] if value else None


def write_release_pages(ctx) -> None:
    """A page for every release folder of the export (none without one)."""
    manifest = ctx.manifest
    if manifest is None:
        return
    versions: dict[str, list[str]] = {}
    for found in manifest.releases:
        if found.folder != LATEST:
            versions.setdefault(found.package, []).append(found.folder)
    for found in manifest.releases:
        page = release_page(manifest, found, versions.get(found.package, []), ctx.lang)
        ctx.render(f"data/{found.package}/{found.folder}/index.md", "release.md.j2", r=page)
