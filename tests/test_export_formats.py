"""Every download format read back equals the source table, types included; formula-looking
text is inert in the spreadsheet formats while numbers stay numbers."""

from __future__ import annotations

import json
import sqlite3
import zipfile
import zlib

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from test_export_catalog import (
    BASE_URL,
    FORMULA_TEXT,
    REFERENCE_DATE,
    arrow_schema,
    excel_text,
    make_catalog,
    read_csv,
    read_json,
    read_sqlite,
    read_xlsx,
)

from pipeline.export import export, sqlite_name, table_name
from pipeline.export.formats import EXCEL_CSV, XLSX

RESOURCES = [("reference", "districts"), ("safety", "accidents"), ("safety", "yearly")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    catalog = make_catalog()
    manifest = export(catalog, out, reference_date=REFERENCE_DATE, base_url=BASE_URL)
    return out, catalog, manifest


def _folder(out, package):
    return out / "data" / package / "latest" / "data"


@pytest.mark.parametrize("package,resource", RESOURCES)
def test_csv_round_trip(site, package, resource):
    out, catalog, _ = site
    source = catalog.resource(package, resource)
    table = read_csv(_folder(out, package) / f"{resource}.csv", arrow_schema(source))
    assert table.equals(source.table)
    raw = (_folder(out, package) / f"{resource}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw.replace(b'"\r', b"")


@pytest.mark.parametrize("package,resource", RESOURCES)
def test_excel_csv_round_trip(site, package, resource):
    out, catalog, _ = site
    source = catalog.resource(package, resource)
    table = read_csv(_folder(out, package) / EXCEL_CSV.filename(resource, package), arrow_schema(source),
                     excel=True)
    assert table.equals(source.table)


@pytest.mark.parametrize("package,resource", RESOURCES)
def test_xlsx_round_trip(site, package, resource):
    out, catalog, _ = site
    source = catalog.resource(package, resource)
    table, titles, names = read_xlsx(_folder(out, package) / XLSX.filename(resource, package), arrow_schema(source))
    assert table.equals(source.table)
    # the source's columns first, in their order; the label columns follow
    assert names[:len(source.fields)] == [f["name"] for f in source.fields]
    assert titles[:len(source.fields)] == [f["title"] for f in source.fields]


@pytest.mark.parametrize("package,resource", RESOURCES)
def test_parquet_round_trip_with_metadata(site, package, resource):
    out, catalog, _ = site
    source = catalog.resource(package, resource)
    table = pq.read_table(_folder(out, package) / f"{resource}.parquet")
    assert table.column_names[:source.table.num_columns] == source.table.column_names
    table = table.select(source.table.column_names)
    assert table.equals(source.table)  # values and Arrow types
    assert table.schema.types == source.table.schema.types
    for spec in source.fields:
        metadata = table.schema.field(spec["name"]).metadata
        assert metadata[b"title"].decode() == spec["title"]
        assert metadata[b"description"].decode() == spec["description"]
    assert json.loads(table.schema.metadata[b"resource"])["name"] == resource
    assert json.loads(table.schema.metadata[b"datapackage"])["version"] == catalog.packages[package].descriptor["version"]


@pytest.mark.parametrize("package,resource", RESOURCES)
def test_json_round_trip(site, package, resource):
    out, catalog, _ = site
    source = catalog.resource(package, resource)
    assert read_json(_folder(out, package) / f"{resource}.json", arrow_schema(source)).equals(source.table)


@pytest.mark.parametrize("package,resource", RESOURCES)
def test_sqlite_round_trip(site, package, resource):
    out, catalog, _ = site
    source = catalog.resource(package, resource)
    table = read_sqlite(out / "data" / sqlite_name(), table_name(package, resource), arrow_schema(source))
    assert table.equals(source.table)


def test_sqlite_declares_types_and_keys(site):
    out, _, _ = site
    with sqlite3.connect(out / "data" / sqlite_name()) as connection:
        columns = {row[1]: (row[2], row[5]) for row in connection.execute('PRAGMA table_info("safety__yearly")')}
        assert columns == {"district_code": ("TEXT", 1), "year": ("INTEGER", 2), "deaths": ("INTEGER", 0),
                           "district_name_zh": ("TEXT", 0), "district_name_en": ("TEXT", 0),
                           "synthetic": ("INTEGER", 0)}
        accident_types = {row[1]: row[2] for row in connection.execute('PRAGMA table_info("safety__accidents")')}
        assert accident_types["direct_loss_yuan"] == "REAL" and accident_types["concealed"] == "INTEGER"
        foreign = {(row[2], row[3], row[4]) for row in connection.execute('PRAGMA foreign_key_list("safety__accidents")')}
        assert foreign == {("reference__districts", "district_code", "code")}
        connection.execute("PRAGMA foreign_keys = ON")
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute("INSERT INTO safety__yearly (district_code, year, deaths) VALUES ('999999', 2013, 1)")
        titles = dict(connection.execute("SELECT name, title FROM _fields WHERE table_name = 'safety__accidents'"))
        assert titles["deaths"] == "死亡人数"
        # written without a VACUUM: nothing was deleted, so there is no free page to reclaim
        assert connection.execute("PRAGMA freelist_count").fetchone() == (0,)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_excel_csv_makes_formula_text_inert_and_leaves_numbers(site):
    out, _, _ = site
    raw = (_folder(out, "safety") / EXCEL_CSV.filename("accidents", "safety")).read_bytes().decode("utf-8-sig")
    for text in FORMULA_TEXT:
        quoted = '"' + ("'" + text).replace('"', '""') + '"'
        assert quoted in raw, text
    assert "\"'already quoted\"" not in raw and "\"''already quoted\"" in raw
    first_row = raw.split("\n")[1]
    assert first_row.startswith('"A201300001",2013-01-01,"320402",-2,-3.5,true,')  # negative numbers untouched
    canonical = (_folder(out, "safety") / "accidents.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""x"")"' in canonical and "\"'=HYPERLINK" not in canonical


def test_xlsx_never_writes_formulas(site):
    out, _, _ = site
    path = _folder(out, "safety") / XLSX.filename("accidents", "safety")
    with zipfile.ZipFile(path) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and all(b"<f>" not in archive.read(name) and b"<f " not in archive.read(name) for name in sheets)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    notes = {excel_text(cell.value): cell for cell in sheet["G"][2:]}
    for text in FORMULA_TEXT:
        assert notes[text].data_type == "s" and notes[text].quotePrefix, text
    deaths = [cell for cell in sheet["D"][2:] if cell.value is not None]
    assert deaths[0].value == -2 and deaths[0].data_type == "n"
    assert sheet["E3"].value == -3.5 and sheet["E3"].data_type == "n"
    assert sheet["B3"].is_date and sheet["F3"].data_type == "b"


def test_xlsx_layout_and_dictionary(site):
    out, catalog, _ = site
    workbook = openpyxl.load_workbook(_folder(out, "safety") / XLSX.filename("accidents", "safety"))
    assert workbook.sheetnames == ["数据", "数据字典"]
    assert workbook["数据"].freeze_panes == "A3"
    dictionary = [row for row in workbook["数据字典"].iter_rows(min_row=3, values_only=True)]
    fields = catalog.resource("safety", "accidents").fields
    assert [(r[0], r[1], r[2], r[5], r[6]) for r in dictionary][:len(fields)] == [
        (f["name"], f["title"], (f.get("x-en") or {}).get("title"), f["type"], f["description"]) for f in fields]
    added = [r[0] for r in dictionary][len(fields):]
    assert added == ["district_name_zh", "district_name_en", "synthetic"]
    # the added columns are named in both languages too
    assert all(r[1] and r[2] and r[2].isascii() for r in dictionary[len(fields):])
    assert workbook.properties.created.date() == REFERENCE_DATE == workbook.properties.modified.date()


def test_zip_holds_descriptor_data_readme_and_licence(site):
    out, catalog, _ = site
    with zipfile.ZipFile(out / "data/safety/latest/safety.zip") as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert set(names) == {"CHANGELOG.md", "LICENSE.txt", "README.md", "datapackage.json",
                              "data/accidents.csv", "data/yearly.csv"}
        descriptor = json.loads(archive.read("datapackage.json"))
        readme = archive.read("README.md").decode()
        licence = archive.read("LICENSE.txt").decode()
        assert all(info.date_time == (2026, 12, 1, 0, 0, 0) for info in archive.infolist())
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}
        for resource in descriptor["resources"]:
            assert archive.read(resource["path"]) == (out / "data/safety/latest" / resource["path"]).read_bytes()
    assert "合成数据" in readme and "synthetic data" in readme
    assert "[DS/OL]" in readme and "[Data set]" in readme
    for field in catalog.resource("safety", "accidents").fields:
        assert f"| {field['name']} | {field['title']} |" in readme
    assert "https://creativecommons.org/licenses/by/4.0/" in licence


def test_published_descriptor_lists_every_download(site):
    out, _, manifest = site
    folder = out / "data/reference/1.0.0"
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    [districts] = descriptor["resources"]
    assert districts["path"] == "data/districts.csv"
    listed = {districts["path"]: (districts["bytes"], districts["hash"])}
    listed.update({d["path"]: (d["bytes"], d["hash"]) for d in districts["x-downloads"]})
    assert {d["format"] for d in districts["x-downloads"]} == {"csv-excel", "xlsx", "parquet", "json"}
    for path, (size, digest) in listed.items():
        entry = manifest.file(f"data/reference/1.0.0/{path}")
        assert (size, digest) == (entry.bytes, f"sha256:{entry.sha256}")


def test_xlsx_continues_on_further_sheets_when_one_is_full(tmp_path):
    from pipeline.export.xlsx import write_xlsx

    resource = make_catalog().resource("safety", "accidents")
    path = write_xlsx(resource.table, tmp_path / "split.xlsx", fields=resource.fields, reference_date=REFERENCE_DATE,
                      creator="test", title="test", rows_per_sheet=5)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["数据", "数据 2", "数据 3", "数据字典"]
    rows = []
    for sheet in workbook.worksheets[:3]:
        values = [tuple(excel_text(v) for v in row) for row in sheet.iter_rows(values_only=True)]
        assert values[1] == tuple(f["name"] for f in resource.fields)  # every sheet has both header rows
        rows += values[2:]
    assert [row[0] for row in rows] == resource.table.column("accident_id").to_pylist()


def test_a_foreign_key_to_non_unique_columns_is_left_out_of_sqlite_with_a_bilingual_warning(
        tmp_path):
    """SQLite needs a referenced column set to be a key: when the data do not allow one,
    the key is left out and the publisher is told why, in Chinese and English."""
    import json
    import sqlite3

    from pipeline.export.sqlitefile import write_sqlite
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    package = tmp_path / "pkg"
    (package / "data").mkdir(parents=True)
    (package / "data" / "parent.csv").write_text("id,kind\n1,a\n2,a\n", encoding="utf-8")
    (package / "data" / "child.csv").write_text("id,kind\n1,a\n", encoding="utf-8")
    fields = [{"name": "id", "type": "integer"}, {"name": "kind", "type": "string"}]
    (package / "datapackage.json").write_text(json.dumps({"name": "pkg", "resources": [
        {"name": "parent", "path": "data/parent.csv", "format": "csv",
         "schema": {"fields": fields, "primaryKey": ["id"]}},
        {"name": "child", "path": "data/child.csv", "format": "csv",
         "schema": {"fields": fields, "primaryKey": ["id"], "foreignKeys": [
             {"fields": ["kind"], "reference": {"resource": "parent", "fields": ["kind"]}}]}},
    ]}), encoding="utf-8")
    catalog = load_catalog([package])
    assert validate_catalog(catalog).valid
    tables = {("pkg", r.name): r.table for r in catalog}
    warnings = write_sqlite(catalog, tables, tmp_path / "all.sqlite")
    assert warnings == [("SQLite：表 pkg__child 指向 pkg__parent（kind）的外键未写入：被引用的列不唯一"
                         " / SQLite: the foreign key of pkg__child to pkg__parent (kind) is left"
                         " out: the referenced columns are not unique")]
    with sqlite3.connect(tmp_path / "all.sqlite") as connection:
        assert connection.execute("PRAGMA foreign_key_list(pkg__child)").fetchall() == []
        assert connection.execute("SELECT count(*) FROM pkg__parent").fetchone() == (2,)


LABELS = ["district_name_zh", "district_name_en", "synthetic"]


def _label_rows(rows: list[dict]) -> list[tuple]:
    return [tuple(row[name] for name in ["district_code", *LABELS]) for row in rows]


def test_every_format_has_the_label_columns_and_the_synthetic_mark(site):
    """The names behind the codes, drawn from the reference table by the foreign key, and a
    synthetic mark on every row of a synthetic table, in every download format."""
    out, catalog, _ = site
    folder = _folder(out, "safety")
    districts = catalog.resource("reference", "districts").table.to_pydict()
    names = dict(zip(districts["code"], zip(districts["name"], districts["name_en"])))
    codes = catalog.resource("safety", "accidents").table.column("district_code").to_pylist()
    expected = [(code, *names[code], True) for code in codes]

    text = pacsv.ConvertOptions(column_types={"district_code": pa.string()})
    csv_rows = list(pacsv.read_csv(folder / "accidents.csv", convert_options=text).to_pylist())
    assert _label_rows(csv_rows) == expected
    excel = pacsv.read_csv(pa.BufferReader((folder / EXCEL_CSV.filename("accidents", "safety")).read_bytes()[3:]),
                           convert_options=text)
    assert _label_rows(excel.to_pylist()) == expected
    assert _label_rows(pq.read_table(folder / "accidents.parquet").to_pylist()) == expected
    assert _label_rows(json.loads((folder / "accidents.json").read_text(encoding="utf-8"))) == expected
    sheet = openpyxl.load_workbook(folder / XLSX.filename("accidents", "safety")).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[1][-3:]) == LABELS and rows[0][-1] == "合成数据（非真实）"
    assert _label_rows([dict(zip(rows[1], row)) for row in rows[2:]]) == expected
    with sqlite3.connect(out / "data" / sqlite_name()) as connection:
        connection.row_factory = sqlite3.Row
        found = [dict(r) for r in connection.execute("SELECT * FROM safety__accidents ORDER BY rowid")]
        described = dict(connection.execute(
            "SELECT name, title FROM _fields WHERE table_name = 'safety__accidents'").fetchall())
    assert _label_rows([{**r, "synthetic": bool(r["synthetic"])} for r in found]) == expected
    assert described["district_name_zh"] == "区划名称" and described["synthetic"] == "合成数据（非真实）"

    descriptor = json.loads((folder.parent / "datapackage.json").read_text(encoding="utf-8"))
    [accidents] = [r for r in descriptor["resources"] if r["name"] == "accidents"]
    declared = {f["name"]: f for f in accidents["schema"]["fields"]}
    assert declared["district_name_en"]["x-labelOf"] == "district_code"
    assert "reference/districts.name_en" in declared["district_name_en"]["description"]
    assert declared["synthetic"]["x-marks"] == "synthetic"


def test_a_table_that_is_not_synthetic_has_no_mark(site):
    out, _, _ = site
    header = pacsv.read_csv(_folder(out, "reference") / "districts.csv").column_names
    assert header == ["code", "name", "name_en", "valid_to", "successor_code"]


def test_spreadsheet_downloads_are_named_for_what_they_hold(site):
    _, _, manifest = site
    xlsx = {e.path for e in manifest.files if e.format == "xlsx" and e.version == "latest"}
    assert xlsx == {f"data/safety/latest/data/changzhou-work-safety_safety_{name}.xlsx"
                    for name in ("accidents", "yearly")} | {
        "data/reference/latest/data/changzhou-work-safety_reference_districts.xlsx"}
    assert {e.resource for e in manifest.files if e.format == "csv-excel"} == {"accidents", "yearly", "districts"}


def test_label_columns_are_taken_a_slice_at_a_time(monkeypatch):
    """Taken whole, the names of 60 million rows are one string array past its 2 GiB of
    offsets, which Arrow returned without an error and the CSV writer then refused; taken in
    slices, each chunk stays small and the values are those of a whole take."""
    from pipeline.export import labels

    monkeypatch.setattr(labels, "TAKE_ROWS", 3)
    names = pa.array(["甲", "乙", None, "丙"])
    at = pa.chunked_array([[0, 3, 1, None], [2, 0, 0, 3]])
    taken = labels._take(names, at)
    assert taken.to_pylist() == names.take(at).to_pylist() == ["甲", "丙", "乙", None, None, "甲", "甲", "丙"]
    assert [len(chunk) for chunk in taken.chunks] == [3, 3, 2]
    assert labels._take(names, pa.array([], pa.int64())).to_pylist() == []


def test_tables_written_on_threads_give_the_same_database(tmp_path, monkeypatch):
    """The tables' own databases are written on threads, one per core (two here, whatever
    the machine), the bulk of it outside Python's lock: the portal database is byte for
    byte the one written a table at a time."""
    import threading

    from pipeline.export import sqlitefile
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog
    from pipeline.validate.bench import make_package

    roots = [make_package(tmp_path / name, rows, seed=rows) for name, rows in (("a", 4000), ("b", 300))]
    for root, name in zip(roots, ("a", "b")):  # two packages, so two tables
        descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
        (root / "datapackage.json").write_text(json.dumps({**descriptor, "name": name}), encoding="utf-8")
    catalog = load_catalog(roots)
    assert validate_catalog(catalog).valid
    tables = {(r.package, r.name): r.table for r in catalog}
    monkeypatch.setattr(sqlitefile.os, "cpu_count", lambda: 1)
    sqlitefile.write_sqlite(catalog, tables, tmp_path / "alone.sqlite")
    monkeypatch.setattr(sqlitefile.os, "cpu_count", lambda: 2)
    threads = []
    real = sqlitefile.write_table_database
    monkeypatch.setattr(sqlitefile, "write_table_database", lambda table, path, name: threads.append(
        threading.current_thread()) or real(table, path, name=name))
    sqlitefile.write_sqlite(catalog, tables, tmp_path / "threads.sqlite", table_writer=sqlitefile.write_table_database)
    assert (tmp_path / "threads.sqlite").read_bytes() == (tmp_path / "alone.sqlite").read_bytes()
    assert len(threads) == 2 and threading.current_thread() not in threads
    with sqlite3.connect(tmp_path / "threads.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM a__ratings").fetchone() == (4000,)


def test_a_full_disk_while_a_table_is_written_is_an_os_error_naming_the_file(tmp_path, monkeypatch):
    """SQLite's "database or disk is full", from the driver, becomes ENOSPC with the file's
    name (the build then reports a failed write and leaves the site as it was), not the
    driver's exception; a folder where the file should go is EISDIR, as for any write."""
    import errno

    from pipeline.export import sqlitefile

    table = pa.table({"a": list(range(5000)), "b": ["安全生产" * 20] * 5000})
    # a database that may not grow past 4 pages: SQLite itself reports it full
    monkeypatch.setattr(sqlitefile, "PRAGMAS", (*sqlitefile.PRAGMAS, "max_page_count = 4"))
    with pytest.raises(OSError) as full:
        sqlitefile.write_table_database(table, tmp_path / "t.sqlite", name="t")
    assert full.value.errno == errno.ENOSPC
    assert full.value.filename == str(tmp_path / "t.sqlite")
    assert "full" in str(full.value)
    (tmp_path / "folder.sqlite").mkdir()
    with pytest.raises(OSError) as folder:
        sqlitefile.write_table_database(table, tmp_path / "folder.sqlite", name="t")
    assert folder.value.errno == errno.EISDIR


def test_a_table_in_key_order_is_exported_as_it_is_and_another_is_sorted(tmp_path):
    """Sorting copies a table (gigabytes at the national tier): a table already in key order
    is used itself; one that is not comes out in key order, equal to Arrow's sort."""
    from pipeline.export import _typed_table
    from pipeline.model import Resource

    def resource(table):
        fields = [{"name": "k", "type": "string"}, {"name": "n", "type": "integer"}]
        return Resource(package="p", name="t", descriptor={"name": "t", "schema": {"fields": fields,
                                                                                  "primaryKey": ["k", "n"]}},
                        path=None, table=table)

    ordered = pa.table({"k": ["a", "a", "b", "c"], "n": [1, 2, 1, 1]})
    assert _typed_table(resource(ordered)) is ordered
    shuffled = pa.table({"k": ["b", "a", "c", "a"], "n": [1, 2, 1, 1]})
    result = _typed_table(resource(shuffled))
    assert result.equals(shuffled.sort_by([("k", "ascending"), ("n", "ascending")]))
    assert result.to_pydict() == ordered.to_pydict()


def test_text_columns_are_copied_for_the_csv_only_when_a_cell_needs_it():
    from pipeline.export.csvfiles import _empty_to_null, make_inert

    table = pa.table({"plain": ["a", "b", None], "empty": ["a", "", None], "formula": ["=1", "x", None],
                      "n": [1, 2, 3]})

    def address(t, name):
        return t.column(name).chunks[0].buffers()[2].address

    nulls = _empty_to_null(table)
    assert address(nulls, "plain") == address(table, "plain")  # the same bytes, not a copy
    assert nulls.column("empty").to_pylist() == ["a", None, None]
    inert = make_inert(table)
    assert address(inert, "plain") == address(table, "plain")
    assert inert.column("formula").to_pylist() == ["'=1", "x", None]


def test_the_files_of_a_resource_are_written_at_once_and_a_failed_write_is_raised(tmp_path):
    """Two writers meet at a barrier: written one after the other they never would (the
    barrier gives up after 60 s). A writer's OSError reaches the caller as it was raised."""
    import datetime as dt
    import errno
    import threading

    from pipeline.export.release_files import write_resource

    table = pa.table({"k": ["a"]})
    descriptor = {"name": "t", "schema": {"fields": [{"name": "k", "type": "string"}]}}
    meet = threading.Barrier(2, timeout=60)
    written = []

    def writer(name, fail=False, wait=False):
        def write(table, path, **options):
            if wait:
                meet.wait()
            if fail:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            written.append(name)
            return path
        return write

    writers = {"write_xlsx": writer("xlsx", wait=True), "write_json_records": writer("json", wait=True),
               "write_csv": writer("csv"), "write_excel_csv": writer("excel"), "write_parquet": writer("parquet")}
    write_resource({"name": "p"}, descriptor, table, tmp_path, dt.date(2026, 12, 7), writers)
    assert sorted(written) == ["csv", "excel", "json", "parquet", "xlsx"]
    writers["write_csv"] = writer("csv", fail=True)
    meet.reset()
    with pytest.raises(OSError) as raised:
        write_resource({"name": "p"}, descriptor, table, tmp_path, dt.date(2026, 12, 7), writers)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename.endswith("t.csv")


def test_a_failed_write_names_the_file_it_was_writing(tmp_path):
    """``write()`` on an open file raises "No space left on device" without a file; the
    export raises it with the download it was writing, as the build then reports it."""
    import datetime as dt
    import errno

    from pipeline.export.release_files import write_resource

    def full(table, path, **options):
        with open(path, "wb") as handle:
            handle.write(b"x")
            raise OSError(errno.ENOSPC, "No space left on device")  # as a write() raises it

    writers = {name: (full if name == "write_json_records" else lambda table, path, **o: path)
               for name in ("write_xlsx", "write_json_records", "write_csv", "write_excel_csv", "write_parquet")}
    descriptor = {"name": "t", "schema": {"fields": [{"name": "k", "type": "string"}]}}
    with pytest.raises(OSError) as raised:
        write_resource({"name": "p"}, descriptor, pa.table({"k": ["a"]}), tmp_path, dt.date(2026, 12, 7), writers)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(tmp_path / "t.json")
    assert raised.value.strerror == "No space left on device"


def test_digests_hash_a_file_once_while_its_stamp_stays_and_again_when_it_changes(tmp_path):
    import hashlib
    import os

    from pipeline.export.files import Digests

    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n")
    digests = Digests()
    first = digests(path)
    assert first == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    # The same bytes count rewritten in place with the time of last change put back: the
    # stamp is unchanged, so the digest is the one taken before (the file was not read again).
    status = os.stat(path)
    with open(path, "r+b") as handle:
        handle.write(b"x,y")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert digests(path) == first
    # Changed as writers change files: a new time, or a new file under the name.
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1))
    assert digests(path) == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    path.unlink()
    path.write_bytes(b"k\n")
    assert digests(path) == hashlib.sha256(b"k\n").hexdigest()


