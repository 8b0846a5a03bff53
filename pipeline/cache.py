"""Incremental builds: skip work whose inputs did not change, decided by content hashes.

File times are never consulted: a checkout, a copy or a clock change would fool them. Every
decision compares SHA-256 digests of the bytes that went in, and any doubt means rebuilding.

Two levels, chosen after profiling (see ``site/docs/scale.md``):

* **Whole build.** The build key is a digest of every input file under the data folder,
  of the code (every file of the ``pipeline`` package, ``mkdocs.yml`` and ``site/``, and
  the versions of the libraries that write bytes), and of the options (reference date,
  language, and the previous site when it is not ``out`` itself). A finished build records
  the key and a digest of every file it published in ``out/.build-key``; when the key is
  the same and ``out`` still holds exactly those bytes, the build does nothing. Rebuilding
  over an intact ``out`` gives the same bytes again (the export carries release dates
  forward), so skipping is exact, and a test proves it.
* **Per file in the export**, where the time goes (the XLSX writer above all): each download
  file is stored under ``<cache>/export/`` keyed by the digest of the typed table's Arrow
  IPC stream, the writer, the file name, the writer's options (metadata, release stamp)
  and the code. A derived table is keyed by its own content, so it is rewritten exactly
  when one of the sources it reads changed its rows. A cached file is checked against its
  recorded digest before it is reused. The SQLite database of every table is assembled
  from one small database per table, cached the same way, so a changed row costs only
  its own table's rows (``pipeline.export.sqlitefile``).

* **Per page in the site check**: what the check reads from each HTML page is kept under
  ``<cache>/sitecheck/`` keyed by the digest of the page's bytes and of the parsing code
  (:func:`pipeline.sitecheck.check_site`), so only pages whose bytes changed are parsed;
  every page is still checked.

* **Per page of mkdocs**, for the pages outside the navigation and the search index (the
  thousands of accident-investigation reports): each is kept under ``<cache>/pages/<lang>/``
  keyed by its source and by the shell every page is made of (the generated mkdocs
  configuration, the code and libraries, the build date if a template writes it), and taken
  from there instead of
  rendered when both are unchanged (:func:`pipeline.pages.mkdocs_site.run_mkdocs`).

Load, validation, derive, pages and mkdocs always run when the key changed: validation is
a small share of the time (cross-package keys and rules need every table anyway), and
mkdocs has no incremental mode of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from pipeline.export.files import link_or_copy

ROOT = Path(__file__).resolve().parents[1]
RECORD = ".build-key"
FORMAT = 1  # bump when the meaning of a key changes
# Libraries whose version can change the bytes written (file formats, HTML, search index).
LIBRARIES = ("pyarrow", "pandas", "numpy", "jinja2", "markdown", "mkdocs", "mkdocs-material",
             "pymdown-extensions", "openpyxl", "jieba", "PyYAML",
             # the deflate bytes of every ZIP and XLSX; the SQLite that writes each table's file
             "zlib-ng", "adbc-driver-sqlite")
_CHUNK = 1 << 20


@dataclass
class BuildLog:
    """What a build did, for tests and the command line (never timings)."""

    key: str = ""
    skipped: bool = False  # nothing changed: ``out`` was left as it was
    stages: list[str] = field(default_factory=list)  # stages that ran, in order
    exported: dict[str, str] = field(default_factory=dict)  # "package/file" → written | reused
    warnings: list[str] = field(default_factory=list)  # published, but worth a publisher's look
    reused_pages: int = 0  # pages taken from the cache's store instead of rendered

    def ran(self, stage: str) -> bool:
        return stage in self.stages

    def to_json(self) -> dict:
        return asdict(self)


def file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def tree_digests(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """relative path → SHA-256 of every file under ``root`` (links read through, caches skipped)."""
    digests = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if relative in skip or name.endswith(".pyc"):
                continue
            digests[relative] = file_digest(path)
    return dict(sorted(digests.items()))


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_digest(root: Path = ROOT) -> str:
    """The code that shapes the output: the pipeline package, the site sources, libraries."""
    parts = {"pipeline": tree_digests(root / "pipeline"), "site": tree_digests(root / "site")
             if (root / "site").is_dir() else {},
             "mkdocs.yml": file_digest(root / "mkdocs.yml") if (root / "mkdocs.yml").is_file() else None,
             "python": sys.version, "sqlite": sqlite3.sqlite_version}
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    parts["libraries"] = versions
    return _digest(parts)


def input_digests(data: Path) -> dict[str, str]:
    """Every file the loader may read: the whole folder holding the descriptors."""
    data = Path(data)
    return tree_digests(data if data.is_dir() else data.parent)


def previous_digest(previous: Path | None) -> str | None:
    """What the export reads from a previous site other than ``out``: its file list."""
    if previous is None:
        return None
    manifest = Path(previous) / "data" / "manifest.json"
    if manifest.is_file():
        return file_digest(manifest)
    return _digest(tree_digests(Path(previous)))  # no manifest: every byte counts


def build_key(data: Path, *, reference_date, lang: str, previous: Path | None,
              code: str | None = None, config: str | None = None) -> str:
    """``config`` is the digest of the portal's configuration (default: of ``portal.yml``):
    the policy decides what is published, so it is an input like the data."""
    if config is None:
        from pipeline.config import DEFAULT

        config = file_digest(DEFAULT) if DEFAULT.is_file() else None
    return _digest({"format": FORMAT, "inputs": input_digests(data), "code": code or code_digest(),
                    "config": config,
                    "reference_date": reference_date.isoformat(), "lang": lang,
                    "previous": previous_digest(previous),
                    # mkdocs stamps this instead of the reference date when it is set
                    "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH")})


def published_key(out: Path, expected: str | None = None) -> str | None:
    """The key ``out`` was built with, if ``out`` still holds exactly what that build wrote.

    With ``expected``, a different recorded key returns None before the files are hashed.
    """
    record = Path(out) / RECORD
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("format") != FORMAT:
        return None
    if expected is not None and recorded.get("key") != expected:
        return None  # no need to read every published byte: the build must run anyway
    if recorded.get("files") != _digest(tree_digests(Path(out), skip=(RECORD,))):
        return None  # a file was edited, added or removed since: rebuild
    return recorded.get("key")


def up_to_date(data: Path, out: Path, *, reference_date, lang: str,
               previous: Path | None, code: str | None = None,
               config: str | None = None) -> tuple[bool, str]:
    """(whether ``out`` already is the build of these inputs, the build key).

    ``previous`` is None when it is ``out`` itself: then ``out``'s own record vouches for it.
    """
    key = build_key(data, reference_date=reference_date, lang=lang, previous=previous, code=code,
                    config=config)
    return published_key(out, expected=key) == key, key


def record_key(site: Path, key: str) -> None:
    """Write the key and a digest of every file into the finished site (before the swap)."""
    files = _digest(tree_digests(Path(site), skip=(RECORD,)))
    (Path(site) / RECORD).write_text(json.dumps({"format": FORMAT, "key": key, "files": files}) + "\n",
                                     encoding="utf-8")


def table_digest(table) -> str:
    """Digest of a table's content and schema (its Arrow IPC stream)."""
    import pyarrow as pa  # not at the top: the no-op check must start fast

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def export_writers(cache: Path, code: str, log: BuildLog):
    """The ``through`` argument of ``pipeline.export.export``: each file writer goes through
    the cache, keyed by the table's content, the writer, the file name and its options.

    Keyed per file, not per package: raising a package's version changes the metadata inside
    its Parquet files but not its CSV or XLSX bytes, which are then reused. The test that an
    incremental build equals a clean one holds every writer to being pure.
    """
    store = Path(cache) / "export"
    digests: dict[int, tuple[object, str]] = {}  # id(table) → (table kept alive, digest)
    lock = threading.Lock()  # a resource's writers run at once: its table is hashed once

    def digest_of(table) -> str:
        with lock:
            if id(table) not in digests:
                digests[id(table)] = (table, table_digest(table))
            return digests[id(table)][1]

    def through(name, original):
        def write(table, path, **options):
            path = Path(path)
            key = _digest({"writer": name, "code": code, "table": digest_of(table),
                           "file": path.name, "options": options})
            entry = store / key[:2] / key
            # data/<package>/<version>/data/<file>; a table's rows for the SQLite database
            label = f"sqlite/{options['name']}" if name == "write_table_database" \
                else f"{path.parent.parent.parent.name}/{path.name}"
            if _reuse(entry, path):
                log.exported[label] = "reused"
                return path
            result = original(table, path, **options)
            shutil.rmtree(entry, ignore_errors=True)  # a damaged entry is replaced, not kept
            _store(entry, path)
            log.exported[label] = "written"
            return result
        return write

    return through


def _reuse(entry: Path, target: Path) -> bool:
    try:
        recorded = (entry / "sha256").read_text(encoding="utf-8").strip()
    except OSError:
        return False
    link_or_copy(entry / "file", target)
    if file_digest(target) != recorded:  # a damaged cache entry: write the file afresh
        target.unlink()
        return False
    return True


def _store(entry: Path, path: Path) -> None:
    """Store ``path`` as ``entry``; a rename publishes the entry whole or not at all."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    try:
        link_or_copy(path, work / "file")
        (work / "sha256").write_text(file_digest(work / "file") + "\n", encoding="utf-8")
        try:
            work.rename(entry)
        except OSError:  # another build stored the same entry first
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
