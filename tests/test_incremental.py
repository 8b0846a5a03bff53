"""Incremental builds: unchanged inputs skip work, changed inputs rebuild what depends on them,
and an incremental build publishes the same bytes as a build with an empty cache."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import one_edition

from pipeline.build import InvalidData, build
from pipeline.cache import (
    RECORD,
    build_key,
    code_digest,
    published_key,
    tree_digests,
    up_to_date,
)
from pipeline.config import load_config
from pipeline.editions import editions_key
from pipeline.export.formats import CSV, PARQUET, RESOURCE_FORMATS, XLSX

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
DAY = date(2016, 1, 1)
CONFIG = one_edition()  # the cache works alike for every edition: half the pages to build
EDITIONS = editions_key(CONFIG.site.languages)  # what the build's key names


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A clean build of the shipped data (empty cache) and the cache it left."""
    root = tmp_path_factory.mktemp("incremental")
    data = root / "data"
    shutil.copytree(DATAPACKAGES, data)
    out, cache = root / "site", root / "cache"
    log = build(data, out, reference_date=DAY, cache=cache, config=CONFIG)
    return {"root": root, "data": data, "out": out, "cache": cache, "log": log,
            "files": tree_digests(out)}


def _copy_site(first, target: Path) -> Path:
    shutil.copytree(first["out"], target, symlinks=True)
    return target


def _change_one_row(data: Path) -> None:
    """Rename one enterprise and raise the package version, as a publisher would."""
    csv = data / "enterprise-credit" / "data" / "enterprises.csv"
    lines = csv.read_text(encoding="utf-8").split("\n")
    uscc, name, rest = lines[1].split(",", 2)
    lines[1] = ",".join([uscc, name.replace("有限公司", "改名有限公司"), rest])
    # what the test reads from this change: the enterprise has credit ratings, no certificates
    folder = data / "enterprise-credit" / "data"
    assert uscc in (folder / "credit_ratings.csv").read_text(encoding="utf-8")
    assert uscc not in (folder / "certificates.csv").read_text(encoding="utf-8")
    csv.write_text("\n".join(lines), encoding="utf-8")
    descriptor = data / "enterprise-credit" / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    major, minor, patch = package["version"].split(".")
    package["version"] = f"{major}.{minor}.{int(patch) + 1}"
    descriptor.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_first_build_writes_everything_and_records_its_key(first):
    log = first["log"]
    assert not log.skipped
    assert log.stages == ["load", "validate", "derive", "export", "pages", "mkdocs", "sitecheck"]
    assert log.exported and set(log.exported.values()) == {"written"}
    assert published_key(first["out"]) == log.key


def test_noop_rebuild_skips_every_stage_and_leaves_out_as_it_was(first):
    log = build(first["data"], first["out"], reference_date=DAY, cache=first["cache"], config=CONFIG)
    assert log.skipped and log.stages == [] and log.key == first["log"].key
    assert tree_digests(first["out"]) == first["files"]


def test_rebuilding_over_the_output_gives_the_same_bytes(first, tmp_path):
    # Skipping is exact only because a full rebuild over an intact ``out`` is a fixed point.
    out = _copy_site(first, tmp_path / "site")
    log = build(first["data"], out, reference_date=DAY, config=CONFIG)  # no cache: every stage runs
    assert not log.skipped and log.ran("mkdocs")
    assert {k: v for k, v in tree_digests(out).items() if k != RECORD} == \
        {k: v for k, v in first["files"].items() if k != RECORD}


