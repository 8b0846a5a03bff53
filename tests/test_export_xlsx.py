"""The XLSX writer on its own: every cell type read back by openpyxl, pandas and (where
installed) LibreOffice; the awkward values (nulls everywhere, XML metacharacters, control
characters, formula-looking text, negative numbers, Excel's 1900 dates); the sheet split;
and the same table giving the same bytes."""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_export_catalog import REFERENCE_DATE, _from_rows, excel_text

from pipeline.export.xlsx import write_xlsx

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TEXT = ["a & b < c > d \"q\" 'a'", None, "=SUM(A1)", "+1", "-2", "@x", "\tleading tab", "\rleading cr",
        "line\nbreak", "bell\x07 and nul\x00", "literal _x0041_ escape", "  padded  ", "中文 ✓ 𝄞", "'quoted"]
N = len(TEXT)


def _every_type() -> pa.Table:
    return pa.table({
        "text": pa.array(TEXT, pa.string()),
        "integer": pa.array([-2, None, 0, 2**53 + 1, -(2**63), 2**63 - 1, *range(8)], pa.int64()),
        "number": pa.array([-3.5, None, 0.1, 1e300, -1e-300, float("nan"), float("inf"), float("-inf"), -0.0,
                            123456789.5, 2.0, 1 / 3, 5e-324, 7.0]),
        "flag": pa.array([True, None, False, True, *([False] * 10)]),
        "day": pa.array([dt.date(2013, 1, 1), None, dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1),
                         dt.date(1899, 12, 31), dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1970, 1, 1),
                         dt.date(2016, 2, 29), dt.date(1960, 6, 15), dt.date(2012, 10, 30), dt.date(2000, 1, 1),
                         dt.date(1901, 1, 1)]),
        "big": pa.array([Decimal(10**30 + 1), None, *[Decimal(-i) for i in range(N - 2)]], pa.decimal128(38, 0)),
        "moment": pa.array([dt.datetime(2016, 1, 2, 3, 4, 5), None, *[dt.datetime(2000, 1, 1, 12)] * (N - 2)],
                           pa.timestamp("s")),
    })


FIELDS = [{"name": name, "title": f"标题 {name} & <x>", "type": "string", "description": f"说明 {name}",
           **({"x-en": {"title": f"Title {name} & <x>", "description": f"The {name}."}} if name != "big" else {})}
          for name in _every_type().column_names]


def _write(table: pa.Table, path, **extra):
    return write_xlsx(table, path, fields=FIELDS, reference_date=REFERENCE_DATE, creator="测试 & <团队>",
                      title='表 "x" & <y>', **extra)


@pytest.fixture(scope="module")
def every_type(tmp_path_factory):
    return _write(_every_type(), tmp_path_factory.mktemp("xlsx") / "every.xlsx")


