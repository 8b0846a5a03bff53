"""A version's files keep their bytes when it is published again.

A source package's release is published again at every build while its version stays (the
weekly rebuild). Its rows cannot change under that version (the export refuses it), but the
bytes of some files depend on the libraries that wrote them as well: the deflate streams
of the ZIP and XLSX files on zlib-ng's version, a Parquet file's footer on pyarrow's. An
upgrade would then give a published version new checksums for the same content, and a
reader who checked a download against the checksum they saw before would find it changed.
So such a file whose content equals that of the same file in the release published before
is replaced by that file's bytes (a hard link, as carried releases are placed)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from pipeline.export.files import link_or_copy

# Files whose bytes say more than their content: compressed containers and Parquet.
CONTAINERS = (".zip", ".xlsx", ".parquet")


def _entries(path: Path) -> list[tuple]:
    """What a ZIP container holds, without its deflate bytes: each entry's name, time,
    permissions, size and the CRC-32 of its uncompressed bytes (which the writer computed
    and every reader checks). Read from the central directory alone."""
    with zipfile.ZipFile(path) as archive:
        return [(i.filename, i.date_time, i.external_attr, i.file_size, i.CRC) for i in archive.infolist()]


def same_content(new: Path, old: Path) -> bool:
    """Whether the container ``new`` holds what ``old`` holds, whichever library versions
    wrote each: for ZIP and XLSX the same entries (:func:`_entries`), for Parquet the same
    table with the same schema and metadata. Other files: their bytes decide, not this."""
    suffix = new.suffix.lower()
    try:
        if suffix in (".zip", ".xlsx"):
            return _entries(new) == _entries(old)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(new).equals(pq.read_table(old), check_metadata=True)
    except (OSError, zipfile.BadZipFile, ValueError):  # the old file is not what its name says
        return False
    return False


def published_hashes(descriptor: dict) -> dict[str, str]:
    """Relative path → SHA-256 of every download a published release descriptor lists."""
    hashes = {}
    for resource in descriptor.get("resources") or []:
        for item in [resource, *(resource.get("x-downloads") or [])]:
            if isinstance(item.get("path"), str) and isinstance(item.get("hash"), str):
                hashes[item["path"]] = item["hash"].removeprefix("sha256:")
    return hashes


def keeper(published: Path | None, descriptor: dict | None, folder: Path,
           digest: Callable[[Path], str]) -> Callable[[Path], None] | None:
    """The step that puts back a published file's bytes: ``keep(path)``, for a file just
    written under ``folder`` (the release folder being made), replaces it by the file at the
    same place in ``published`` (the release of the same version as the site serves it, whose
    ``descriptor`` lists its files' digests) when the bytes differ but the content is the
    same. Equal digests cost nothing more (``digest``, the export's, hashes each new file
    once anyway); only a container whose digest differs is opened. None when there is no
    such release."""
    if published is None or descriptor is None or not published.is_dir():
        return None
    hashes = published_hashes(descriptor)

    def keep(path: Path) -> None:
        relative = path.relative_to(folder).as_posix()
        old = published / relative
        if path.suffix.lower() not in CONTAINERS or not old.is_file():
            return
        if hashes.get(relative) == digest(path) or not same_content(path, old):
            return
        placed = path.with_name(f".{path.name}.kept-{os.getpid()}")
        placed.unlink(missing_ok=True)
        link_or_copy(old, placed)
        os.replace(placed, path)

    return keep
