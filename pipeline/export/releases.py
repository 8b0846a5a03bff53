"""The previous release of each package, read from the last published site.

Design: the previous release is whatever the public can download now, i.e. the last
published site's ``data/<package>/latest/`` folder. Its Parquet files carry the typed
rows and its ``datapackage.json`` the metadata and release dates, so nothing about past
releases has to be kept in the repository, and the changelog compares against exactly
what users saw. Older release folders are carried forward from that site (hard links) so
every ``data/<package>/<version>/`` address keeps working, also after a package is withdrawn;
only a redaction (:mod:`pipeline.export.redaction`) may re-issue files in them.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.export.files import link_or_copy, write_json
from pipeline.export.formats import PARQUET, RESOURCE_FORMATS, ZIP
from pipeline.export.labels import without_added
from pipeline.versions import is_version, version_key

LATEST = "latest"
RELEASE_KEY = "x-release"
# Files of a release folder that are not a resource's download, by their manifest format.
RELEASE_DOCUMENTS = {"datapackage": "datapackage.json", "readme": "README.md", "licence": "LICENSE.txt",
                     "changelog-md": "CHANGELOG.md", "changelog": "changelog.json"}
# The page the site writes into every release folder (pipeline/pages/release_pages.py), so
# that a release's cited address opens a page. Not one of the release's files: every build
# writes it afresh (a newer version may have appeared since), so it is never carried forward.
RELEASE_PAGE = "index.html"


def latest_path(package: str, resource: str | None = None, fmt: str = "csv") -> str:
    """Where the export puts a file of ``package``'s ``latest`` release, under the site root.

    ``resource`` with a resource format (``csv``, ``xlsx`` ...) names a table's download;
    without, ``fmt`` is ``zip`` (the package archive) or a release document
    (``datapackage``, ``changelog`` ...). The manifest of an export run lists the same
    addresses; this is for pages rendered without one.
    """
    folder = f"data/{package}/{LATEST}"
    if resource is not None:
        by_key = {f.key: f for f in RESOURCE_FORMATS}
        if fmt not in by_key:
            raise ValueError(f"no download format {fmt!r} for a resource")
        return f"{folder}/data/{by_key[fmt].filename(resource, package)}"
    if fmt == ZIP.key:
        return f"{folder}/{ZIP.filename(package)}"
    if fmt in RELEASE_DOCUMENTS:
        return f"{folder}/{RELEASE_DOCUMENTS[fmt]}"
    raise ValueError(f"no release file of format {fmt!r}")


@dataclass
class PreviousRelease:
    folder: Path
    descriptor: dict
    changelog: dict | None

    @property
    def version(self) -> str | None:
        return self.descriptor.get("version")

    @property
    def release(self) -> dict:
        return self.descriptor.get(RELEASE_KEY) or {}

    @property
    def resources(self) -> dict[str, dict]:
        return {resource["name"]: resource for resource in self.descriptor.get("resources", [])}

    def table(self, resource: str) -> pa.Table:
        """The publisher's columns of a table of this release (without the label columns
        and the synthetic mark the export adds, :mod:`pipeline.export.labels`)."""
        return without_added(self.published_table(resource), self.resources.get(resource, {}))

    def published_table(self, resource: str) -> pa.Table | None:
        """A table of this release as published (label columns included), None if absent."""
        path = self.folder / "data" / PARQUET.filename(resource)
        return pq.read_table(path) if path.is_file() else None


def find_previous(previous: Path | None, package: str) -> PreviousRelease | None:
    if previous is None:
        return None
    folder = previous / "data" / package / LATEST
    descriptor_path = folder / "datapackage.json"
    if not descriptor_path.is_file():
        return None
    changelog_path = folder / "changelog.json"
    changelog = json.loads(changelog_path.read_text(encoding="utf-8")) if changelog_path.is_file() else None
    return PreviousRelease(folder, json.loads(descriptor_path.read_text(encoding="utf-8")), changelog)


def release_at(previous: Path | None, package: str, version: str) -> PreviousRelease | None:
    """A release folder of the previous site (any version, not only ``latest``)."""
    if previous is None or not is_version(version):
        return None
    folder = previous / "data" / package / version
    descriptor_path = folder / "datapackage.json"
    if not descriptor_path.is_file():
        return None
    return PreviousRelease(folder, json.loads(descriptor_path.read_text(encoding="utf-8")), None)


def _release_folders(package_dir: Path) -> list[Path]:
    """Release folders, oldest version first: pages and other files may sit beside them."""
    folders = [p for p in package_dir.iterdir() if p.is_dir() and is_version(p.name)]
    return sorted(folders, key=lambda p: version_key(p.name))


def published_versions(previous: Path | None, package: str) -> list[str]:
    """The versions of ``package`` the previous site serves, oldest first."""
    if previous is None or not (previous / "data" / package).is_dir():
        return []
    return [folder.name for folder in _release_folders(previous / "data" / package)]


def copy_forward(previous: Path | None, out_data: Path, current: dict[str, str]) -> list[Path]:
    """Carry release folders over from the previous site; ``current`` maps package → version.

    Every release folder (semantic or calendar version) is linked byte for byte, except the
    ones this build wrote (the current version and ``latest`` of a package in the catalog).
    A package no longer in the catalog keeps its ``latest`` folder too, so its addresses
    keep working after it is withdrawn.
    """
    copied: list[Path] = []
    if previous is None or not (previous / "data").is_dir():
        return copied
    for package_dir in sorted(p for p in (previous / "data").iterdir() if p.is_dir()):
        package = package_dir.name
        folders = _release_folders(package_dir)
        if package not in current and (package_dir / LATEST).is_dir():
            folders.append(package_dir / LATEST)
        for version_dir in folders:
            if package in current and version_dir.name == current[package]:
                continue
            target = out_data / package / version_dir.name
            shutil.copytree(version_dir, target, symlinks=False, dirs_exist_ok=False,
                            copy_function=link_or_copy, ignore=_page_of(version_dir))
            copied.append(target)
    return copied


def _page_of(version_dir: Path):
    """copytree's ``ignore``: the release page at the top of ``version_dir``, nothing else."""
    return lambda folder, names: [RELEASE_PAGE] if Path(folder) == version_dir and RELEASE_PAGE in names else []


