"""Export stage: downloads in every format, checksums, release records and catalog metadata.

``export(catalog, out, reference_date=...)`` writes everything under ``out/data/`` (plus
``out/data.json``) and returns a :class:`Manifest` that the page generator uses (file
list with sizes and checksums, schema.org records, citations, changelogs). Layout::

    data/manifest.json                       every file: path, bytes, sha256, package, resource, format
    data/catalog.jsonld                      DCAT-AP catalog
    data/releases.atom                       one entry per package release
    data/<sqlite>.sqlite                     every table of every package (name: portal.yml site.sqlite)
    data/<package>/dataset.jsonld            schema.org Dataset of the latest release
    data/<package>/<version>/                one release (kept forever)
        datapackage.json README.md LICENSE.txt CHANGELOG.md changelog.json <package>.zip
        data/<resource>.csv .parquet .json   with label columns and the synthetic mark (labels.py)
        data/<portal>_<package>_<resource>.excel.csv .xlsx   (descriptive names: formats.py)
    data/<package>/latest/                   a copy of the newest release folder
    (each release folder's index.html is its page, written by the site: pages/release_pages.py)
    data.json                                Project Open Data 1.1 catalog

Same inputs and reference date give the same bytes in every file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import current
from pipeline.export import catalogs, changelog, labels, redaction
from pipeline.export.catalogs import Download, PackageRelease, schema_org_dataset
from pipeline.export.citation import citation
from pipeline.export.csvfiles import write_csv, write_excel_csv
from pipeline.export.errors import ExportError, output_path
from pipeline.export.feeds import releases_feed, write_sitemap
from pipeline.export.files import Digests, link_or_copy, write_json
from pipeline.export.formats import CSV, RESOURCE_FORMATS, SQLITE, ZIP
from pipeline.export.jsonfile import write_json_records
from pipeline.export.kept import keeper
from pipeline.export.metadata import configured_base_url, temporal_coverage
from pipeline.export.parquetfile import write_parquet
from pipeline.export.release_files import (
    published_resource,
    write_release_documents,
    write_release_zip,
    write_resource,
)
from pipeline.export.releases import (
    LATEST,
    RELEASE_DOCUMENTS,
    RELEASE_KEY,
    WITHDRAWN,
    ReleaseFolder,
    copy_forward,
    find_previous,
    latest_path,
    published_versions,
    release_at,
    release_folders,
    withdrawn_packages,
)
from pipeline.export.sqlitefile import table_name, write_sqlite, write_table_database
from pipeline.export.xlsx import write_xlsx
from pipeline.i18n import both
from pipeline.memory import release_freed
from pipeline.model import Catalog, Package, Resource
from pipeline.versions import calendar_version, is_version, newest, version_key

__all__ = [
    "ExportError",
    "Manifest",
    "ManifestEntry",
    "citation",
    "configured_base_url",
    "export",
    "latest_path",
    "schema_org_dataset",
    "sqlite_name",
    "table_name",
    "write_sitemap",
]



def sqlite_name() -> str:
    """The file name of the database of every table (``site.sqlite`` of the configuration)."""
    return f"{current().site.sqlite}{SQLITE.suffix}"


ARROW_FAMILIES = {
    "integer": pa.types.is_integer, "number": lambda t: pa.types.is_floating(t) or pa.types.is_decimal(t),
    "boolean": pa.types.is_boolean, "date": pa.types.is_date, "string": pa.types.is_string,
    "year": pa.types.is_integer, "datetime": pa.types.is_timestamp,
}


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # under the site root, with "/" separators
    bytes: int
    sha256: str
    package: str | None
    resource: str | None
    format: str
    version: str | None


@dataclass
class Manifest:
    files: list[ManifestEntry] = field(default_factory=list)
    descriptors: dict[str, dict] = field(default_factory=dict)  # published datapackage.json per package
    datasets: dict[str, dict] = field(default_factory=dict)  # schema.org Dataset per package
    citations: dict[str, dict[str, str]] = field(default_factory=dict)  # package → {gbt7714_zh, apa_zh, apa_en, ...}
    changelogs: dict[str, dict] = field(default_factory=dict)
    withdrawn: list[dict] = field(default_factory=list)  # packages no longer in the catalog
    redactions: list[dict] = field(default_factory=list)  # the public redaction log, oldest first
    # Every release folder the site serves (this build's and those carried forward), each
    # with its descriptor and changelog: every one gets a page (pages/release_pages.py).
    releases: list[ReleaseFolder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def latest(self, package: str | None, resource: str | None = None,
               fmt: str = "csv") -> ManifestEntry | None:
        """The entry of a file of ``package``'s ``latest`` release (see
        :func:`pipeline.export.releases.latest_path`), or with ``package`` None a portal-wide
        file by format (``sqlite``, ``dcat`` ...); None if the export wrote no such file."""
        for entry in self.files:
            if entry.format != fmt or entry.package != package or entry.resource != resource:
                continue
            if package is None or entry.version == LATEST:
                return entry
        return None

    def file(self, path: str) -> ManifestEntry:
        """The entry of ``path`` (under the site root, e.g. ``data/reference/latest/reference.zip``)."""
        for entry in self.files:
            if entry.path == path:
                return entry
        raise KeyError(path)

    def to_json(self) -> dict:
        return {"files": [asdict(entry) for entry in self.files]}


def _keys(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _typed_table(resource: Resource) -> pa.Table:
    if resource.table is None:
        raise ExportError(both("export.error.not_loaded", resource=f"{resource.package}/{resource.name}"))
    for spec in resource.fields:
        check = ARROW_FAMILIES.get(spec.get("type", "string"))
        if spec["name"] in resource.table.column_names and check is not None:
            actual = resource.table.schema.field(spec["name"]).type
            if not check(actual):
                raise ExportError(both("export.error.untyped", resource=f"{resource.package}/{resource.name}",
                                       field=spec["name"], type=spec.get("type", "string"), actual=str(actual)))
    primary_key = _keys(resource.schema.get("primaryKey"))
    if not primary_key:
        return resource.table
    # Rows sorted by primary key, so the files do not depend on the order a stage produced them
    # in. Most tables arrive in that order (sources are kept so, derived tables are written so):
    # those are used as they are, not copied (a national table's copy is gigabytes).
    order = pc.sort_indices(resource.table, sort_keys=[(k, "ascending") for k in primary_key])
    if np.array_equal(order.to_numpy(), np.arange(len(order))):
        return resource.table
    return resource.table.take(order)


# A writer's name → the function. ``export(..., through=...)`` may wrap each one (the build
# cache stores and reuses files keyed by table, name and options); every writer is pure.
WRITERS = {"write_csv": write_csv, "write_excel_csv": write_excel_csv, "write_xlsx": write_xlsx,
           "write_parquet": write_parquet, "write_json_records": write_json_records,
           "write_table_database": write_table_database}


def _data_differs(prior, package: Package, tables: dict[str, pa.Table]) -> bool:
    schemas = {"version": None, "resources": [{"name": name, "schema": package.resources[name].schema}
                                              for name in tables]}
    return changelog.compare_release(prior, schemas, tables, limit=0)["data_changed"]


def _release_version(package: Package, tables: dict[str, pa.Table], previous: Path | None, prior,
                     reference_date: dt.date) -> str:
    """The version this release is published under.

    A source package's version is the publisher's (``version`` in its descriptor): it must
    be a valid version and may not go below the newest one published. A computed package
    (:attr:`Package.computed`) is versioned by the day its statuses are computed for
    (``2015.05.27``); a second release of other data on the same day gets ``2015.05.27.2``,
    so a weekly rebuild of unchanged sources, or a correction, always has a version of its own.
    """
    published = published_versions(previous, package.name)
    if package.computed:
        serial = 1
        while True:
            version = calendar_version(reference_date, serial)
            if version not in published or not _data_differs(
                    release_at(previous, package.name, version), package, tables):
                return version
            serial += 1
    version = package.descriptor.get("version")
    if not version:
        raise ExportError(both("export.error.no_version", package=package.name))
    if not is_version(version):
        raise ExportError(both("export.error.bad_version", package=package.name, version=version))
    latest = newest(published)
    if latest is not None and version_key(version) < version_key(latest):
        raise ExportError(both("export.error.version_lowered", package=package.name, version=version,
                               latest=latest))
    return version


def _export_package(package: Package, tables: dict[str, pa.Table], data: Path, *, reference_date: dt.date,
                    previous: Path | None, base_url: str, manifest: Manifest, writers: dict,
                    labeller: labels.Labeller, published_tables: dict, digests: Digests,
                    zips: Executor, detail_withheld: frozenset[str] = frozenset(),
                    ) -> tuple[PackageRelease, Callable[[], None]]:
    """One package's release folder. ``published_tables`` receives each table as published
    (with its label columns) and its fields, for the portal database.

    The release's ZIP is written on ``zips`` while the caller goes on: deflating the CSVs
    is one thread's work (30 s for the national credit package) and zlib releases Python's
    lock. Returns the release and the step that waits for the ZIP and then records it (its
    size and digest in the downloads, the dataset description, its link in ``latest/``)."""
    prior = find_previous(previous, package.name)
    version = _release_version(package, tables, previous, prior, reference_date)
    package.descriptor["version"] = version  # a computed version is what the pages show too
    version_dir = output_path(data, package.name, version)
    data_dir = version_dir / "data"
    data_dir.mkdir(parents=True)

    # Files carry the version's first release date (ZIP and XLSX timestamps), so publishing an
    # unchanged version again gives the same bytes and the same checksums.
    again = prior is not None and prior.version == version  # the same version published again
    stamp = reference_date
    if again and prior.release.get("released"):
        stamp = dt.date.fromisoformat(prior.release["released"])
    # Its files keep the bytes the site serves wherever their content is the same, though
    # another zlib-ng or pyarrow would write other bytes.
    keep = keeper(prior.folder, prior.descriptor, version_dir, digests) if again else None

    source_package = {k: v for k, v in package.descriptor.items() if k != "resources"}
    published = dict(source_package)
    published["resources"] = []
    withheld = []
    for name, resource in package.resources.items():
        if name not in tables:
            withheld.append({"name": name, "title": resource.descriptor.get("title"),
                             "x-en": resource.descriptor.get("x-en"),
                             "publishedAs": resource.descriptor.get("x-publishedAs")})
            continue
        # A version published before keeps the names it was published with (a release's
        # files never change), even if the reference tables have been edited since.
        kept = prior.published_table(name) if again else None
        table, added = labeller.apply(resource, tables[name], kept)
        descriptor = labels.describe(resource.descriptor, added)
        published_tables[(package.name, name)] = (table, descriptor["schema"]["fields"])
        files = write_resource(source_package, descriptor, table, data_dir, stamp, writers, digests, keep)
        published["resources"].append(published_resource(descriptor, files, version_dir, digests))
    if withheld:  # said in the descriptor, so a reader knows the table exists and why it is absent
        published["x-withheld"] = withheld

    entry = changelog.compare_release(prior, published, tables, detail_withheld=detail_withheld)
    if again and entry["data_changed"]:
        # A release's address must keep serving the same rows: data changes need a new version.
        raise ExportError(both("export.error.version_not_bumped", package=package.name, version=version))
    entry, published[RELEASE_KEY] = changelog.finish_entry(entry, prior, reference_date)

    document = changelog.changelog_document(package.name, entry, prior)
    citations = write_release_documents(version_dir, published, document,
                                        {n: t.num_rows for n, t in tables.items()}, stamp, base_url)
    shutil.copytree(version_dir, output_path(data, package.name, LATEST), copy_function=link_or_copy)

    def archive_of_release() -> Path:  # on the zips thread, after latest/ was made without it
        archive = write_release_zip(version_dir, published, stamp)
        if keep is not None:
            keep(archive)
        digests(archive)
        return archive

    written = zips.submit(archive_of_release)

    release = PackageRelease(
        name=package.name, descriptor=published, temporal=temporal_coverage(package.descriptor, tables),
        first_released=min(r["released"] for r in document["releases"]),
    )
    latest = f"data/{package.name}/{LATEST}"
    by_format = {fmt.key: fmt for fmt in RESOURCE_FORMATS}
    for resource in published["resources"]:
        # latest/ is a copy of the version folder: the sizes and hashes are those just recorded.
        for item in [{**resource, "format": CSV.key}, *resource["x-downloads"]]:
            fmt = by_format[item["format"]]
            release.downloads.append(Download(f"{latest}/{item['path']}", item["bytes"],
                                              item["hash"].removeprefix("sha256:"), fmt.key, fmt.label,
                                              fmt.mediatype, resource["name"]))
    manifest.descriptors[package.name] = published
    manifest.citations[package.name] = citations
    manifest.changelogs[package.name] = document

    def finish() -> None:
        archive = written.result()  # a failed write (a full disk) is raised here, with its file
        link_or_copy(archive, output_path(data, package.name, LATEST, archive.name))
        release.downloads.append(Download(f"{latest}/{archive.name}", archive.stat().st_size, digests(archive),
                                          ZIP.key, ZIP.label, ZIP.mediatype, None))
        dataset = schema_org_dataset(release, base_url)
        write_json(output_path(data, package.name, "dataset.jsonld"), dataset)
        manifest.datasets[package.name] = dataset

    return release, finish


@contextlib.contextmanager
def _zip_thread():
    """The thread that writes the releases' ZIPs. An export that stops (an error, Ctrl-C)
    drops the ZIPs still waiting instead of writing them before it stops: at the national
    tier they are tens of seconds."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="zip")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def export(catalog: Catalog, out: Path, *, reference_date: dt.date, previous: Path | None = None,
           base_url: str | None = None, through=None,
           identities: dict[tuple[str, str], str] | None = None) -> Manifest:
    """Write every download and metadata file of ``catalog`` under ``out`` (the site root).

    ``previous`` is the last published site (its root folder): its release folders are
    carried forward and each package is compared with its ``latest`` release there.
    ``base_url`` prefixes download addresses in the catalogs, citations and feed (``/`` keeps
    them site-relative); by default it is the configuration's (:func:`configured_base_url`).
    ``through(name, writer)``, if given, returns the writer to use in place of each of
    ``WRITERS`` (the build cache passes one that reuses files it has written before).
    ``identities`` maps (package, resource) of a table that names enterprises only while a
    listing is in force to its key column (the public blacklist → ``listing_id``): rows of
    carried-forward releases whose key is no longer in the current table are redacted
    (:mod:`pipeline.export.redaction`), and changelogs give counts only for those tables.
    """
    base_url = configured_base_url() if base_url is None else base_url
    writers = {name: through(name, writer) if through else writer
               for name, writer in WRITERS.items()}
    identities = identities or {}
    out = Path(out)
    if previous is not None and Path(previous).resolve() == out.resolve():
        raise ExportError(both("export.error.previous_is_out"))
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)  # this stage owns out/data; a stale file must not be published
    data.mkdir(parents=True)
    manifest = Manifest()

    # Withheld resources (``x-public: false``) reach no download, archive, database or
    # changelog: every writer below sees only these tables.
    tables: dict[tuple[str, str], pa.Table] = {}
    for package_name in sorted(catalog.packages):
        for resource in catalog.packages[package_name].resources.values():
            if resource.public:
                tables[(package_name, resource.name)] = _typed_table(resource)

    releases = []
    labeller = labels.Labeller(catalog)
    digests = Digests()  # each download hashed once, by the thread that wrote it
    published_tables: dict[tuple[str, str], tuple[pa.Table, list[dict]]] = {}
    # One thread writes the releases' ZIPs while the next packages, the carried releases
    # and the database are written; each is recorded (``finish``) before the catalogs.
    with _zip_thread() as zips:
        finishes = []
        for package_name in sorted(catalog.packages):
            package = catalog.packages[package_name]
            package_tables = {name: tables[(package_name, name)] for name in package.resources
                              if (package_name, name) in tables}
            withheld_detail = frozenset(r for p, r in identities if p == package_name)
            release, finish = _export_package(
                package, package_tables, data, reference_date=reference_date, previous=previous,
                base_url=base_url, manifest=manifest, writers=writers, labeller=labeller,
                published_tables=published_tables, digests=digests, zips=zips,
                detail_withheld=withheld_detail)
            releases.append(release)
            finishes.append(finish)
            release_freed()  # a package's temporaries (its labels, its files' buffers) are done
        # After the current releases: their folders are this build's, every other one is carried.
        copy_forward(previous, data, {name: p.descriptor["version"] for name, p in catalog.packages.items()})
        manifest.withdrawn = withdrawn_packages(previous, data, set(catalog.packages), reference_date)
        manifest.redactions = redaction.redact(
            previous, data, {key: (column, set(tables[key].column(column).to_pylist()))
                             for key, column in identities.items() if key in tables},
            reference_date=reference_date, writers=writers, base_url=base_url)

        manifest.warnings += write_sqlite(
            catalog, {key: table for key, (table, _) in published_tables.items()}, data / sqlite_name(),
            table_writer=writers["write_table_database"],
            fields={key: fields for key, (_, fields) in published_tables.items()})
        for finish in finishes:
            finish()
    write_json(data / "catalog.jsonld", catalogs.dcat_catalog(releases, base_url))
    write_json(out / "data.json", catalogs.pod_catalog(releases, base_url))
    releases_feed(releases, {name: document["releases"] for name, document in manifest.changelogs.items()},
                  base_url, data / "releases.atom")

    manifest.releases = release_folders(data)
    manifest.files = _inventory(out, digests)
    write_json(data / "manifest.json", manifest.to_json())
    return manifest


