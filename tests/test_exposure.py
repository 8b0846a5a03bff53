"""The independent scan for listings out of force: which listings are hidden on a day, that an
id is found in every kind of file, that the trie-shaped expression finds exactly what a plain
substring search finds, and that remembered results never hide a change."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from pipeline.exposure import _pattern, exposed, hidden_ids, in_force

DAY = dt.date(2026, 12, 7)


def test_a_listing_is_in_force_from_its_listing_day_until_it_expires_or_is_removed():
    row = {"listing_id": "B1", "listed": "2026-01-10", "expires": "2027-01-10", "removed": ""}
    assert in_force(row, dt.date(2026, 1, 10)) and in_force(row, dt.date(2027, 1, 9))
    assert not in_force(row, dt.date(2026, 1, 9))  # not yet listed
    assert not in_force(row, dt.date(2027, 1, 10))  # the expiry day is the first day out of force
    assert not in_force({**row, "removed": "2026-06-01"}, dt.date(2026, 6, 1))
    assert in_force({**row, "removed": "2026-06-01"}, dt.date(2026, 5, 31))
    assert hidden_ids([row, {**row, "listing_id": "B2", "expires": "2026-12-07"}], DAY) == {"B2"}


@given(st.sets(st.from_regex(r"B20[0-9]{7}", fullmatch=True), min_size=1, max_size=40),
       st.lists(st.from_regex(r"[A-Z0-9 ,\"-]{0,30}", fullmatch=True), max_size=10), st.data())
def test_the_trie_expression_finds_what_a_substring_search_finds(ids, noise, data):
    planted = data.draw(st.lists(st.sampled_from(sorted(ids)), max_size=3))
    text = "|".join(noise[: len(noise) // 2] + planted + noise[len(noise) // 2:])
    found = {m.decode() for m in _pattern(ids).findall(text.encode())}
    assert found & ids == {i for i in ids if i in text}


def _site(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "page.html").write_text("<p>B201500001</p>", encoding="utf-8")
    with zipfile.ZipFile(root / "data" / "p.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/t.csv", "listing_id\nB201500002\n")
    pq.write_table(pa.table({"listing_id": ["B201500003"], "n": [1]}), root / "data" / "t.parquet",
                   compression="zstd")
    with sqlite3.connect(root / "data" / "all.sqlite") as db:
        db.execute("CREATE TABLE t (listing_id TEXT)")
        db.execute("INSERT INTO t VALUES ('B201500004')")
    db.close()
    (root / "data" / "clean.json").write_text('{"listing_id": "B201599999"}', encoding="utf-8")
    return root


def test_an_id_is_found_in_pages_archives_parquet_and_sqlite(tmp_path):
    site = _site(tmp_path / "site")
    ids = {"B201500001", "B201500002", "B201500003", "B201500004", "B201500005"}
    assert exposed(site, ids) == [("data/all.sqlite", "B201500004"), ("data/p.zip", "B201500002"),
                                  ("data/t.parquet", "B201500003"), ("page.html", "B201500001")]


def test_remembered_results_follow_the_bytes_and_what_is_looked_for(tmp_path):
    site = _site(tmp_path / "site")
    memo = tmp_path / "memo"
    assert exposed(site, {"B201500001"}, memo) == [("page.html", "B201500001")]
    assert exposed(site, {"B201500001"}, memo) == [("page.html", "B201500001")]  # from memory
    assert exposed(site, {"B201599999"}, memo) == [("data/clean.json", "B201599999")]  # other ids
    (site / "page.html").write_text("<p>nothing</p>", encoding="utf-8")
    assert exposed(site, {"B201500001"}, memo) == []  # other bytes
    (site / "data" / "clean.json").write_text('{"x": "B201500001"}', encoding="utf-8")
    assert exposed(site, {"B201500001"}, memo) == [("data/clean.json", "B201500001")]


# --- files read a block at a time -------------------------------------------------------

@given(st.sets(st.from_regex(r"B20[0-9]{7}", fullmatch=True), min_size=1, max_size=8),
       st.lists(st.from_regex(r"[A-Z0-9 ,\"-]{0,30}", fullmatch=True), max_size=12),
       st.integers(1, 40), st.data())
def test_an_id_across_a_block_boundary_is_found(ids, noise, block, data):
    """Blocks overlap by the longest id less one byte: the streamed scan finds exactly what a
    substring search of the whole text finds, whatever the block size."""
    import io
    from unittest import mock

    from pipeline import exposure

    planted = data.draw(st.lists(st.sampled_from(sorted(ids)), max_size=4))
    text = "".join(noise[: len(noise) // 2] + planted + noise[len(noise) // 2:]).encode()
    with mock.patch.object(exposure, "_BLOCK", block):
        found = exposure._in_stream(lambda: io.BytesIO(text), exposure._Look(ids, {})).ids
    assert found == {i for i in ids if i.encode() in text}


@given(st.lists(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), min_size=1, max_size=5, unique=True),
       st.sampled_from(["csv", "json", "none"]), st.text("ab,\n\"{}:", max_size=60), st.integers(1, 30))
def test_a_withheld_header_across_a_block_boundary_is_found(names, form, noise, block):
    import io
    from unittest import mock

    from pipeline import exposure

    body = {"csv": ",".join(names) + "\n1,2\n",
            "json": "[" + ",".join(f'{{"{n}": 1}}' for n in names) + "]",
            "none": ""}[form]
    text = (noise + body + noise).encode()
    signatures = {"p/t": names}
    with mock.patch.object(exposure, "_BLOCK", block):
        found = exposure._in_stream(lambda: io.BytesIO(text), exposure._Look(set(), signatures)).tables
    whole = text.decode()
    expected = ",".join(names) in whole or all(f'"{n}":' in whole for n in names)
    assert found == ({"p/t"} if expected else set())


def test_archives_are_scanned_member_by_member_without_reading_them_whole(tmp_path):
    """A member larger than a block, an id at its end, a database inside an archive inside
    an archive: all found with blocks of 64 bytes."""
    from unittest import mock

    from pipeline import exposure

    database = tmp_path / "inner.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (a TEXT, b INTEGER)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [("B201500007", 1), ("x B201500008", 2), (None, 3)])
    db.close()
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.write(database, "data/all.sqlite")
    outer = tmp_path / "site" / "outer.zip"
    outer.parent.mkdir()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/big.csv", "id\n" + "x" * 1000 + "B201500006\n")
        archive.write(inner, "nested/inner.zip")
    ids = {"B201500006", "B201500007", "B201500008"}
    with mock.patch.object(exposure, "_BLOCK", 64):
        # a cell holding more than the id is not that id in a database (cells are compared whole)
        assert exposed(outer.parent, ids) == [("outer.zip", "B201500006"), ("outer.zip", "B201500007")]


def test_hard_links_of_one_file_are_read_once_and_each_name_reported(tmp_path, monkeypatch):
    """A release's files and their links in latest/ are one file: scanned once, reported
    under every name (a copy with other bytes is scanned on its own)."""
    import os

    from pipeline import exposure

    site = tmp_path / "site"
    (site / "v1").mkdir(parents=True)
    (site / "latest").mkdir()
    (site / "v1" / "t.csv").write_text("id\nB201500009\n", encoding="utf-8")
    os.link(site / "v1" / "t.csv", site / "latest" / "t.csv")
    (site / "v1" / "u.csv").write_text("id\nB201500010\n", encoding="utf-8")
    reads = []
    real = exposure._in_file
    monkeypatch.setattr(exposure, "_in_file", lambda path, *a, **k: reads.append(path.name) or real(path, *a, **k))
    ids = {"B201500009", "B201500010"}
    assert exposed(site, ids) == [("latest/t.csv", "B201500009"), ("v1/t.csv", "B201500009"),
                                  ("v1/u.csv", "B201500010")]
    assert sorted(reads) == ["t.csv", "u.csv"]


# --- one pass for both questions and the checksums ---------------------------------------

_NAMES = ["listing_id", "uscc", "reason"]


def _reference(text: bytes, ids: set[str], names: list[str], cells: bool) -> tuple[set[str], bool]:
    """What a substring search of the whole text finds: the oracle of the streamed scan."""
    found = {i for i in ids if i.encode() in text}
    table = ",".join(names).encode() in text or all(f'"{n}":'.encode() in text for n in names)
    if cells:
        table = table or all(f">{n}<".encode() in text for n in names)
    return found, table


_PIECES = st.sampled_from([*(f'"{n}":' for n in _NAMES), *(f">{n}<" for n in _NAMES), ",".join(_NAMES),
                           "B201500001", "B201500002", "listing_id,uscc", '"uscc"', "x", "\n", "é"])


@given(st.lists(_PIECES, max_size=14), st.integers(1, 40))
def test_the_streamed_scan_finds_what_a_search_of_the_whole_text_finds(pieces, block):
    """The first pass tests each table's first needle only and a second pass the others,
    only where it was met: whatever the order of the pieces and the block size, the result
    is that of a substring search of the whole text."""
    import io
    from unittest import mock

    from pipeline import exposure

    text = "".join(pieces).encode()
    ids = {"B201500001", "B201500003"}
    look = exposure._Look(ids, {"p/t": _NAMES})
    with mock.patch.object(exposure, "_BLOCK", block):
        found = exposure._in_stream(lambda: io.BytesIO(text), look)
    expected_ids, expected_table = _reference(text, ids, _NAMES, cells=False)
    assert found.ids == expected_ids
    assert found.tables == ({"p/t"} if expected_table else set())


@given(st.lists(st.lists(_PIECES, max_size=6), min_size=1, max_size=4), st.integers(1, 40))
def test_a_workbook_shows_a_withheld_table_when_its_cells_name_every_column_across_members(members, block):
    """An XLSX's cells are gathered over all its parts (shared strings, sheets): a workbook
    shows the table when every column name is a cell somewhere in it."""
    import tempfile
    from unittest import mock

    from pipeline import exposure

    texts = ["".join(pieces).encode() for pieces in members]
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "t.xlsx"
        with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
            for index, text in enumerate(texts):
                archive.writestr(f"xl/part{index}.xml", text)
        with mock.patch.object(exposure, "_BLOCK", block):
            found = exposure._in_file(book, exposure._Look({"B201500002"}, {"p/t": _NAMES}))
    per_member = [_reference(text, {"B201500002"}, _NAMES, cells=False) for text in texts]
    across = all(any(f">{n}<".encode() in text for text in texts) for n in _NAMES)
    assert found.ids == set().union(*(ids for ids, _ in per_member))
    assert found.tables == ({"p/t"} if across or any(table for _, table in per_member) else set())


def test_one_pass_reads_each_file_once_and_takes_its_checksum(tmp_path, monkeypatch):
    """Without remembered results a plain file is opened once for the ids, the tables and its
    SHA-256; a second time only where a table's first column key was met. The digests are
    those of the files' bytes, archives and databases included, under every name of a file."""
    import hashlib
    import os

    from pipeline import exposure

    site = _site(tmp_path / "site")
    (site / "data" / "rows.json").write_text('[{"listing_id": "B1", "uscc": "9"}]', encoding="utf-8")
    (site / "latest").mkdir()
    os.link(site / "data" / "clean.json", site / "latest" / "clean.json")
    opened = []

    def counting(path, *args, **options):
        opened.append(Path(path).name)
        return open(path, *args, **options)  # the caller closes it

    monkeypatch.setattr(exposure, "open", counting, raising=False)
    scan = exposure.scan_site(site, ids={"B201500001", "B201500002"}, signatures={"p/t": _NAMES})
    assert opened.count("page.html") == 1
    assert opened.count("clean.json") == 2  # its first key is "listing_id": read again for "uscc"
    assert opened.count("rows.json") == 2
    assert scan.exposed == [("data/p.zip", "B201500002"), ("page.html", "B201500001")]
    assert scan.withheld == []  # rows.json lacks "reason"
    names = sorted(exposure.site_files(site))
    assert sorted(scan.digests) == names
    assert scan.digests == {name: hashlib.sha256((site / name).read_bytes()).hexdigest() for name in names}


