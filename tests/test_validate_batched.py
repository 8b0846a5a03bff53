"""Validation batch by batch gives the findings of validation of the whole table; the
benchmark's resource gives the findings of frictionless and of the DuckDB SQL checks; the
command line starts without importing what it does not use."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import DEFAULT, parse
from pipeline.load import batches as load_batches
from pipeline.load import load_catalog
from pipeline.validate import validate_catalog
from pipeline.validate.bench import INJECTED, make_package

ROOT = Path(__file__).resolve().parent.parent
# the package "p" declared, so the rules bound to every resource ("*/*") check it too
CONFIG = parse(DEFAULT.read_text(encoding="utf-8").replace("packages:\n", "packages:\n  p: {}\n", 1))

SCHEMA = {"fields": [
    {"name": "code", "type": "string", "constraints": {"required": True, "pattern": "[A-C][0-9]"}},
    {"name": "n", "type": "integer", "constraints": {"minimum": 0, "maximum": 50}},
    {"name": "day", "type": "date"},
    {"name": "grade", "type": "string", "constraints": {"enum": ["A", "B"]}},
    {"name": "note", "type": "string", "constraints": {"maxLength": 12}},
], "primaryKey": ["code", "n"]}
CELLS = {
    "code": st.sampled_from(["A1", "B2", "C3", "A1", "D4", "", "a1"]),
    "n": st.sampled_from(["0", "7", "50", "51", "-1", "x", "", "007", "1.0"]),
    "day": st.sampled_from(["2015-04-28", "2015-02-30", "", "28/04/2015", "2016-02-29"]),
    "grade": st.sampled_from(["A", "B", "C", ""]),
    # text with line breaks and quotes (a record over several lines), a mobile number
    # (a finding of the personal-data rule) and a control character (text safety)
    "note": st.sampled_from(["ok", "", "两行\n文本", 'say "hi"', "call 13812345678", "a\u202eb",
                             "longer than twelve"]),
}


def _write(root: Path, rows: list[list[str]], referencing: list[str]) -> Path:
    (root / "data").mkdir(parents=True)
    body = io.StringIO(newline="")
    writer = csv.writer(body, lineterminator="\n")
    writer.writerow([f["name"] for f in SCHEMA["fields"]])
    writer.writerows(rows)
    (root / "data" / "t.csv").write_text(body.getvalue(), encoding="utf-8", newline="")
    child = "code\n" + "".join(f"{c}\n" for c in referencing)
    (root / "data" / "u.csv").write_text(child, encoding="utf-8", newline="")
    descriptor = {"name": "p", "resources": [
        {"name": "t", "path": "data/t.csv", "format": "csv", "encoding": "utf-8", "schema": SCHEMA},
        {"name": "u", "path": "data/u.csv", "format": "csv", "encoding": "utf-8", "schema": {
            "fields": [{"name": "code", "type": "string"}],
            "foreignKeys": [{"fields": "code", "reference": {"resource": "t", "fields": "code"}}]}}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return root


def _findings(report) -> list[tuple]:
    return sorted(((e.type, e.key, e.rowNumber, e.line, e.fieldName, e.cell, e.note)
                   for e in report.errors), key=repr)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(*CELLS.values()).map(list), min_size=1, max_size=60),
       referencing=st.lists(st.sampled_from(["A1", "B2", "Z9", ""]), max_size=10),
       block=st.integers(min_value=32, max_value=2048))
def test_batches_at_random_boundaries_give_the_findings_of_the_whole_table(
        tmp_path_factory, rows, referencing, block):
    root = _write(tmp_path_factory.mktemp("batched"), rows, referencing)
    whole = validate_catalog(load_catalog([root]), max_errors=None, config=CONFIG)
    catalog = load_catalog([root], stream_above=0)
    table = catalog.packages["p"].resources["t"]
    assert table.stream is not None and table.table is None  # scanned, its rows not read yet
    batched = validate_catalog(catalog, max_errors=None, config=CONFIG, block_size=block)
    assert _findings(batched) == _findings(whole)
    assert [dict(t.counts) for t in batched.tasks] == [dict(t.counts) for t in whole.tasks]
    assert batched.warnings == whole.warnings


KEYED = {"fields": [
    {"name": "id", "type": "integer", "constraints": {"unique": True}},
    {"name": "code", "type": "string"},
    {"name": "n", "type": "integer"},
    {"name": "parent", "type": "integer"},
], "primaryKey": ["code", "n"], "foreignKeys": [{"fields": "parent", "reference": {"fields": "id"}}]}
REFERRING = {"fields": [{"name": "code", "type": "string"}, {"name": "n", "type": "integer"}],
             "foreignKeys": [
                 {"fields": ["code", "n"], "reference": {"resource": "t", "fields": ["code", "n"]}},
                 {"fields": "code", "reference": {"resource": "t", "fields": "code"}}]}
# few values, so that keys repeat, refer to nothing, are null ("") or not integers ("x"),
# and equal as integers though written differently ("7", "007")
KEY_CELLS = st.tuples(st.sampled_from(["1", "2", "3", "007", "7", "", "x"]),
                      st.sampled_from(["A", "B", "C", ""]),
                      st.sampled_from(["0", "7", "007", "", "x"]),
                      st.sampled_from(["1", "2", "9", ""])).map(list)


def _write_keyed(root: Path, rows: list[list[str]], referring: list[list[str]],
                 child_first: bool) -> Path:
    (root / "data").mkdir(parents=True)
    for name, schema, table in (("t", KEYED, rows), ("u", REFERRING, referring)):
        body = io.StringIO(newline="")
        writer = csv.writer(body, lineterminator="\n")
        writer.writerow([f["name"] for f in schema["fields"]])
        writer.writerows(table)
        (root / "data" / f"{name}.csv").write_text(body.getvalue(), encoding="utf-8", newline="")
    resources = [{"name": name, "path": f"data/{name}.csv", "format": "csv", "encoding": "utf-8",
                  "schema": schema} for name, schema in (("t", KEYED), ("u", REFERRING))]
    descriptor = {"name": "p", "resources": resources[::-1] if child_first else resources}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(KEY_CELLS, min_size=1, max_size=40),
       referring=st.lists(st.tuples(st.sampled_from(["A", "B", "D", ""]),
                                    st.sampled_from(["0", "7", "07", "", "x"])).map(list),
                          min_size=1, max_size=40),
       block=st.integers(min_value=16, max_value=512), segment=st.integers(min_value=1, max_value=30),
       buckets=st.sampled_from([1, 2, 5, 1 << 64]), child_first=st.booleans(),
       max_errors=st.sampled_from([None, 3]), kept=st.sampled_from([0, 200, 1 << 26]))
def test_keys_checked_as_the_file_is_read_give_the_findings_of_the_whole_table(
        tmp_path_factory, monkeypatch, rows, referring, block, segment, buckets, child_first,
        max_errors, kept):
    """Repeated and null primary keys, repeated unique values and foreign keys that refer to
    nothing (to the file itself too, or to a file read after it) are found as in the whole
    table, whatever the batches and segments, with a hash that collides often (into one,
    two or five values) or as it is, and whether the key cells are kept as read (all, the
    first batches only, none: the file is then read again)."""
    from pipeline.validate import batched

    monkeypatch.setattr(batched, "KEEP_KEY_CELLS", kept)
    hashed = batched.hash_values
    monkeypatch.setattr(batched, "hash_values", lambda values: hashed(values) % np.uint64(buckets)
                        if buckets < 1 << 64 else hashed(values))
    monkeypatch.setattr(batched, "SEGMENT_ROWS", segment)
    root = _write_keyed(tmp_path_factory.mktemp("keyed"), rows, referring, child_first)
    whole = validate_catalog(load_catalog([root]), max_errors=max_errors, rules=False)
    streamed = validate_catalog(load_catalog([root], stream_above=0), max_errors=max_errors,
                                rules=False, block_size=block)
    assert _findings(streamed) == _findings(whole)
    assert [dict(t.counts) for t in streamed.tasks] == [dict(t.counts) for t in whole.tasks]


@pytest.mark.parametrize("kept, reads", [(1 << 26, 1), (0, 2)])
def test_the_file_is_read_again_for_repeated_keys_only_when_their_cells_were_not_kept(
        tmp_path, monkeypatch, kept, reads):
    from pipeline.validate import batched

    monkeypatch.setattr(batched, "KEEP_KEY_CELLS", kept)
    opened = []
    monkeypatch.setattr(batched, "batches", lambda *a, **k: opened.append(a) or load_batches(*a, **k))
    (tmp_path / "t.csv").write_text("id,code\n1,A\n2,B\n3,A\n1,C\n", encoding="utf-8")
    schema = {"fields": [{"name": "id", "type": "integer"},
                         {"name": "code", "type": "string", "constraints": {"unique": True}}],
              "primaryKey": "id"}
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "t", "path": "t.csv", "format": "csv", "encoding": "utf-8", "schema": schema}]}))
    report = validate_catalog(load_catalog([tmp_path], stream_above=0), max_errors=None, rules=False,
                              block_size=16)
    assert {(e.type, e.rowNumber) for e in report.errors} == {("primary-key", 5), ("unique-error", 4)}
    assert len(opened) == reads


def test_the_hash_of_equal_keys_is_equal_and_of_others_differs():
    from pipeline.validate.batched import hash_values

    text = pa.array(["", "a", "ab", "ba", "a\x00", None, "长文本" * 50, "ab"])
    assert hash_values(text)[2] == hash_values(text)[7] == hash_values(text.slice(7))[0]
    assert len(set(hash_values(text)[:5].tolist())) == 5
    assert hash_values(pa.array([0.0, -0.0]))[0] == hash_values(pa.array([-0.0]))[0]


def test_a_ragged_file_is_read_whole_and_checked_the_same(tmp_path):
    root = _write(tmp_path, [["A1", "1", "", "A", ""]], ["A1"])
    with (root / "data" / "t.csv").open("a", encoding="utf-8") as f:
        f.write("B2,2\nC3,3,,B,,extra\n")  # a short row and a long one
    whole = validate_catalog(load_catalog([root]), max_errors=None, config=CONFIG)
    batched = validate_catalog(load_catalog([root], stream_above=0), max_errors=None,
                               config=CONFIG, block_size=32)
    assert {"missing-cell", "extra-cell"} <= {e.type for e in whole.errors}
    assert _findings(batched) == _findings(whole)


@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> Path:
    """The benchmark's resource with every kind of injected error several times."""
    return make_package(tmp_path_factory.mktemp("bench"), 3000, bad_every=37)


