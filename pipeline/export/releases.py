"""The previous release of each package, read from the last published site.

Design: the previous release is whatever the public can download now, i.e. the last
published site's ``data/<package>/latest/`` folder. Its Parquet files carry the typed
rows and its ``datapackage.json`` the metadata and release dates, so nothing about past
releases has to be kept in the repository, and the changelog compares against exactly
what users saw. Older release folders are copied forward from that site so every
``data/<package>/<version>/`` address keeps working.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.export.files import link_or_copy
from pipeline.export.formats import PARQUET

LATEST = "latest"
RELEASE_KEY = "x-release"


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
        return pq.read_table(self.folder / "data" / PARQUET.filename(resource))


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


_VERSION = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?")  # semantic versions


def copy_forward(previous: Path | None, out_data: Path, current: dict[str, str]) -> list[Path]:
    """Copy older release folders from the previous site; ``current`` maps package → version.

    The current version's folder and ``latest`` are written fresh by this build; every other
    version folder (also of packages no longer in the catalog) is copied byte for byte.
    """
    copied: list[Path] = []
    if previous is None or not (previous / "data").is_dir():
        return copied
    for package_dir in sorted(p for p in (previous / "data").iterdir() if p.is_dir()):
        # only release folders: pages and other files may sit beside them in data/<package>/
        for version_dir in sorted(p for p in package_dir.iterdir()
                                  if p.is_dir() and _VERSION.fullmatch(p.name)):
            package, version = package_dir.name, version_dir.name
            if package in current and version in (LATEST, current[package]):
                continue
            target = out_data / package / version
            shutil.copytree(version_dir, target, symlinks=False, dirs_exist_ok=False,
                            copy_function=link_or_copy)
            copied.append(target)
    return copied
