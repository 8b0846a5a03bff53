"""Releases: old versions stay downloadable, ``latest`` follows the newest, and the changelog
lists exactly the rows added, removed and changed, telling metadata-only releases apart."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET

import pyarrow as pa
import pytest
from test_export_catalog import REFERENCE_DATE, make_catalog

from pipeline.export import ExportError, export
from pipeline.export.changelog import diff_table
from pipeline.export.formats import XLSX

SECOND_DATE = dt.date(2027, 1, 10)
THIRD_DATE = dt.date(2027, 2, 20)
CHANGED_DISTRICTS = {
    "code": ["320402", "320404", "320411", "320412"],  # 320405 removed, 320412 added
    "name": ["天宁区", "钟楼区（调整后）", "新北区", "武进区"],  # 320404 renamed
    "name_en": ["Tianning", "Zhonglou", "Xinbei", "Wujin"],
    "valid_to": [None, None, dt.date(2030, 1, 1), None],  # 320411: two fields changed
    "successor_code": [None, None, "320402", None],
}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    root = tmp_path_factory.mktemp("releases")
    first, second, third = root / "first", root / "second", root / "third"
    export(make_catalog(), first, reference_date=REFERENCE_DATE)
    export(make_catalog(reference_version="1.1.0", districts=CHANGED_DISTRICTS), second,
           reference_date=SECOND_DATE, previous=first)
    manifest = export(make_catalog(reference_version="1.1.1", districts=CHANGED_DISTRICTS,
                                   describe="描述已更正。"), third, reference_date=THIRD_DATE, previous=second)
    return first, second, third, manifest


def _changelog(site, package="reference"):
    return json.loads((site / "data" / package / "latest" / "changelog.json").read_text(encoding="utf-8"))


def _descriptor(site, package, version="latest"):
    return json.loads((site / "data" / package / version / "datapackage.json").read_text(encoding="utf-8"))


def test_changelog_lists_exactly_the_changed_rows(sites):
    _, second, _, _ = sites
    [release, first_release] = _changelog(second)["releases"]
    assert (release["version"], release["previous_version"]) == ("1.1.0", "1.0.0")
    districts = release["resources"]["districts"]
    assert districts["status"] == "changed"
    assert districts["rows"] == {"before": 4, "after": 4, "added": 1, "removed": 1, "changed": 2}
    assert districts["added"] == [{"code": "320412"}]
    assert districts["removed"] == [{"code": "320405"}]
    assert districts["changed"] == [
        {"key": {"code": "320404"}, "fields": {"name": {"old": "钟楼区", "new": "钟楼区（调整后）"}}},
        {"key": {"code": "320411"}, "fields": {"valid_to": {"old": None, "new": "2030-01-01"},
                                               "successor_code": {"old": None, "new": "320402"}}},
    ]
    assert districts["changed_fields"] == {"name": 1, "valid_to": 1, "successor_code": 1}
    assert release["data_changed"] is True and release["metadata_changes"] == ["version"]
    assert first_release["version"] == "1.0.0" and "added" not in first_release["resources"]["districts"]


def test_changelog_markdown_is_bilingual_and_names_the_rows(sites):
    _, second, _, _ = sites
    text = (second / "data/reference/latest/CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 1.1.0 (2027-01-10)" in text and "## 1.0.0 (2026-12-01)" in text
    assert "新增行 / row added: code=`\"320412\"`" in text
    assert "删除行 / row removed: code=`\"320405\"`" in text
    assert "`valid_to` null → `\"2030-01-01\"`" in text
    assert "数据有变化 / data changed" in text


def test_unchanged_package_is_published_again_byte_for_byte(sites):
    first, second, _, _ = sites
    files = sorted(p.relative_to(first / "data/safety/0.3.0") for p in (first / "data/safety/0.3.0").rglob("*")
                   if p.is_file())
    assert len(files) == 16
    for path in files:  # the same dates inside (x-release) and the same ZIP/XLSX timestamps
        assert (second / "data/safety/0.3.0" / path).read_bytes() == (first / "data/safety/0.3.0" / path).read_bytes()
    [release] = _changelog(second, "safety")["releases"]  # still the entry of the first release
    assert release["previous_version"] is None and release["data_changed"] is True
    dates = _descriptor(second, "safety")["x-release"]
    assert dates["released"] == dates["data_updated"] == dates["metadata_updated"] == "2026-12-01"


def test_metadata_only_release_is_told_apart(sites):
    _, _, third, _ = sites
    release = _changelog(third)["releases"][0]
    assert release["data_changed"] is False and release["metadata_changed"] is True
    assert release["metadata_changes"] == ["description", "version"]
    assert release["resources"]["districts"]["status"] == "unchanged"
    dates = _descriptor(third, "reference")["x-release"]
    assert dates == {"released": "2027-02-20", "data_updated": "2027-01-10", "metadata_updated": "2027-02-20",
                     "previous_version": "1.1.0"}
    text = (third / "data/reference/latest/CHANGELOG.md").read_text(encoding="utf-8")
    assert "数据无变化 / data unchanged" in text.split("## 1.1.0")[0]


def test_old_releases_stay_and_latest_is_newest(sites):
    first, second, third, manifest = sites
    for version, origin in (("1.0.0", first), ("1.1.0", second)):
        old = sorted(p.relative_to(origin / "data/reference" / version)
                     for p in (origin / "data/reference" / version).rglob("*") if p.is_file())
        assert old, version
        for path in old:
            assert (third / "data/reference" / version / path).read_bytes() == \
                   (origin / "data/reference" / version / path).read_bytes()
    latest = third / "data/reference/latest"
    assert _descriptor(third, "reference")["version"] == "1.1.1"
    for path in latest.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (third / "data/reference/1.1.1" / path.relative_to(latest)).read_bytes()
    versions = {entry.version for entry in manifest.files if entry.package == "reference"}
    assert versions == {"1.0.0", "1.1.0", "1.1.1", "latest", None}
    assert [r["version"] for r in _changelog(third)["releases"]] == ["1.1.1", "1.1.0", "1.0.0"]


def test_release_feed_has_every_release(sites):
    _, _, third, _ = sites
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(third / "data/releases.atom").getroot()
    titles = [entry.find(f"{atom}title").text for entry in feed.findall(f"{atom}entry")]
    releases = [("reference", "1.1.1"), ("reference", "1.1.0"), ("reference", "1.0.0"), ("safety", "0.3.0")]
    # One feed serves both editions: each entry's title in Chinese, then in English.
    assert titles == [f"测试数据包{name} {version} / Test package {name} {version}" for name, version in releases]
    assert feed.find(f"{atom}updated").text == "2027-02-20T00:00:00Z"
    ids = [entry.find(f"{atom}id").text for entry in feed.findall(f"{atom}entry")]
    assert ids[0] == "urn:test-portal:datapackage:reference:1.1.1" and len(set(ids)) == len(ids)


def test_changed_data_without_a_new_version_is_refused(sites, tmp_path):
    first, _, _, _ = sites
    with pytest.raises(ExportError, match="1.0.0"):
        export(make_catalog(districts=CHANGED_DISTRICTS), tmp_path / "site", reference_date=SECOND_DATE,
               previous=first)


def test_metadata_fix_within_a_version_keeps_the_release_date(sites, tmp_path):
    first, _, _, _ = sites
    export(make_catalog(describe="仅更正说明。"), tmp_path / "site", reference_date=SECOND_DATE, previous=first)
    dates = _descriptor(tmp_path / "site", "reference")["x-release"]
    assert dates["released"] == "2026-12-01" and dates["data_updated"] == "2026-12-01"
    assert dates["metadata_updated"] == "2027-01-10"
    [release] = _changelog(tmp_path / "site")["releases"]
    assert release["version"] == "1.0.0" and release["previous_version"] is None
    assert release["metadata_changes"] == ["description"]
    # The data files keep their bytes (Parquet carries the descriptor, so it changes with it).
    for name in ("data/districts.csv", f"data/{XLSX.filename('districts', 'reference')}", "data/districts.json"):
        assert (tmp_path / "site/data/reference/1.0.0" / name).read_bytes() == \
               (first / "data/reference/1.0.0" / name).read_bytes()


def test_diff_with_composite_key_nulls_nan_and_retyped_column():
    old = pa.table({"district": ["a", "a", "b"], "year": [2013, 2014, 2013], "rate": [1.5, float("nan"), None],
                    "count": pa.array([1, 2, 3], pa.int64())})
    new = pa.table({"district": ["a", "a", "c"], "year": [2013, 2014, 2013], "rate": [1.5, float("nan"), 2.0],
                    "count": pa.array([1.0, 2.5, 3.0], pa.float64())})
    diff = diff_table(old, new, ["district", "year"])
    assert diff["fields"] == {"added": [], "removed": [], "type_changed": ["count"]}
    assert diff["rows"] == {"before": 3, "after": 3, "added": 1, "removed": 1, "changed": 1}
    assert diff["added"] == [{"district": "c", "year": 2013}]
    assert diff["removed"] == [{"district": "b", "year": 2013}]
    assert diff["changed"] == [{"key": {"district": "a", "year": 2014}, "fields": {"count": {"old": 2.0, "new": 2.5}}}]


def test_diff_without_primary_key_compares_whole_rows():
    old = pa.table({"x": [1, 2, 2], "y": ["a", "b", "b"]})
    new = pa.table({"x": [2, 3], "y": ["b", "c"]})
    diff = diff_table(old, new, [])
    assert diff["rows"]["added"] == 1 and diff["rows"]["removed"] == 2
    assert diff["added"] == [{"x": 3, "y": "c"}]


def test_diff_lists_are_capped_but_counts_are_exact():
    old = pa.table({"id": list(range(10)), "v": [0] * 10})
    new = pa.table({"id": list(range(10)), "v": [1] * 10})
    diff = diff_table(old, new, ["id"], limit=3)
    assert diff["rows"]["changed"] == 10 and len(diff["changed"]) == 3 and diff["truncated"] is True


def test_only_release_folders_are_copied_forward(tmp_path):
    """Pages and other folders beside the releases in data/<package>/ are not releases."""
    first = tmp_path / "first"
    export(make_catalog(), first, reference_date=REFERENCE_DATE)
    (first / "data" / "reference" / "notes").mkdir()
    (first / "data" / "reference" / "notes" / "index.html").write_text("page", encoding="utf-8")
    second = tmp_path / "second"
    export(make_catalog(reference_version="1.1.0", districts=CHANGED_DISTRICTS), second,
           reference_date=SECOND_DATE, previous=first)
    kept = sorted(p.name for p in (second / "data" / "reference").iterdir() if p.is_dir())
    assert kept == ["1.0.0", "1.1.0", "latest"]


def test_every_release_folder_is_listed_for_its_page_and_the_page_is_not_carried_forward(sites, tmp_path):
    _, _, third, manifest = sites
    assert [(r.package, r.folder, r.version) for r in manifest.releases] == [
        ("reference", "1.0.0", "1.0.0"), ("reference", "1.1.0", "1.1.0"), ("reference", "1.1.1", "1.1.1"),
        ("reference", "latest", "1.1.1"), ("safety", "0.3.0", "0.3.0"), ("safety", "latest", "0.3.0")]
    old = next(r for r in manifest.releases if r.folder == "1.0.0")
    assert old.descriptor == _descriptor(third, "reference", "1.0.0")
    assert [r["version"] for r in old.changelog["releases"]] == ["1.0.0"]
    # The site writes a page into every release folder; the next build writes it afresh.
    previous = tmp_path / "previous"
    shutil.copytree(third, previous)
    for folder in ("1.0.0", "1.1.1", "latest"):
        (previous / "data" / "reference" / folder / "index.html").write_text("page", encoding="utf-8")
    (previous / "data" / "reference" / "1.0.0" / "data" / "index.html").write_text("file", encoding="utf-8")
    fourth = tmp_path / "fourth"
    again = export(make_catalog(reference_version="1.1.1", districts=CHANGED_DISTRICTS, describe="描述已更正。"),
                   fourth, reference_date=THIRD_DATE, previous=previous)
    assert not list((fourth / "data").glob("*/*/index.html"))
    assert (fourth / "data" / "reference" / "1.0.0" / "data" / "index.html").is_file()  # a file of the release
    assert "data/reference/1.0.0/data/index.html" in {e.path for e in again.files}


def test_a_version_published_again_keeps_its_bytes_when_other_libraries_write_it(sites, tmp_path, monkeypatch):
    """Another zlib-ng (other deflate bytes) and another Parquet writer (other footer) must
    not give a published version new checksums: every file whose content is the same takes
    back the bytes the site serves, and the published digests are those of the first build."""
    import pyarrow.parquet as pq
    from zlib_ng import zlib_ng

    from pipeline.export import files, parquetfile

    first, _, _, _ = sites
    monkeypatch.setattr(files, "deflater", lambda info: zlib_ng.compressobj(1, zlib_ng.DEFLATED, -15))
    real = pq.write_table
    monkeypatch.setattr(parquetfile.pq, "write_table",
                        lambda table, where, **options: real(table, where, **{**options, "compression": "gzip"}))
    manifest = export(make_catalog(), tmp_path / "site", reference_date=SECOND_DATE, previous=first)
    site = tmp_path / "site"
    for package, version in (("safety", "0.3.0"), ("reference", "1.0.0")):
        written = sorted(p.relative_to(site / "data" / package / version)
                         for p in (site / "data" / package / version).rglob("*") if p.is_file())
        assert any(p.suffix == ".zip" for p in written) and any(p.suffix == ".parquet" for p in written)
        for path in written:
            assert (site / "data" / package / version / path).read_bytes() == \
                (first / "data" / package / version / path).read_bytes(), path
    assert _descriptor(site, "safety") == _descriptor(first, "safety")
    published = {e.path: e.sha256 for e in manifest.files if "/safety/0.3.0/" in e.path}
    assert published and all(files.sha256(site / path) == digest for path, digest in published.items())
    # Not vacuous: without the published release the same build writes other bytes.
    export(make_catalog(), tmp_path / "alone", reference_date=REFERENCE_DATE)
    for name in ("safety.zip", "data/accidents.parquet", f"data/{XLSX.filename('accidents', 'safety')}"):
        assert (tmp_path / "alone/data/safety/0.3.0" / name).read_bytes() != \
            (first / "data/safety/0.3.0" / name).read_bytes(), name


def test_same_content_tells_other_bytes_from_other_content(tmp_path):
    """The rule :mod:`pipeline.export.kept` keeps bytes by: a ZIP container compressed
    otherwise is the same, one entry changed is not; a Parquet file written with another codec
    is the same, another row or other metadata is not; other files are left to their digest."""
    import zipfile

    import pyarrow.parquet as pq

    from pipeline.export.kept import same_content

    def archive(path, text, level):
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as z:
            info = zipfile.ZipInfo("data/a.csv", date_time=(2026, 12, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text, compresslevel=level)
        return path

    text = "code,name\n" + "".join(f"{i},企业{i % 13}\n" for i in range(3000))
    one, nine = archive(tmp_path / "1.zip", text, 1), archive(tmp_path / "9.zip", text, 9)
    assert one.read_bytes() != nine.read_bytes() and same_content(one, nine)
    other = archive(tmp_path / "o.zip", text.replace("企业5", "企业6", 1), 9)
    assert not same_content(other, nine)
    table = pa.table({"code": list(range(100)), "name": [f"企业{i}" for i in range(100)]})
    pq.write_table(table, tmp_path / "a.parquet", compression="snappy")
    pq.write_table(table, tmp_path / "b.parquet", compression="gzip")
    assert same_content(tmp_path / "a.parquet", tmp_path / "b.parquet")
    pq.write_table(table.slice(1), tmp_path / "c.parquet", compression="gzip")
    assert not same_content(tmp_path / "c.parquet", tmp_path / "a.parquet")
    pq.write_table(table.replace_schema_metadata({"title": "另一个"}), tmp_path / "d.parquet")
    assert not same_content(tmp_path / "d.parquet", tmp_path / "a.parquet")
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    assert not same_content(tmp_path / "a.csv", tmp_path / "a.csv")  # not a container: its digest decides
