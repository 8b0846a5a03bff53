"""Export stage: downloads in every format, checksums, release records and catalog metadata.

``export(catalog, out, reference_date=...)`` writes everything under ``out/data/`` (plus
``out/data.json``) and returns a :class:`Manifest` that the page generator uses (file
list with sizes and checksums, schema.org records, citations, changelogs). Layout::

    data/manifest.json                       every file: path, bytes, sha256, package, resource, format
    data/catalog.jsonld                      DCAT-AP catalog
    data/releases.atom                       one entry per package release
    data/changzhou-work-safety.sqlite        every table of every package
    data/<package>/dataset.jsonld            schema.org Dataset of the latest release
    data/<package>/<version>/                one release (kept forever)
        datapackage.json README.md LICENSE.txt CHANGELOG.md changelog.json <package>.zip
        data/<resource>.csv .excel.csv .xlsx .parquet .json
    data/<package>/latest/                   a copy of the newest release folder
    data.json                                Project Open Data 1.1 catalog

Same inputs and reference date give the same bytes in every file.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.export import catalogs, changelog, documents
from pipeline.export.catalogs import Download, PackageRelease, schema_org_dataset
from pipeline.export.citation import citation, release_url
from pipeline.export.csvfiles import write_csv, write_excel_csv
from pipeline.export.feeds import releases_feed, write_sitemap
from pipeline.export.files import (
    link_or_copy,
    sha256,
    write_json,
    write_text,
    write_zip,
)
from pipeline.export.formats import CSV, RESOURCE_FORMATS, SQLITE, ZIP
from pipeline.export.jsonfile import write_json_records
from pipeline.export.metadata import publisher, temporal_coverage, text_or
from pipeline.export.parquetfile import write_parquet
from pipeline.export.releases import LATEST, RELEASE_KEY, copy_forward, find_previous
from pipeline.export.sqlitefile import table_name, write_sqlite, write_table_database
from pipeline.export.xlsx import write_xlsx
from pipeline.i18n import both
from pipeline.model import Catalog, Package, Resource

__all__ = [
    "SQLITE_NAME",
    "ExportError",
    "Manifest",
    "ManifestEntry",
    "citation",
    "export",
    "schema_org_dataset",
    "table_name",
    "write_sitemap",
]

DEFAULT_BASE_URL = "/"
SQLITE_NAME = f"changzhou-work-safety{SQLITE.suffix}"
ARROW_FAMILIES = {
    "integer": pa.types.is_integer, "number": lambda t: pa.types.is_floating(t) or pa.types.is_decimal(t),
    "boolean": pa.types.is_boolean, "date": pa.types.is_date, "string": pa.types.is_string,
    "year": pa.types.is_integer, "datetime": pa.types.is_timestamp,
}


class ExportError(Exception):
    """The catalog cannot be published as it is (message in Chinese and English)."""


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
    warnings: list[str] = field(default_factory=list)

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
    # Rows sorted by primary key, so the files do not depend on the order a stage produced them in.
    return resource.table.sort_by([(k, "ascending") for k in primary_key]) if primary_key else resource.table


def _published_resource(resource: Resource, files: dict[str, Path], version_dir: Path) -> dict:
    descriptor = dict(resource.descriptor)
    canonical = files[CSV.key]
    descriptor.update({
        "path": canonical.relative_to(version_dir).as_posix(), "type": "table", "scheme": "file",
        "format": "csv", "mediatype": CSV.mediatype, "encoding": "utf-8",
        "bytes": canonical.stat().st_size, "hash": f"sha256:{sha256(canonical)}",
    })
    descriptor["x-downloads"] = [{
        "format": fmt.key, "path": files[fmt.key].relative_to(version_dir).as_posix(),
        "mediatype": fmt.mediatype, "bytes": files[fmt.key].stat().st_size,
        "hash": f"sha256:{sha256(files[fmt.key])}",
    } for fmt in RESOURCE_FORMATS if fmt is not CSV]
    return descriptor


# A writer's name → the function. ``export(..., through=...)`` may wrap each one (the build
# cache stores and reuses files keyed by table, name and options); every writer is pure.
WRITERS = {"write_csv": write_csv, "write_excel_csv": write_excel_csv, "write_xlsx": write_xlsx,
           "write_parquet": write_parquet, "write_json_records": write_json_records,
           "write_table_database": write_table_database}


def _write_resource(package: Package, resource: Resource, table: pa.Table, data_dir: Path,
                    stamp: dt.date, writers: dict) -> dict[str, Path]:
    source_package = {k: v for k, v in package.descriptor.items() if k != "resources"}
    paths = {fmt.key: data_dir / fmt.filename(resource.name) for fmt in RESOURCE_FORMATS}
    writers["write_csv"](table, paths["csv"])
    writers["write_excel_csv"](table, paths["csv-excel"])
    writers["write_xlsx"](table, paths["xlsx"], fields=resource.fields, reference_date=stamp,
                          creator=publisher(package.descriptor, "zh"),
                          title=text_or(resource.descriptor, "title", "zh") or resource.name)
    writers["write_parquet"](table, paths["parquet"], fields=resource.fields,
                             package=source_package, resource=resource.descriptor)
    writers["write_json_records"](table, paths["json"])
    return paths


def _export_package(package: Package, tables: dict[str, pa.Table], data: Path, *, reference_date: dt.date,
                    previous: Path | None, base_url: str, manifest: Manifest, writers: dict) -> PackageRelease:
    version = package.descriptor.get("version")
    if not version:
        raise ExportError(both("export.error.no_version", package=package.name))
    version_dir = data / package.name / version
    data_dir = version_dir / "data"
    data_dir.mkdir(parents=True)

    prior = find_previous(previous, package.name)
    # Files carry the version's first release date (ZIP and XLSX timestamps), so publishing an
    # unchanged version again gives the same bytes and the same checksums.
    stamp = reference_date
    if prior is not None and prior.version == version and prior.release.get("released"):
        stamp = dt.date.fromisoformat(prior.release["released"])

    published = {k: v for k, v in package.descriptor.items() if k != "resources"}
    published["resources"] = []
    withheld = []
    for name, resource in package.resources.items():
        if name not in tables:
            withheld.append({"name": name, "title": resource.descriptor.get("title"),
                             "x-en": resource.descriptor.get("x-en"),
                             "publishedAs": resource.descriptor.get("x-publishedAs")})
            continue
        files = _write_resource(package, resource, tables[name], data_dir, stamp, writers)
        published["resources"].append(_published_resource(resource, files, version_dir))
    if withheld:  # said in the descriptor, so a reader knows the table exists and why it is absent
        published["x-withheld"] = withheld

    entry = changelog.compare_release(prior, published, tables)
    if prior is not None and prior.version == version and entry["data_changed"]:
        # A release's address must keep serving the same rows: data changes need a new version.
        raise ExportError(both("export.error.version_not_bumped", package=package.name, version=version))
    entry, published[RELEASE_KEY] = changelog.finish_entry(entry, prior, reference_date)

    url = release_url(base_url, package.name, version)
    citations = {
        f"{style}_{lang}": citation(published, style, lang, base_url=base_url)
        for style in ("gbt7714", "apa") for lang in ("zh", "en")
    }
    document = changelog.changelog_document(package.name, entry, prior)
    write_json(version_dir / "datapackage.json", published)
    write_text(version_dir / "README.md", documents.readme(
        published, citations=citations, url=url, rows={n: t.num_rows for n, t in tables.items()}))
    write_text(version_dir / "LICENSE.txt", documents.licence_text(published, citations=citations))
    write_json(version_dir / "changelog.json", document)
    write_text(version_dir / "CHANGELOG.md", documents.changelog_markdown(document))
    members = {name: version_dir / name for name in ("datapackage.json", "README.md", "LICENSE.txt", "CHANGELOG.md")}
    members.update({r["path"]: version_dir / r["path"] for r in published["resources"]})
    write_zip(version_dir / ZIP.filename(package.name), members, stamp)
    shutil.copytree(version_dir, data / package.name / LATEST, copy_function=link_or_copy)

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
    archive = version_dir / ZIP.filename(package.name)
    release.downloads.append(Download(f"{latest}/{archive.name}", archive.stat().st_size, sha256(archive),
                                      ZIP.key, ZIP.label, ZIP.mediatype, None))

    dataset = schema_org_dataset(release, base_url)
    write_json(data / package.name / "dataset.jsonld", dataset)
    manifest.descriptors[package.name] = published
    manifest.datasets[package.name] = dataset
    manifest.citations[package.name] = citations
    manifest.changelogs[package.name] = document
    return release


def export(catalog: Catalog, out: Path, *, reference_date: dt.date, previous: Path | None = None,
           base_url: str = DEFAULT_BASE_URL,
           through=None) -> Manifest:
    """Write every download and metadata file of ``catalog`` under ``out`` (the site root).

    ``previous`` is the last published site (its root folder): its release folders are
    copied forward and each package is compared with its ``latest`` release there.
    ``base_url`` prefixes download addresses in the catalogs (``/`` keeps them site-relative).
    ``through(name, writer)``, if given, returns the writer to use in place of each of
    ``WRITERS`` (the build cache passes one that reuses files it has written before).
    """
    writers = {name: through(name, writer) if through else writer
               for name, writer in WRITERS.items()}
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

    copy_forward(previous, data, {name: p.descriptor.get("version") for name, p in catalog.packages.items()})
    releases = []
    for package_name in sorted(catalog.packages):
        package = catalog.packages[package_name]
        package_tables = {name: tables[(package_name, name)] for name in package.resources
                          if (package_name, name) in tables}
        releases.append(_export_package(package, package_tables, data, reference_date=reference_date,
                                        previous=previous, base_url=base_url, manifest=manifest,
                                        writers=writers))

    manifest.warnings += write_sqlite(catalog, tables, data / SQLITE_NAME,
                                      table_writer=writers["write_table_database"])
    write_json(data / "catalog.jsonld", catalogs.dcat_catalog(releases, base_url))
    pod, warnings = catalogs.pod_catalog(releases, base_url)
    manifest.warnings += warnings
    write_json(out / "data.json", pod)
    releases_feed(releases, {name: document["releases"] for name, document in manifest.changelogs.items()},
                  base_url, data / "releases.atom")

    manifest.files = _inventory(out)
    write_json(data / "manifest.json", manifest.to_json())
    return manifest


def _classify(parts: tuple[str, ...]) -> tuple[str | None, str | None, str, str | None]:
    """(package, resource, format, version) of a file, from its path under the site root."""
    portal = {("data.json",): "pod", ("data", "catalog.jsonld"): "dcat", ("data", "releases.atom"): "atom",
              ("data", SQLITE_NAME): SQLITE.key}
    if parts in portal:
        return None, None, portal[parts], None
    package = parts[1]
    if len(parts) == 3:
        return package, None, "schema-org", None
    version, rest = parts[2], parts[3:]
    if len(rest) == 2 and rest[0] == "data":
        for fmt in sorted(RESOURCE_FORMATS, key=lambda f: -len(f.suffix)):
            if rest[1].endswith(fmt.suffix):
                return package, rest[1][: -len(fmt.suffix)], fmt.key, version
    names = {"datapackage.json": "datapackage", "README.md": "readme", "LICENSE.txt": "licence",
             "CHANGELOG.md": "changelog-md", "changelog.json": "changelog", f"{package}.zip": ZIP.key}
    return package, None, names.get(rest[-1], "other"), version


def _inventory(out: Path) -> list[ManifestEntry]:
    paths = [out / "data.json", *(p for p in (out / "data").rglob("*") if p.is_file())]
    entries = []
    for path in sorted(paths, key=lambda p: p.relative_to(out).as_posix()):
        parts = path.relative_to(out).parts
        package, resource, fmt, version = _classify(parts)
        entries.append(ManifestEntry(path.relative_to(out).as_posix(), path.stat().st_size, sha256(path),
                                     package, resource, fmt, version))
    return entries
