"""The credit section: lookup shards of bounded size from which every enterprise can be
found (by its code and by a fragment of its name), the public blacklist without any
expired listing, and data that stays text in shards and pages."""

from __future__ import annotations

import contextlib
import csv
import json
import re
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.build import build
from pipeline.pages.credit import (
    _decode,
    _fragment,
    _plan,
    _stop_shards,
    lookup_budget,
    query_cost,
)
from pipeline.pages.lookup_index import fnv1a, normalise

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
CREDIT = DATAPACKAGES / "enterprise-credit" / "data"
REFERENCE_DATE = date(2016, 1, 1)
HOSTILE = "常州示例<img src=x onerror=alert(1)>有限公司"


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def site(site) -> Path:
    """The folder of the site each worker builds once from the committed data for
    2016-01-01 (``conftest.site``): these tests only read it."""
    return site.out


def _published_texts(site: Path) -> dict[Path, str]:
    """The text of every file the site publishes, the downloads included: ZIP and XLSX
    members unpacked, Parquet and SQLite read as tables, so an identity cannot hide in a
    compressed or binary format."""
    out = {}
    for p in site.rglob("*"):
        if not p.is_file():
            continue
        if p.suffix in (".zip", ".xlsx"):
            with zipfile.ZipFile(p) as archive:
                out[p] = "\n".join(archive.read(n).decode("utf-8", "replace")
                                   for n in archive.namelist())
        elif p.suffix == ".parquet":
            out[p] = str(pq.read_table(p).to_pylist())
        elif p.suffix == ".sqlite":
            with contextlib.closing(sqlite3.connect(p)) as connection:
                out[p] = "\n".join(connection.iterdump())
        elif p.suffix in (".gz", ".png", ".ico", ".woff", ".woff2"):
            continue
        else:
            out[p] = p.read_text("utf-8", errors="replace")
    return out


def _listing_state(row: dict) -> str:
    ref = REFERENCE_DATE.isoformat()
    if row["listed"] > ref:
        return "future"
    if row["removed"] and row["removed"] <= ref and row["removed"] < row["expires"]:
        return "removed"
    return "expired" if row["expires"] <= ref else "active"


def test_pages_exist(site):
    for page in ("credit", "credit/grades", "credit/blacklist", "credit/hazards",
                 "credit/certificates"):
        html = (site / page / "index.html").read_text("utf-8")
        assert "合成数据" in html
    assert "示例" in (site / "credit" / "index.html").read_text("utf-8")


def test_shards_are_bounded_and_the_index_is_not_pages(site):
    index = site / "credit" / "index"
    records = list(index.glob("r/*.json"))
    grams = list(index.glob("g/*.json"))
    assert records and grams
    assert max(p.stat().st_size for p in records) <= 16_000
    assert max(p.stat().st_size for p in grams) <= 32_000
    assert (index / "meta.json").stat().st_size <= 32_000
    assert not list(index.rglob("*.html"))
    assert len(list((site / "credit").rglob("index.html"))) == 5  # the pages above


def test_every_enterprise_is_found_by_code_and_by_name(site):
    index = site / "credit" / "index"
    meta = json.loads((index / "meta.json").read_text("utf-8"))
    width = 2 + len(meta["years"])
    cache: dict[Path, object] = {}

    def load(path: Path):
        if path not in cache:
            cache[path] = json.loads(path.read_text("utf-8"))
        return cache[path]

    enterprises = read_csv(CREDIT / "enterprises.csv")
    assert meta["enterprises"] == len(enterprises)
    for e in enterprises:
        shard = load(index / "r" / f"{fnv1a(e['uscc'].encode()) % meta['record_shards']}.json")
        position = next(i for i, r in enumerate(shard) if r[0] == e["uscc"])
        assert shard[position][1] == e["name"]
        own_id = (fnv1a(e["uscc"].encode()) % meta["record_shards"]) * meta["record_width"] \
            + position
        query = "".join(normalise(_fragment(e["name"])).split())
        stop = set()  # what the browser fetches first: the stop grams of the query's prefixes
        for k in _stop_shards(query, meta):
            for chain in load(index / "s" / f"{k}.json").values():
                stop.update(chain)
        grams = _plan(query, meta, stop)
        assert grams, query
        for gram in grams:
            postings = load(index / "g" / f"{fnv1a(gram.encode()) % meta['gram_shards']}.json")
            assert own_id in _decode(postings[gram], width), (e["name"], gram)


