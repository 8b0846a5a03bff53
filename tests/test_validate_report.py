"""Reports (text, JSON, GitHub annotations), error limits, exit codes, typed tables."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.cli import main
from pipeline.load import load_catalog
from pipeline.validate import validate_catalog
from pipeline.validate.report import render_github, render_json, render_text, to_dict

FIELDS = [{"name": "id", "type": "integer"}, {"name": "day", "type": "date"},
          {"name": "ok", "type": "boolean"}, {"name": "share", "type": "number"},
          {"name": "year", "type": "year"}, {"name": "note", "type": "string",
                                             "constraints": {"maxLength": 3}}]


def package(root: Path, rows: str) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "t.csv").write_text("id,day,ok,share,year,note\n" + rows, encoding="utf-8")
    descriptor = {"name": "p", "resources": [{"name": "t", "path": "data/t.csv", "format": "csv",
                                              "schema": {"fields": FIELDS, "primaryKey": ["id"]}}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


BAD = '1,2013-02-30,true,0.5,2013,"a\nbc"\n2,2013-01-01,yes,1,2013,abcd\n2,2013-01-01,true,1,2013,x\n'


def test_json_report_has_frictionless_shape(tmp_path):
    report = validate_catalog(load_catalog([package(tmp_path, BAD)]))
    data = to_dict(report, "en")
    assert data["valid"] is False and data["stats"]["errors"] == 5
    errors = data["tasks"][0]["errors"]
    assert {(e["type"], e.get("rowNumber"), e.get("fieldName")) for e in errors} == {
        ("type-error", 2, "day"), ("constraint-error", 2, "note"), ("type-error", 3, "ok"),
        ("constraint-error", 3, "note"), ("primary-key", 4, None)}
    for e in errors:
        assert {"type", "note", "message"} <= set(e)
    day = next(e for e in errors if e.get("fieldName") == "day")
    assert day["cell"] == "2013-02-30" and "2013-02-30" in day["message"]
    json.loads(render_json(report))


def test_github_annotations_point_at_physical_lines(tmp_path):
    report = validate_catalog(load_catalog([package(tmp_path, BAD)]))
    out = render_github(report, "en")
    # row 3 starts on line 4 because row 2 holds a quoted newline
    assert "line=4,title=type-error ok::" in out
    assert "line=5,title=primary-key::" in out
    assert out.strip().splitlines()[-1].startswith("::error::")


@pytest.mark.parametrize("lang, word", [("zh", "不是"), ("en", "is not")])
def test_text_report_lines_read_file_line_field_message(tmp_path, lang, word):
    report = validate_catalog(load_catalog([package(tmp_path, BAD)]))
    text = render_text(report, lang)
    line = next(x for x in text.splitlines() if "ok:" in x)
    assert line.strip().startswith(str(tmp_path / "data" / "t.csv") + ":4: ok: ")
    assert "yes" in line and word in line


def test_errors_beyond_the_limit_are_counted(tmp_path):
    rows = "".join(f"{i},x,true,1,2013,a\n" for i in range(10))
    report = validate_catalog(load_catalog([package(tmp_path, rows)]), max_errors=3)
    assert len(report.errors) == 3 and report.error_count == 10
    assert [e.rowNumber for e in report.errors] == [2, 3, 4]
    assert "7" in render_text(report, "en", 3)


def test_typed_table_after_success(tmp_path):
    catalog = load_catalog([package(tmp_path, "1,2013-05-01,true,0.5,2013,ab\n2,,false,,2014,\n")])
    assert validate_catalog(catalog).valid
    resource = next(iter(catalog))
    assert resource.typed
    assert resource.table.schema.types == [pa.int64(), pa.date32(), pa.bool_(), pa.float64(),
                                           pa.int64(), pa.string()]
    assert resource.table.column("share").to_pylist() == [0.5, None]


def test_table_stays_text_when_invalid(tmp_path):
    catalog = load_catalog([package(tmp_path, BAD)])
    assert not validate_catalog(catalog).valid
    assert not next(iter(catalog)).typed


def test_exit_codes(tmp_path, capsys):
    good = package(tmp_path / "good", "1,2013-05-01,true,0.5,2013,ab\n")
    bad = package(tmp_path / "bad", BAD)
    assert main(["validate", str(good), "--format", "json"]) == 0
    assert main(["validate", str(bad), "--format", "github", "--lang", "en"]) == 1
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert main(["validate", str(good), "--max-errors", "-1"]) == 2
    capsys.readouterr()


def test_unsafe_descriptor_is_reported_not_raised(tmp_path, capsys):
    root = package(tmp_path, BAD)
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = "../t.csv"
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    assert main(["validate", str(root), "--format", "json", "--lang", "en"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["tasks"][0]["errors"][0]["type"] == "unsafe-path"


def test_shipped_packages_are_valid(datapackages_dir):
    report = validate_catalog(load_catalog([datapackages_dir]))
    assert report.valid, render_text(report, "en")
