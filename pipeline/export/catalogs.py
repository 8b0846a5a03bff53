"""Machine-readable catalog metadata: DCAT-AP (JSON-LD), Project Open Data 1.1, schema.org.

All three are built from the same :class:`PackageRelease` records so they cannot
disagree. Download addresses are ``base_url`` + the path under the site root; the
catalogs point at ``latest/`` (what a harvester should fetch), the release record and
citation at the versioned folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import current
from pipeline.export.metadata import (
    contact,
    licence_url,
    portal_publisher,
    publisher,
    text_or,
)
from pipeline.i18n import t

IANA = "https://www.iana.org/assignments/media-types/"
POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@dataclass
class Download:
    path: str  # under the site root, e.g. data/reference/latest/data/districts.csv
    bytes: int
    sha256: str
    format: str  # the format key (csv, csv-excel, ..., zip)
    label: str  # CSV, XLSX, ...
    mediatype: str
    resource: str | None  # None for the package ZIP


@dataclass
class PackageRelease:
    name: str
    descriptor: dict  # the published descriptor (with x-release)
    downloads: list[Download] = field(default_factory=list)  # the latest/ files
    temporal: tuple[str, str] | None = None
    first_released: str | None = None

    @property
    def release(self) -> dict:
        return self.descriptor.get("x-release", {})

    @property
    def modified(self) -> str:
        return max(self.release.get("data_updated", ""), self.release.get("metadata_updated", ""))


def url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def _lang_values(zh: str, en: str) -> list[dict]:
    return [{"@value": zh, "@language": "zh"}, {"@value": en, "@language": "en"}]


def _bilingual(descriptor: dict, key: str) -> list[dict]:
    return _lang_values(text_or(descriptor, key, "zh"), text_or(descriptor, key, "en"))


def _resource_titles(descriptor: dict) -> dict[str, dict]:
    return {r["name"]: r for r in descriptor.get("resources", [])}


def _distribution_title(release: PackageRelease, download: Download, lang: str) -> str:
    if download.resource is None:
        return t("export.download.zip", lang, package=text_or(release.descriptor, "title", lang))
    resource = _resource_titles(release.descriptor).get(download.resource, {})
    return t(f"export.download.{download.format}", lang, resource=text_or(resource, "title", lang) or download.resource)


def _date(value: str) -> dict:
    return {"@value": value, "@type": "xsd:date"}


def _dcat_contact(descriptor: dict) -> dict:
    name, email = contact(descriptor, "zh")
    return {"@type": "vcard:Kind", "vcard:fn": name, "vcard:hasEmail": {"@id": f"mailto:{email}"}}


def dcat_catalog(releases: list[PackageRelease], base_url: str) -> dict:
    datasets = []
    for release in releases:
        descriptor = release.descriptor
        dataset = {
            "@id": url(base_url, f"data/{release.name}/"),
            "@type": "dcat:Dataset",
            "dct:identifier": descriptor.get("id", release.name),
            "dct:title": _bilingual(descriptor, "title"),
            "dct:description": _bilingual(descriptor, "description"),
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _lang_values(
                publisher(descriptor, "zh"), publisher(descriptor, "en"))},
            "dct:issued": _date(release.first_released or release.release.get("released")),
            "dct:modified": _date(release.modified),
            "dcat:contactPoint": _dcat_contact(descriptor),
            "dcat:version": descriptor.get("version"),
            "dcat:keyword": list(descriptor.get("keywords") or []),
            "dcat:distribution": [],
        }
        if licence_url(descriptor):
            dataset["dct:license"] = {"@id": licence_url(descriptor)}
        if release.temporal:
            dataset["dct:temporal"] = {"@type": "dct:PeriodOfTime", "dcat:startDate": release.temporal[0],
                                       "dcat:endDate": release.temporal[1]}
        for download in release.downloads:
            address = url(base_url, download.path)
            distribution = {
                "@id": address,
                "@type": "dcat:Distribution",
                "dct:title": _lang_values(_distribution_title(release, download, "zh"),
                                          _distribution_title(release, download, "en")),
                "dcat:accessURL": {"@id": address},
                "dcat:downloadURL": {"@id": address},
                "dcat:mediaType": {"@id": IANA + download.mediatype},
                "dct:format": download.label,
                "dcat:byteSize": {"@value": str(download.bytes), "@type": "xsd:nonNegativeInteger"},
                "spdx:checksum": {"@type": "spdx:Checksum",
                                  "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                                  "spdx:checksumValue": download.sha256},
            }
            if licence_url(descriptor):
                distribution["dct:license"] = {"@id": licence_url(descriptor)}
            dataset["dcat:distribution"].append(distribution)
        datasets.append(dataset)
    modified = max((r.modified for r in releases), default=None)
    catalog = {
        "@context": DCAT_CONTEXT,
        "@id": url(base_url, "data/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": _lang_values(t("export.portal.title", "zh"), t("export.portal.title", "en")),
        "dct:description": _lang_values(t("export.portal.description", "zh"), t("export.portal.description", "en")),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _lang_values(
            portal_publisher("zh"), portal_publisher("en"))},
        "dct:language": [{"@id": "http://publications.europa.eu/resource/authority/language/ZHO"},
                         {"@id": "http://publications.europa.eu/resource/authority/language/ENG"}],
        "dcat:dataset": datasets,
    }
    if modified:
        catalog["dct:modified"] = _date(modified)
    return catalog


def _both(descriptor: dict, key: str, separator: str) -> str:
    zh, en = text_or(descriptor, key, "zh"), text_or(descriptor, key, "en")
    return zh if zh == en or not en else f"{zh}{separator}{en}"


def pod_catalog(releases: list[PackageRelease], base_url: str) -> dict:
    """Project Open Data 1.1 ``data.json``.

    The contact point of a package is its contributor with an e-mail address, else the
    portal's configured contact (``site.publisher``, ``site.email``)."""
    datasets = []
    for release in releases:
        descriptor = release.descriptor
        name, email = contact(descriptor, "zh")
        dataset = {
            "@type": "dcat:Dataset",
            "title": _both(descriptor, "title", " / "),
            "description": _both(descriptor, "description", "\n\n"),
            "keyword": list(descriptor.get("keywords") or [release.name]),
            "modified": release.modified,
            "issued": release.first_released or release.release.get("released"),
            "publisher": {"@type": "org:Organization", "name": publisher(descriptor, "zh")},
            "contactPoint": {"@type": "vcard:Contact", "fn": name, "hasEmail": f"mailto:{email}"},
            "identifier": descriptor.get("id", release.name),
            "accessLevel": "public",
            "language": ["zh-CN", "en"],
            "landingPage": url(base_url, f"data/{release.name}/latest/"),
            "distribution": [{
                "@type": "dcat:Distribution",
                "title": _distribution_title(release, download, "zh"),
                "downloadURL": url(base_url, download.path),
                "mediaType": download.mediatype,
                "format": download.label,
            } for download in release.downloads],
        }
        if licence_url(descriptor):
            dataset["license"] = licence_url(descriptor)
        if release.temporal:
            dataset["temporal"] = f"{release.temporal[0]}/{release.temporal[1]}"
        dataset["spatial"] = t("export.portal.spatial", "en")
        datasets.append(dataset)
    return {
        "@context": f"{POD_SCHEMA}/catalog.jsonld",
        "@id": url(base_url, "data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": f"{POD_SCHEMA}/catalog.json",
        "dataset": datasets,
    }


def schema_org_dataset(release: PackageRelease, base_url: str) -> dict:
    descriptor = release.descriptor
    organisation = {"@type": "Organization", "name": publisher(descriptor, "zh"),
                    "alternateName": publisher(descriptor, "en")}
    dataset = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url(base_url, f"data/{release.name}/"),
        "identifier": descriptor.get("id", release.name),
        "name": text_or(descriptor, "title", "zh"),
        "alternateName": text_or(descriptor, "title", "en"),
        "description": _both(descriptor, "description", "\n\n"),
        "keywords": list(descriptor.get("keywords") or []),
        "creator": organisation,
        "publisher": organisation,
        "version": descriptor.get("version"),
        "datePublished": release.first_released or release.release.get("released"),
        "dateModified": release.modified,
        "inLanguage": ["zh-CN", "en"],
        "isAccessibleForFree": True,
        "spatialCoverage": {"@type": "Place", "name": t("export.portal.spatial", "zh"),
                            "alternateName": t("export.portal.spatial", "en"),
                            "identifier": current().site.city_code},
        "distribution": [{
            "@type": "DataDownload",
            "name": _distribution_title(release, download, "zh"),
            "contentUrl": url(base_url, download.path),
            "encodingFormat": download.mediatype,
            "contentSize": f"{download.bytes} B",
            "sha256": download.sha256,
        } for download in release.downloads],
    }
    if licence_url(descriptor):
        dataset["license"] = licence_url(descriptor)
    if release.temporal:
        dataset["temporalCoverage"] = f"{release.temporal[0]}/{release.temporal[1]}"
    return dataset