def _ours(package: Path, **options) -> set[tuple]:
    report = validate_catalog(load_catalog([package], **options), max_errors=None,
                              **({"block_size": 4096} if options else {}))
    return {(e.type, e.rowNumber, e.fieldName) for e in report.errors}


def test_the_benchmark_resource_gives_the_findings_of_frictionless(injected):
    frictionless = pytest.importorskip("frictionless")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.Package(str(injected / "datapackage.json")).validate()
    theirs = {(e.type, getattr(e, "row_number", None), getattr(e, "field_name", None))
              for task in report.tasks for e in task.errors}
    # every injected wrong cell and repeated key is found (a repeated key of a row whose
    # year is wrong counts once more)
    assert len(theirs) >= 3000 // 37
    assert {t for t, _, _ in theirs} == {"type-error", "constraint-error", "primary-key"}
    assert {f for _, _, f in theirs} == {c for c, _ in INJECTED if c != "duplicate"} | {None}
    assert _ours(injected) == theirs
    assert _ours(injected, stream_above=0) == theirs  # batch by batch as well


def test_the_duckdb_checks_give_the_same_findings(injected):
    pytest.importorskip("duckdb")
    from pipeline.validate.duckdb_checks import findings

    assert findings(injected / "datapackage.json") == _ours(injected)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True)


