"""Safe loading: data package descriptors → a Catalog of string-typed Arrow tables.

Two jobs, kept apart:

* **Refuse what is unsafe** before any byte of data is read. A descriptor comes from a pull
  request, so its resource paths may try to leave the package folder (absolute paths,
  ``..``, ``~``, environment variables, hidden folders, symbolic links pointing outside)
  or point at the network. Those raise :class:`LoadError`; the build never follows them.
* **Read the CSV faithfully.** Cells stay strings exactly as written (an empty cell is the
  empty string, a cell missing from a short row is null), so the validator can show the
  raw value and type it itself. Each logical row keeps its row number (header = 1, as
  frictionless counts) and the *physical* line where it starts, because quoted newlines
  make the two differ and a CI annotation must point at a line in the file.

Decoding problems are not raised: they become ``encoding-error`` findings on the resource,
so they are reported like every other data error.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline import descriptors
from pipeline.descriptors import MAX_DESCRIPTOR_BYTES, Problem  # noqa: F401 (MAX_… re-exported)
from pipeline.i18n import both, t
from pipeline.limits import DEFAULT_MAX_BYTES
from pipeline.model import Catalog, Package, Resource

DESCRIPTOR = "datapackage.json"

# Encodings we read. Anything that declares another one is refused rather than guessed at.
_ENCODINGS = {
    "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8",
    "gbk": "gbk", "cp936": "gbk", "gb2312": "gbk", "gb18030": "gb18030",
}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")  # any scheme, also C: drive letters
_ENV = re.compile(r"\$|%[^%/]+%")


class LoadError(Exception):
    """An unsafe or unreadable descriptor. ``type`` is a stable error type for reports."""

    def __init__(self, type: str, key: str, *, file: str = "", **values):
        self.type = type
        self.key = key
        self.file = file
        self.values = {"file": file, **values}
        super().__init__(both(key, **self.values))

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


@dataclass
class Finding:
    """A problem found while reading a file (reported later, by the validator)."""

    type: str
    key: str  # i18n message key
    values: dict
    line: int | None = None
    note: str = ""


class Consecutive:
    """Row positions ``start, start + 1, …`` without storing them: logical row numbers
    always, physical lines too when no record spans lines (no quoted newlines)."""

    __slots__ = ("count", "start")

    def __init__(self, start: int, count: int):
        self.start, self.count = start, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return np.arange(self.start, self.start + self.count, dtype=np.int64)[index]
        if np.ndim(index):
            return np.asarray(index, dtype=np.int64) + self.start
        index = int(index)
        if not -self.count <= index < self.count:
            raise IndexError(index)
        return self.start + (index % self.count)

    def __array__(self, dtype=None, copy=None):
        return np.arange(self.start, self.start + self.count, dtype=dtype or np.int64)

    def tolist(self) -> list[int]:
        return list(range(self.start, self.start + self.count))


def _positions(lines: np.ndarray) -> np.ndarray | Consecutive:
    """Physical lines of the rows (the first row is logical row 2): nothing stored when
    they equal the row numbers, else int32 (a file of 2^31 lines is far over any limit)."""
    # lines strictly increase from 2, so they equal 2, 3, … exactly when the last does
    if not len(lines) or (int(lines[0]) == 2 and int(lines[-1]) == len(lines) + 1):
        return Consecutive(2, len(lines))
    return np.asarray(lines, dtype=np.int32)


@dataclass
class LoadedResource(Resource):
    """A resource as read from disk, with what the validator needs to report precisely."""

    labels: list[str] | None = None  # the header row (None: the file is empty)
    row_numbers: np.ndarray | Consecutive | None = None  # logical row number of each row (header = 1)
    lines: np.ndarray | Consecutive | None = None  # physical line (1-based) where each row starts
    cell_counts: np.ndarray | None = None  # cells per row, only when some row is ragged
    extra_cells: dict[int, list[str]] = field(default_factory=dict)  # row index → cells beyond the header
    findings: list[Finding] = field(default_factory=list)
    header_line: int = 1
    encoding: str = "utf-8"
    byte_count: int = 0
    digests: dict[str, str] = field(default_factory=dict)
    relpath: str = ""  # the path as written in the descriptor, for reports
    # set instead of ``table`` when the file is read batch by batch (see :func:`batches`)
    stream: _Stream | None = None

    @property
    def display_path(self) -> str:
        return str(self.path) if self.path is not None else self.name


# ---------------------------------------------------------------------------------------
# descriptors


class DescriptorError(LoadError):
    """Descriptors that cannot be used: every problem found in every descriptor, each with
    its file, JSON path and message (:class:`pipeline.descriptors.Problem`). No data file
    was read. ``type``, ``key`` and ``values`` are those of the first problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        Exception.__init__(self, "\n".join(f"{p.file}: {both_problem(p)}" for p in problems))
        self.type, self.key = first.type, first.key
        self.file = first.values.get("file", first.file)
        self.values = {"file": self.file, **{k: v for k, v in first.values.items() if k != "file"}}

    def message(self, lang: str) -> str:
        return "\n".join(p.message(lang) if "file" in p.values else f"{p.file}: {p.message(lang)}"
                         for p in self.problems)