def test_every_part_is_well_formed_xml_and_no_cell_is_a_formula(every_type):
    with zipfile.ZipFile(every_type) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [
            "[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml", "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
        for name in archive.namelist():
            ET.fromstring(archive.read(name))
        sheet = ET.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    assert sheet.find(f".//{MAIN}f") is None
    # every cell says where it is, so no reader has to count cells to place them
    assert all(cell.get("r") for cell in sheet.iter(f"{MAIN}c"))


def test_openpyxl_reads_every_type_back(every_type):
    sheet = openpyxl.load_workbook(every_type)["数据"]
    rows = list(sheet.iter_rows(min_row=3))
    values = [[excel_text(cell.value) for cell in row] for row in rows]
    source = _every_type()
    text, integer, number, flag, day, big, moment = zip(*values)
    assert list(text) == TEXT
    assert list(integer) == source.column("integer").to_pylist()  # exact digits, beyond 2**53 too
    assert [type(v) for v in integer if v is not None] == [int] * (N - 1)
    expected = [v if v is None or math.isfinite(v) else None for v in source.column("number").to_pylist()]
    assert list(number) == expected  # NaN and infinity have no cell
    assert list(flag) == source.column("flag").to_pylist()
    assert list(big) == [None if v is None else int(v) for v in source.column("big").to_pylist()]
    assert moment[0] == dt.datetime(2016, 1, 2, 3, 4, 5) and moment[1] is None
    days = [v.date() if isinstance(v, dt.datetime) else v for v in day]
    # Excel's serial numbers start at 1900-01-01 (its fictitious 1900-02-29 accounted for);
    # earlier dates stay ISO text, as Excel keeps them.
    assert days == [d if d is None or d >= dt.date(1900, 1, 1) else d.isoformat()
                    for d in source.column("day").to_pylist()]
    assert rows[2][4].is_date and rows[2][4].number_format == "yyyy-mm-dd" and rows[2][4].value.day == 1
    assert rows[5][4].data_type == "s" and rows[5][4].value == "1899-12-31"
    for row, value in zip(rows, TEXT):
        cell = row[0]
        if value is None:
            assert cell.value is None
            continue
        assert cell.data_type == "s"
        assert cell.quotePrefix == value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert rows[0][1].value == -2 and rows[0][2].value == -3.5 and rows[0][1].data_type == "n"
    assert rows[0][3].data_type == "b"


def test_headers_properties_and_dictionary(every_type):
    workbook = openpyxl.load_workbook(every_type)
    assert workbook.sheetnames == ["数据", "数据字典"]
    sheet = workbook["数据"]
    assert sheet.freeze_panes == "A3" and workbook["数据字典"].freeze_panes == "A3"
    assert [c.value for c in sheet[1]] == [f["title"] for f in FIELDS]
    assert [c.value for c in sheet[2]] == [f["name"] for f in FIELDS]
    assert all(c.font.b for c in (*sheet[1], *sheet[2])) and not sheet["A3"].font.b
    assert workbook.properties.creator == "测试 & <团队>" and workbook.properties.title == '表 "x" & <y>'
    assert workbook.properties.created == dt.datetime.combine(REFERENCE_DATE, dt.time())
    dictionary = list(workbook["数据字典"].iter_rows(min_row=1, values_only=True))
    assert dictionary[0][:5] == ("字段名", "标题", "英文标题", "单位", "英文单位")
    assert dictionary[1][:5] == ("name", "title", "title (English)", "unit", "unit (English)")
    # both languages of the title and description, the English from x-en; none where none is given
    assert [row[:3] + row[5:8] for row in dictionary[2:]] == [
        (f["name"], f["title"], f.get("x-en", {}).get("title"), f["type"], f["description"],
         f.get("x-en", {}).get("description")) for f in FIELDS]
    assert dictionary[2 + [f["name"] for f in FIELDS].index("big")][2] is None
    assert {row[:5] for row in dictionary[2:] if row[3]} == set()  # these fields declare no unit


def test_a_declared_unit_heads_the_column_and_is_named_in_the_dictionary(tmp_path):
    """A unit the title does not state is added to the heading; one it states is not repeated;
    a unit that varies by row is left to the dictionary."""
    fields = [{"name": "deaths", "title": "死亡人数", "type": "integer", "x-unit": "person"},
              {"name": "loss", "title": "直接经济损失（元）", "type": "integer", "x-unit": "yuan"},
              {"name": "value", "title": "数值", "type": "number", "x-unit": "by_indicator"},
              {"name": "year", "title": "年份", "type": "integer"}]
    table = pa.table({f["name"]: pa.array([1, 2]) for f in fields})
    path = write_xlsx(table, tmp_path / "units.xlsx", fields=fields, reference_date=REFERENCE_DATE,
                      creator="测试", title="表")
    workbook = openpyxl.load_workbook(path)
    assert [c.value for c in workbook["数据"][1]] == ["死亡人数（人）", "直接经济损失（元）", "数值", "年份"]
    rows = list(workbook["数据字典"].iter_rows(min_row=3, values_only=True))
    assert [row[3:5] for row in rows] == [("人", "persons"), ("元", "yuan"),
                                          ("随指标而定（见指标表的单位）", "the indicator's unit (see the indicators table)"),
                                          (None, None)]


def test_pandas_reads_the_table_under_the_second_header_row(every_type):
    frame = pd.read_excel(every_type, header=1, sheet_name="数据")
    assert list(frame.columns) == _every_type().column_names
    assert len(frame) == N
    assert frame["integer"].iloc[0] == -2 and pd.isna(frame["integer"].iloc[1])
    assert frame["number"].iloc[0] == -3.5 and frame["flag"].iloc[0]
    assert frame["text"].iloc[2] == "=SUM(A1)" and pd.isna(frame["text"].iloc[1])
    assert pd.Timestamp(frame["day"].iloc[0]) == pd.Timestamp("2013-01-01")


def test_the_same_table_gives_the_same_bytes(tmp_path):
    first = _write(_every_type(), tmp_path / "a.xlsx").read_bytes()
    second = _write(_every_type(), tmp_path / "b.xlsx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 12, 1, 0, 0, 0)}


def test_rows_continue_on_further_sheets(tmp_path):
    table = _every_type()
    path = _write(table, tmp_path / "split.xlsx", rows_per_sheet=4)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["数据", "数据 2", "数据 3", "数据 4", "数据字典"]
    texts = []
    for sheet in workbook.worksheets[:4]:
        assert sheet.freeze_panes == "A3"
        assert [c.value for c in sheet[2]] == table.column_names
        texts += [excel_text(row[0]) for row in sheet.iter_rows(min_row=3, values_only=True)]
        assert sheet.max_row <= 4 + 2
    assert texts == TEXT


def test_an_empty_table_still_has_its_headers(tmp_path):
    path = _write(_every_type().slice(0, 0), tmp_path / "empty.xlsx")
    sheet = openpyxl.load_workbook(path)["数据"]
    assert sheet.max_row == 2 and [c.value for c in sheet[2]] == _every_type().column_names


# CI installs LibreOffice (scripts/install-system-packages.sh), so there it must run.
@pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                    reason="LibreOffice is not installed")
def test_libreoffice_reads_cells_in_their_columns(every_type, tmp_path):
    profile = (tmp_path / "profile").as_uri()  # own profile: parallel test workers do not collide
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path), str(every_type)],
                   check=True, capture_output=True, timeout=300)
    [converted] = tmp_path.glob("*.csv")
    rows = list(csv.reader(converted.open(encoding="utf-8", newline="")))
    assert rows[1] == _every_type().column_names
    data = rows[2:]
    assert [r[0] for r in data][:3] == ["a & b < c > d \"q\" 'a'", "", "=SUM(A1)"]  # shown, not computed
    assert data[7][0] == "\rleading cr" and data[9][0] == "bell\x07 and nul\x00"  # _xHHHH_ decoded
    assert data[10][0] == "literal _x0041_ escape"
    assert data[0][1:4] == ["-2", "-3.5", "TRUE"] and data[1][1:4] == ["", "", ""]
    assert data[0][4] == "2013-01-01" and data[4][4] == "1900-03-01" and data[5][4] == "1899-12-31"
    # LibreOffice counts no 1900-02-29, so it shows January and February 1900 one day early
    # (the module docstring's documented difference from Excel).
    assert data[2][4] == "1899-12-31" and data[3][4] == "1900-02-27"