def test_each_download_is_hashed_by_the_thread_that_wrote_it(tmp_path):
    import datetime as dt
    import hashlib
    import threading

    from pipeline.export import WRITERS
    from pipeline.export.files import Digests
    from pipeline.export.release_files import published_resource, write_resource

    class Seen(Digests):
        def __init__(self):
            super().__init__()
            self.threads = {}

        def __call__(self, path):
            self.threads.setdefault(path.name, threading.current_thread().name)
            return super().__call__(path)

    digests = Seen()
    descriptor = {"name": "t", "schema": {"fields": [{"name": "k", "type": "string"}]}}
    files = write_resource({"name": "p"}, descriptor, pa.table({"k": ["a", "b"]}), tmp_path,
                           dt.date(2026, 12, 7), WRITERS, digests)
    assert set(digests.threads) == {path.name for path in files.values()}
    assert threading.current_thread().name not in digests.threads.values()
    published = published_resource(descriptor, files, tmp_path, digests)
    for item in [published, *published["x-downloads"]]:
        assert item["hash"] == "sha256:" + hashlib.sha256((tmp_path / item["path"]).read_bytes()).hexdigest()


def test_a_release_zip_that_fails_on_its_thread_is_raised_by_the_export_with_its_file(tmp_path, monkeypatch):
    """The ZIP is written on a thread of its own while the export goes on; its failure (a
    full disk) still stops the export, named with the archive, and nothing is recorded."""
    import errno

    from pipeline.export import files

    real = files.FixedZipFile.write

    def full(self, filename, *args, **kwargs):
        if str(filename).endswith(".csv"):
            raise OSError(errno.ENOSPC, "No space left on device")  # as a write() raises it
        return real(self, filename, *args, **kwargs)

    monkeypatch.setattr(files.FixedZipFile, "write", full)
    with pytest.raises(OSError) as raised:
        export(make_catalog(), tmp_path / "out", reference_date=REFERENCE_DATE, base_url=BASE_URL)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename.endswith(".zip")
    assert not (tmp_path / "out" / "data" / "manifest.json").exists()