def _classify(parts: tuple[str, ...]) -> tuple[str | None, str | None, str, str | None]:
    """(package, resource, format, version) of a file, from its path under the site root."""
    portal = {("data.json",): "pod", ("data", "catalog.jsonld"): "dcat", ("data", "releases.atom"): "atom",
              ("data", sqlite_name()): SQLITE.key, ("data", redaction.LOG): "redactions",
              ("data", WITHDRAWN): "withdrawn"}
    if parts in portal:
        return None, None, portal[parts], None
    package = parts[1]
    if len(parts) == 3:
        return package, None, "schema-org", None
    version, rest = parts[2], parts[3:]
    if len(rest) == 2 and rest[0] == "data":
        for fmt in sorted(RESOURCE_FORMATS, key=lambda f: -len(f.suffix)):
            resource = fmt.resource_of(rest[1], package)
            if resource is not None:
                return package, resource, fmt.key, version
    names = {name: key for key, name in RELEASE_DOCUMENTS.items()} | {ZIP.filename(package): ZIP.key}
    return package, None, names.get(rest[-1], "other"), version


def _inventory(out: Path, digest: Digests) -> list[ManifestEntry]:
    """Every file under ``out``; a release's file and its link in ``latest/`` share one
    digest (``digest`` keeps them by the file's stamp)."""
    paths = [out / "data.json", *(p for p in (out / "data").rglob("*") if p.is_file())]
    entries = []
    for path in sorted(paths, key=lambda p: p.relative_to(out).as_posix()):
        parts = path.relative_to(out).parts
        package, resource, fmt, version = _classify(parts)
        status = path.stat()
        entries.append(ManifestEntry(path.relative_to(out).as_posix(), status.st_size, digest(path),
                                     package, resource, fmt, version))
    return entries