# --- property: random small typed tables survive the trip through openpyxl ------------

SCHEMA_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
                "date": pa.date32()}
VALUES = {
    # Arrow strings cannot hold lone surrogates
    "string": st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    "integer": st.integers(-(2**63), 2**63 - 1),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "date": st.dates(),
}


@st.composite
def typed_tables(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(SCHEMA_TYPES)), min_size=1, max_size=5))
    rows = draw(st.integers(0, 8))
    columns = {f"c{i}": pa.array(draw(st.lists(st.none() | VALUES[kind], min_size=rows, max_size=rows)),
                                 SCHEMA_TYPES[kind]) for i, kind in enumerate(kinds)}
    return pa.table(columns)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=typed_tables(), rows_per_sheet=st.integers(1, 10))
def test_random_tables_round_trip(tmp_path, table, rows_per_sheet):
    fields = [{"name": name, "title": name} for name in table.column_names]
    path = write_xlsx(table, tmp_path / "random.xlsx", fields=fields, reference_date=REFERENCE_DATE,
                      creator="c", title="t", rows_per_sheet=rows_per_sheet)
    workbook = openpyxl.load_workbook(path)
    rows = []
    for index, sheet in enumerate(workbook.worksheets[:-1]):
        assert [c.value for c in sheet[2]] == table.column_names
        values = [tuple(excel_text(v) for v in row) for row in sheet.iter_rows(min_row=3, values_only=True)]
        # A row of nulls is a row without cells: openpyxl does not count one at the end of a
        # sheet (a table with a primary key has no such row).
        expected = min(rows_per_sheet, table.num_rows - index * rows_per_sheet)
        rows += values + [(None,) * table.num_columns] * (expected - len(values))
    assert _from_rows(rows, table.schema).equals(table), (rows, table.to_pydict())