def test_a_query_costs_little(site):
    budget = lookup_budget(site, sample=100)
    assert budget["queries"] == 200
    assert budget["bytes_max"] < 150_000
    assert query_cost(site / "credit" / "index", "示例")["candidates"] == 0  # too general


def test_no_expired_listing_is_published_with_identity(site):
    listings = read_csv(CREDIT / "blacklist.csv")
    names = {e["uscc"]: e["name"] for e in read_csv(CREDIT / "enterprises.csv")}
    states = {row["listing_id"]: _listing_state(row) for row in listings}
    gone = [row for row in listings if states[row["listing_id"]] in ("expired", "removed")]
    active = [row for row in listings if states[row["listing_id"]] == "active"]
    assert gone and active, "the sample should have both kinds"
    active_usccs = {row["uscc"] for row in active}
    hidden = {row["uscc"] for row in gone} - active_usccs
    assert hidden

    texts = _published_texts(site)
    for row in gone:
        assert not [p for p, text in texts.items() if row["listing_id"] in text]
    for row in active:
        assert row["listing_id"] in texts[site / "credit" / "blacklist" / "index.html"]

    # The blacklist page names none of them (an enterprise may still appear elsewhere for
    # what is current, e.g. an open supervised hazard, and every one is in the lookup).
    blacklist = texts[site / "credit" / "blacklist" / "index.html"]
    for uscc in hidden:
        assert uscc not in blacklist and names[uscc] not in blacklist
    # ... and in the lookup its record lists no listing.
    lookup = site / "credit" / "index"
    meta = json.loads((lookup / "meta.json").read_text("utf-8"))
    for uscc in hidden:
        shard = json.loads((lookup / "r" / f"{fnv1a(uscc.encode()) % meta['record_shards']}.json")
                           .read_text("utf-8"))
        record = next(r for r in shard if r[0] == uscc)
        assert record[8] == []


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, str]:
    """A copy of the data in which an actively blacklisted enterprise has a hostile name."""
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(DATAPACKAGES, data)
    listings = read_csv(CREDIT / "blacklist.csv")
    uscc = next(r["uscc"] for r in listings if _listing_state(r) == "active")
    path = data / "enterprise-credit" / "data" / "enterprises.csv"
    rows = read_csv(path)
    for row in rows:
        if row["uscc"] == uscc:
            row["name"] = HOSTILE
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    descriptor = data / "enterprise-credit" / "datapackage.json"
    package = json.loads(descriptor.read_text("utf-8"))
    for resource in package["resources"]:  # the edited file no longer has the declared hash
        resource.pop("hash", None)
        resource.pop("bytes", None)
    descriptor.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    out = root / "site"
    build(data, out, reference_date=REFERENCE_DATE)
    return out, uscc