def test_one_row_change_rebuilds_its_package_and_equals_a_clean_build(first, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(first["data"], data)
    _change_one_row(data)
    warm = tmp_path / "warm-cache"
    shutil.copytree(first["cache"], warm)

    incremental = _copy_site(first, tmp_path / "incremental")
    log = build(data, incremental, reference_date=DAY, cache=warm, config=CONFIG)
    assert not log.skipped
    assert log.ran("validate") and log.ran("derive") and log.ran("export")
    exported = log.exported
    def label(fmt, resource):  # as the build logs a file: <package>/<file name>
        return f"enterprise-credit/{fmt.filename(resource, 'enterprise-credit')}"

    changed = {label(fmt, "enterprises"): exported.get(label(fmt, "enterprises"))
               for fmt in RESOURCE_FORMATS}
    assert set(changed.values()) == {"written"}, changed
    # the renamed enterprise has credit ratings: their download names it (uscc_name_zh), so
    # its CSV is written again with the new name
    ratings = incremental / "data" / "enterprise-credit" / "latest" / "data" / CSV.filename("credit_ratings")
    assert exported[label(CSV, "credit_ratings")] == "written"
    assert "改名有限公司" in ratings.read_text(encoding="utf-8")
    # it has no certificates: the package's new version is inside each Parquet file and each
    # workbook's title, but not in the CSV, which is reused
    assert exported[label(PARQUET, "certificates")] == "written"
    assert exported[label(XLSX, "certificates")] == "written"
    assert exported[label(CSV, "certificates")] == "reused"
    untouched = {k: v for k, v in exported.items()
                 if k.startswith(("reference/", "indicator-progress/", "accident-outcomes/"))}
    assert untouched and set(untouched.values()) == {"reused"}
    # the SQLite database is assembled from one database per table: only the changed
    # tables' rows are written again
    assert exported["sqlite/enterprise_credit__enterprises"] == "written"
    assert exported["sqlite/enterprise_credit__credit_ratings"] == "written"  # it names the enterprise
    assert exported["sqlite/enterprise_credit__certificates"] == "reused"
    assert exported["sqlite/reference__districts"] == "reused"
    # the SQLite file holds every table: it carries the new name
    sqlite = (incremental / "data" / "changzhou-work-safety.sqlite").read_bytes()
    assert "改名有限公司".encode() in sqlite
    assert "改名有限公司".encode() not in (first["out"] / "data" / "changzhou-work-safety.sqlite").read_bytes()

    # the report pages (outside the navigation and the search index) did not change: they
    # were taken from the cache's store, not rendered
    reports = len(list((incremental / "reports").glob("*/index.html")))
    assert reports and log.reused_pages >= reports

    clean = _copy_site(first, tmp_path / "clean")
    clean_log = build(data, clean, reference_date=DAY, cache=tmp_path / "empty-cache", config=CONFIG)
    assert set(clean_log.exported.values()) == {"written"} and clean_log.reused_pages == 0
    assert tree_digests(incremental) == tree_digests(clean)
    assert tree_digests(incremental) != first["files"]


def test_metadata_change_rewrites_that_package_only(first, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(first["data"], data)
    descriptor = data / "reference" / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    package["keywords"] = [*package.get("keywords", []), "增量构建"]
    descriptor.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    out = _copy_site(first, tmp_path / "site")
    log = build(data, out, reference_date=DAY, cache=first["cache"], config=CONFIG)
    assert not log.skipped and log.ran("mkdocs")
    # package metadata is inside the Parquet files (and only there among the downloads)
    assert {v for k, v in log.exported.items()
            if k.startswith("reference/") and k.endswith(".parquet")} == {"written"}
    assert log.exported["reference/districts.csv"] == "reused"
    assert {v for k, v in log.exported.items() if k.startswith("enterprise-credit/")} == {"reused"}
    published = json.loads((out / "data" / "reference" / "latest" / "datapackage.json").read_text())
    assert "增量构建" in published["keywords"]


def test_reference_date_language_and_previous_site_are_part_of_the_key(first, tmp_path):
    def key(**options):
        settings = {"reference_date": DAY, "lang": EDITIONS, "previous": None} | options
        return build_key(first["data"], **settings)

    assert key() == first["log"].key
    assert key(reference_date=date(2016, 1, 2)) != key()
    assert key(lang=editions_key(load_config().site.languages)) != key()  # another set of editions
    assert key(previous=first["out"]) != key()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "0")
        assert key() != first["log"].key
    assert not up_to_date(first["data"], first["out"], reference_date=date(2016, 1, 2),
                          lang=EDITIONS, previous=None)[0]


def test_code_digest_follows_templates_and_code_not_bytecode(tmp_path):
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "pipeline", tree / "pipeline",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "site", tree / "site")
    shutil.copyfile(ROOT / "mkdocs.yml", tree / "mkdocs.yml")
    before = code_digest(tree)
    cache_dir = tree / "pipeline" / "__pycache__"
    cache_dir.mkdir()
    (cache_dir / "x.cpython-311.pyc").write_bytes(b"\0")
    assert code_digest(tree) == before
    template = next((tree / "pipeline" / "pages" / "templates").glob("*.j2"))
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after_template = code_digest(tree)
    assert after_template != before
    (tree / "site" / "docs" / "en" / "about.md").write_text("# changed\n", encoding="utf-8")
    assert code_digest(tree) != after_template



@pytest.mark.parametrize("library", ["zlib-ng", "adbc-driver-sqlite", "pyarrow"])
def test_code_digest_follows_the_libraries_that_write_the_downloads(monkeypatch, library):
    """Another zlib-ng deflates the ZIP and XLSX downloads into other bytes (and another
    ADBC driver writes each table's SQLite file): cached files made by the old one must not
    be reused, so its version is part of the code's digest."""
    from pipeline import cache

    real = cache.metadata.version
    before = code_digest(ROOT)
    monkeypatch.setattr(cache.metadata, "version",
                        lambda name: "0.0.0-other" if name == library else real(name))
    assert code_digest(ROOT) != before

@pytest.mark.parametrize("damage", ["edit", "delete", "add"])
def test_a_changed_output_is_not_trusted(first, tmp_path, damage):
    out = _copy_site(first, tmp_path / "site")
    assert published_key(out) == first["log"].key
    page = out / "index.html"
    if damage == "edit":
        page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>x</p></body>"))
    elif damage == "delete":
        (out / "data" / "manifest.json").unlink()
    else:
        (out / "extra.html").write_text("<p>not built</p>", encoding="utf-8")
    assert published_key(out) is None


