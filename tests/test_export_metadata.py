"""The manifest's checksums, byte-identical rebuilds, and the catalog documents
(DCAT-AP JSON-LD, Project Open Data 1.1, schema.org, sitemap, citations)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from test_export_catalog import BASE_URL, REFERENCE_DATE, make_catalog

from pipeline.export import citation, export, write_sitemap

# The fields Project Open Data 1.1 requires (non-federal catalog: no bureauCode/programCode),
# transcribed from its catalog and dataset schemas.
POD_REQUIRED = {
    "type": "object",
    "required": ["conformsTo", "dataset"],
    "properties": {
        "conformsTo": {"const": "https://project-open-data.cio.gov/v1.1/schema"},
        "dataset": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["title", "description", "keyword", "modified", "publisher", "contactPoint",
                         "identifier", "accessLevel"],
            "properties": {
                "title": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1},
                "keyword": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                "modified": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                "publisher": {"type": "object", "required": ["name"]},
                "contactPoint": {"type": "object", "required": ["fn", "hasEmail"],
                                 "properties": {"hasEmail": {"pattern": "^mailto:[^@]+@[^@]+$"}}},
                "identifier": {"type": "string", "minLength": 1},
                "accessLevel": {"enum": ["public", "restricted public", "non-public"]},
                "license": {"type": "string", "format": "uri"},
                "distribution": {"type": "array", "items": {
                    "type": "object", "required": ["mediaType", "downloadURL"],
                    "properties": {"downloadURL": {"type": "string", "pattern": "^https?://"}}}},
            },
        }},
    },
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    manifest = export(make_catalog(), out, reference_date=REFERENCE_DATE, base_url=BASE_URL)
    return out, manifest


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_manifest_checksums_equal_the_files(site):
    out, manifest = site
    written = json.loads((out / "data/manifest.json").read_text(encoding="utf-8"))
    assert written == manifest.to_json()
    listed = {entry["path"]: entry for entry in written["files"]}
    on_disk = set(_files(out)) - {"data/manifest.json"}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        content = (out / path).read_bytes()
        assert entry["bytes"] == len(content) and entry["sha256"] == hashlib.sha256(content).hexdigest(), path
    kinds = {(e["package"], e["resource"], e["format"], e["version"]) for e in written["files"]}
    assert ("safety", "accidents", "csv-excel", "1.0.0") not in kinds
    assert ("safety", "accidents", "csv-excel", "0.3.0") in kinds and ("safety", None, "zip", "latest") in kinds
    assert (None, None, "sqlite", None) in kinds and (None, None, "pod", None) in kinds


def test_two_exports_are_byte_identical(site, tmp_path):
    out, _ = site
    export(make_catalog(), tmp_path / "again", reference_date=REFERENCE_DATE, base_url=BASE_URL)
    first, second = _files(out), _files(tmp_path / "again")
    assert first.keys() == second.keys()
    different = [path for path in first if first[path] != second[path]]
    assert different == []
    assert any(path.endswith(".xlsx") for path in first) and any(path.endswith(".sqlite") for path in first)


def test_reference_date_is_the_only_clock(site, tmp_path):
    out, _ = site
    export(make_catalog(), tmp_path / "later", reference_date=dt.date(2027, 3, 1), base_url=BASE_URL)
    first, later = _files(out), _files(tmp_path / "later")
    unchanged = {path for path in first if first[path] == later[path]}
    # Data files without timestamps are the same; ZIP containers and release records move with the date.
    assert "data/safety/0.3.0/data/accidents.csv" in unchanged
    assert "data/safety/0.3.0/data/accidents.parquet" in unchanged
    assert "data/changzhou-work-safety.sqlite" in unchanged
    assert "data/safety/0.3.0/data/accidents.xlsx" not in unchanged
    assert "data/safety/0.3.0/safety.zip" not in unchanged


def test_dcat_catalog(site):
    out, manifest = site
    catalog = json.loads((out / "data/catalog.jsonld").read_text(encoding="utf-8"))
    assert catalog["@type"] == "dcat:Catalog" and catalog["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert {v["@language"] for v in catalog["dct:title"]} == {"zh", "en"}
    datasets = {d["dct:identifier"]: d for d in catalog["dcat:dataset"]}
    assert set(datasets) == {"urn:test-portal:datapackage:reference", "urn:test-portal:datapackage:safety"}
    dataset = datasets["urn:test-portal:datapackage:safety"]
    assert dataset["@type"] == "dcat:Dataset"
    assert {v["@language"]: v["@value"] for v in dataset["dct:title"]} == {
        "zh": "测试数据包safety", "en": "Test package safety"}
    assert {v["@language"] for v in dataset["dct:description"]} == {"zh", "en"}
    assert dataset["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert dataset["dct:publisher"]["foaf:name"][0]["@value"] == "测试项目组"
    assert dataset["dct:issued"] == dataset["dct:modified"] == {"@value": "2026-12-01", "@type": "xsd:date"}
    assert dataset["dct:temporal"]["dcat:startDate"] == "2013"
    assert len(dataset["dcat:distribution"]) == 2 * 5 + 1  # two tables in five formats, and the ZIP
    for distribution in dataset["dcat:distribution"]:
        assert distribution["@type"] == "dcat:Distribution"
        url = distribution["dcat:downloadURL"]["@id"]
        assert url.startswith(BASE_URL + "data/safety/latest/")
        entry = manifest.file(url[len(BASE_URL):])
        assert distribution["dcat:byteSize"]["@value"] == str(entry.bytes)
        assert distribution["spdx:checksum"]["spdx:checksumValue"] == entry.sha256
        assert distribution["dcat:mediaType"]["@id"].startswith("https://www.iana.org/assignments/media-types/")


def test_project_open_data_catalog(site):
    out, manifest = site
    pod = json.loads((out / "data.json").read_text(encoding="utf-8"))
    jsonschema.validate(pod, POD_REQUIRED, format_checker=jsonschema.FormatChecker())
    assert manifest.warnings == []
    with pytest.raises(jsonschema.ValidationError):  # the check does reject a dataset without contact
        broken = json.loads(json.dumps(pod))
        del broken["dataset"][0]["contactPoint"]
        jsonschema.validate(broken, POD_REQUIRED)


def test_schema_org_dataset(site):
    out, manifest = site
    dataset = manifest.datasets["safety"]
    assert json.loads((out / "data/safety/dataset.jsonld").read_text(encoding="utf-8")) == dataset
    assert dataset["@context"] == "https://schema.org/" and dataset["@type"] == "Dataset"
    for key in ("name", "description", "license", "creator", "temporalCoverage", "spatialCoverage",
                "distribution", "version", "dateModified"):
        assert dataset[key], key
    assert dataset["version"] == "0.3.0" and dataset["dateModified"] == "2026-12-01"
    assert dataset["temporalCoverage"] == "2013/2014-01-06"
    assert all(d["@type"] == "DataDownload" and d["contentUrl"].startswith(BASE_URL) and d["encodingFormat"]
               for d in dataset["distribution"])


def test_citations(site):
    _, manifest = site
    descriptor = manifest.descriptors["reference"]
    gbt = citation(descriptor, "gbt7714", base_url=BASE_URL)
    assert gbt == ("测试项目组. 测试数据包reference[DS/OL]. V1.0.0. 常州: 测试项目组, 2026(2026-12-01). "
                   "https://data.example.org/portal/data/reference/1.0.0/.")
    apa = citation(descriptor, "apa", "en", base_url=BASE_URL, accessed=dt.date(2027, 1, 2))
    assert apa == ("Test team. (2026). Test package reference (Version 1.0.0) [Data set]. "
                   "Retrieved 2027-01-02, from https://data.example.org/portal/data/reference/1.0.0/")
    assert manifest.citations["reference"]["gbt7714_zh"] == gbt
    with pytest.raises(ValueError):
        citation(descriptor, "mla")


def test_sitemap(tmp_path):
    path = write_sitemap(["indicators/", "https://elsewhere.example.org/x", "/", "indicators/"], tmp_path,
                         base_url=BASE_URL, lastmod="2026-12-01")
    root = ET.parse(path).getroot()
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = [url.find(f"{namespace}loc").text for url in root.findall(f"{namespace}url")]
    assert locations == [BASE_URL, "https://elsewhere.example.org/x", BASE_URL + "indicators/"]
    assert all(url.find(f"{namespace}lastmod").text == "2026-12-01" for url in root.findall(f"{namespace}url"))


def test_a_known_licence_is_named_in_the_readers_language():
    from pipeline.export.metadata import licence_title

    cc_by = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International"}
    assert "署名" in licence_title(cc_by, "zh") and "Creative" not in licence_title(cc_by, "zh")
    assert licence_title(cc_by, "en").startswith("Creative Commons Attribution 4.0")
    # one the catalogs do not know keeps the descriptor's own title
    assert licence_title({"name": "X-1", "title": "Some licence"}, "zh") == "Some licence"