def test_every_text_column_of_a_database_is_tested_in_one_pass(tmp_path):
    from pipeline import exposure

    path = tmp_path / "all.sqlite"
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE "odd ""name""" (a TEXT, b TEXT, n INTEGER, c)')
        db.executemany('INSERT INTO "odd ""name""" VALUES (?, ?, ?, ?)',
                       [("B1", "x", 1, None), ("y", "B2", 2, "B3"), ("z", "B4 and more", 3, 4), (None, None, 5, 6)])
        db.execute("CREATE TABLE empty (a TEXT)")
    db.close()
    assert exposure._found_in_sqlite(path, {"B1", "B2", "B3", "B4", "B5"}) == {"B1", "B2", "B3"}


def test_files_scanned_on_threads_all_give_their_result_and_a_fault_is_raised():
    import pytest

    from pipeline import exposure

    items = list(range(200))
    assert exposure._on_threads(items, lambda i: i * i, threads=3) == {i: i * i for i in items}
    assert exposure._on_threads([], lambda i: i) == {}

    def faulty(item):
        if item == 57:
            raise RuntimeError("scan fault")
        return item

    with pytest.raises(RuntimeError, match="scan fault"):
        exposure._on_threads(items, faulty)


# --- the downloads scanned while the pages are written ------------------------------------

