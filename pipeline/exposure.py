"""Independent checks that nothing withheld reached a published file.

Two questions, answered without the code that derived and exported the site:

* no blacklist listing out of force is named anywhere (below);
* no withheld table (``portal.yml``) was published in any form: no file, archive member,
  Parquet file, SQLite table or JSON record set that has every column of the withheld
  table, and no manifest entry for it (:func:`withheld_copies`).

On the first:

The derive stage decides which listings are public and the export redacts older releases;
this module checks the result without sharing their code: it recomputes, from the source
listings and the reference date, which listings are *not* in force (expired, removed
early, or not yet listed), and looks for their listing ids in every file of a built site —
inside ZIP and XLSX members, Parquet columns and SQLite tables too. Wherever the portal
shows a listing it shows its id, so an id found is a listing exposed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import sqlite3
import zipfile
from collections.abc import Iterable
from pathlib import Path

# The source of the listings and its columns (DOMAIN 6); the one withheld table.
LISTINGS = ("enterprise-credit", "blacklist")
_CODE = Path(__file__).read_bytes()  # a remembered result is valid only for this code
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

    package, resource = LISTINGS
    descriptor = json.loads((data / package / "datapackage.json").read_text(encoding="utf-8"))
    entry = next(r for r in descriptor["resources"] if r.get("name") == resource)
    with open(data / package / entry["path"], encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _pattern(ids: set[str]) -> re.Pattern:
    """One regular expression matching any of ``ids`` as a substring, prefixes shared.

    Written as a trie (``B20(?:14(?:00006|…)|…)``) so that each position of a file costs a
    few steps however many ids there are; a listing id is found even when glued to other text.
    """
    trie: dict = {}
    for text in ids:
        node = trie
        for char in text.encode("utf-8"):
            node = node.setdefault(char, {})
        node[None] = {}

    def expression(node: dict) -> bytes:
        ends = None in node
        branches = [re.escape(bytes([char])) + expression(child)
                    for char, child in sorted((k, v) for k, v in node.items() if k is not None)]
        if not branches:
            return b""
        body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
        return b"(?:" + body + b")?" if ends else body

    return re.compile(expression(trie))


def _found_in_bytes(data: bytes, ids: set[str], pattern: re.Pattern) -> set[str]:
    return {m.decode("utf-8") for m in pattern.findall(data)} & ids


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
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                or pa.types.is_dictionary(f.type)]
        table = pq.read_table(path, columns=text)  # a listing id is text: other columns are skipped
        wanted = pa.array(sorted(ids), pa.string())
        found = set()
        for column in table.itercolumns():
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                continue  # a listing id is text
            hits = column.filter(pc.fill_null(pc.is_in(column, value_set=wanted.cast(column.type)), False))
            found |= {str(v) for v in pc.unique(hits).to_pylist()}
        return found
    if name.endswith(".sqlite"):
        return _found_in_sqlite(path, ids)
    return _found_in_bytes(path.read_bytes(), ids, pattern)


def _nested(name: str, content: bytes, read):
    """``read(path)`` on a temporary copy of an archive member (SQLite and Parquet need a file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        return read(path)


def _found_in_nested(name: str, content: bytes, ids: set[str], pattern: re.Pattern) -> set[str]:
    return _nested(name, content, lambda path: _found_in_file(path, ids, pattern))


def _found_in_sqlite(path: Path, ids: set[str]) -> set[str]:
    found = set()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            for row in connection.execute(f"SELECT * FROM {quoted}"):  # names from the file, quoted
                found |= {str(v) for v in row if isinstance(v, str)} & ids
    finally:
        connection.close()
    return found


def withheld_signatures(catalog) -> dict[str, list[str]]:
    """``package/resource`` → field names of every resource that is not published."""
    return {f"{r.package}/{r.name}": [f.get("name", "") for f in r.fields]
            for r in catalog if not r.public and r.fields}


def _columns_in_text(text: str, names: list[str]) -> bool:
    """A CSV header of exactly these columns, or JSON records carrying every one of them."""
    header = ",".join(names)
    return header in text or all(f'"{name}":' in text for name in names)


def _withheld_in(path: Path, name: str, content: bytes, signatures: dict[str, list[str]]) -> set[str]:
    lower = name.lower()
    found = set()
    if lower.endswith((".zip", ".xlsx")):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = {m: archive.read(m) for m in archive.namelist()}
        if lower.endswith(".xlsx"):  # a sheet whose cells hold every column name
            text = "\n".join(m.decode("utf-8", errors="replace") for m in members.values())
            found |= {key for key, names in signatures.items() if all(f">{n}<" in text for n in names)}
        for member, data in members.items():
            found |= _withheld_in(path, member, data, signatures)
        return found
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq

        columns = set(pq.read_schema(io.BytesIO(content)).names)
        return {key for key, names in signatures.items() if set(names) <= columns}
    if lower.endswith(".sqlite"):
        if path.name != name:  # a database inside an archive: read from a copy of its bytes
            return _nested(name, content, lambda copy: _withheld_in(copy, copy.name, content, signatures))
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                quoted = '"' + table.replace('"', '""') + '"'
                columns = {row[1] for row in connection.execute(f"PRAGMA table_info({quoted})")}
                found |= {key for key, names in signatures.items() if set(names) <= columns}
        finally:
            connection.close()
        return found
    if lower.endswith((".html", ".htm")):
        return found  # pages show a withheld table's dictionary (its column names), never rows
    text = content.decode("utf-8", errors="replace")
    return {key for key, names in signatures.items() if _columns_in_text(text, names)}


class _Memo:
    """What a scan found in each file, kept by the digest of the file's bytes and of what was
    looked for (``cache/sitecheck/``): most files of a weekly rebuild are the same bytes as
    the week before, so each is read once. Without a folder, every file is read every time."""

    def __init__(self, folder: Path | None, kind: str, looked_for):
        self.folder = Path(folder) / kind if folder is not None else None
        self.salt = hashlib.sha256(json.dumps(looked_for, sort_keys=True, ensure_ascii=False).encode()
                                   + _CODE).hexdigest()

    def found(self, path: Path, scan) -> list[str]:
        if self.folder is None:
            return sorted(scan())
        with open(path, "rb") as handle:
            key = hashlib.sha256(hashlib.file_digest(handle, "sha256").digest() + self.salt.encode()).hexdigest()
        entry = self.folder / key[:2] / key
        try:
            return json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        result = sorted(scan())
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_name(f".{entry.name}.{os.getpid()}")
        temporary.write_text(json.dumps(result), encoding="utf-8")
        temporary.replace(entry)  # whole or not at all
        return result


def withheld_copies(site: Path, signatures: dict[str, list[str]], manifest=None,
                    memo: Path | None = None) -> list[tuple[str, str]]:
    """(site-relative file, ``package/resource``) for every published copy of a withheld table."""
    if not signatures:
        return []
    cache = _Memo(memo, "withheld", signatures)
    hits = []
    entries = (manifest["files"] if isinstance(manifest, dict) else manifest.files) if manifest is not None else []
    for entry in entries:
        package, resource = (entry.get("package"), entry.get("resource")) if isinstance(entry, dict) \
            else (entry.package, entry.resource)
        if f"{package}/{resource}" in signatures:
            hits.append((entry["path"] if isinstance(entry, dict) else entry.path, f"{package}/{resource}"))
    for path in sorted(p for p in Path(site).rglob("*") if p.is_file()):
        try:
            found = cache.found(path, lambda path=path: _withheld_in(path, path.name, path.read_bytes(), signatures))
        except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, ValueError) as error:
            hits.append((path.relative_to(site).as_posix(), f"unreadable: {error}"))
            continue
        hits += [(path.relative_to(site).as_posix(), key) for key in sorted(found)]
    return hits


def exposed(site: Path, ids: set[str], memo: Path | None = None) -> list[tuple[str, str]]:
    """(site-relative file, listing id) for every hidden id found in a file of ``site``."""
    if not ids:
        return []
    pattern = _pattern(ids)
    cache = _Memo(memo, "exposed", sorted(ids))
    hits = []
    for path in sorted(p for p in Path(site).rglob("*") if p.is_file()):
        try:
            found = cache.found(path, lambda path=path: _found_in_file(path, ids, pattern))
        except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, ValueError) as error:
            hits.append((path.relative_to(site).as_posix(), f"unreadable: {error}"))
            continue
        hits += [(path.relative_to(site).as_posix(), i) for i in sorted(found)]
    return hits


__all__ = ["LISTINGS", "exposed", "hidden_ids", "in_force", "read_listings", "withheld_copies",
           "withheld_signatures"]
