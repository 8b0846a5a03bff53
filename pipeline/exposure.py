"""An independent check that no blacklist listing out of force reached a published file.

The derive stage decides which listings are public and the export redacts older releases;
this module checks the result without sharing their code: it recomputes, from the source
listings and the reference date, which listings are *not* in force (expired, removed
early, or not yet listed), and looks for their listing ids in every file of a built site —
inside ZIP and XLSX members, Parquet columns and SQLite tables too. Wherever the portal
shows a listing it shows its id, so an id found is a listing exposed.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import zipfile
from collections.abc import Iterable
from pathlib import Path

# The source of the listings and its columns (DOMAIN 6); the one withheld table.
LISTINGS = ("enterprise-credit", "blacklist")
_ARCHIVES = (".zip", ".xlsx")


def _day(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def in_force(row: dict, day: dt.date) -> bool:
    """Listed on or before ``day``, not yet expired, not removed on or before ``day``."""
    listed, expires, removed = _day(row.get("listed")), _day(row.get("expires")), _day(row.get("removed"))
    if listed is None or listed > day:
        return False
    if expires is not None and expires <= day:
        return False
    return removed is None or removed > day


def hidden_ids(rows: Iterable[dict], day: dt.date) -> set[str]:
    """Ids of the listings that must not appear anywhere on ``day``."""
    return {str(row["listing_id"]) for row in rows if row.get("listing_id") and not in_force(row, day)}


def read_listings(data: Path) -> list[dict]:
    """The source listings from a folder of packages, read with the standard library."""
    import csv
    import json

    package, resource = LISTINGS
    descriptor = json.loads((data / package / "datapackage.json").read_text(encoding="utf-8"))
    entry = next(r for r in descriptor["resources"] if r.get("name") == resource)
    with open(data / package / entry["path"], encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _tokens(ids: set[str]) -> re.Pattern:
    lengths = sorted({len(i) for i in ids})
    # A token of letters and digits of one of the ids' lengths, not part of a longer one.
    sizes = "|".join(f"[0-9A-Za-z]{{{n}}}" for n in reversed(lengths))
    return re.compile(rf"(?<![0-9A-Za-z])(?:{sizes})(?![0-9A-Za-z])".encode())


def _found_in_bytes(data: bytes, ids: set[str], pattern: re.Pattern) -> set[str]:
    return {m.decode() for m in pattern.findall(data) if m.decode() in ids}


def _found_in_file(path: Path, ids: set[str], pattern: re.Pattern) -> set[str]:
    name = path.name.lower()
    if name.endswith(_ARCHIVES):
        found = set()
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                content = archive.read(member)
                if member.filename.lower().endswith((*_ARCHIVES, ".parquet", ".sqlite")):
                    found |= _found_in_nested(member.filename, content, ids, pattern)
                else:
                    found |= _found_in_bytes(content, ids, pattern)
        return found
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        found = set()
        for column in table.itercolumns():
            found |= {str(v) for v in column.to_pylist() if v is not None} & ids
        return found
    if name.endswith(".sqlite"):
        return _found_in_sqlite(path, ids)
    return _found_in_bytes(path.read_bytes(), ids, pattern)


def _found_in_nested(name: str, content: bytes, ids: set[str], pattern: re.Pattern) -> set[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        return _found_in_file(path, ids, pattern)


def _found_in_sqlite(path: Path, ids: set[str]) -> set[str]:
    found = set()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            for row in connection.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 (names from the file)
                found |= {str(v) for v in row if isinstance(v, str)} & ids
    finally:
        connection.close()
    return found


def exposed(site: Path, ids: set[str]) -> list[tuple[str, str]]:
    """(site-relative file, listing id) for every hidden id found in a file of ``site``."""
    if not ids:
        return []
    pattern = _tokens(ids)
    hits = []
    for path in sorted(p for p in Path(site).rglob("*") if p.is_file()):
        try:
            found = _found_in_file(path, ids, pattern)
        except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, ValueError) as error:
            hits.append((path.relative_to(site).as_posix(), f"unreadable: {error}"))
            continue
        hits += [(path.relative_to(site).as_posix(), i) for i in sorted(found)]
    return hits


__all__ = ["LISTINGS", "exposed", "hidden_ids", "in_force", "read_listings"]
