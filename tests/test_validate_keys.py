"""Foreign keys: the integer encoding agrees with the text keys it replaced; a package
validated alone finds the packages it refers to beside it, or stops with exit code 2;
findings beyond Table Schema are marked, so comparisons with frictionless leave them out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.load import Consecutive, LoadedResource, load_catalog
from pipeline.validate import validate_catalog
from pipeline.validate.errors import Collector
from pipeline.validate.keys import Checked, _integer_key, composite, missing_keys
from pipeline.validate.tableschema import check_table

# ---------------------------------------------------------------------------------------
# the encoding against the text keys


def checked(types: list[str], rows: list[list[str]]) -> Checked:
    names = [f"c{i}" for i in range(len(types))]
    table = pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})
    resource = LoadedResource(
        package="p", name="t", path=None, table=table, labels=[f"f{i}" for i in range(len(types))],
        descriptor={"schema": {"fields": [{"name": f"f{i}", "type": t} for i, t in enumerate(types)]}},
        row_numbers=Consecutive(2, len(rows)), lines=Consecutive(2, len(rows)))
    out = Collector(None)
    return Checked(resource, check_table(resource, out), out)


def by_text(child: Checked, parent: Checked, fields: list[str]) -> np.ndarray:
    """What the validator did before: every key spelled out as text and looked up."""
    exact = [_integer_key(child, f) and _integer_key(parent, f) for f in fields]
    keys, null = composite(child, fields, exact)
    parent_keys, parent_null = composite(parent, fields, exact)
    lookup = pc.unique(parent_keys.filter(pa.array(~parent_null)))
    found = pc.fill_null(pc.is_in(keys, value_set=lookup), False).to_numpy(zero_copy_only=False)
    return ~found & ~null


# Small alphabets so that keys collide often; "" is a blank cell, "x" a type error, and
# 1 / 1.0 / 01 / -0 / 0 test numbers that are equal though spelled differently.
CELLS = {"integer": ["", "1", "01", "2", "-0", "0", "x"],
         "number": ["", "1", "1.0", "2.5", "-0", "0", "nan", "x"],
         "string": ["", "a", "b", "A", "a ", "1"],
         "boolean": ["", "true", "false", "1", "x"],
         "date": ["", "2013-01-01", "2013-01-02", "2013-02-30"]}


@st.composite
def tables(draw):
    width = draw(st.integers(1, 3))
    child_types = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=width, max_size=width))
    # mostly the same kinds on both sides, sometimes another kind (integer against number…)
    parent_types = [draw(st.sampled_from([t, t, t, *sorted(CELLS)])) for t in child_types]

    def rows(types, most):
        return draw(st.lists(st.tuples(*[st.sampled_from(CELLS[t]) for t in types]).map(list),
                             min_size=0, max_size=most))
    return child_types, rows(child_types, 40), parent_types, rows(parent_types, 12)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_encoded_keys_find_what_text_keys_find(case):
    child_types, child_rows, parent_types, parent_rows = case
    child, parent = checked(child_types, child_rows), checked(parent_types, parent_rows)
    fields = [f"f{i}" for i in range(len(child_types))]
    exact = [_integer_key(child, f) and _integer_key(parent, f) for f in fields]
    got = missing_keys(child, fields, parent, fields, exact)
    assert got.tolist() == by_text(child, parent, fields).tolist()


def test_many_distinct_values_per_field_renumbered_without_overflow():
    # 3 fields of 5,000 distinct values each: 1.25e11 combinations, renumbered after
    # each field, so the codes stay small; a key whose parts all exist apart is missing.
    rng = np.random.default_rng(7)
    parent_rows = [[str(v) for v in rng.integers(0, 5000, 3)] for _ in range(5000)]
    child_rows = parent_rows[::7] + [[parent_rows[0][0], parent_rows[1][1], parent_rows[2][2]]]
    child = checked(["integer"] * 3, child_rows)
    parent = checked(["integer"] * 3, parent_rows)
    fields = ["f0", "f1", "f2"]
    got = missing_keys(child, fields, parent, fields, [True] * 3)
    assert got.tolist() == by_text(child, parent, fields).tolist()
    assert got[-1] == (child_rows[-1] not in parent_rows)


# ---------------------------------------------------------------------------------------
# one package alone, its references beside it


def write_package(root: Path, name: str, resources: list[dict], data: dict[str, str]) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    for file, text in data.items():
        (root / "data" / file).write_text(text, encoding="utf-8")
    (root / "datapackage.json").write_text(json.dumps({"name": name, "resources": resources}),
                                           encoding="utf-8")
    return root


def codes_package(root: Path) -> Path:
    return write_package(root, "codes", [{
        "name": "districts", "path": "data/districts.csv", "format": "csv",
        "schema": {"fields": [{"name": "code", "type": "string"}], "primaryKey": ["code"]}}],
        {"districts.csv": "code\n320402\n320404\n"})


def facts_package(root: Path, rows: str) -> Path:
    return write_package(root, "facts", [
        {"name": "parents", "path": "data/parents.csv", "format": "csv",
         "schema": {"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]}},
        {"name": "facts", "path": "data/facts.csv", "format": "csv",
         "schema": {"fields": [{"name": "id", "type": "integer"},
                               {"name": "district_code", "type": "string"}],
                    "foreignKeys": [{"fields": ["id"], "reference": {"resource": "parents",
                                                                     "fields": ["id"]}}]},
         "x-foreignKeys": [{"fields": ["district_code"], "reference": {
             "package": "codes", "resource": "districts", "fields": ["code"]}}]}],
        {"parents.csv": "id\n1\n2\n", "facts.csv": "id,district_code\n" + rows})


def test_package_alone_loads_the_package_it_refers_to_from_beside_it(tmp_path):
    codes_package(tmp_path / "codes")
    facts = facts_package(tmp_path / "facts", "1,320402\n3,320402\n2,999999\n")
    catalog = load_catalog([facts])
    assert sorted(catalog.packages) == ["codes", "facts"]
    report = validate_catalog(catalog)
    found = {(e.type, e.rowNumber, e.table_schema) for e in report.errors}
    # the same-package key is Table Schema's; the cross-package one is ours only
    assert found == {("foreign-key", 3, True), ("foreign-key", 4, False)}
    assert main(["validate", "--format", "text", str(facts)]) == 1


def test_package_alone_valid_with_its_reference_beside_it(tmp_path):
    codes_package(tmp_path / "codes")
    facts = facts_package(tmp_path / "facts", "1,320402\n2,320404\n")
    assert main(["validate", "--format", "text", str(facts)]) == 0


def test_package_alone_without_the_package_it_refers_to_is_a_usage_error(tmp_path, capsys):
    facts = facts_package(tmp_path / "facts", "1,320402\n")
    # Keys that cannot be checked must not pass: exit 2 (configuration), not 0 or 1.
    assert main(["validate", "--lang", "en", "--format", "text", str(facts)]) == 2
    message = capsys.readouterr().err
    assert 'package "codes"' in message and "facts/facts" in message


def test_a_folder_of_another_name_is_not_taken_for_the_package(tmp_path):
    codes_package(tmp_path / "codes")
    # the folder is called "codes" but holds a package of another name
    descriptor = json.loads((tmp_path / "codes" / "datapackage.json").read_text())
    descriptor["name"] = "other"
    (tmp_path / "codes" / "datapackage.json").write_text(json.dumps(descriptor))
    facts = facts_package(tmp_path / "facts", "1,320402\n")
    assert main(["validate", "--format", "text", str(facts)]) == 2


def test_catalog_without_the_package_reports_keys_not_checked(tmp_path):
    facts = facts_package(tmp_path / "facts", "1,320402\n")
    report = validate_catalog(load_catalog([facts], referenced=False))
    assert [(e.type, e.table_schema) for e in report.errors] == [("foreign-key-package-missing", False)]
    assert not report.valid


def test_comparison_with_frictionless_leaves_out_what_only_we_check(tmp_path):
    from pipeline.validate.bench import compare_with_frictionless

    codes_package(tmp_path / "codes")
    # row 3: a same-package key frictionless finds too; row 4: a cross-package key
    # (x-foreignKeys, which frictionless ignores) into the package found beside it
    facts = facts_package(tmp_path / "facts", "1,320402\n3,320402\n2,999999\n")
    result = compare_with_frictionless(facts)
    assert result["same_findings"] is True
    assert result["ours"]["errors"] == result["frictionless"]["errors"] == 1
    assert result["ours_only"] == {"foreign-key": 1}
