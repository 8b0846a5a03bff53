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


# Files are read a block at a time: a national download is gigabytes, and a scan that read
# each whole (an archive's members too) ran the build out of memory.
_BLOCK = 16 << 20
_NESTED = (*_ARCHIVES, ".parquet", ".sqlite")


def _blocks(handle, overlap: int):
    """The bytes of ``handle`` a block at a time, each block led by the last ``overlap``
    bytes of the one before, so that a text up to ``overlap + 1`` bytes long that crosses a
    boundary is whole in one block."""
    tail = b""
    while block := handle.read(_BLOCK):
        yield tail + block if tail else block
        if overlap:
            tail = block[-overlap:] if len(block) >= overlap else (tail + block)[-overlap:]


def _overlap(ids: set[str]) -> int:
    """How far blocks overlap so that no id is cut: the longest id's bytes less one. Taken
    once per scan (for thousands of ids it cost more than reading a small file)."""
    return max((len(i.encode("utf-8")) for i in ids), default=1) - 1


def _found_in_stream(handle, ids: set[str], pattern: re.Pattern, overlap: int | None = None) -> set[str]:
    overlap = _overlap(ids) if overlap is None else overlap
    found: set[str] = set()
    for block in _blocks(handle, overlap):
        found |= {m.decode("utf-8") for m in pattern.findall(block)} & ids
    return found


def _members(path: Path):
    """(name, open member) of each member of the archive at ``path``."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            with archive.open(member) as handle:
                yield member.filename, handle


def _found_in_file(path: Path, ids: set[str], pattern: re.Pattern, overlap: int | None = None) -> set[str]:
    overlap = _overlap(ids) if overlap is None else overlap
    name = path.name.lower()
    if name.endswith(_ARCHIVES):
        found = set()
        for member, handle in _members(path):
            if member.lower().endswith(_NESTED):
                found |= _nested(member, handle, lambda copy: _found_in_file(copy, ids, pattern, overlap))
            else:
                found |= _found_in_stream(handle, ids, pattern, overlap)
        return found
    if name.endswith(".parquet"):
        return _found_in_parquet(path, ids)
    if name.endswith(".sqlite"):
        return _found_in_sqlite(path, ids)
    with open(path, "rb") as handle:
        return _found_in_stream(handle, ids, pattern, overlap)


def _found_in_parquet(path: Path, ids: set[str]) -> set[str]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    wanted = pa.array(sorted(ids), pa.string())
    found: set[str] = set()
    with pq.ParquetFile(path) as file:
        text = [f.name for f in file.schema_arrow if pa.types.is_string(f.type)
                or pa.types.is_large_string(f.type) or pa.types.is_dictionary(f.type)]
        # a listing id is text: other columns are skipped; a row group at a time
        for group in range(file.num_row_groups):
            for column in file.read_row_group(group, columns=text).itercolumns():
                if pa.types.is_dictionary(column.type):
                    column = column.cast(column.type.value_type)
                if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                    continue
                hits = column.filter(pc.fill_null(pc.is_in(column, value_set=wanted.cast(column.type)), False))
                found |= {str(v) for v in pc.unique(hits).to_pylist()}
    return found


def _nested(name: str, handle, read):
    """``read(path)`` on a temporary copy of an archive member (SQLite and Parquet need a
    file), copied a block at a time."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        with open(path, "wb") as copy:
            shutil.copyfileobj(handle, copy, _BLOCK)
        return read(path)


def _found_in_sqlite(path: Path, ids: set[str]) -> set[str]:
    """Cells equal to a hidden id, found by SQLite itself (a national database has tens of
    millions of rows; reading them into Python took minutes)."""
    found: set[str] = set()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        connection.execute("CREATE TEMP TABLE hidden_ids (id TEXT PRIMARY KEY)")
        connection.executemany("INSERT OR IGNORE INTO temp.hidden_ids VALUES (?)", ((i,) for i in ids))
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            for column in [row[1] for row in connection.execute(f"PRAGMA table_info({quoted})")]:
                name = '"' + column.replace('"', '""') + '"'  # names from the file, quoted
                found |= {row[0] for row in connection.execute(
                    f"SELECT DISTINCT {name} FROM {quoted} WHERE typeof({name}) = 'text' "
                    f"AND {name} IN (SELECT id FROM temp.hidden_ids)")}
    finally:
        connection.close()
    return found


def withheld_signatures(catalog) -> dict[str, list[str]]:
    """``package/resource`` → field names of every resource that is not published."""
    return {f"{r.package}/{r.name}": [f.get("name", "") for f in r.fields]
            for r in catalog if not r.public and r.fields}