def test_a_hostile_name_stays_text(hostile_site):
    site, uscc = hostile_site
    raw = "<img src=x onerror=alert(1)>"
    for p, text in _published_texts(site).items():
        # Pages, images and the JSON the pages load must hold it escaped; the downloads
        # (under data/) hold it as the literal value it is, which the campaign tests check.
        downloads = p.relative_to(site).parts[0] == "data" and p.suffix != ".html"
        if p.name != "search_index.json" and not downloads:  # search holds page text
            assert raw not in text, p
    blacklist = (site / "credit" / "blacklist" / "index.html").read_text("utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in blacklist
    meta = json.loads((site / "credit" / "index" / "meta.json").read_text("utf-8"))
    shard = site / "credit" / "index" / "r" / f"{fnv1a(uscc.encode()) % meta['record_shards']}.json"
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in shard.read_text("utf-8")
    assert any(r[1] == HOSTILE for r in json.loads(shard.read_text("utf-8")))


def test_long_lists_are_cut_and_point_to_the_complete_downloads(tmp_path, monkeypatch):
    """Open hazards and active listings grow with the data; the pages carry at most
    ROWS_IN_HTML of each (most urgent, newest first), say how many there are, and link the
    complete tables, which the export publishes at those addresses."""
    from pipeline.derive import derive
    from pipeline.export import export
    from pipeline.load import load_catalog
    from pipeline.pages import core, write_docs
    from pipeline.validate import validate_catalog

    catalog = load_catalog([DATAPACKAGES])
    validate_catalog(catalog)
    derive(catalog, reference_date=REFERENCE_DATE)
    open_hazards = [r for r in catalog.table("derived", "hazard_rectification").to_pylist()
                    if r["status"] in ("open", "overdue_open")]
    listings = catalog.table("derived", "blacklist_public").num_rows
    assert len(open_hazards) > 3 and listings > 3
    manifest = export(catalog, tmp_path / "downloads", reference_date=REFERENCE_DATE)
    monkeypatch.setattr(core, "ROWS_IN_HTML", 3)
    write_docs(catalog, tmp_path / "docs", manifest=manifest, reference_date=REFERENCE_DATE,
               assets_dir=tmp_path / "assets")

    hazards = (tmp_path / "docs" / "credit" / "hazards" / "index.md").read_text("utf-8")
    open_table = hazards.split("{ #open }")[1]
    assert open_table.count("<tr><th scope=\"row\">") == 3
    assert f"共 {len(open_hazards):,} 项" in open_table
    blacklist = (tmp_path / "docs" / "credit" / "blacklist" / "index.md").read_text("utf-8")
    active = blacklist.split("{ #active }")[1].split("{ #expired }")[0]
    assert active.count('<tr><th scope="row">') == 3
    assert f"（{listings} 条）" in active and f"共 {listings:,} 项" in active
    for page in (hazards, blacklist):
        for href in re.findall(r'href="\.\./\.\./(data/derived/latest/data/[^"]+)"', page):
            assert (tmp_path / "downloads" / href).is_file(), href
    assert 'href="../../data/derived/latest/data/hazard_rectification.csv"' in hazards
    assert 'href="../../data/derived/latest/data/changzhou-work-safety_derived_blacklist_public.xlsx"' in blacklist
    # the lookup shards and the accident list's data go beside the docs, not into them
    assert (tmp_path / "assets" / "credit" / "index" / "meta.json").is_file()
    assert (tmp_path / "assets" / "accidents" / "accidents.json").is_file()
    assert not (tmp_path / "docs" / "credit" / "index").exists()


def test_the_index_is_written_once_and_every_edition_reads_it(site):
    """The lookup index speaks no language: the root edition has it, the English page's
    data-index leads to that copy (built once, not once per edition)."""
    assert (site / "credit" / "index" / "meta.json").is_file()
    assert not (site / "en" / "credit" / "index").exists()
    for page, folder in ((site / "credit" / "index.html", site / "credit"),
                         (site / "en" / "credit" / "index.html", site / "en" / "credit")):
        base = re.search(r'class="lookup" data-index="([^"]+)"', page.read_text("utf-8"))[1]
        meta = json.loads((folder / base / "meta.json").read_text("utf-8"))
        assert (folder / base).resolve() == (site / "credit" / "index").resolve()
        text = page.read_text("utf-8")
        assert f'{meta["enterprises"]:,}' in text  # the count the page states is the index's
        select = re.search(r'<select name="year">(.*?)</select>', text)[1]
        assert re.findall(r'<option value="(\d+)">', select) == [str(y) for y in meta["years"]]


@pytest.fixture(scope="module")
def derived_catalog():
    from pipeline.derive import derive
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    catalog = load_catalog([DATAPACKAGES])
    validate_catalog(catalog)
    derive(catalog, reference_date=REFERENCE_DATE)
    return catalog


def test_the_index_is_made_by_another_process_while_the_pages_are_written(
        derived_catalog, tmp_path, monkeypatch):
    import os

    from pipeline.pages import credit, write_docs

    made_by = tmp_path / "made-by"

    def index_files(ctx, ref, params=None):
        made_by.write_text(str(os.getpid()))
        return original(ctx, ref, params)

    original = credit._index_files
    monkeypatch.setattr(credit, "_index_files", index_files)
    write_docs(derived_catalog, tmp_path / "docs", reference_date=REFERENCE_DATE,
               assets_dir=tmp_path / "assets")
    assert int(made_by.read_text()) != os.getpid()
    meta = json.loads((tmp_path / "assets" / "credit" / "index" / "meta.json").read_text("utf-8"))
    assert meta["enterprises"] == derived_catalog.table("enterprise-credit", "enterprises").num_rows
    assert (tmp_path / "docs" / "credit" / "index.md").is_file()


def test_a_failure_making_the_index_fails_the_pages_with_its_error(
        derived_catalog, tmp_path, monkeypatch):
    import errno

    from pipeline.pages import context, write_docs

    original = context.write_file

    def full(path, content):
        if "index" in Path(path).parts and "credit" in Path(path).parts:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        original(path, content)

    monkeypatch.setattr(context, "write_file", full)
    with pytest.raises(OSError) as raised:
        write_docs(derived_catalog, tmp_path / "docs", reference_date=REFERENCE_DATE,
                   assets_dir=tmp_path / "assets")
    assert raised.value.errno == errno.ENOSPC
    assert (tmp_path / "assets" / "credit" / "index") in Path(raised.value.filename).parents
