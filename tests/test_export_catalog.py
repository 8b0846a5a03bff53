"""Fixtures for the export tests: small typed catalogs built here, not by other stages.

The other test_export_* modules import ``make_catalog`` and the readers from this module,
so the fixture is one definition. Its cells cover what breaks formats: formula-looking
text, negative numbers, nulls of every type, quotes, commas and newlines, a composite
primary key, and foreign keys within and across packages.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from openpyxl.utils.escape import unescape

from pipeline.export import ExportError, export, table_name
from pipeline.model import Catalog, Package, Resource

REFERENCE_DATE = dt.date(2026, 12, 1)
BASE_URL = "https://data.example.org/portal/"
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
               "boolean": pa.bool_(), "date": pa.date32()}
FORMULA_TEXT = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tleading tab", "\rleading cr"]


def _field(name: str, type_: str, title: str, **extra) -> dict:
    return {"name": name, "type": type_, "title": title, "description": f"The {name} of the row.", **extra}


def _package(name: str, version: str, *, synthetic: bool) -> dict:
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": name, "id": f"urn:test-portal:datapackage:{name}", "version": version,
        "title": f"测试数据包{name}", "description": f"用于测试的数据包 {name}。",
        "x-en": {"title": f"Test package {name}", "description": f"A package {name} for the export tests."},
        "created": "2026-01-15T00:00:00Z", "synthetic": synthetic,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0 International"}],
        "sources": [{"title": "测试来源", "x-en": {"title": "Test source"}}],
        "contributors": [{"title": "测试项目组", "roles": ["author", "publisher"], "email": "team@example.org",
                          "x-en": {"title": "Test team"}}],
        "keywords": ["安全生产", "work safety"],
    }


def _resource(package: str, name: str, fields: list[dict], primary_key: list[str], rows: dict, **extra) -> Resource:
    descriptor = {"name": name, "path": f"data/{name}.csv", "type": "table", "title": f"表{name}",
                  "description": f"表 {name}。", "x-en": {"title": f"Table {name}", "description": f"Table {name}."},
                  "schema": {"fields": fields, "primaryKey": primary_key, **extra.pop("schema_extra", {})}, **extra}
    schema = pa.schema([(f["name"], ARROW_TYPES[f["type"]]) for f in fields])
    return Resource(package, name, descriptor, None, pa.table(rows, schema=schema), typed=True)


def make_catalog(*, reference_version: str = "1.0.0", districts: dict | None = None,
                 describe: str | None = None) -> Catalog:
    """Two packages: ``reference`` (districts) and ``safety`` (accidents, yearly counts)."""
    districts = districts or {
        "code": ["320402", "320404", "320405", "320411"],
        "name": ["天宁区", "钟楼区", "戚墅堰区", "新北区"],
        "name_en": ["Tianning", "Zhonglou", "Qishuyan", "Xinbei"],
        "valid_to": [None, None, dt.date(2015, 4, 27), None],
        "successor_code": [None, None, "320412", None],
    }
    reference = _package("reference", reference_version, synthetic=False)
    if describe:
        reference["description"] = describe
    district_fields = [_field("code", "string", "行政区划代码", constraints={"required": True}),
                       _field("name", "string", "名称"), _field("name_en", "string", "英文名称"),
                       _field("valid_to", "date", "停用日期"),
                       _field("successor_code", "string", "承继区划代码")]
    reference_package = Package("reference", reference, None, {
        "districts": _resource("reference", "districts", district_fields, ["code"], districts,
                               schema_extra={"foreignKeys": []}),
    })

    safety = _package("safety", "0.3.0", synthetic=True)
    accident_fields = [_field("accident_id", "string", "事故编号"), _field("date", "date", "日期"),
                       _field("district_code", "string", "区划代码"), _field("deaths", "integer", "死亡人数"),
                       _field("direct_loss_yuan", "number", "直接经济损失（元）"),
                       _field("concealed", "boolean", "瞒报"), _field("note", "string", "备注")]
    notes = [*FORMULA_TEXT, 'quote " and, comma', "line\nbreak", "'already quoted", None, "普通文字"]
    count = len(notes)
    accidents = {
        "accident_id": [f"A2013{i:05d}" for i in range(1, count + 1)],
        "date": [dt.date(2013, 1, 1) + dt.timedelta(days=37 * i) for i in range(count)],
        "district_code": (["320402", "320404", "320405", "320411"] * 3)[:count],
        "deaths": [-2, 0, 3, None, 1, 2, 0, 5, 1, 0, 2, 1][:count],
        "direct_loss_yuan": [-3.5, 0.0, 1e7, None, 1.25, 0.1, 2.0, 3.0, 123456789.5, 7.0, -0.001, 9.0][:count],
        "concealed": [True, False, None, False, True, False, False, True, False, False, True, False][:count],
        "note": notes,
    }
    yearly_fields = [_field("district_code", "string", "区划代码"), _field("year", "integer", "年份"),
                     _field("deaths", "integer", "死亡人数")]
    yearly = {"district_code": ["320402", "320402", "320404", "320404"], "year": [2013, 2014, 2013, 2014],
              "deaths": [3, -1, 0, 2]}
    cross = [{"fields": ["district_code"],
              "reference": {"package": "reference", "resource": "districts", "fields": ["code"]}}]
    safety_package = Package("safety", safety, None, {
        "accidents": _resource("safety", "accidents", accident_fields, ["accident_id"], accidents,
                               **{"x-foreignKeys": cross}),
        "yearly": _resource("safety", "yearly", yearly_fields, ["district_code", "year"], yearly,
                            **{"x-foreignKeys": cross}),
    })
    return Catalog({"reference": reference_package, "safety": safety_package})


# --- readers: each download format read back into a typed Arrow table -----------------

def arrow_schema(resource: Resource) -> pa.Schema:
    return pa.schema([(f["name"], ARROW_TYPES[f["type"]]) for f in resource.fields])


def read_csv(path: Path, schema: pa.Schema, *, excel: bool = False) -> pa.Table:
    raw = path.read_bytes()
    if excel:
        assert raw.startswith(b"\xef\xbb\xbf"), "the Excel CSV starts with a BOM"
        raw = raw[3:]
    table = pacsv.read_csv(pa.BufferReader(raw), convert_options=pacsv.ConvertOptions(
        column_types=schema, strings_can_be_null=True, include_columns=schema.names))
    if excel:
        table = pa.table({name: pc.replace_substring_regex(table.column(name), "^'([=+\\-@\\t\\r'])", "\\1")
                          if table.schema.field(name).type == pa.string() else table.column(name)
                          for name in table.column_names}, schema=schema)
    return table


def _typed(value, type_: pa.DataType):
    if value is None:
        return None
    if type_ == pa.date32():
        return value.date() if isinstance(value, dt.datetime) else dt.date.fromisoformat(value)
    if type_ == pa.float64():
        return float(value)
    if type_ == pa.bool_():
        return bool(value)
    return value


def _from_rows(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.table({field.name: pa.array([_typed(v, field.type) for v in column], field.type)
                     for field, column in zip(schema, columns)}, schema=schema)


def excel_text(value):
    """A cell value as Excel shows it: openpyxl leaves OOXML's ``_xHHHH_`` escapes in place."""
    return unescape(value) if isinstance(value, str) else value