def both_problem(problem: Problem) -> str:
    return f"{problem.message('zh')} / {problem.message('en')}"


def load_catalog(paths: list[Path], *, max_bytes: int = DEFAULT_MAX_BYTES,
                 referenced: bool = True, stream_above: int | None = None) -> Catalog:
    """Load every data package found in ``paths`` (package folders, descriptors, or a
    folder of package folders) into a :class:`Catalog` of string tables.

    Every descriptor is read and checked first (:mod:`pipeline.descriptors`: the Data
    Package v2 profile and the portal's own rules, paths that stay inside the package,
    names that cannot collide once exported); any problem in any of them raises
    :class:`DescriptorError` listing them all, before a single data file is read. Then the
    tables are read; a data file that is missing or unreadable becomes a finding of its
    resource, so the other resources are still checked and reported.

    With ``referenced`` (the default), a package that an ``x-foreignKeys`` reference names
    but ``paths`` did not include is loaded from the folder of that name beside the package
    that refers to it, so one package can be validated alone with its keys checked. If
    there is no such folder, :class:`LoadError` (``usage-error``) says which package to add:
    keys that cannot be checked must not pass as valid.

    With ``stream_above``, a regular UTF-8 CSV file larger than that many bytes is only
    scanned (encoding, row positions): its rows are read batch by batch when they are
    checked (:func:`batches`), so its whole table is never held in memory.
    """
    catalog = Catalog()
    problems: list[Problem] = []
    seen: set[Path] = set()  # descriptors read, refused ones included (each is reported once)
    for descriptor_path in _descriptor_paths(paths):
        if descriptor_path.resolve() in seen:
            continue
        seen.add(descriptor_path.resolve())
        package = _load_package(descriptor_path, problems, max_bytes=max_bytes)
        if package is not None:
            _add_package(catalog, package, descriptor_path, problems)
    if referenced:
        _load_referenced(catalog, problems, seen, max_bytes=max_bytes)
    problems += descriptors.collisions([
        (str(p.root / DESCRIPTOR) if p.root else p.name, p.name, list(p.resources))
        for p in catalog.packages.values()])
    fields = {name: {r.name: [f.get("name") for f in r.fields] for r in p.resources.values()}
              for name, p in catalog.packages.items()}
    for p in catalog.packages.values():
        problems += descriptors.cross_package_keys(str(p.root / DESCRIPTOR) if p.root else p.name,
                                                   p.descriptor, fields.get)
    if problems:
        _place(problems)
        raise DescriptorError(problems)
    for resource in catalog:  # only now is a data file opened
        _read_resource(resource, stream_above)
    return catalog


def _add_package(catalog: Catalog, package: Package, descriptor_path: Path, problems: list[Problem]) -> None:
    if package.name in catalog.packages:
        problems.append(Problem(str(descriptor_path), "name", "package-error", "load.duplicate_package",
                                {"file": str(descriptor_path), "name": package.name}))
        return
    catalog.packages[package.name] = package


# A package name as Data Package allows it; anything else is never turned into a path.
_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def referenced_packages(package: Package) -> list[tuple[str, str]]:
    """(package name, resource name) of every cross-package key in ``package``."""
    found = []
    for res in package.descriptor.get("resources") or []:
        if not isinstance(res, dict):
            continue
        for fk in res.get("x-foreignKeys") or []:
            ref = fk.get("reference") if isinstance(fk, dict) else None
            name = ref.get("package") if isinstance(ref, dict) else None
            if isinstance(name, str) and name and name != package.name:
                found.append((name, str(res.get("name", ""))))
    return found


def _load_referenced(catalog: Catalog, problems: list[Problem], seen: set[Path], *, max_bytes: int) -> None:
    pending = list(catalog.packages.values())
    while pending:
        package = pending.pop()
        for name, resource in referenced_packages(package):
            if name in catalog.packages:
                continue
            descriptor_path = _sibling(package, name)
            if descriptor_path is not None and descriptor_path.resolve() in seen:
                continue  # read already and refused: its problems are reported
            if descriptor_path is None:
                raise LoadError("usage-error", "load.package_missing",
                                file=str(package.root / DESCRIPTOR) if package.root else package.name,
                                package=name, referrer=f"{package.name}/{resource}",
                                folder=str(package.root.parent / name) if package.root else name)
            found: list[Problem] = []
            seen.add(descriptor_path.resolve())
            sibling = _load_package(descriptor_path, found, max_bytes=max_bytes)
            if sibling is not None and sibling.name != name:
                raise LoadError("usage-error", "load.package_missing", file=str(descriptor_path),
                                package=name, referrer=f"{package.name}/{resource}",
                                folder=str(descriptor_path.parent))
            problems += found
            if sibling is not None:
                _add_package(catalog, sibling, descriptor_path, problems)
                pending.append(sibling)


