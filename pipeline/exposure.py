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

Both questions are answered in one pass over the site (:func:`scan_site`), which also takes
each file's SHA-256 for the download check: on a national site (17 GB, 409,585 files) three
separate passes took 266 s of the build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

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


def _nested(name: str, opener, read):
    """``read(path)`` on a temporary copy of an archive member (SQLite and Parquet need a
    file), copied a block at a time."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        with opener() as handle, open(path, "wb") as copy:
            shutil.copyfileobj(handle, copy, _BLOCK)
        return read(path)


def _found_in_sqlite(path: Path, ids: set[str]) -> set[str]:
    """Cells equal to a hidden id, found by SQLite itself (a national database has tens of
    millions of rows; reading them into Python took minutes). Each table is read once, every
    column tested in that one pass (a pass per column read the largest table five times)."""
    found: set[str] = set()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        connection.execute("CREATE TEMP TABLE hidden_ids (id TEXT PRIMARY KEY)")
        connection.executemany("INSERT OR IGNORE INTO temp.hidden_ids VALUES (?)", ((i,) for i in ids))
        for table, columns in _sqlite_tables(connection):
            if not columns:
                continue
            names = ['"' + column.replace('"', '""') + '"' for column in columns]  # from the file, quoted
            test = " OR ".join(f"(typeof({n}) = 'text' AND {n} IN (SELECT id FROM temp.hidden_ids))"
                               for n in names)
            for row in connection.execute(f"SELECT {', '.join(names)} FROM {table} WHERE {test}"):
                found |= {value for value in row if isinstance(value, str) and value in ids}
    finally:
        connection.close()
    return found


def _sqlite_tables(connection) -> list[tuple[str, list[str]]]:
    """(quoted table name, column names) of every table of a database."""
    tables = []
    for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        quoted = '"' + table.replace('"', '""') + '"'
        tables.append((quoted, [row[1] for row in connection.execute(f"PRAGMA table_info({quoted})")]))
    return tables


def withheld_signatures(catalog) -> dict[str, list[str]]:
    """``package/resource`` → field names of every resource that is not published."""
    return {f"{r.package}/{r.name}": [f.get("name", "") for f in r.fields]
            for r in catalog if not r.public and r.fields}


class _Digesting:
    """A file read through it feeds every byte to ``digest`` (the download check's SHA-256
    is taken in the scan's own pass over the file)."""

    def __init__(self, handle, digest):
        self.handle, self.digest = handle, digest

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


class _Look:
    """What a scan looks for: hidden listing ids, and the signatures of withheld tables (a
    CSV header of exactly their columns, JSON records carrying every one of them, or, in an
    XLSX's XML, a cell holding each name). Blocks overlap by the longest id or needle.

    A table's needles are many (a key per column) and absent from nearly every file, so
    testing each in every block cost one search of the whole file per needle. A first pass
    tests only each table's first needle (its probe); only where the probe was met is the
    text read again for the others (:meth:`needles`). Headers are one needle each."""

    def __init__(self, ids: set[str], signatures: dict[str, list[str]]):
        self.ids = set(ids)
        self.pattern = _pattern(self.ids) if self.ids else None
        # a table without columns has no signature (its empty header is in every text)
        self.signatures = {key: list(names) for key, names in signatures.items() if names}
        self.headers = {key: ",".join(names).encode("utf-8") for key, names in self.signatures.items()}
        self.keys = {key: [f'"{n}":'.encode() for n in names] for key, names in self.signatures.items()}
        self.cells = {key: [f">{n}<".encode() for n in names] for key, names in self.signatures.items()}
        needles = [*self.headers.values(), *(n for ns in self.keys.values() for n in ns),
                   *(n for ns in self.cells.values() for n in ns)]
        self.overlap = max(_overlap(self.ids) if self.ids else 0,
                           max((len(n) for n in needles), default=1) - 1)

    @property
    def tables(self) -> bool:
        return bool(self.headers)

    def first_pass(self, handle, *, tables: bool = True, cells: bool = False) -> tuple[set[str], set[str], set[bytes]]:
        """(ids found, tables whose header was met, probes met) in one pass over ``handle``."""
        ids: set[str] = set()
        whole: set[str] = set()
        met: set[bytes] = set()
        probes = set()
        if tables:
            probes = {needles[0] for needles in self.keys.values()}
            if cells:
                probes |= {needles[0] for needles in self.cells.values()}
        headers = dict(self.headers) if tables else {}
        for block in _blocks(handle, self.overlap):
            if self.pattern is not None:
                ids |= {m.decode("utf-8", "replace") for m in self.pattern.findall(block)} & self.ids
            if headers:
                whole |= {key for key, header in headers.items() if header in block}
                for key in whole:
                    headers.pop(key, None)
            if probes:
                hit = {n for n in probes if n in block}
                met |= hit
                probes -= hit
        return ids, whole, met

    @staticmethod
    def needles(handle, needles: set[bytes], overlap: int) -> set[bytes]:
        """Which of ``needles`` the text of ``handle`` holds (the second pass)."""
        seen: set[bytes] = set()
        for block in _blocks(handle, overlap):
            seen |= {n for n in needles - seen if n in block}
            if seen == needles:
                break
        return seen

    def rest(self, groups: dict[str, list[bytes]], met: set[bytes], done: set[str]) -> set[bytes]:
        """The needles still to look for: those of each table whose probe was met."""
        return {n for key, needles in groups.items() if key not in done and needles[0] in met
                for n in needles[1:]}


@dataclass
class _Found:
    ids: set[str] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)

    def __ior__(self, other: _Found) -> Self:
        self.ids |= other.ids
        self.tables |= other.tables
        return self