def test_an_edited_output_is_rebuilt_to_the_clean_bytes(first, tmp_path):
    out = _copy_site(first, tmp_path / "site")
    target = out / "data" / "reference" / "latest" / "data" / "districts.csv"
    target.write_bytes(target.read_bytes() + b"tampered\n")
    log = build(first["data"], out, reference_date=DAY, cache=first["cache"], config=CONFIG)
    assert not log.skipped and log.ran("export")
    assert set(log.exported.values()) == {"reused"}  # the cache, not the edited file, is copied
    assert tree_digests(out) == first["files"]


def test_a_download_edited_in_place_is_not_reused_through_its_hard_link(first, tmp_path):
    # Cached downloads are hard-linked into the site, so an edit in place reaches the cache
    # entry as well; the entry's digest is checked before reuse, so the edit goes nowhere.
    cache, out = tmp_path / "cache", tmp_path / "site"
    build(first["data"], out, reference_date=DAY, cache=cache, config=CONFIG)
    # the release folder's file, which went into the cache (``latest`` is a copy of it)
    version = json.loads((out / "data" / "reference" / "latest" / "datapackage.json")
                         .read_text(encoding="utf-8"))["version"]
    target = out / "data" / "reference" / version / "data" / "districts.csv"
    with target.open("r+b") as handle:  # same inode: what an editor saving in place does
        handle.seek(0, 2)
        handle.write(b"tampered\n")
    log = build(first["data"], out, reference_date=DAY, cache=cache, config=CONFIG)
    assert not log.skipped
    assert log.exported["reference/districts.csv"] == "written"
    assert tree_digests(out) == first["files"]


def test_lookup_shards_are_linked_from_the_replaced_site_only_when_their_bytes_match(
        first, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(first["data"], data)
    _change_one_row(data)
    out = _copy_site(first, tmp_path / "site")
    shards = sorted((out / "credit" / "index" / "r").glob("*.json"))
    tampered, kept = shards[0], shards[1]
    with tampered.open("r+b") as handle:  # same length, other bytes
        handle.write(b"[" + b" " * (tampered.stat().st_size - 2) + b"]")
    before = {p.name: os.stat(p).st_ino for p in (tampered, kept)}
    build(data, out, reference_date=DAY, cache=first["cache"], config=CONFIG)
    clean = _copy_site(first, tmp_path / "clean")  # the same previous release, untampered
    build(data, clean, reference_date=DAY, cache=tmp_path / "empty-cache", config=CONFIG)
    assert tree_digests(out) == tree_digests(clean)  # the tampered shard was written afresh
    index = out / "credit" / "index" / "r"
    assert os.stat(index / kept.name).st_ino == before[kept.name]  # an equal one was linked
    assert os.stat(index / tampered.name).st_ino != before[tampered.name]


def test_damaged_cache_entries_are_written_afresh(first, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(first["cache"], cache)
    entries = list((cache / "export").rglob("file"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"damaged\n")
    out = tmp_path / "site"
    log = build(first["data"], out, reference_date=DAY, cache=cache, config=CONFIG)
    assert set(log.exported.values()) == {"written"}
    assert tree_digests(out) == first["files"]
    again = build(first["data"], tmp_path / "again", reference_date=DAY, cache=cache, config=CONFIG)
    assert set(again.exported.values()) == {"reused"}  # the entries were repaired
    assert tree_digests(tmp_path / "again") == first["files"]


def test_invalid_data_with_a_warm_cache_still_fails_and_leaves_out_untouched(first, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(first["data"], data)
    csv = data / "reference" / "data" / "districts.csv"
    lines = csv.read_text(encoding="utf-8").split("\n")
    lines[1] = "not-a-code" + lines[1][lines[1].index(","):]
    csv.write_text("\n".join(lines), encoding="utf-8")
    out = _copy_site(first, tmp_path / "site")
    with pytest.raises(InvalidData):
        build(data, out, reference_date=DAY, cache=first["cache"], config=CONFIG)
    assert tree_digests(out) == first["files"]
    assert published_key(out) == first["log"].key


def test_a_week_later_the_report_pages_are_reused_and_the_site_equals_a_clean_build(first, tmp_path):
    """The weekly rebuild: statuses move with the date, the report pages do not, and no
    template writes the build date, so they come from the cache; the bytes are a clean
    build's all the same."""
    from datetime import timedelta

    later = DAY + timedelta(days=7)
    warm = tmp_path / "warm-cache"
    shutil.copytree(first["cache"], warm)
    incremental = _copy_site(first, tmp_path / "incremental")
    log = build(first["data"], incremental, reference_date=later, cache=warm, config=CONFIG)
    assert log.reused_pages >= len(list((incremental / "reports").glob("*/index.html"))) > 0
    clean = _copy_site(first, tmp_path / "clean")
    clean_log = build(first["data"], clean, reference_date=later, cache=tmp_path / "empty", config=CONFIG)
    assert clean_log.reused_pages == 0
    assert tree_digests(incremental) == tree_digests(clean)