def _sibling(package: Package, name: str) -> Path | None:
    """``<folder beside package>/<name>/datapackage.json`` if it is a real folder there."""
    if package.root is None or not _PACKAGE_NAME.match(name) or ".." in name:
        return None
    parent = package.root.resolve().parent
    folder = parent / name
    # not through a link: the folder must really be beside the package
    if folder.is_symlink() or not (folder / DESCRIPTOR).is_file():
        return None
    if folder.resolve().parent != parent:
        return None
    return folder / DESCRIPTOR


def _descriptor_paths(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_file():
            found.append(path)
        elif (path / DESCRIPTOR).is_file():
            found.append(path / DESCRIPTOR)
        elif path.is_dir():
            found.extend(sorted(p / DESCRIPTOR for p in path.iterdir()
                                if not p.name.startswith(".") and (p / DESCRIPTOR).is_file()))
        else:
            raise LoadError("usage-error", "load.no_such_path", file=str(path))
    if not found:
        raise LoadError("usage-error", "load.no_packages", file=", ".join(map(str, paths)))
    return found


def _read_json(path: Path, root: Path, problems: list[Problem], shown_as: str) -> object | None:
    """The JSON document at ``path`` (inside ``root``), or None; problems are appended."""
    try:
        _check_inside(path, root, shown_as)
    except LoadError as error:
        problems.append(Problem(shown_as, "", error.type, error.key, error.values))
        return None
    document, found, text = descriptors.read(path, shown_as)
    if found:
        _TEXTS[shown_as] = text
    problems += found
    return document


# JSON text of the descriptors that have problems, to find the line of each (annotations)
_TEXTS: dict[str, str] = {}


def _place(problems: list[Problem]) -> None:
    """Set the line of each problem whose JSON path is found in its file."""
    by_file: dict[str, set[str]] = {}
    for problem in problems:
        if problem.line is None and problem.path:
            by_file.setdefault(problem.file, set()).add(problem.path)
    for file, paths in by_file.items():
        text = _TEXTS.get(file)
        if text is None:
            try:
                text = Path(file).read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
        lines = descriptors.locate(text, paths)
        for problem in problems:
            if problem.file == file and problem.line is None:
                problem.line = lines.get(problem.path)
    _TEXTS.clear()


def _load_package(descriptor_path: Path, problems: list[Problem], *, max_bytes: int) -> Package | None:
    """The package of ``descriptor_path`` with its resources (no table read yet), or None
    when its descriptor has problems (appended to ``problems``)."""
    root = descriptor_path.parent
    file = str(descriptor_path)
    found: list[Problem] = []
    descriptor = _read_json(descriptor_path, root, found, file)
    if descriptor is None:
        problems += found
        return None
    # External schemas and dialects are files too: read them (inside the package, as
    # strictly) and check them in place, as if they had been written inline.
    if isinstance(descriptor, dict) and isinstance(descriptor.get("resources"), list):
        for index, res in enumerate(descriptor["resources"]):
            if not isinstance(res, dict):
                continue
            for key in ("schema", "dialect"):
                if isinstance(res.get(key), str):
                    where = f"{descriptor_path}#{res.get('name', '')}"
                    try:
                        target = safe_join(root, res[key], where)
                    except LoadError as error:
                        found.append(Problem(file, f"resources[{index}].{key}", error.type, error.key,
                                             error.values))
                        res[key] = None if key == "dialect" else {}
                        continue
                    res[key] = _read_json(target, root, found, str(target))
    if found:
        problems += found
        return None
    checked, name = descriptors.check_package(descriptor, file, root.resolve().name)
    found += checked
    if not found:
        for index, res in enumerate(descriptor["resources"]):
            where = f"{descriptor_path}#{res['name']}"
            try:
                target = safe_join(root, res["path"], where, must_exist=False)
            except LoadError as error:
                found.append(Problem(file, f"resources[{index}].path", error.type, error.key, error.values))
                continue
            try:
                size = target.stat().st_size if target.is_file() else None
            except OSError:
                size = None
            if size is not None and size > max_bytes:
                found.append(Problem(file, f"resources[{index}].path", "file-too-large", "load.too_large",
                                     {"file": str(target), "size": size, "limit": max_bytes}))
    if found:
        problems += found
        return None
    # A package without a name is named after its folder (Data Package allows that); the
    # name is written into the descriptor so every stage and the published copy carry it.
    descriptor.setdefault("name", name)
    package = Package(name=name, descriptor=descriptor, root=root)
    for res in descriptor["resources"]:
        package.resources[res["name"]] = LoadedResource(
            package=name, name=res["name"], descriptor=res, path=root / res["path"], relpath=res["path"])
    return package


def _read_resource(resource: LoadedResource, stream_above: int | None = None) -> None:
    """Read the resource's table; a file that is gone or unreadable is a finding, not a stop."""
    target = resource.path
    if not target.is_file():
        resource.findings.append(Finding("source-error", "load.missing_file",
                                         {"path": resource.relpath, "file": str(target)}))
        return
    try:
        read_table(resource, target, stream_above)
    except OSError as error:
        resource.findings.append(Finding("source-error", "load.unreadable",
                                         {"path": resource.relpath, "detail": str(error)}))


def safe_join(root: Path, relative: str, where: str, *, must_exist: bool = True) -> Path:
    """``root / relative`` if it is a plain relative path that stays inside ``root``
    (and, with ``must_exist``, names a file)."""
    if _URL.match(relative) or relative.startswith("//"):
        raise LoadError("remote-path", "load.remote", file=where, path=relative)
    if relative.startswith(("/", "\\")) or os.path.isabs(relative):
        raise LoadError("unsafe-path", "load.absolute", file=where, path=relative)
    if relative.startswith("~"):
        raise LoadError("unsafe-path", "load.home", file=where, path=relative)
    if _ENV.search(relative):
        raise LoadError("unsafe-path", "load.env", file=where, path=relative)
    if "\\" in relative or "\x00" in relative:
        raise LoadError("unsafe-path", "load.separator", file=where, path=relative)
    parts = relative.split("/")
    if ".." in parts:
        raise LoadError("unsafe-path", "load.parent", file=where, path=relative)
    if any(p.startswith(".") and p != "." for p in parts):
        raise LoadError("unsafe-path", "load.hidden", file=where, path=relative)
    target = root / relative
    _check_inside(target, root, where, relative)
    if must_exist and not target.is_file():
        raise LoadError("source-error", "load.missing_file", file=where, path=relative)
    return target


def _check_inside(target: Path, root: Path, where: str, shown: str | None = None) -> None:
    # Resolve links on both sides: the folder itself may legitimately be reached through
    # a link, but what the descriptor names must not lead out of it.
    try:
        real = target.resolve(strict=target.exists() or target.is_symlink())
    except (OSError, RuntimeError):
        raise LoadError("unsafe-path", "load.symlink", file=where, path=shown or str(target)) from None
    if not real.is_relative_to(root.resolve()):
        raise LoadError("unsafe-path", "load.symlink", file=where, path=shown or str(target))


# ---------------------------------------------------------------------------------------
# CSV


def _dialect(descriptor: dict) -> dict:
    """The CSV dialect (Table Dialect v2 keys, v1 `csv` sub-object tolerated)."""
    d = dict(descriptor.get("dialect") or {})
    d.update(d.pop("csv", {}) if isinstance(d.get("csv"), dict) else {})
    fmt = (descriptor.get("format") or "").lower()
    return {
        "delimiter": d.get("delimiter", "\t" if fmt == "tsv" else ","),
        "quote_char": d.get("quoteChar", '"'),
        "double_quote": d.get("doubleQuote", True),
        "escape_char": d.get("escapeChar") or None,
        "skip_initial_space": bool(d.get("skipInitialSpace", False)),
        "header": d.get("header", True),
    }


def read_table(resource: LoadedResource, path: Path, stream_above: int | None = None) -> None:
    """Read the CSV at ``path`` into ``resource``: its string table and row positions (or,
    for a file larger than ``stream_above`` bytes, what :func:`batches` reads it with)."""
    resource.byte_count = path.stat().st_size
    declared = (resource.descriptor.get("encoding") or "utf-8").lower().replace("_", "-")
    encoding = _ENCODINGS.get(declared)
    if encoding is None:
        resource.findings.append(Finding("encoding-error", "load.unknown_encoding",
                                         {"encoding": declared}))
        return
    resource.encoding = encoding
    dialect = _dialect(resource.descriptor)
    if not dialect["header"]:
        resource.findings.append(Finding("format-error", "load.no_header", {}))
        return
    algorithm = _declared_hash(resource.descriptor)
    if encoding == "utf-8" and _fast_path_ok(dialect):
        # UTF-8, the normal case: one streaming pass checks the encoding and finds where
        # records and lines start; Arrow then parses the file from disk. The raw bytes
        # are never held in memory as a whole.
        # Arrow checks that every cell is UTF-8 as it reads: the scan need not decode. Only
        # when Arrow cannot read the file does a second scan decode it, to say where.
        scan = _scan(path, dialect["delimiter"].encode(), algorithm, utf8=False)
        if algorithm:
            resource.digests = {algorithm: scan.digest}
        if scan.size == 0:
            _empty(resource)
            return
        if scan.starts is not None:
            try:
                if stream_above is not None and scan.size > stream_above:
                    _prepare_stream(resource, path, scan, dialect)
                else:
                    _read_arrow(resource, path, scan, dialect)
                return
            except (_Fallback, UnicodeDecodeError, pa.ArrowInvalid):
                resource.labels = resource.table = resource.cell_counts = None
        scan = _scan(path, dialect["delimiter"].encode(), None)
        if scan.bad is not None:
            _bad_byte(resource, encoding, *scan.bad)
            return
        data = path.read_bytes()
        data = data.removeprefix(codecs.BOM_UTF8)
        _read_python(resource, data, dialect)
        return
    data = path.read_bytes()
    if algorithm:
        import hashlib

        resource.digests = {algorithm: hashlib.new(algorithm, data).hexdigest()}
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    bad = first_bad_byte(data, encoding)
    if bad is not None:
        offset, reason = bad
        _bad_byte(resource, encoding, offset, data[offset], data.count(b"\n", 0, offset) + 1, reason)
        return
    if encoding != "utf-8":
        # Transcode once; line and row arithmetic then works on UTF-8 bytes, where "\n",
        # "\r" and the quote never occur inside a multi-byte character.
        data = data.decode(encoding).encode("utf-8")
    if not data:
        _empty(resource)
        return
    _read_python(resource, data, dialect)


def _declared_hash(descriptor: dict) -> str | None:
    declared = descriptor.get("hash")
    if isinstance(declared, str):  # hashing a large file costs time: only when it is checked
        algorithm = declared.rpartition(":")[0] or "md5"
        if algorithm in ("md5", "sha256"):
            return algorithm
    return None


def _bad_byte(resource, encoding, offset, byte, line, reason):
    resource.findings.append(Finding(
        "encoding-error", "load.bad_byte",
        {"encoding": encoding, "byte": f"0x{byte:02x}", "offset": offset}, line=line, note=reason))


def _empty(resource):
    resource.labels = None
    resource.table = pa.table({})
    resource.row_numbers = resource.lines = Consecutive(2, 0)


@dataclass
class _Scan:
    size: int = 0
    bad: tuple | None = None  # (offset, byte, line, reason)
    starts: np.ndarray | None = None  # byte offset of each record (None: unclosed quote)
    lines: np.ndarray | None = None  # physical line of each record
    empty: np.ndarray | None = None  # the record is an empty line
    header: bytes = b""
    digest: str = ""


def _scan(path: Path, delimiter: bytes, algorithm: str | None, chunk: int = 1 << 22,
          utf8: bool = True) -> _Scan:
    """One pass over the file in chunks: UTF-8 validity (unless ``utf8`` is false: Arrow,
    which reads every cell, checks it too), record starts, physical lines.

    A newline ends a record when an even number of quotes precedes it (running parity by
    XOR-accumulate, carried across chunks). A quote inside an unquoted field breaks that
    rule; the caller then sees a different row count from Arrow and uses the exact reader.
    Only two small arrays per record are kept (its line, and whether it is an empty line);
    chunk buffers are reused, so memory stays flat whatever the file size.
    """
    import hashlib

    digest = hashlib.new(algorithm) if algorithm else None
    decoder = codecs.getincrementaldecoder("utf-8")()
    line_parts: list[np.ndarray] = [np.ones(1, np.int32)]  # the header starts on line 1
    empty_parts: list[np.ndarray] = []
    carry = np.uint8(0)
    offset = 0  # of the current chunk, counted after a BOM
    newlines = 0  # physical line ends before the current chunk
    skip = 0
    header_end = None
    previous_ended = False  # the last chunk ended with a record terminator
    raw = bytearray(chunk + 1)
    flags = np.empty(chunk + 1, dtype=np.uint8)
    with open(path, "rb") as f:
        while True:
            size = f.readinto(memoryview(raw)[:chunk])
            if size and raw[size - 1] == 13:
                size += f.readinto(memoryview(raw)[size:size + 1])  # keep "\r\n" together
                if size > 1 and raw[size - 1] == 13 and raw[size - 2] == 13:
                    # "\r\r": the first ends a line of its own; the second, which a "\n" may
                    # follow, starts the next chunk (so a chunk ends in "\r" only where that
                    # "\r" is a line end alone)
                    f.seek(-1, 1)
                    size -= 1
            lo = 0
            if digest is not None:
                digest.update(memoryview(raw)[:size])
            if offset == 0 and skip == 0 and raw.startswith(codecs.BOM_UTF8):
                lo = skip = 3
            piece = memoryview(raw)[lo:size]
            buf = np.frombuffer(piece, dtype=np.uint8)
            final = not size
            if utf8 and (final or buf.max(initial=0) >= 128):  # ASCII needs no decoding
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(piece, final)
                except UnicodeDecodeError as exc:
                    at = max(exc.start - pending, 0)
                    if final:  # a character cut off by the end of the file
                        f.seek(skip + offset - pending)
                        return _Scan(size=offset, bad=(offset - pending, f.read(1)[0], newlines + 1, exc.reason))
                    return _Scan(size=offset, bad=(offset + at, piece[at],
                                                   newlines + bytes(piece[:at]).count(b"\n") + 1, exc.reason))
            if final:
                break
            is_lf = np.equal(buf, 10, out=flags[:len(buf)].view(bool))
            ends = np.flatnonzero(is_lf)
            if raw.find(b"\r", lo, size) >= 0:
                cr = np.flatnonzero(buf == 13)
                following = buf[np.minimum(cr + 1, len(buf) - 1)]
                lone = cr[(cr + 1 >= len(buf)) | (following != 10)]
                ends = np.union1d(ends, lone)  # "\r\n" counted once, at the "\n"
            if carry or raw.find(b'"', lo, size) >= 0:  # inside quotes, or quotes in this chunk
                # a line end is inside quotes when an odd number of quotes precede it: the
                # quotes before it in this chunk (a binary search among the chunk's quotes,
                # about four times faster than a running XOR over every byte) and the
                # parity carried from the chunks before
                quotes = np.flatnonzero(np.equal(buf, 34, out=flags[:len(buf)].view(bool)))
                inside = ((np.searchsorted(quotes, ends) + int(carry)) & 1).astype(bool)
                carry = np.uint8((len(quotes) + int(carry)) & 1)
                terminators = ends[~inside]
                index = np.flatnonzero(~inside)
            else:
                terminators, index = ends, np.arange(len(ends))
            if header_end is None and len(terminators):
                header_end = offset + int(terminators[0]) + 1
            # the record after a terminator starts on the next physical line
            line_parts.append((newlines + index + 2).astype(np.int32))
            # ... and is an empty line if its first byte ends a line
            nxt = terminators + 1
            inside_chunk = nxt < len(buf)
            empty = np.zeros(len(terminators), dtype=bool)
            empty[inside_chunk] = (buf[nxt[inside_chunk]] == 10) | (buf[nxt[inside_chunk]] == 13)
            if previous_ended and empty_parts:
                empty_parts[-1][-1] = buf[0] in (10, 13)
            previous_ended = len(terminators) > 0 and terminators[-1] == len(buf) - 1
            empty_parts.append(empty)
            newlines += len(ends)
            offset += len(buf)
    scan = _Scan(size=offset, digest=digest.hexdigest() if digest else "")
    if carry or offset == 0:
        return scan  # an unclosed quote: only the exact reader can say what it means
    lines = np.concatenate(line_parts)
    empty = np.concatenate([np.zeros(1, bool)] + empty_parts)
    if previous_ended:  # the file ends with a newline: no record after the last one
        lines, empty = lines[:-1], empty[:-1]
    scan.lines, scan.empty = lines, empty
    scan.starts = lines  # one entry per record (header included)
    with open(path, "rb") as f:
        f.seek(skip)
        scan.header = f.read(header_end if header_end is not None else offset)
    return scan


def first_bad_byte(data: bytes, encoding: str) -> tuple[int, str] | None:
    """Offset of the first byte that does not decode, or None. Decodes in chunks so a
    large file never becomes one large ``str``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    chunk = 1 << 22
    for start in range(0, len(data) or 1, chunk):
        piece = data[start:start + chunk]
        final = start + chunk >= len(data)
        # The decoder may still hold the first bytes of a character split across chunks;
        # error offsets count from those.
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(piece, final)
        except UnicodeDecodeError as exc:
            return max(start + exc.start - pending, 0), exc.reason
    return None


class _Fallback(Exception):
    """The fast reader cannot promise the same rows as Python's csv module."""


def _fast_path_ok(dialect: dict) -> bool:
    # The Arrow reader and Python's csv module (what frictionless uses) agree on regular
    # CSV; for escape characters, initial-space skipping or odd quoting, use the latter.
    return (dialect["escape_char"] is None and not dialect["skip_initial_space"]
            and dialect["double_quote"] and len(dialect["delimiter"]) == 1
            and dialect["quote_char"] == '"')


def _arrow_options(names: list[str], dialect: dict, block_size: int, on_invalid, threads: bool = False):
    # every cell a string exactly as written; rows of another width go to ``on_invalid``
    return {
        "read_options": pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=block_size,
                                       use_threads=threads),
        "parse_options": pacsv.ParseOptions(delimiter=dialect["delimiter"], quote_char='"',
                                         double_quote=True, newlines_in_values=True,
                                         ignore_empty_lines=False, invalid_row_handler=on_invalid),
        "convert_options": pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False)}