def _in_stream(opener, look: _Look, *, tables: bool = True, digest=None) -> _Found:
    """What the text opened by ``opener()`` shows; ``digest`` (if given) receives its bytes."""
    return _probed_stream(opener, look, tables=tables, digest=digest)[0]


def _probed_stream(opener, look: _Look, *, tables: bool = True, cells: bool = False,
                   digest=None) -> tuple[_Found, set[bytes]]:
    """What the text opened by ``opener()`` shows, and the probes met in it (``cells``: an
    XLSX member's, gathered over the workbook by the caller); ``digest`` (if given)
    receives its bytes."""
    with opener() as handle:
        ids, whole, met = look.first_pass(_Digesting(handle, digest) if digest is not None else handle,
                                          tables=tables, cells=cells)
    found = _Found(ids, whole)
    if tables:
        found.tables |= _complete(look, look.keys, met, whole, [opener])
    return found, met


def _in_archive(path: Path, look: _Look, *, tables: bool) -> _Found:
    """Members one by one (nested archives, databases and Parquet files through a copy);
    an XLSX's cells are gathered over all its members."""
    found = _Found()
    xlsx = path.name.lower().endswith(".xlsx")
    cell_met: set[bytes] = set()
    plain = []
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            def opener(member=member):  # a second pass opens the member afresh
                return archive.open(member)

            if member.filename.lower().endswith(_NESTED):
                found |= _nested(member.filename, opener, lambda copy: _in_file(copy, look, tables=tables))
                continue
            plain.append(opener)
            in_member, met = _probed_stream(opener, look, tables=tables, cells=xlsx)
            found |= in_member
            cell_met |= met
        if tables and xlsx:
            found.tables |= _complete(look, look.cells, cell_met, found.tables, plain)
    return found


def _complete(look: _Look, groups: dict[str, list[bytes]], met: set[bytes], done: set[str],
              openers: list) -> set[str]:
    """The tables of ``groups`` whose every needle is in the texts of ``openers``: read again
    (the second pass) only for the tables whose first needle was ``met``."""
    rest = look.rest(groups, met, done)
    seen = set(met)
    for opener in openers:
        if not rest - seen:
            break
        with opener() as handle:
            seen |= look.needles(handle, rest - seen, look.overlap)
    return {key for key, needles in groups.items() if all(n in seen for n in needles)}


def _in_file(path: Path, look: _Look, *, tables: bool = True, digest=None) -> _Found:
    """What one file shows. ``tables`` False skips the withheld tables' signatures; a page
    (``.html``) shows a withheld table's dictionary (its column names), never its rows, so
    pages are read for ids only. ``digest``, if given, receives the file's bytes."""
    lower = path.name.lower()
    tables = tables and look.tables and not lower.endswith((".html", ".htm"))
    if lower.endswith(_NESTED):
        if digest is not None:  # read here for the digest alone: the scan reads it as a whole
            with open(path, "rb") as handle:
                while block := handle.read(_BLOCK):
                    digest.update(block)
        if lower.endswith(_ARCHIVES):
            return _in_archive(path, look, tables=tables)
        found = _Found()
        if lower.endswith(".parquet"):
            if look.ids:
                found.ids = _found_in_parquet(path, look.ids)
            if tables:
                import pyarrow.parquet as pq

                columns = set(pq.read_schema(path).names)
                found.tables = {key for key, names in look.signatures.items() if set(names) <= columns}
            return found
        if look.ids:
            found.ids = _found_in_sqlite(path, look.ids)
        if tables:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                for _, columns in _sqlite_tables(connection):
                    found.tables |= {key for key, names in look.signatures.items() if set(names) <= set(columns)}
            finally:
                connection.close()
        return found
    return _in_stream(lambda: open(path, "rb"), look, tables=tables, digest=digest)


