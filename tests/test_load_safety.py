"""Loading: encodings, line positions, ragged rows, and paths that must stay inside."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.load import LoadError, load_catalog

ROOT = Path(__file__).resolve().parent.parent
from pipeline.validate import validate_catalog


def package(root: Path, data: bytes, fields=None, **resource) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "t.csv").write_bytes(data)
    fields = fields or [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]
    descriptor = {"name": "p", "resources": [{"name": "t", "path": "data/t.csv", "format": "csv",
                                              "schema": {"fields": fields}, **resource}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return root


def only(catalog):
    return next(iter(catalog))


def test_utf8_with_bom_reads_the_first_label_cleanly(tmp_path):
    catalog = load_catalog([package(tmp_path, "\ufeffa,b\n1,常州\n".encode("utf-8"))])
    assert only(catalog).labels == ["a", "b"]
    assert validate_catalog(catalog).valid


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_declared_chinese_encoding_is_read_without_mojibake(tmp_path, encoding):
    catalog = load_catalog([package(tmp_path, "a,b\n1,常州示例\n".encode(encoding), encoding=encoding)])
    report = validate_catalog(catalog)
    assert report.valid
    assert only(catalog).table.column("b").to_pylist() == ["常州示例"]


def test_a_ragged_row_that_is_not_utf8_prints_no_traceback(tmp_path):
    """Arrow decodes a ragged row before handing it to the loader; that decoding failing inside
    Arrow used to print 'Exception ignored in ... Traceback' on the terminal. Run as a user
    runs it, in its own process: pytest catches such reports itself and would hide them."""
    import subprocess
    import sys

    folder = package(tmp_path, b"a,b\n1,x\n\xe4\xb8,y,z\n2,w\n")
    done = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(folder)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "Exception ignored" not in done.stderr
    assert "[encoding-error]" in done.stdout and "t.csv:3" in done.stdout.replace("\\", "/")


def test_undeclared_gbk_is_an_encoding_error_naming_the_line(tmp_path):
    data = ("a,b\n" + "1,x\n" * 30000 + "2,常州\n").encode("gbk")
    report = validate_catalog(load_catalog([package(tmp_path, data)]))
    [error] = report.errors
    assert (error.type, error.line) == ("encoding-error", 30002)
    assert "0xb3" in error.message("en") and "data/t.csv" in report.tasks[0].path


def test_quoted_newlines_keep_logical_rows_and_physical_lines_apart(tmp_path):
    data = b'a,b\n1,"two\nlines"\nx,y\n'
    report = validate_catalog(load_catalog([package(tmp_path, data)]))
    [error] = report.errors
    assert (error.type, error.rowNumber, error.line) == ("type-error", 3, 4)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_line_endings(tmp_path, newline):
    data = newline.join([b"a,b", b"1,x", b"", b"oops,y"]) + newline
    report = validate_catalog(load_catalog([package(tmp_path, data)]))
    assert {(e.type, e.rowNumber, e.line) for e in report.errors} == {
        ("blank-row", 3, 3), ("type-error", 4, 4)}


def test_ragged_rows_are_read_exactly(tmp_path):
    report = validate_catalog(load_catalog([package(tmp_path, b"a,b\n1\n2,x,extra\n")]))
    assert {(e.type, e.rowNumber, e.fieldName, e.cell) for e in report.errors} == {
        ("missing-cell", 2, "b", None), ("extra-cell", 3, "", "extra")}


def test_empty_file_is_a_source_error(tmp_path):
    report = validate_catalog(load_catalog([package(tmp_path, b"")]))
    assert [e.type for e in report.errors] == ["source-error"]


def test_a_link_inside_the_package_is_followed(tmp_path):
    root = package(tmp_path / "p", b"a,b\n1,x\n")
    (root / "data" / "real.csv").write_bytes(b"a,b\n1,x\n")
    (root / "data" / "t.csv").unlink()
    os.symlink("real.csv", root / "data" / "t.csv")
    assert validate_catalog(load_catalog([root])).valid


@pytest.mark.parametrize("path, kind", [
    ("/etc/hosts", "unsafe-path"), ("../t.csv", "unsafe-path"), ("data/./../../t.csv", "unsafe-path"),
    ("~root/t.csv", "unsafe-path"), ("${HOME}/t.csv", "unsafe-path"), ("%APPDATA%/t.csv", "unsafe-path"),
    ("data/.git/t.csv", "unsafe-path"), ("data\\t.csv", "unsafe-path"),
    ("http://example.org/t.csv", "remote-path"), ("file:///etc/hosts", "remote-path"),
    ("s3://bucket/t.csv", "remote-path"),
])
def test_unsafe_paths_are_refused(tmp_path, path, kind):
    root = package(tmp_path, b"a,b\n1,x\n")
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = path
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    with pytest.raises(LoadError) as caught:
        load_catalog([root])
    assert caught.value.type == kind
    assert path in caught.value.message("en")


def test_remote_scheme_is_refused(tmp_path):
    with pytest.raises(LoadError) as caught:
        load_catalog([package(tmp_path, b"a,b\n", scheme="https")])
    assert caught.value.type == "remote-path"


def test_size_limit_names_the_file_and_the_limit(tmp_path):
    with pytest.raises(LoadError) as caught:
        load_catalog([package(tmp_path, b"a,b\n1,x\n")], max_bytes=5)
    assert caught.value.type == "file-too-large"
    message = caught.value.message("zh")
    assert "t.csv" in message and "5" in message