def _start_arrow(resource: LoadedResource, scan: _Scan, dialect: dict) -> list[str] | None:
    """Labels and row positions from the scan; the column names Arrow reads under, or None
    when the file has a header and no rows (the table is then set here)."""
    starts, lines = scan.starts, scan.lines
    labels = _parse_header(scan.header, dialect)
    if not labels:
        raise _Fallback  # a blank first line: rows are read against the schema's fields
    resource.labels = labels
    names = [f"c{i}" for i in range(len(labels))]
    if len(starts) <= 1:
        resource.table = pa.table({n: pa.array([], pa.string()) for n in names})
        resource.row_numbers = resource.lines = Consecutive(2, 0)
        return None
    resource.row_numbers = Consecutive(2, len(starts) - 1)
    resource.lines = _positions(lines[1:])
    resource.header_line = int(lines[0])
    return names


def _blank_empty_lines(table: pa.Table, empty: np.ndarray) -> pa.Table:
    """An empty line is a row with no cells at all (Python's csv yields []), not a row of
    empty strings: it must stay blank even where "" is not a missing value."""
    nulls = pa.array(empty)
    for i, n in enumerate(table.column_names):
        table = table.set_column(i, n, pc.if_else(nulls, pa.scalar(None, pa.string()), table[n]))
    return table