def test_an_export_that_stops_drops_the_zips_still_waiting(tmp_path, monkeypatch):
    """The first release's ZIP is held on its thread until the database write fails; the
    second release's ZIP, waiting behind it, is then dropped, not written before the error."""
    import errno
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.export import release_files

    held, started = threading.Event(), []
    real = release_files.write_release_zip

    def slow(version_dir, published, stamp):
        started.append(published["name"])
        held.wait(30)
        return real(version_dir, published, stamp)

    monkeypatch.setattr("pipeline.export.write_release_zip", slow)

    class Watched(ThreadPoolExecutor):  # lets the first ZIP go once the others are dropped
        def shutdown(self, wait=True, *, cancel_futures=False):
            if cancel_futures:
                super().shutdown(wait=False, cancel_futures=True)
            held.set()
            super().shutdown(wait=wait)

    monkeypatch.setattr("pipeline.export.ThreadPoolExecutor", Watched)

    def through(name, writer):
        if name != "write_table_database":
            return writer

        def full(table, path, **options):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return full

    catalog = make_catalog()
    assert len(catalog.packages) >= 2
    with pytest.raises(OSError):
        export(catalog, tmp_path / "out", reference_date=REFERENCE_DATE, base_url=BASE_URL, through=through)
    assert started == [min(catalog.packages)]
    assert len(list((tmp_path / "out").rglob("*.zip"))) == 1


