"""Where a build writes: only into an output folder it owns, only along paths computed from
validated names, and never two tables under one SQLite name."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

import pipeline.build as build_module
from pipeline.build import InvalidData, build
from pipeline.cli import main
from pipeline.load import LoadError
from pipeline.outdir import CODE_ROOT, MARKER, OutsideOutput, check_out, inside

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
DAY = date(2016, 1, 1)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (links not followed), with the SHA-256 of files."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[relative] = "link:" + str(path.readlink())
        elif path.is_file():
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[relative] = "folder"
    return found


@pytest.fixture
def never_written(monkeypatch):
    """The build's first writes (the lock file beside ``out``, the fresh folders) fail the
    test instead of happening: a guard that let an ``out`` through cannot destroy it."""
    def refuse(*args, **kwargs):
        raise AssertionError("the build went on to write although --out should have been refused")

    monkeypatch.setattr(build_module, "_exclusive", refuse)
    monkeypatch.setattr(build_module, "_replacing", refuse)


@pytest.fixture
def checkout(tmp_path, monkeypatch) -> Path:
    """A folder shaped like a checkout (``.git``, ``datapackages/``, a README), the current folder."""
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (root / "README.md").write_text("# portal\n", encoding="utf-8")
    shutil.copytree(DATAPACKAGES / "reference", root / "datapackages" / "reference")
    monkeypatch.chdir(root)
    return root


def _refused(capsys, args: list[str]) -> str:
    code = main(["build", "--no-cache", "--reference-date", "2016-01-01", *args])
    error = capsys.readouterr().err
    assert code == 2, error
    return error


@pytest.mark.parametrize("out, kind", [
    (".", ("当前文件夹", "current folder")),
    ("datapackages", ("数据文件夹", "data folder")),
    ("datapackages/reference", ("数据文件夹", "data folder")),
    ("datapackages/reference/data", ("数据文件夹", "data folder")),
    ("..", ("当前文件夹", "current folder")),
])
def test_out_that_is_the_checkout_or_its_data_is_refused_and_nothing_changes(
        checkout, capsys, never_written, out, kind):
    before = snapshot(checkout.parent)
    error = _refused(capsys, ["--data", "datapackages", "--out", out])
    assert all(word in error for word in kind), error
    assert "--out" in error
    assert snapshot(checkout.parent) == before


def test_the_repository_itself_is_refused(capsys, never_written, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the current folder: the repository check must catch it
    error = _refused(capsys, ["--data", str(DATAPACKAGES), "--out", str(CODE_ROOT)])
    assert "代码仓库" in error and "code repository" in error
    assert not (CODE_ROOT.parent / f".{CODE_ROOT.name}.lock").exists()


def test_a_folder_holding_the_data_is_refused(checkout, capsys, never_written, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = snapshot(checkout)
    error = _refused(capsys, ["--data", str(checkout / "datapackages"), "--out", str(checkout)])
    assert "数据文件夹" in error and "data folder" in error
    assert snapshot(checkout) == before


@pytest.mark.parametrize("content, words", [
    ({".git/HEAD": "ref: refs/heads/main\n"}, (".git", ".git")),
    ({"datapackage.json": "{}"}, ("datapackage.json", "datapackage.json")),
    ({"notes.txt": "mine"}, ("不是构建生成的", "no build made")),
    ({"photos/2015.jpg": "jpeg"}, ("不是构建生成的", "no build made")),
])
def test_a_folder_no_build_made_is_refused_byte_for_byte(tmp_path, capsys, never_written, content, words):
    out = tmp_path / "somewhere"
    for relative, text in content.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    error = _refused(capsys, ["--data", str(DATAPACKAGES), "--out", str(out)])
    assert all(word in error for word in words), error
    assert snapshot(tmp_path) == before


def test_a_file_as_out_is_refused(tmp_path, capsys, never_written):
    (tmp_path / "site").write_text("not a folder", encoding="utf-8")
    error = _refused(capsys, ["--data", str(DATAPACKAGES), "--out", str(tmp_path / "site")])
    assert "不是文件夹" in error and "not a folder" in error


def test_what_a_build_made_a_new_folder_and_an_empty_one_are_accepted(tmp_path):
    check_out(tmp_path / "new", DATAPACKAGES)
    (tmp_path / "empty").mkdir()
    check_out(tmp_path / "empty", DATAPACKAGES)
    (tmp_path / "built").mkdir()
    (tmp_path / "built" / "index.html").write_text("<title>x</title>", encoding="utf-8")
    (tmp_path / "built" / MARKER).write_text("", encoding="utf-8")
    check_out(tmp_path / "built", DATAPACKAGES)
    (tmp_path / "cached").mkdir()  # a build with a cache leaves its record
    (tmp_path / "cached" / "index.html").write_text("<title>x</title>", encoding="utf-8")
    (tmp_path / "cached" / ".build-key").write_text("{}", encoding="utf-8")
    check_out(tmp_path / "cached", DATAPACKAGES)
    with pytest.raises(LoadError) as caught:
        check_out(tmp_path / "built", tmp_path / "built" / "data")
    assert caught.value.type == "usage-error"


def test_a_build_leaves_its_marker_and_may_replace_its_own_output(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES / "reference", data / "reference")
    out = tmp_path / "site"
    build(data, out, reference_date=DAY)
    assert (out / MARKER).is_file()
    first = (out / MARKER).read_bytes()
    build(data, out, reference_date=DAY)  # its own output: replaced
    assert (out / MARKER).read_bytes() == first
    manifest = json.loads((out / "data" / "manifest.json").read_text("utf-8"))
    assert MARKER not in {entry["path"] for entry in manifest["files"]}


# --- paths computed from names ------------------------------------------------------------

def _reference(tmp_path: Path, **changes) -> Path:
    data = tmp_path / "deep" / "er" / "data"
    shutil.copytree(DATAPACKAGES / "reference", data / "reference")
    path = data / "reference" / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    for key, value in changes.items():
        if key == "resource":
            descriptor["resources"][0]["name"] = value
        else:
            descriptor[key] = value
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return data


@pytest.mark.parametrize("change", [
    {"version": "../../x"}, {"version": "../../../../../x"}, {"version": "1.0.0/../../x"},
    {"name": "../../x"}, {"name": "reference/../../x"}, {"resource": "../../x"},
    {"resource": "..%2f..%2fx"},
])
def test_a_version_or_name_that_is_a_path_is_refused_and_nothing_is_written_outside(tmp_path, change):
    data = _reference(tmp_path, **change)
    before = snapshot(tmp_path)
    out = tmp_path / "deep" / "er" / "site"
    with pytest.raises(InvalidData) as caught:
        build(data, out, reference_date=DAY)
    paths = {e.json_path for e in caught.value.report.errors}
    assert paths & {"version", "name", "resources[0].name"}, paths
    after = snapshot(tmp_path)
    # only the lock file beside --out, which every build leaves (its content: the process id)
    assert set(after) - set(before) == {"deep/er/.site.lock"}
    assert not any(Path(p).name == "x" for p in after)
    assert not (tmp_path.parent / "x").exists()


def test_inside_refuses_anything_but_plain_names(tmp_path):
    assert inside(tmp_path, "data", "reference", "1.0.0") == tmp_path / "data" / "reference" / "1.0.0"
    for parts in [("..",), ("a", ".."), ("a/../..",), ("",), (".",), ("/etc",), ("a\\..",), ("a\x00",)]:
        with pytest.raises(OutsideOutput):
            inside(tmp_path, *parts)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(OutsideOutput):
        inside(tmp_path, "link", "x")


def test_the_export_refuses_a_name_that_got_past_validation(tmp_path):
    """Defence in depth: a name changed after validation cannot lead the export out."""
    from pipeline.export import ExportError, export
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    catalog = load_catalog([DATAPACKAGES / "reference"])
    assert validate_catalog(catalog).valid
    package = catalog.packages.pop("reference")
    package.name = "../../escaped"
    catalog.packages[package.name] = package
    for resource in package.resources.values():
        resource.package = package.name
    out = tmp_path / "a" / "b" / "site"
    with pytest.raises(ExportError) as caught:
        export(catalog, out, reference_date=DAY)
    assert "leave" in str(caught.value) and "离开" in str(caught.value)
    assert not (tmp_path / "a" / "escaped").exists() and not (tmp_path / "escaped").exists()


# --- SQLite names ---------------------------------------------------------------------------

def _catalog(tables: dict[tuple[str, str], pa.Table], fields: dict[str, list[dict]] | None = None):
    from pipeline.model import Catalog, Package, Resource

    catalog = Catalog()
    for (package, resource), table in tables.items():
        pkg = catalog.packages.setdefault(package, Package(name=package, descriptor={"name": package}, root=None))
        schema = {"fields": (fields or {}).get(resource) or [{"name": n, "type": "string"} for n in table.column_names]}
        pkg.resources[resource] = Resource(package=package, name=resource, path=None, table=table, typed=True,
                                           descriptor={"name": resource, "schema": schema})
    return catalog


@pytest.mark.parametrize("first, second", [
    (("accident-outcomes", "provincial_benchmarks"), ("accident_outcomes", "provincial_benchmarks")),
    (("p", "a_b"), ("p", "a-b")),
    (("a-b", "c"), ("a_b", "c")),
])
def test_two_tables_under_one_sqlite_name_stop_the_export(tmp_path, first, second):
    from pipeline.export import ExportError
    from pipeline.export.sqlitefile import write_sqlite

    tables = {first: pa.table({"x": ["one"]}), second: pa.table({"x": ["two"]})}
    with pytest.raises(ExportError) as caught:
        write_sqlite(_catalog(tables), tables, tmp_path / "all.sqlite")
    message = str(caught.value)
    assert "/".join(first) in message and "/".join(second) in message
    assert "SQLite" in message and "覆盖" in message
    assert not (tmp_path / "all.sqlite").exists()


def test_identifiers_are_quoted_whatever_the_field_names(tmp_path):
    from pipeline.export.sqlitefile import table_name, write_sqlite

    names = ['a"b', "c; DROP TABLE x; --", "select", "名称", "d e"]
    table = pa.table({name: [f"v{i}"] for i, name in enumerate(names)})
    tables = {("pkg", "t"): table}
    write_sqlite(_catalog(tables), tables, tmp_path / "all.sqlite")
    with sqlite3.connect(tmp_path / "all.sqlite") as db:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table_name("pkg", "t")}")')]
        assert columns == names
        assert db.execute(f'SELECT * FROM "{table_name("pkg", "t")}"').fetchall() == [("v0", "v1", "v2", "v3", "v4")]


def test_names_the_profile_accepts_never_share_a_sqlite_table():
    """Package words joined by single hyphens and resource words by single underscores:
    ``<package>__<resource>`` (hyphens as underscores) names one pair only."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pipeline.descriptors import PACKAGE_NAME, RESOURCE_NAME
    from pipeline.export.sqlitefile import table_name

    word = st.text("ab1", min_size=1, max_size=3)
    packages = st.lists(word, min_size=1, max_size=3).map("-".join)
    resources = st.lists(word, min_size=1, max_size=3).map("_".join)

    @settings(max_examples=500, deadline=None)
    @given(packages, resources, packages, resources)
    def check(p1, r1, p2, r2):
        assert PACKAGE_NAME.fullmatch(p1) and RESOURCE_NAME.fullmatch(r1)
        if (p1, r1) != (p2, r2):
            assert table_name(p1, r1) != table_name(p2, r2)

    check()


def test_a_cache_folder_must_be_the_builds_own(tmp_path):
    from pipeline.load import LoadError
    from pipeline.outdir import check_cache

    data, out = tmp_path / "datapackages", tmp_path / "site"
    data.mkdir()
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    for cache, key in ((out, "out"), (out / "cache", "out"), (tmp_path, "out"), (data, "data"),
                       (data / "cache", "data"), (tmp_path / "photos", "foreign")):
        with pytest.raises(LoadError) as refused:
            check_cache(cache, out, data)
        assert refused.value.key == f"build.cache.{key}", (cache, refused.value.key)
    check_cache(tmp_path / "cache", out, data)  # new: fine
    (tmp_path / "cache" / "export").mkdir(parents=True)
    check_cache(tmp_path / "cache", out, data)  # a cache's own folders: fine