@contextmanager
def _callback_errors():
    """The errors raised around Arrow's invalid-row callback, kept instead of printed.

    Arrow decodes a ragged row's text before it calls the handler; when that text is not
    UTF-8 the decoding fails inside Arrow, which can only report it through
    ``sys.unraisablehook``, whose default prints a traceback on the user's terminal. Kept
    here, it sends the file to the exact reader, which says where the bad byte is."""
    lost: list[BaseException] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: lost.append(info.exc_value)
    try:
        yield lost
    finally:
        sys.unraisablehook = previous


def _read_arrow(resource: LoadedResource, path: Path, scan: _Scan, dialect: dict) -> None:
    """Fast reader: Arrow parses the file; the scan supplies row positions."""
    names = _start_arrow(resource, scan, dialect)
    if names is None:
        return
    ragged: list[int] = []

    def on_invalid(row):
        ragged.append(row.number)
        return "skip"

    # small blocks, one thread: low peak memory
    with _callback_errors() as lost:
        table = pacsv.read_csv(str(path), **_arrow_options(names, dialect, 1 << 20, on_invalid))
    if ragged or lost or table.num_rows != len(scan.starts) - 1:
        raise _Fallback
    # Columns stay in the reader's chunks: combining them would hold the table twice.
    empty = scan.empty[1:]
    if empty.any():
        table = _blank_empty_lines(table, empty)
        resource.cell_counts = np.where(empty, 0, len(names)).astype(np.int64)
    resource.table = table