def _raw_entry(archive_path, info: zipfile.ZipInfo) -> bytes:
    """The stored (compressed) bytes of one entry, as they sit in the archive."""
    with open(archive_path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
        name_length, extra_length = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        return handle.read(info.compress_size)


def test_zip_and_xlsx_entries_are_deflated_by_zlib_ng_at_their_level(tmp_path):
    from zlib_ng import zlib_ng

    from pipeline.export.files import write_zip
    from pipeline.export.xlsx import SHEET_COMPRESSION, write_xlsx

    def deflated(data: bytes, level: int) -> bytes:
        compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush()

    member = tmp_path / "rows.csv"  # repetitive enough that zlib and zlib-ng differ
    member.write_bytes("".join(f"{i},企业{i % 97},{i * 7 % 1000}\n" for i in range(20_000)).encode())
    archive_path = write_zip(tmp_path / "a.zip", {"data/rows.csv": member}, REFERENCE_DATE)
    with zipfile.ZipFile(archive_path) as archive:
        info = archive.getinfo("data/rows.csv")
        assert archive.testzip() is None  # every CRC checks out in the standard reader
        assert archive.read(info) == member.read_bytes()
    assert _raw_entry(archive_path, info) == deflated(member.read_bytes(), 6)
    assert deflated(member.read_bytes(), 6) != zlib.compress(member.read_bytes(), 6)[2:-4]

    resource = make_catalog().resource("safety", "accidents")
    book = write_xlsx(resource.table, tmp_path / "b.xlsx", fields=resource.fields,
                      reference_date=REFERENCE_DATE, creator="test", title="test")
    with zipfile.ZipFile(book) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            level = SHEET_COMPRESSION if info.filename.startswith("xl/worksheets/sheet1") else 6
            assert _raw_entry(book, info) == deflated(archive.read(info), level), info.filename
    # the same inputs, the same bytes
    again = write_zip(tmp_path / "again.zip", {"data/rows.csv": member}, REFERENCE_DATE)
    assert again.read_bytes() == archive_path.read_bytes()
