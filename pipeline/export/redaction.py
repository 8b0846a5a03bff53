"""Re-issue of carried-forward releases that would still name an expired listing.

Every release ever published stays at its address with its checksum, with one exception the
law makes (DOMAIN 6): a blacklist listing that is no longer in force must not be published
with the enterprise's identity. A release of the public blacklist made while a listing was
active holds its row; on the day the listing ends (expires, or is removed early), every
carried-forward release holding it is re-issued without that row: the table's files in every
format, the descriptor's sizes and hashes, README, changelogs (counts only) and the ZIP.
Each re-issue is recorded in the public redaction log ``data/redactions.json``: the date,
package, version, resource, number of rows, reason and every file's checksum before and
after, never the identity.

The rule is "a row stays only while its key is in the current public table", computed for
the build's reference date, so a listing corrected away or withdrawn early goes too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.export import changelog
from pipeline.export.errors import output_path
from pipeline.export.files import sha256, write_json
from pipeline.export.formats import PARQUET, RESOURCE_FORMATS, ZIP
from pipeline.export.releases import LATEST, RELEASE_KEY
from pipeline.versions import is_version

LOG = "redactions.json"
REASON = "listing-not-in-force"
REDACTIONS_KEY = "x-redactions"


def _previous_log(previous: Path | None) -> list[dict]:
    path = previous / "data" / LOG if previous is not None else None
    if path is None or not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("entries", []))


def _release_folders(data: Path, package: str) -> list[Path]:
    folder = data / package
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and (is_version(p.name) or p.name == LATEST))


def redact(previous: Path | None, data: Path, identities: dict[tuple[str, str], tuple[str, set]], *,
           reference_date: dt.date, writers: dict, base_url: str) -> list[dict]:
    """Re-issue every release folder under ``data`` holding a row whose key is not current.

    ``identities`` maps (package, resource) → (key column, keys in the current public table).
    Folders this build wrote hold only current keys and are left as they are. Returns the
    whole log (the previous site's entries, then today's) and writes it to ``data/redactions.json``.
    """
    entries = _previous_log(previous)
    for (package, resource), (column, current) in sorted(identities.items()):
        for folder in _release_folders(data, package):
            entry = _redact_folder(folder, resource, column, current, reference_date=reference_date,
                                   writers=writers, base_url=base_url)
            if entry is not None:
                entries.append(entry)
    write_json(data / LOG, {"entries": entries})
    return entries


def _redact_folder(folder: Path, resource: str, column: str, current: set, *, reference_date: dt.date,
                   writers: dict, base_url: str) -> dict | None:
    from pipeline.export.release_files import (
        published_resource,
        write_release_documents,
        write_release_zip,
        write_resource,
    )

    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    entries = {r["name"]: r for r in descriptor.get("resources", [])}
    if resource not in entries:
        return None
    table = pq.read_table(folder / "data" / PARQUET.filename(resource))
    if column not in table.column_names:
        return None
    keep = pc.is_in(table.column(column), value_set=pa.array(sorted(current, key=str), table.schema.field(column).type))
    keep = pc.fill_null(keep, False)
    removed = table.num_rows - (pc.sum(keep).as_py() or 0)
    if not removed and not _changelog_names_rows(folder, resource):
        return None

    before = {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    stamp = dt.date.fromisoformat((descriptor.get(RELEASE_KEY) or {}).get("released") or reference_date.isoformat())
    if removed:
        data_dir = folder / "data"
        entry = entries[resource]
        # The files the release lists (older releases name them otherwise than newer ones),
        # unlinked first: a file may be a hard link shared with the site being replaced.
        for listed in [entry.get("path"), *(d.get("path") for d in entry.get("x-downloads", []))]:
            if listed:
                output_path(folder, *listed.split("/")).unlink(missing_ok=True)
        for fmt in RESOURCE_FORMATS:
            (data_dir / fmt.filename(resource, folder.parent.name)).unlink(missing_ok=True)
        source = {k: v for k, v in entries[resource].items() if k not in changelog.COMPUTED_RESOURCE_KEYS}
        package_descriptor = {k: v for k, v in descriptor.items() if k != "resources"}
        files = write_resource(package_descriptor, source, table.filter(keep), data_dir, stamp, writers)
        descriptor["resources"] = [published_resource(source, files, folder) if r["name"] == resource else r
                                   for r in descriptor["resources"]]
    descriptor[REDACTIONS_KEY] = [*descriptor.get(REDACTIONS_KEY, []),
                                  {"date": reference_date.isoformat(), "resource": resource,
                                   "rows": removed, "reason": REASON}]
    document = _changelog_counts_only(folder, resource)
    rows = {r["name"]: pq.read_metadata(folder / "data" / PARQUET.filename(r["name"])).num_rows
            for r in descriptor["resources"] if (folder / "data" / PARQUET.filename(r["name"])).is_file()}
    write_release_documents(folder, descriptor, document, rows, stamp, base_url)
    write_release_zip(folder, descriptor, stamp)

    after = {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    prefix = f"data/{folder.parent.name}/{folder.name}"
    return {
        "date": reference_date.isoformat(),
        "package": folder.parent.name,
        "version": folder.name,
        "resource": resource,
        "rows": removed,
        "reason": REASON,
        "files": [{"path": f"{prefix}/{name}", "sha256_before": before.get(name), "sha256_after": after.get(name)}
                  for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)],
        "archive": f"{prefix}/{ZIP.filename(folder.parent.name)}",
    }


def _changelog_names_rows(folder: Path, resource: str) -> bool:
    path = folder / "changelog.json"
    if not path.is_file():
        return False
    document = json.loads(path.read_text(encoding="utf-8"))
    return any(any(kind in (release.get("resources") or {}).get(resource, {}) for kind in changelog.ROW_DETAIL)
               for release in document.get("releases", []))


def _changelog_counts_only(folder: Path, resource: str) -> dict:
    path = folder / "changelog.json"
    document = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"releases": []}
    for release in document.get("releases", []):
        diffs = release.get("resources") or {}
        if resource in diffs and any(kind in diffs[resource] for kind in changelog.ROW_DETAIL):
            diffs[resource] = changelog.without_row_detail(diffs[resource])
    return document