@dataclass
class _Stream:
    path: Path
    dialect: dict
    names: list[str]
    rows: int
    empty: np.ndarray  # the row is an empty line


class StreamFallback(Exception):
    """The file is not regular enough to be read in batches (a row of another width): it
    must be read whole, with :func:`read_whole`."""


def _prepare_stream(resource: LoadedResource, path: Path, scan: _Scan, dialect: dict) -> None:
    names = _start_arrow(resource, scan, dialect)
    if names is None:
        return
    empty = scan.empty[1:]
    if empty.any():  # as _read_arrow: an empty line has no cells
        resource.cell_counts = np.where(empty, 0, len(names)).astype(np.int64)
    resource.stream = _Stream(path, dialect, names, len(scan.starts) - 1, empty)


_END = object()


def read_ahead(items):
    """``items``, each taken from the iterator on another thread while the caller works on
    the one before: reading a batch of CSV (Arrow, without the GIL) overlaps checking the
    last one, on a second core. One item ahead, so memory grows by one batch. An exception
    the iterator raises is raised here, at its place in the sequence."""
    items = iter(items)
    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        ahead = pool.submit(next, items, _END)
        while (item := ahead.result()) is not _END:
            ahead = pool.submit(next, items, _END)
            yield item


def batches(resource: LoadedResource, block_size: int = 4 << 20, columns: list[str] | None = None):
    """The rows of a streamed resource as (index of the first row, table of string columns
    named ``c0, c1 …``, or only the ``columns`` named), about ``block_size`` bytes of the
    file each, the next read while this one is used (:func:`read_ahead`). Raises
    :class:`StreamFallback` when a row has another width or the rows are not those the scan
    counted; batches already given are then void."""
    return read_ahead(_batches(resource, block_size, columns))