def _scan_everything(site: Path) -> dict:
    from pipeline import exposure

    scan = exposure.scan_site(site, ids={"B201500001", "B201500002", "B201500003", "B201500004"},
                              signatures={"p/t": _NAMES})
    return {"exposed": scan.exposed, "withheld": scan.withheld, "digests": scan.digests}


def test_files_scanned_earlier_are_not_read_again_unless_they_changed(tmp_path, monkeypatch):
    """What the early scan found in a file stands for it while the file is the same file,
    with the same size and time of change; a file written since, or put there since, is
    read. The site check's answer is the one a scan of everything gives."""
    import os

    from pipeline import exposure

    site = _site(tmp_path / "site")
    ids = {"B201500001", "B201500002", "B201500003", "B201500004"}
    earlier = exposure.scan_files(site / "data", ids=ids, signatures={"p/t": _NAMES})
    assert len(earlier) == 4  # the files of data/, by stamp
    clean = site / "data" / "clean.json"
    clean.write_text('{"listing_id": "B201500001"}', encoding="utf-8")  # a leak since
    os.utime(clean, ns=(1, 1))  # even with an old time: its size differs
    (site / "data" / "late.csv").write_text("listing_id,uscc,reason\n", encoding="utf-8")
    reads = []
    real = exposure._scan_one
    monkeypatch.setattr(exposure, "_scan_one", lambda path, *a, **k: reads.append(path.name) or real(path, *a, **k))
    scan = exposure.scan_site(site, ids=ids, signatures={"p/t": _NAMES}, earlier=earlier)
    assert sorted(reads) == ["clean.json", "late.csv", "page.html"]
    monkeypatch.setattr(exposure, "_scan_one", real)
    assert {"exposed": scan.exposed, "withheld": scan.withheld, "digests": scan.digests} == _scan_everything(site)
    assert ("data/clean.json", "B201500001") in scan.exposed
    assert ("data/late.csv", "p/t") in scan.withheld