class _Signatures:
    """Which withheld tables a stream of text shows: a CSV header of exactly their columns,
    JSON records carrying every one of them, or (an XLSX's XML) a cell holding each name.
    Fed block by block; a file's blocks overlap by the longest needle."""

    def __init__(self, signatures: dict[str, list[str]], cells: bool = False):
        self.headers = {key: ",".join(names).encode("utf-8") for key, names in signatures.items()}
        self.keys = {key: [f'"{n}":'.encode() for n in names] for key, names in signatures.items()}
        self.cells = {key: [f">{n}<".encode() for n in names] for key, names in signatures.items()} \
            if cells else {}
        self.seen: set[bytes] = set()  # needles met so far
        self.whole: set[str] = set()  # tables whose header was met
        needles = [*self.headers.values(), *(n for ns in self.keys.values() for n in ns),
                   *(n for ns in self.cells.values() for n in ns)]
        self.overlap = max((len(n) for n in needles), default=1) - 1
        self._parts = {n for key in self.keys for n in self.keys[key]} | \
            {n for key in self.cells for n in self.cells[key]}

    def feed(self, block: bytes) -> None:
        self.whole |= {key for key, header in self.headers.items() if header in block}
        self.seen |= {n for n in self._parts - self.seen if n in block}

    def found(self) -> set[str]:
        return self.whole | {key for key, needles in self.keys.items() if all(n in self.seen for n in needles)}

    def found_cells(self) -> set[str]:
        return {key for key, needles in self.cells.items() if all(n in self.seen for n in needles)}


def _withheld_in_stream(handle, signatures: dict[str, list[str]]) -> set[str]:
    scan = _Signatures(signatures)
    for block in _blocks(handle, scan.overlap):
        scan.feed(block)
    return scan.found()


def _withheld_in(path: Path, signatures: dict[str, list[str]]) -> set[str]:
    lower = path.name.lower()
    found: set[str] = set()
    if lower.endswith(_ARCHIVES):
        cells = _Signatures(signatures, cells=True)  # a sheet whose cells hold every column name
        for member, handle in _members(path):
            if member.lower().endswith(_NESTED):
                found |= _nested(member, handle, lambda copy: _withheld_in(copy, signatures))
                continue
            scan = _Signatures(signatures, cells=lower.endswith(".xlsx"))
            for block in _blocks(handle, scan.overlap):
                scan.feed(block)
            found |= scan.found()
            cells.seen |= scan.seen
        if lower.endswith(".xlsx"):
            found |= cells.found_cells()
        return found
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq

        columns = set(pq.read_schema(path).names)
        return {key for key, names in signatures.items() if set(names) <= columns}
    if lower.endswith(".sqlite"):
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
    with open(path, "rb") as handle:
        return _withheld_in_stream(handle, signatures)


class _Memo:
    """What a scan found in each file, kept by the digest of the file's bytes and of what was
    looked for (``cache/sitecheck/``): most files of a weekly rebuild are the same bytes as
    the week before, so each is read once. Without a folder, every file is read every time,
    except that the names of one file (a release's files and their hard links in ``latest/``,
    half of the downloads' bytes) are read once within a scan."""

    def __init__(self, folder: Path | None, kind: str, looked_for):
        self.folder = Path(folder) / kind if folder is not None else None
        self.salt = hashlib.sha256(json.dumps(looked_for, sort_keys=True, ensure_ascii=False).encode()
                                   + _CODE).hexdigest()
        self.linked: dict[tuple[int, int], list[str]] = {}  # (device, inode) → what was found

    def found(self, path: Path, scan) -> list[str]:
        status = path.stat()
        inode = (status.st_dev, status.st_ino)
        if status.st_nlink > 1 and inode in self.linked:
            return self.linked[inode]
        result = self._found(path, scan)
        if status.st_nlink > 1:
            self.linked[inode] = result
        return result

    def _found(self, path: Path, scan) -> list[str]:
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
            found = cache.found(path, lambda path=path: _withheld_in(path, signatures))
        except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, ValueError) as error:
            hits.append((path.relative_to(site).as_posix(), f"unreadable: {error}"))
            continue
        hits += [(path.relative_to(site).as_posix(), key) for key in sorted(found)]
    return hits


def exposed(site: Path, ids: set[str], memo: Path | None = None) -> list[tuple[str, str]]:
    """(site-relative file, listing id) for every hidden id found in a file of ``site``."""
    if not ids:
        return []
    pattern, overlap = _pattern(ids), _overlap(ids)
    cache = _Memo(memo, "exposed", sorted(ids))
    hits = []
    for path in sorted(p for p in Path(site).rglob("*") if p.is_file()):
        try:
            found = cache.found(path, lambda path=path: _found_in_file(path, ids, pattern, overlap))
        except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, ValueError) as error:
            hits.append((path.relative_to(site).as_posix(), f"unreadable: {error}"))
            continue
        hits += [(path.relative_to(site).as_posix(), i) for i in sorted(found)]
    return hits


__all__ = ["LISTINGS", "exposed", "hidden_ids", "in_force", "read_listings", "withheld_copies",
           "withheld_signatures"]