def _batches(resource: LoadedResource, block_size: int, columns: list[str] | None):
    stream = resource.stream
    options = _arrow_options(stream.names, stream.dialect, block_size, None, threads=True)
    if columns is not None:  # every cell is still parsed (widths are checked), fewer kept
        options["convert_options"].include_columns = columns
    try:  # a row of another width: Arrow's error (no handler)
        reader = pacsv.open_csv(str(stream.path), **options)
        start = 0
        for batch in reader:
            table = pa.Table.from_batches([batch])
            n = table.num_rows
            if start + n > stream.rows:
                raise StreamFallback(start + n)
            empty = stream.empty[start:start + n]
            if empty.any():
                table = _blank_empty_lines(table, empty)
            yield start, table
            start += n
    except pa.ArrowInvalid as error:
        raise StreamFallback(str(error)) from None
    if start != stream.rows:
        raise StreamFallback(start)


def read_whole(resource: LoadedResource) -> None:
    """Read a streamed resource's table as :func:`load_catalog` does without streaming."""
    resource.stream = None
    read_table(resource, resource.path)


def _parse_header(head: bytes, dialect: dict) -> list[str]:
    text = head.decode("utf-8")
    row = next(csv.reader(io.StringIO(text, newline=""), **_py_dialect(dialect)), [])
    # frictionless strips labels; an unstripped label would be "incorrect" only there.
    return [cell.strip() for cell in row]


