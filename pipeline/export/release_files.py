"""The files of one release folder: a resource's downloads, its entry in the published
``datapackage.json``, and the release documents (descriptor, README, licence, changelogs,
ZIP). Used by the export and by a redaction, which re-issues a carried-forward release."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from pipeline.export import changelog, documents
from pipeline.export.citation import citation, release_url
from pipeline.export.errors import output_path
from pipeline.export.files import naming, sha256, write_json, write_text, write_zip
from pipeline.export.formats import CSV, RESOURCE_FORMATS, ZIP
from pipeline.export.metadata import publisher, text_or

WRITER_THREADS = 2  # files of one resource written at once


def published_resource(source: dict, files: dict[str, Path], version_dir: Path, digest=sha256) -> dict:
    """The resource's entry in the published datapackage.json: its files, sizes and hashes
    (``digest(path)``: the export's :class:`~pipeline.export.files.Digests`)."""
    descriptor = {k: v for k, v in source.items() if k not in changelog.COMPUTED_RESOURCE_KEYS}
    canonical = files[CSV.key]
    descriptor.update({
        "path": canonical.relative_to(version_dir).as_posix(), "type": "table", "scheme": "file",
        "format": "csv", "mediatype": CSV.mediatype, "encoding": "utf-8",
        "bytes": canonical.stat().st_size, "hash": f"sha256:{digest(canonical)}",
    })
    descriptor["x-downloads"] = [{
        "format": fmt.key, "path": files[fmt.key].relative_to(version_dir).as_posix(),
        "mediatype": fmt.mediatype, "bytes": files[fmt.key].stat().st_size,
        "hash": f"sha256:{digest(files[fmt.key])}",
    } for fmt in RESOURCE_FORMATS if fmt is not CSV]
    return descriptor


def write_resource(package_descriptor: dict, resource_descriptor: dict, table: pa.Table, data_dir: Path,
                    stamp: dt.date, writers: dict, digest=None, keep=None) -> dict[str, Path]:
    """Every download file of one resource; ``package_descriptor`` without its resources.
    With ``digest`` (a :class:`~pipeline.export.files.Digests`), each file is hashed by the
    thread that wrote it, as soon as it is written. With ``keep``
    (:func:`pipeline.export.kept.keeper`), a file whose content the same version published
    before takes back those bytes first."""
    name = resource_descriptor["name"]
    package = package_descriptor.get("name")
    paths = {fmt.key: output_path(data_dir, fmt.filename(name, package)) for fmt in RESOURCE_FORMATS}
    fields = (resource_descriptor.get("schema") or {}).get("fields", [])
    jobs = {  # the longest first, so that the threads end together
        "xlsx": lambda: writers["write_xlsx"](table, paths["xlsx"], fields=fields, reference_date=stamp,
                                              creator=publisher(package_descriptor, "zh"),
                                              title=text_or(resource_descriptor, "title", "zh") or name,
                                              version=package_descriptor.get("version")),
        "json": lambda: writers["write_json_records"](table, paths["json"]),
        "csv": lambda: writers["write_csv"](table, paths["csv"]),
        "csv-excel": lambda: writers["write_excel_csv"](table, paths["csv-excel"]),
        "parquet": lambda: writers["write_parquet"](table, paths["parquet"], fields=fields,
                                                    package=package_descriptor, resource=resource_descriptor),
    }

    def run(key: str):
        with naming(paths[key]):
            jobs[key]()
            if keep is not None:
                keep(paths[key])
            if digest is not None:
                digest(paths[key])

    # The files are independent and their writers spend their time in Arrow's kernels, zlib
    # and writes, which release the GIL: two at once keep both cores busy.
    with ThreadPoolExecutor(WRITER_THREADS) as pool:
        done = [pool.submit(run, key) for key in jobs]
    for future in done:
        future.result()  # a writer's failure (a full disk) is raised here as it was raised there
    return paths


def _citations(published: dict, base_url: str) -> dict[str, str]:
    return {f"{style}_{lang}": citation(published, style, lang, base_url=base_url)
            for style in ("gbt7714", "apa") for lang in ("zh", "en")}


def write_release_documents(version_dir: Path, published: dict, document: dict, rows: dict[str, int],
                            stamp: dt.date, base_url: str) -> dict[str, str]:
    """datapackage.json, README, licence and changelogs of one release folder; its ZIP
    (:func:`write_release_zip`) comes after them.

    Returns the citations. Files are written afresh (never through a hard link, which may
    be shared with the site being replaced).
    """
    package = published["name"]
    citations = _citations(published, base_url)
    url = release_url(base_url, package, published["version"])
    documents_ = {
        "datapackage.json": lambda path: write_json(path, published),
        "README.md": lambda path: write_text(path, documents.readme(published, citations=citations, url=url,
                                                                    rows=rows)),
        "LICENSE.txt": lambda path: write_text(path, documents.licence_text(published, citations=citations)),
        "changelog.json": lambda path: write_json(path, document),
        "CHANGELOG.md": lambda path: write_text(path, documents.changelog_markdown(document)),
    }
    for name, write in documents_.items():
        (version_dir / name).unlink(missing_ok=True)
        with naming(version_dir / name):
            write(version_dir / name)
    return citations


def write_release_zip(version_dir: Path, published: dict, stamp: dt.date) -> Path:
    """The ZIP of a release folder whose documents and data files are written: the
    descriptor, README, licence, changelog and each resource's CSV."""
    members = {name: version_dir / name for name in ("datapackage.json", "README.md", "LICENSE.txt", "CHANGELOG.md")}
    members.update({r["path"]: output_path(version_dir, *r["path"].split("/")) for r in published["resources"]})
    archive = output_path(version_dir, ZIP.filename(published["name"]))
    archive.unlink(missing_ok=True)
    with naming(archive):
        return write_zip(archive, members, stamp)