@dataclass(frozen=True)
class ReleaseFolder:
    """A release folder of the site being built: ``folder`` is a version or ``latest``."""
    package: str
    folder: str
    descriptor: dict  # its datapackage.json ({} if it has none)
    changelog: dict | None  # its changelog.json: the releases up to this one

    @property
    def version(self) -> str | None:
        return self.descriptor.get("version") or (self.folder if is_version(self.folder) else None)


def release_folders(out_data: Path) -> list[ReleaseFolder]:
    """Every release folder under ``out_data`` (this build's and those carried forward, of
    packages in the catalog or withdrawn), by package, oldest version first, ``latest`` last."""
    found = []
    for package_dir in sorted(p for p in out_data.iterdir() if p.is_dir()) if out_data.is_dir() else []:
        folders = _release_folders(package_dir)
        if (package_dir / LATEST).is_dir():
            folders.append(package_dir / LATEST)
        for folder in folders:
            documents = {}
            for name in ("datapackage.json", "changelog.json"):
                path = folder / name
                documents[name] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
            found.append(ReleaseFolder(package_dir.name, folder.name, documents["datapackage.json"] or {},
                                       documents["changelog.json"]))
    return found


WITHDRAWN = "withdrawn.json"


def withdrawn_packages(previous: Path | None, out_data: Path, current: set[str],
                       reference_date: dt.date) -> list[dict]:
    """Packages the public could download before and that are no longer in the catalog.

    Each keeps the day it was first found missing (carried from the previous site's
    ``data/withdrawn.json``), its versions and its title; a package that returns to the
    catalog leaves the list. Written to ``data/withdrawn.json``.
    """
    known = {}
    if previous is not None and (previous / "data" / WITHDRAWN).is_file():
        for entry in json.loads((previous / "data" / WITHDRAWN).read_text(encoding="utf-8")).get("packages", []):
            known[entry["name"]] = entry
    entries = []
    for package_dir in sorted(p for p in out_data.iterdir() if p.is_dir()) if out_data.is_dir() else []:
        name = package_dir.name
        versions = [folder.name for folder in _release_folders(package_dir)]
        if name in current or not versions:
            continue
        descriptor_path = package_dir / versions[-1] / "datapackage.json"
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8")) if descriptor_path.is_file() else {}
        entries.append({
            "name": name,
            "withdrawn": known.get(name, {}).get("withdrawn", reference_date.isoformat()),
            "versions": versions,
            "latest": versions[-1],
            "title": descriptor.get("title"),
            "x-en": {"title": (descriptor.get("x-en") or {}).get("title")},
            "synthetic": bool(descriptor.get("synthetic")),
        })
    write_json(out_data / WITHDRAWN, {"packages": entries})
    return entries