class _Memo:
    """What the scans found in each file, kept by the digest of the file's bytes and of what
    was looked for (``cache/sitecheck/``, one folder per kind): most files of a weekly
    rebuild are the same bytes as the week before, so each is read once. Without a folder,
    nothing is kept between scans."""

    def __init__(self, folder: Path | None, kind: str, looked_for):
        self.folder = Path(folder) / kind if folder is not None else None
        self.salt = hashlib.sha256(json.dumps(looked_for, sort_keys=True, ensure_ascii=False).encode()
                                   + _CODE).hexdigest()

    def _entry(self, digest: bytes) -> Path:
        key = hashlib.sha256(digest + self.salt.encode()).hexdigest()
        return self.folder / key[:2] / key

    def get(self, digest: bytes) -> list[str] | None:
        try:
            return json.loads(self._entry(digest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, digest: bytes, result: list[str]) -> None:
        entry = self._entry(digest)
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_name(f".{entry.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(json.dumps(result), encoding="utf-8")
        temporary.replace(entry)  # whole or not at all


def site_files(site: Path) -> list[str]:
    """Every file of ``site`` (site-relative, "/" separators), sorted. One walk with
    ``os.scandir`` (``Path.rglob`` over 400,000 lookup shards took 30 s)."""
    site = str(site)
    found = []
    for folder, _, names in os.walk(site):
        relative = os.path.relpath(folder, site).replace(os.sep, "/")
        base = "" if relative == "." else relative + "/"
        found += [base + name for name in names if os.path.isfile(os.path.join(folder, name))]
    return sorted(found)


@dataclass
class Scan:
    """What :func:`scan_site` found: (file, listing id) exposed, (file, ``package/resource``)
    withheld copies, and each file's SHA-256 (hex), taken in the same pass."""
    exposed: list[tuple[str, str]] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)


def scan_site(site: Path, *, ids: set[str] = frozenset(), signatures: dict[str, list[str]] | None = None,
              manifest=None, memo: Path | None = None, files: list[str] | None = None,
              earlier: dict[tuple, tuple] | None = None) -> Scan:
    """Every file of ``site`` read once for both questions of this module, its SHA-256 taken
    on the way (the download check compares it with the manifest's).

    A file with several names (a release's files and their hard links in ``latest/``, half
    of the downloads' bytes) is read once and reported under every name. With ``memo``,
    what was found in a file is kept by its bytes' digest (:class:`_Memo`): a file whose
    bytes were scanned before for the same ids or tables is only hashed. ``earlier`` is
    what :func:`scan_files` found for the same ids and tables in files read before (by
    :func:`stamp`): a file whose stamp is there is not read again."""
    site = Path(site)
    signatures = signatures or {}
    result = Scan()
    entries = (manifest["files"] if isinstance(manifest, dict) else manifest.files) if manifest is not None else []
    for entry in entries:
        package, resource = (entry.get("package"), entry.get("resource")) if isinstance(entry, dict) \
            else (entry.package, entry.resource)
        if f"{package}/{resource}" in signatures:
            result.withheld.append((entry["path"] if isinstance(entry, dict) else entry.path,
                                    f"{package}/{resource}"))
    look, scan = _scanner(ids, signatures, memo)
    names = site_files(site) if files is None else files
    # A file with several names (hard links: one stamp) is one group, read once.
    key_of: dict[str, tuple] = {}
    first: dict[tuple, Path] = {}  # each group's first name: the one read
    failed: dict[str, str] = {}
    for name in names:
        try:
            key = stamp((site / name).stat())
        except OSError as failure:
            failed[name] = str(failure)
            continue
        key_of[name] = key
        first.setdefault(key, site / name)
    scanned = {key: earlier[key] for key in first if key in (earlier or {})}
    scanned.update(_largest_first({key: path for key, path in first.items() if key not in scanned}, scan))
    for name in names:
        digest, found, error = (None, None, failed[name]) if name in failed else scanned[key_of[name]]
        if digest is not None:
            result.digests[name] = digest
        if error is not None:
            result.exposed += [(name, f"unreadable: {error}")] if look.ids else []
            result.withheld += [(name, f"unreadable: {error}")] if signatures else []
            continue
        result.exposed += [(name, i) for i in sorted(found.ids)]
        result.withheld += [(name, key) for key in sorted(found.tables)]
    return result


def stamp(status: os.stat_result) -> tuple:
    """A file as it was when it was read: the same file (device, inode), size and time of
    its last change. A file written again, in place or by a new file under its name, has
    another stamp."""
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def scan_files(folder: Path, *, ids: set[str] = frozenset(), signatures: dict[str, list[str]] | None = None,
               memo: Path | None = None) -> dict[tuple, tuple]:
    """What :func:`scan_site` finds in each file under ``folder``, by the file's stamp taken
    before it was read (:func:`stamp`), for ``scan_site(..., earlier=)``: the build scans the
    downloads while it writes the pages, and the site check does not read them again."""
    folder = Path(folder)
    paths: dict[tuple, Path] = {}
    for name in site_files(folder):
        try:
            paths.setdefault(stamp((folder / name).stat()), folder / name)
        except OSError:
            continue  # gone: the site check will say so
    return _largest_first(paths, _scanner(ids, signatures or {}, memo)[1])


def _scanner(ids: set[str], signatures: dict[str, list[str]], memo: Path | None):
    """What is looked for, and the scan of one file for it (remembered in ``memo``)."""
    look = _Look(ids, signatures)
    memos = {"exposed": _Memo(memo, "exposed", sorted(look.ids)) if look.ids else None,
             "withheld": _Memo(memo, "withheld", signatures) if signatures else None}
    return look, lambda path: _scan_one(path, look, memos, memo is not None)


def _largest_first(paths: dict[tuple, Path], scan) -> dict[tuple, tuple]:
    """``{stamp: scan(path)}``, the largest files first (a stamp's third part is the size),
    so that the scanners end together: the portal database alone is a fifth of a national
    site's bytes."""
    return _on_threads(sorted(paths, key=lambda key: -key[2]), lambda key: scan(paths[key]))


# Files scanned at once: reading, decompressing, hashing and SQLite's own scan release the
# GIL, so a second thread keeps both cores busy while the other searches text.
SCANNERS = 2


def _on_threads(items: list, work, threads: int | None = None) -> dict:
    """``{item: work(item)}``, ``threads`` items at a time, taken in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    results = {}
    source = iter(items)
    lock = threading.Lock()

    def run() -> None:
        while True:
            with lock:
                item = next(source, _DONE)
            if item is _DONE:
                return
            results[item] = work(item)

    count = max(1, min(threads or SCANNERS, len(items)))
    with ThreadPoolExecutor(count) as pool:
        for done in [pool.submit(run) for _ in range(count)]:
            done.result()  # a fault in the scan itself is raised, not lost in a thread
    return results


_DONE = object()


def _scan_one(path: Path, look: _Look, memos: dict, remembered: bool) -> tuple[str | None, _Found | None, str | None]:
    """(SHA-256 hex, what was found, why the file could not be read) of one file."""
    digest = hashlib.sha256()
    try:
        if not remembered or not (look.ids or look.tables):
            found = _in_file(path, look, digest=digest)
            return digest.hexdigest(), found, None
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
        raw = digest.digest()
        kept = {kind: memo.get(raw) for kind, memo in memos.items() if memo is not None}
        missing = {kind for kind, value in kept.items() if value is None}
        if missing:
            partial = _Look(look.ids if "exposed" in missing else set(),
                            look.signatures if "withheld" in missing else {})
            scanned = _in_file(path, partial)
            if "exposed" in missing:
                kept["exposed"] = sorted(scanned.ids)
                memos["exposed"].put(raw, kept["exposed"])
            if "withheld" in missing:
                kept["withheld"] = sorted(scanned.tables)
                memos["withheld"].put(raw, kept["withheld"])
        return digest.hexdigest(), _Found(set(kept.get("exposed", [])), set(kept.get("withheld", []))), None
    except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, ValueError) as error:
        return None, None, str(error)


def withheld_copies(site: Path, signatures: dict[str, list[str]], manifest=None,
                    memo: Path | None = None) -> list[tuple[str, str]]:
    """(site-relative file, ``package/resource``) for every published copy of a withheld table."""
    if not signatures:
        return []
    return scan_site(site, signatures=signatures, manifest=manifest, memo=memo).withheld


def exposed(site: Path, ids: set[str], memo: Path | None = None) -> list[tuple[str, str]]:
    """(site-relative file, listing id) for every hidden id found in a file of ``site``."""
    if not ids:
        return []
    return scan_site(site, ids=ids, memo=memo).exposed


__all__ = ["LISTINGS", "Scan", "exposed", "hidden_ids", "in_force", "read_listings", "scan_site",
           "site_files", "withheld_copies", "withheld_signatures"]