def read_xlsx(path: Path, schema: pa.Schema) -> tuple[pa.Table, list, list]:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    rows = [tuple(excel_text(cell.value) for cell in row) for row in sheet.iter_rows()]
    return _from_rows(rows[2:], schema), list(rows[0]), list(rows[1])


def read_json(path: Path, schema: pa.Schema) -> pa.Table:
    records = json.loads(path.read_text(encoding="utf-8"))
    # the source's keys first, in schema order (label columns and the synthetic mark follow)
    assert all(list(record)[:len(schema.names)] == schema.names for record in records), "keys in schema order"
    return _from_rows([tuple(record.values()) for record in records], schema)


def read_sqlite(path: Path, name: str, schema: pa.Schema) -> pa.Table:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
    return _from_rows(rows, schema)


# --- tests of the fixture's contract with export ---------------------------------------

def test_untyped_tables_are_refused(tmp_path):
    catalog = make_catalog()
    resource = catalog.resource("safety", "yearly")
    resource.table = resource.table.set_column(1, "year", resource.table.column("year").cast(pa.string()))
    with pytest.raises(ExportError, match="year"):
        export(catalog, tmp_path / "site", reference_date=REFERENCE_DATE)


def test_package_without_version_is_refused(tmp_path):
    catalog = make_catalog()
    del catalog.packages["reference"].descriptor["version"]
    with pytest.raises(ExportError, match="reference"):
        export(catalog, tmp_path / "site", reference_date=REFERENCE_DATE)


def test_rows_are_published_in_primary_key_order(tmp_path):
    catalog = make_catalog()
    resource = catalog.resource("safety", "yearly")
    resource.table = resource.table.take([3, 1, 2, 0])
    export(catalog, tmp_path / "site", reference_date=REFERENCE_DATE)
    table = read_csv(tmp_path / "site/data/safety/latest/data/yearly.csv", arrow_schema(resource))
    assert table.to_pydict()["year"] == [2013, 2014, 2013, 2014]
    assert table.to_pydict()["district_code"] == ["320402", "320402", "320404", "320404"]


def test_table_names_in_sqlite():
    assert table_name("indicator-progress", "observations") == "indicator_progress__observations"
