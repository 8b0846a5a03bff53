"""Descriptors are checked before anything reads them: every problem of every descriptor
reported at once, with file, JSON path, line and message in both languages; a data file
that is missing does not hide the other resources' errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.descriptors import check_package, collisions, locate, read
from pipeline.load import DescriptorError, load_catalog
from pipeline.validate import validate_catalog

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"


def package(root: Path, descriptor: dict, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {"data/t.csv": "id,note\n1,a\n"}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    return root


def resource(name="t", path="data/t.csv", **extra) -> dict:
    return {"name": name, "path": path, "format": "csv",
            "schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "note", "type": "string"}]},
            **extra}


def test_the_committed_descriptors_pass_the_profile():
    for path in sorted(DATAPACKAGES.glob("*/datapackage.json")):
        document, problems, _ = read(path)
        assert problems == []
        found, name = check_package(document, str(path), path.parent.name)
        assert found == [] and name == path.parent.name


def test_every_problem_of_every_descriptor_is_reported_at_once(tmp_path, capsys):
    bad = resource(name="Bad Name", dialect={"commentChar": "#"})
    bad["schema"]["fields"][0]["type"] = "int"
    package(tmp_path / "one", {"name": "one", "version": "../x", "resources": [bad]})
    package(tmp_path / "two", {"name": "two", "licenses": [{"title": "x"}], "resources": [resource(format="xlsx")]})
    with pytest.raises(DescriptorError) as caught:
        load_catalog([tmp_path])
    where = {(Path(p.file).parent.name, p.path) for p in caught.value.problems}
    assert where == {("one", "version"), ("one", "resources[0].name"), ("one", "resources[0].dialect.commentChar"),
                     ("one", "resources[0].schema.fields[0].type"), ("two", "licenses[0]"),
                     ("two", "resources[0].format")}
    assert main(["validate", "--format", "text", "--lang", "en", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "resources[0].schema.fields[0].type: the field type \"int\"" in text
    assert str(tmp_path / "one" / "datapackage.json") in text


def test_findings_carry_line_json_path_and_both_languages(tmp_path, capsys):
    bad = resource()
    bad["schema"]["fields"][0]["type"] = "int"
    root = package(tmp_path / "p", {"name": "p", "resources": [bad]})
    line = next(i for i, text in enumerate((root / "datapackage.json").read_text().splitlines(), 1)
                if '"int"' in text)
    assert main(["validate", "--format", "json", str(root)]) == 1
    report = json.loads(capsys.readouterr().out)
    [error] = report["tasks"][0]["errors"]
    assert error["jsonPath"] == "resources[0].schema.fields[0].type" and error["line"] == line
    assert error["type"] == "field-error"
    assert '字段类型 "int" 不是 Table Schema v2 的类型' in error["messages"]["zh"]
    assert 'the field type "int" is not a Table Schema v2 type' in error["messages"]["en"]
    assert main(["validate", "--format", "github", str(root)]) == 1
    annotation = capsys.readouterr().out.splitlines()[0]
    assert annotation.startswith(f"::error file={root / 'datapackage.json'},line={line},title=field-error::")
    assert "resources[0].schema.fields[0].type" in annotation


def test_a_missing_data_file_does_not_hide_the_other_resources_errors(tmp_path):
    root = package(tmp_path / "p", {"name": "p", "resources": [
        resource("gone", "data/gone.csv"), resource("t", "data/t.csv")]},
        {"data/t.csv": "id,note\nnot a number,a\n"})
    report = validate_catalog(load_catalog([root]))
    found = {(task.resource, e.type) for task in report.tasks for e in task.errors}
    assert found == {("gone", "source-error"), ("t", "type-error")}
    [gone] = [e for e in report.errors if e.type == "source-error"]
    assert "data/gone.csv" in gone.message("en") and "data/gone.csv" in gone.message("zh")


@pytest.mark.parametrize("text, path", [
    ('{"name": "p", "resources": [], "name": "q"}', "name"),
    ('{"name": "p", "x": {"a": 1, "a": 2}, "resources": []}', "x.a"),
])
def test_duplicate_keys_are_found_where_they_are(tmp_path, text, path):
    (tmp_path / "datapackage.json").write_text(text, encoding="utf-8")
    _, problems, _ = read(tmp_path / "datapackage.json")
    assert [(p.path, p.key) for p in problems] == [(path, "descriptor.duplicate_key")]


@pytest.mark.parametrize("text, path, char", [
    ('{"name": "p", "title": "行业\\u202e分类", "resources": []}', "title", "U+202E"),
    ('{"name": "p", "description": "说明\\u001b[31m", "resources": []}', "description", "U+001B"),
    ('{"name": "p", "x": [{"title": "a\\u200bb"}], "resources": []}', "x[0].title", "U+200B"),
    ('{"name": "p", "description": "line one\\nline two\\ttab", "resources": []}', None, None),
])
def test_hidden_and_direction_changing_characters_in_descriptor_text_are_refused(tmp_path, text, path, char):
    (tmp_path / "datapackage.json").write_text(text, encoding="utf-8")
    _, problems, _ = read(tmp_path / "datapackage.json")
    if path is None:  # line breaks and tabs are text
        assert problems == []
    else:
        assert [(p.path, p.key) for p in problems] == [(path, "descriptor.unsafe_text")]
        assert char in problems[0].message("en") and char in problems[0].message("zh")


def test_locate_finds_the_line_of_a_value():
    text = '{\n "a": [\n  1,\n  {"b": 2,\n   "c": [3, 4]}\n ],\n "d": "x"\n}\n'
    assert locate(text, {"a", "a[1].b", "a[1].c[1]", "d", "nope"}) == {
        "a": 2, "a[1].b": 4, "a[1].c[1]": 5, "d": 7}


def test_constraints_may_hold_numbers_beyond_64_bits_elsewhere_not():
    descriptor = {"name": "p", "resources": [resource()]}
    descriptor["resources"][0]["schema"]["fields"][0]["constraints"] = {"maximum": 10**20, "enum": [10**30]}
    problems, _ = check_package(descriptor, "f", "p")
    assert problems == []


def test_collisions_after_the_export_transformations():
    problems = collisions([("a", "x-y", ["z"]), ("b", "x", ["y__z"]), ("c", "q", ["r", "R"])])
    assert [(p.file, p.key) for p in problems] == [("c", "descriptor.collision_file")]
    problems = collisions([("a", "a-b", ["c"]), ("b", "a_b", ["c"])])
    assert [p.key for p in problems] == ["descriptor.collision_table"]
    assert "a_b__c" in problems[0].message("en") and "a_b__c" in problems[0].message("zh")


def test_a_cross_package_key_into_a_loaded_package_names_what_exists(tmp_path):
    package(tmp_path / "codes", {"name": "codes", "resources": [resource("districts")]})
    facts = resource("facts", **{"x-foreignKeys": [{"fields": ["id"], "reference": {
        "package": "codes", "resource": "districts", "fields": ["nope"]}}]})
    package(tmp_path / "facts", {"name": "facts", "resources": [facts]})
    with pytest.raises(DescriptorError) as caught:
        load_catalog([tmp_path / "facts"])
    [problem] = caught.value.problems
    assert problem.path == "resources[0].x-foreignKeys[0].reference.fields[0]"
    assert '"nope" is not a field' in problem.message("en")


def test_a_refused_package_that_others_refer_to_is_reported_once(tmp_path):
    package(tmp_path / "codes", {"name": "codes", "version": "../x", "resources": [resource("districts")]})
    facts = resource("facts", **{"x-foreignKeys": [{"fields": ["id"], "reference": {
        "package": "codes", "resource": "districts", "fields": ["id"]}}]})
    package(tmp_path / "facts", {"name": "facts", "resources": [facts]})
    for paths in ([tmp_path], [tmp_path / "facts"], [tmp_path / "codes", tmp_path / "facts"]):
        with pytest.raises(DescriptorError) as caught:
            load_catalog(paths)
        assert [(Path(p.file).parent.name, p.path) for p in caught.value.problems] == [("codes", "version")]


def test_an_external_schema_is_read_as_strictly(tmp_path):
    root = package(tmp_path / "p", {"name": "p", "resources": [resource(schema="schema.json")]})
    (root / "schema.json").write_text('{"fields": [{"name": "id", "type": "int"}], "fields": []}', encoding="utf-8")
    with pytest.raises(DescriptorError) as caught:
        load_catalog([root])
    assert {p.key for p in caught.value.problems} == {"descriptor.duplicate_key"}
    assert caught.value.problems[0].file == str(root / "schema.json")


def test_messages_exist_in_both_languages_for_every_problem_key():
    from pipeline.i18n import catalog

    source = (ROOT / "pipeline" / "descriptors.py").read_text("utf-8")
    keys = {k for k in catalog("en") if k.startswith("descriptor.")}
    assert keys == {k for k in catalog("zh") if k.startswith("descriptor.")}
    import re

    used = set(re.findall(r'"(descriptor\.[a-z_]+)"', source))
    used |= {f"descriptor.not_{kind}" for kind in ("object", "array", "string", "boolean", "integer", "number")}
    used |= {"descriptor.field_type_hint", "descriptor.resource_name_hint"}
    assert used <= keys, used - keys


def _nasty(tmp_path: Path) -> list[Path]:
    base = json.loads((DATAPACKAGES / "reference" / "datapackage.json").read_text("utf-8"))
    text = json.dumps(base, ensure_ascii=False)
    cases = {
        "deep": text.replace('"resources"', '"x-deep": ' + "[" * 100_000 + "]" * 100_000 + ', "resources"', 1),
        "unclosed-deep": "[" * 100_000,
        "nan": text.replace('"resources"', '"x-n": NaN, "resources"', 1),
        "dup": text.replace('"resources"', '"name": "other", "resources"', 1),
        "huge-int": text.replace('"resources"', '"x-i": ' + "9" * 5000 + ', "resources"', 1),
        "bom-array": "\ufeff[]",
        "not-utf8": None,
    }
    roots = []
    for name, content in cases.items():
        root = tmp_path / name / "reference"
        shutil.copytree(DATAPACKAGES / "reference", root)
        if content is None:
            (root / "datapackage.json").write_bytes(b'{"name": "\xff"}')
        else:
            (root / "datapackage.json").write_text(content, encoding="utf-8")
        roots.append(root)
    return roots


def test_the_command_refuses_nasty_descriptors_without_a_traceback(tmp_path):
    for root in _nasty(tmp_path):
        for fmt in ("text", "github"):
            done = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--format", fmt, str(root)],
                                  check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
            assert done.returncode in (1, 2), (root, done.stdout, done.stderr)
            assert "Traceback" not in done.stderr + done.stdout, (root, done.stderr)
            assert "datapackage.json" in done.stdout + done.stderr, root


@pytest.mark.parametrize("licence", [{"name": "CC0-1.0"}, {"path": "https://example.org/licence"},
                                     {"name": "CC-BY-4.0", "title": "署名 4.0"}])
def test_a_licence_with_only_a_name_or_a_path_is_written_into_readme_and_licence(licence):
    from pipeline.export import documents

    published = {"name": "p", "version": "1.0.0", "title": "标题", "licenses": [licence], "resources": [],
                 "x-release": {"released": "2016-01-01", "data_updated": "2016-01-01",
                               "metadata_updated": "2016-01-01"}}
    citations = {f"{style}_{lang}": "引用" for style in ("gbt7714", "apa") for lang in ("zh", "en")}
    readme = documents.readme(published, citations=citations, url="/data/p/1.0.0/", rows={})
    text = documents.licence_text(published, citations=citations)
    shown = [licence.get("title") or licence.get("name"), licence.get("path")]
    for value in filter(None, shown):
        assert value in readme and value in text


@pytest.mark.parametrize("value, message", [(None, "should be a JSON array"), (["x"], "should be a JSON object"),
                                            ([{"title": "t", "email": "not-an-email"}], "email")])
def test_a_resources_contributors_are_checked_like_the_packages(value, message):
    # frictionless reads them too, and failed with an AttributeError on ["x"] where the
    # portal's profile had let the descriptor through
    descriptor = {"name": "p", "resources": [{**resource(), "contributors": value}]}
    problems, _ = check_package(descriptor, "f", "p")
    assert any(p.path.startswith("resources[0].contributors") and message in p.message("en")
               for p in problems), [p.message("en") for p in problems]
