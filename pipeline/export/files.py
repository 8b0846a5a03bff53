"""Writing files so that the same inputs give the same bytes.

Every writer in the export stage goes through these helpers: JSON with sorted keys and a
final newline, ZIP archives with a fixed timestamp, fixed permissions and sorted entries,
and SHA-256 digests computed in one place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import shutil
import threading
import zipfile
from pathlib import Path

from zlib_ng import zlib_ng

from pipeline.exposure import stamp

# Files in ZIP archives (our packages and the XLSX container) are stamped with the
# release's reference date at midnight: the clock of the build machine never leaks in.
ZIP_PERMISSIONS = 0o100644 << 16  # regular file, rw-r--r--


@contextlib.contextmanager
def naming(path: Path):
    """A failed write (a full disk) raised with the file it was writing: ``write()`` on an
    open file raises ``OSError`` without one, and "No space left on device" alone does not
    say where."""
    try:
        yield
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        raise OSError(error.errno, error.strerror, str(path)) from error


def zip_time(reference_date: dt.date) -> tuple[int, int, int, int, int, int]:
    # ZIP cannot store dates before 1980.
    day = max(reference_date, dt.date(1980, 1, 1))
    return (day.year, day.month, day.day, 0, 0, 0)


def jsonable(value):
    """A cell value as JSON can carry it: ISO dates, and null for NaN/infinity (JSON has none)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data, *, indent: int | None = 2) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=indent,
                      default=jsonable, allow_nan=False) + "\n"


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(data), encoding="utf-8", newline="\n")
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Digests:
    """SHA-256 of files, each file hashed once while it stays as it was.

    The export hashes a download in the thread that wrote it, while the other thread writes
    the next file, and the release's descriptor and the manifest take the digest from here:
    hashing the national downloads (14 GB) took about 16 s a pass, and they were hashed
    twice, on one thread, after they were written. A digest is kept by the file's stamp
    (:func:`pipeline.exposure.stamp`), so the names of one file (``latest/`` holds hard
    links) share it, and a file written again is hashed again."""

    def __init__(self):
        self._known: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> str:
        key = stamp(os.stat(path))
        with self._lock:
            if key in self._known:
                return self._known[key]
        digest = sha256(path)
        with self._lock:
            self._known[key] = digest
        return digest


def deflater(info: zipfile.ZipInfo):
    """The raw-deflate compressor of an entry, at the level ``info`` asks for (zlib's
    default, 6, when it names none), from zlib-ng rather than the system's zlib.

    Compression was the largest single cost of the national export: 58 s of CPU for the
    XLSX sheets and 44 s for the release ZIPs (2.3 GB of CSV at level 6). zlib-ng writes
    deflate streams any unzip reads, in half the time of zlib at the same level and a few
    per cent smaller (200 MB of the national enterprises CSV: 1.3 s against 2.5 s at level
    6, 20.9 against 21.5 MB). Its bytes are its own, fixed by its version as zlib's are by
    zlib's, so the same inputs still give the same archive."""
    level = getattr(info, "compress_level", getattr(info, "_compresslevel", None))
    return zlib_ng.compressobj(zlib_ng.Z_DEFAULT_COMPRESSION if level is None else level,
                               zlib_ng.DEFLATED, -15)


class FixedZipFile(zipfile.ZipFile):
    """A ZipFile whose entries all carry one timestamp and the same permissions, deflated
    by zlib-ng (:func:`deflater`).

    ``write`` and ``writestr`` are the two ways entries get in (ours and openpyxl's), so
    fixing them here makes any archive written through this class reproducible; ``open``
    for writing (the XLSX sheets, streamed) takes the same compressor.
    """

    def __init__(self, file, reference_date: dt.date, mode: str = "w"):
        super().__init__(file, mode, compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = zip_time(reference_date)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # unix, so the permission bits below are honoured
        info.external_attr = ZIP_PERMISSIONS
        return info

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        handle = super().open(name, mode, pwd, force_zip64=force_zip64)
        info = name if isinstance(name, zipfile.ZipInfo) else getattr(handle, "_zinfo", None)
        # zipfile has no public way to choose the deflate implementation: the writer's
        # compressor is swapped before anything went through it. The tests compare an
        # entry's bytes with zlib-ng's own output, so a Python whose zipfile changed this
        # attribute fails them rather than silently using the slower zlib.
        if mode == "w" and info is not None and info.compress_type == zipfile.ZIP_DEFLATED \
                and hasattr(handle, "_compressor"):
            handle._compressor = deflater(info)
        return handle

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        super().writestr(self._info(name), data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        arcname = arcname if arcname is not None else Path(filename).name
        info = self._info(str(arcname))
        # Knowing the size up front lets zipfile add ZIP64 fields only when a file needs them.
        info.file_size = Path(filename).stat().st_size
        with open(filename, "rb") as source, self.open(info, "w") as target:
            for block in iter(lambda: source.read(1 << 20), b""):
                target.write(block)


def write_zip(path: Path, members: dict[str, Path], reference_date: dt.date) -> Path:
    """A ZIP of ``members`` (archive name → file), entries in sorted order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FixedZipFile(path, reference_date) as archive:
        for name in sorted(members):
            archive.write(members[name], name)
    return path


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows one, else a copy (``copytree``'s
    ``copy_function`` too).

    Unchanged downloads are placed, not copied: the build cache's files, the ``latest``
    folder beside its release, older releases carried forward. Copying them was most of an
    incremental export's time (2.5 GB at province, twice) and its writes slowed the files
    written after it. Sharing bytes is safe because nothing edits a published file in place,
    and the cache checks an entry's digest before reusing it.
    """
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not supported
        shutil.copyfile(source, target)