HEAVY = ("pandas", "pyarrow", "numpy", "frictionless", "jieba", "mkdocs", "jsonschema", "duckdb")


def test_the_command_line_starts_without_heavy_modules():
    done = _python("import sys\nfrom pipeline.cli import _parser\n_parser()\n"
                   f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    assert done.stdout.strip() == "[]"


def test_the_validate_command_does_not_import_pandas():
    done = _python("import sys\nsys.argv = ['pipeline', 'validate', 'datapackages/reference']\n"
                   "from pipeline.cli import main\ncode = main()\n"
                   "print(code, 'pandas' in sys.modules, 'pyarrow' in sys.modules)")
    assert done.stdout.strip().splitlines()[-1] == "0 False True"


def test_the_duckdb_checks_find_the_key_errors_of_the_portal_s_packages(tmp_path):
    pytest.importorskip("duckdb")
    import shutil

    from pipeline.validate.duckdb_checks import findings

    shutil.copytree(ROOT / "datapackages", tmp_path, dirs_exist_ok=True)
    table = tmp_path / "enterprise-credit" / "data" / "certificates.csv"
    lines = table.read_text(encoding="utf-8").split("\n")
    first = lines[1].split(",")
    lines[2] = ",".join([first[0], "91320400MA00000000", *first[2:]])  # a repeated id, an unknown firm
    table.write_text("\n".join(lines), encoding="utf-8")
    report = validate_catalog(load_catalog([tmp_path]), max_errors=None, rules=False)
    ours = {(e.type, e.rowNumber, e.fieldName) for e in report.errors if e.table_schema}
    assert {t for t, _, _ in ours} >= {"unique-error", "primary-key", "foreign-key"}
    assert findings(tmp_path) == ours