def _py_dialect(dialect: dict) -> dict:
    return {"delimiter": dialect["delimiter"], "quotechar": dialect["quote_char"],
            "doublequote": dialect["double_quote"], "escapechar": dialect["escape_char"],
            "skipinitialspace": dialect["skip_initial_space"], "strict": False}


def _unclosed_quote_line(text: str, dialect: dict) -> int | None:
    """The line where a quoted field opens and is never closed, or None.

    A lenient reader (like frictionless's) takes everything after such a quote as one cell:
    every later row vanishes into it without an error. A strict reader stops there with
    "unexpected end of data"; other strict complaints (text after a closing quote, which
    frictionless accepts) are stepped over, since the reader resumes after an error.
    """
    reader = csv.reader(io.StringIO(text, newline=""), **{**_py_dialect(dialect), "strict": True})
    ended = 0  # the line on which the last complete record ended
    while True:
        try:
            next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                return ended + 1
        ended = reader.line_num


def _read_python(resource: LoadedResource, data: bytes, dialect: dict, batch: int = 65536) -> None:
    """Exact reader: Python's csv module, in batches, keeping no Python object per row
    beyond the current batch. Used for ragged rows and irregular quoting."""
    text = data.decode("utf-8")
    opened = _unclosed_quote_line(text, dialect)
    if opened is not None:
        resource.findings.append(Finding("source-error", "load.unclosed_quote",
                                         {"line": opened}, line=opened))
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, **_py_dialect(dialect))
    try:
        header = next(reader)
    except StopIteration:
        header = []
    resource.labels = [cell.strip() for cell in header]
    resource.header_line = 1
    # A blank first line means "no labels": frictionless then reads the rows against the
    # schema's fields by position, so the table gets one column per field.
    width = len(resource.labels) or len(resource.fields)
    columns: list[list[pa.Array]] = [[] for _ in range(width)]
    pending: list[list[str]] = []
    counts: list[int] = []
    lines: list[int] = []
    line_before = reader.line_num
    extra: dict[int, list[str]] = {}
    index = 0

    def flush():
        for i in range(width):
            columns[i].append(pa.array([r[i] if i < len(r) else None for r in pending], pa.string()))
        pending.clear()

    for row in reader:
        lines.append(line_before + 1)
        line_before = reader.line_num
        counts.append(len(row))
        if len(row) > width:
            extra[index] = row[width:]
        pending.append(row)
        index += 1
        if len(pending) >= batch:
            flush()
    flush()
    names = [f"c{i}" for i in range(width)]
    resource.table = pa.table({n: pa.concat_arrays(c) if c else pa.array([], pa.string())
                               for n, c in zip(names, columns)})
    resource.row_numbers = Consecutive(2, index)
    resource.lines = _positions(np.asarray(lines, dtype=np.int64))
    count_array = np.asarray(counts, dtype=np.int64)
    resource.cell_counts = count_array if (count_array != width).any() else None
    resource.extra_cells = extra