def test_a_file_rewritten_in_place_with_its_size_is_read_again(tmp_path):
    import os

    from pipeline import exposure

    site = tmp_path / "site"
    site.mkdir()
    page = site / "page.html"
    page.write_text("<p>B201500008</p>", encoding="utf-8")
    earlier = exposure.scan_files(site, ids={"B201500001"})
    before = page.stat()
    with page.open("r+b") as handle:  # same inode, same size: only the time of change moves
        handle.write(b"<p>B201500001</p>")
    later = before.st_mtime_ns + 1_000_000  # as a write a moment later leaves it
    os.utime(page, ns=(later, later))
    assert exposure.scan_site(site, ids={"B201500001"}, earlier=earlier).exposed == [("page.html", "B201500001")]


def test_the_early_scan_process_finds_what_the_scan_here_finds(tmp_path):
    """The early scan runs in a process of its own (one core each with the pages): what it
    hands back is what :func:`scan_files` finds here."""
    from pipeline import exposure
    from pipeline.early_scan import scanning

    site = _site(tmp_path / "site")
    ids = {"B201500002", "B201500003", "B201500004"}
    with scanning(site, ids=ids, signatures={"p/t": _NAMES}) as scanned:
        found = scanned()
    assert found == exposure.scan_files(site, ids=ids, signatures={"p/t": _NAMES})
    assert len(found) == 5 and any(f is not None and f.ids for _, f, _ in found.values())


def test_an_early_scan_that_fails_hands_back_nothing(tmp_path):
    """A scan process that fails (killed, out of memory) saves nothing and stops nothing:
    the site check reads every file itself."""
    import subprocess
    import sys

    from pipeline.early_scan import _found, scanning

    failed = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert _found(failed, tmp_path / "never-written.json") == {}
    with scanning(tmp_path, ids=set(), signatures={}) as scanned:  # nothing looked for
        assert scanned() == {}
