"""Differential tests: our validator against frictionless on generated tables and schemas.

Both run on the same package folder; the sets of (type, rowNumber, fieldName) must be
equal. Where we diverge on purpose (``pipeline.validate.divergences``), the schema given
to frictionless is rewritten to the spec's meaning first, so the comparison still covers
everything else. CI runs about 2,500 cases; `nox -s slow` adds a 20,000-case run
(and HYPOTHESIS_PROFILE=long raises the CI tests to 5,000 each).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.load import load_catalog
from pipeline.validate import validate_catalog
from pipeline.validate.divergences import frictionless_equivalent_schema

frictionless = pytest.importorskip("frictionless")

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
CASES = 5000 if LONG else 2000
# Declared in full: frictionless guesses whatever is not declared (see divergences).
DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "skipInitialSpace": False,
           "header": True, "headerRows": [1]}


def ours(root: Path, rules: bool = False) -> set:
    """Our findings that Table Schema defines. With ``rules``, every domain rule runs on the
    package as well (their own findings are left out): a rule must never crash on a table
    frictionless reads, e.g. one without a column its schema declares."""
    catalog = load_catalog([root])
    if rules:
        from dataclasses import replace

        from pipeline.config import load_config

        config = replace(load_config(), packages={name: frozenset() for name in catalog.packages},
                         checks=_every_check_everywhere())
        report = validate_catalog(catalog, max_errors=None, config=config)
    else:
        report = validate_catalog(catalog, max_errors=None, rules=False)
    return {(e.type, e.rowNumber, e.fieldName) for e in report.errors if e.table_schema}


def _every_check_everywhere() -> tuple:
    """Every binding of portal.yml on every resource: once as written, once with its fields
    renamed to those of the generated tables (a number for numbers, ``uscc`` for anything
    else, so a date is read from text: a field of the wrong type) and its roles on the
    generated table itself (without their columns)."""
    from dataclasses import replace

    from pipeline.config import load_config
    from pipeline.validate.rules import NUMERIC, Field, Role, registry

    checks = registry()
    out = []
    for binding in load_config().checks:
        params = dict(binding.params)
        for name, spec in checks[binding.check].params.items():
            if isinstance(spec, Field) and name in params:
                params[name] = "count" if spec.types[0] in NUMERIC else "uscc"
            elif isinstance(spec, Role) and name in params:
                params[name] = "generated/t"
        if "rates" in params:
            params["rates"] = {"share_pct": {"numerator": "count", "denominator": "count", "scale": 100,
                                             "decimals": 1}}
        out += [replace(binding, resources=("*/*",)), replace(binding, resources=("*/*",), params=params)]
    return tuple(out)


def theirs(root: Path) -> set:
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        res["schema"] = frictionless_equivalent_schema(res["schema"])
    (root / "frictionless.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.Package(str(root / "frictionless.json")).validate()
    found = set()
    for task in report.tasks:
        for e in task.errors:
            found.add((e.type, getattr(e, "row_number", None), getattr(e, "field_name", None)))
    return found


def write_package(root: Path, resources: list[tuple[str, bytes, dict]]) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
                  "name": "generated", "resources": []}
    for name, data, schema in resources:
        (root / "data" / f"{name}.csv").write_bytes(data)
        descriptor["resources"].append({
            "name": name, "path": f"data/{name}.csv", "type": "table", "scheme": "file",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "dialect": DIALECT,
            "schema": schema})
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")


def compare(resources, rules: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_package(root, resources)
        expected, actual = theirs(root), ours(root, rules)
        assert actual == expected, {"only ours": actual - expected, "only frictionless": expected - actual}


# ---------------------------------------------------------------------------------------
# strategies: nasty cells per type

NASTY = ["", " ", "0", "-0", "+1", "007", " 42 ", "1_000", "1e3", "1E-2", ".5", "5.", "-.5",
         "NaN", "nan", "inf", "-Infinity", "1e400", "123456789012345678901234567890",
         "9223372036854775807", "9223372036854775808", "-9223372036854775809",
         "3.14159265358979323846", "0.1", "１２", "٣", "true", "False", "TRUE", "yes", "1",
         "2013-05-01", "2012-02-29", "2013-02-29", "2013-2-3", "0000-01-01", "9999-12-31",
         "2013-13-01", "2013-05-01T08:30:00", "2013-05-01T08:30:00Z", "08:30:00", "8:30",
         "2013-05", "2013-5", "2013", "0999", "-123", "+123", "abc", "a|b", "apple", "b",
         "中文", "示例企业", "a\nb", "a,b", 'say "hi"', "x\r\ny", "\ufeffa", "ab ", "A201300123",
         "{}", '{"a": 1}', "[1, 2]", "[]", "P1Y2M", "PT5M", "P", "120.5, 30.2", "200, 95",
         "320402", "3204", "null", "NULL", "-", "NA",
         # one instant, time or point written differently: equal values for keys and enums
         "2013-05-01T08:30:00+08:00", "2013-05-01T00:30:00+00:00", "2013-05-01T00:30:00.000Z",
         "08:30:00+08:00", "00:30:00Z", "00:30:00", "120.50, 30.20", "120.5,30.2", "-0,0", "0,0"]

TYPES = ["string", "integer", "number", "boolean", "date", "year", "datetime", "time",
         "yearmonth", "any", "object", "array", "geopoint", None]  # None: no "type" (a string)
PATTERNS = ["a|b", "[0-9]{6}", "A20[0-9]{7}", "[a-z]+", ".*示例.*", "(0[1-9]|1[0-9]|20)", "ab?"]


def cell_values():
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=6),
                     st.integers(-10**25, 10**25).map(str),
                     st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
                     st.dates().map(str))


@st.composite
def constraints_for(draw, kind):
    c = {}
    if draw(st.booleans()):
        c["required"] = True
    # frictionless crashes on unique JSON objects/arrays (unhashable); we skip those
    if draw(st.integers(0, 4)) == 0 and kind not in ("object", "array"):
        c["unique"] = True
    options = []
    if kind in ("string", None):
        options = ["pattern", "enum", "minLength", "maxLength"]
    elif kind == "any":
        options = ["enum"]
    elif kind in ("integer", "number", "year") or kind == "date":
        options = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"]
    elif kind == "boolean":
        options = ["enum"]
    for name in draw(st.lists(st.sampled_from(options), max_size=2, unique=True)) if options else []:
        if name == "pattern":
            c[name] = draw(st.sampled_from(PATTERNS))
        elif name in ("minLength", "maxLength"):
            c[name] = draw(st.integers(0, 4))
        elif name == "enum":
            if kind in ("string", "any", None):  # the text as written: "7" is not "007"
                choices = st.sampled_from(["a", "b", "apple", "中文", "", "007", "7", "1.0"])
                c[name] = draw(st.lists(choices, min_size=1, max_size=3))
            elif kind in ("integer", "year"):
                c[name] = draw(st.lists(st.integers(-5, 2020), min_size=1, max_size=3))
            elif kind == "number":
                c[name] = draw(st.lists(st.sampled_from([0, 1, 0.1, 1.5, -0.5, 42]), min_size=1, max_size=3))
            elif kind == "date":
                c[name] = draw(st.lists(st.sampled_from(["2013-05-01", "2012-02-29"]), min_size=1, max_size=2))
            else:
                c[name] = draw(st.lists(st.booleans(), min_size=1, max_size=2))
        else:
            if kind == "integer":
                c[name] = draw(st.integers(-10, 10**20))
            elif kind == "year":
                c[name] = draw(st.integers(0, 3000))
            elif kind == "number":
                c[name] = draw(st.sampled_from([0, 1, 0.1, 1.5, -0.5, 100, 1e300]))
            else:
                c[name] = draw(st.sampled_from(["2000-01-01", "2013-05-01", "2012-02-29"]))
    return c


@st.composite
def tables(draw):
    n_fields = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(["a", "b", "code", "值", "year", "x_y"]),
                          min_size=n_fields, max_size=n_fields, unique=True))
    fields = []
    for name in names:
        kind = draw(st.sampled_from(TYPES))
        fld = {"name": name, "type": kind} if kind else {"name": name}
        constraints = draw(constraints_for(kind))
        if constraints:
            fld["constraints"] = constraints
        fields.append(fld)
    schema = {"fields": fields}
    hashable = [f["name"] for f in fields if f.get("type") not in ("object", "array")]
    if hashable and draw(st.integers(0, 2)) == 0:  # (frictionless crashes on unhashable keys)
        schema["primaryKey"] = draw(st.lists(st.sampled_from(hashable), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 5)) == 0:
        schema["missingValues"] = draw(st.lists(st.sampled_from(["", "NA", "-", "null"]), max_size=2, unique=True))
    # header: usually right, sometimes broken
    labels = list(names)
    mutation = draw(st.integers(0, 9))
    if mutation == 0 and labels:
        labels.pop(draw(st.integers(0, len(labels) - 1)))
    elif mutation == 1:
        labels.append(draw(st.sampled_from(["extra", "a", ""])))
    elif mutation == 2 and labels:
        labels[draw(st.integers(0, len(labels) - 1))] = draw(st.sampled_from(["", "A", "a", "wrong", names[0]]))
    rows = []
    for _ in range(draw(st.integers(0, 7))):
        width = len(labels) + (draw(st.sampled_from([0, 0, 0, 0, -1, 1, -len(labels)])))
        rows.append([draw(cell_values()) for _ in range(max(width, 0))])
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=newline)
    if draw(st.integers(0, 15)) != 0:  # one in sixteen files is empty
        writer.writerow(labels)
        writer.writerows(rows)
    text = buffer.getvalue()
    if text and draw(st.booleans()):
        text = text[: -len(newline)]  # no final newline
    return text.encode("utf-8"), schema


@settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))
@given(tables())
def test_same_findings_as_frictionless(table):
    data, schema = table
    compare([("t", data, schema)])


@st.composite
def linked_tables(draw):
    codes = draw(st.lists(st.sampled_from(["01", "1", "02", "", "320402", "x"]), max_size=5))
    parent_kind = draw(st.sampled_from(["string", "integer"]))
    child_kind = draw(st.sampled_from(["string", "integer"]))
    parent = "code,name\n" + "".join(f"{c},n{i}\n" for i, c in enumerate(codes))
    refs = draw(st.lists(st.sampled_from(["01", "1", "02", "03", "", "320402", "007"]), max_size=6))
    child = "id,code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(refs))
    parent_schema = {"fields": [{"name": "code", "type": parent_kind}, {"name": "name", "type": "string"}]}
    if draw(st.booleans()):
        parent_schema["primaryKey"] = ["code"]
    child_schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "code", "type": child_kind}],
                    "foreignKeys": [{"fields": ["code"], "reference": {"resource": "parent", "fields": ["code"]}}]}
    return [("parent", parent.encode(), parent_schema), ("child", child.encode(), child_schema)]


@settings(max_examples=CASES // 5, deadline=None, suppress_health_check=list(HealthCheck))
@given(linked_tables())
def test_same_foreign_key_findings_as_frictionless(resources):
    compare(resources)


# Equal values written differently, for the types whose keys and enums compare values.
SPELLINGS = {
    "datetime": ["2013-05-01T08:30:00+08:00", "2013-05-01T00:30:00Z", "2013-05-01T00:30:00+00:00",
                 "2013-05-01T00:30:00", "2013-05-01T00:30:00.000000", "2013-04-30T19:30:00-05:00",
                 "2013-05-01T00:30:01Z", "0001-01-01T00:30:00+00:30", "9999-12-31T23:59:59-01:00"],
    "time": ["08:30:00+08:00", "00:30:00Z", "00:30:00+00:00", "00:30:00", "00:30:00.000", "23:30:00-01:00",
             "00:30:00-00:30", "01:00:00+00:30", "24:00:00"],
    "geopoint": ["120.5,30.2", "120.50, 30.20", "1.205E2,30.2", "-0,0", "0,0", "0.0,-0.0", "180,90", "-180,-90"],
    "date": ["2013-05-01", "2013-5-1", "2013-05-02"],
    "yearmonth": ["2013-05", "2013-5", "2013-06"],
    "integer": ["7", "007", "+7", "-0", "0"],
}


@st.composite
def keyed_tables(draw):
    kind = draw(st.sampled_from(sorted(SPELLINGS)))
    cells = draw(st.lists(st.sampled_from(SPELLINGS[kind]), min_size=1, max_size=6))
    fld = {"name": "k", "type": kind}
    constraints = {}
    if draw(st.booleans()):
        constraints["unique"] = True
    if draw(st.booleans()):
        constraints["enum"] = draw(st.lists(st.sampled_from(SPELLINGS[kind]), min_size=1, max_size=2))
    if constraints:
        fld["constraints"] = constraints
    schema = {"fields": [fld, {"name": "n", "type": "integer"}]}
    if draw(st.booleans()):
        schema["primaryKey"] = ["k"] if draw(st.booleans()) else ["k", "n"]
    numbers = draw(st.lists(st.sampled_from(["1", "2"]), min_size=len(cells), max_size=len(cells)))
    text = "k,n\n" + "".join(f'"{c}",{n}\n' for c, n in zip(cells, numbers))
    return text.encode(), schema


@settings(max_examples=CASES // 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(keyed_tables())
def test_keys_and_enums_compare_values_as_frictionless_does(table):
    """The same instant written with another offset is the same key, a time without an
    offset never equals one with an offset, 120.50,30.20 is the point 120.5,30.2."""
    data, schema = table
    compare([("t", data, schema)])


@st.composite
def matched_tables(draw):
    """fieldsMatch by name with schema fields missing from the file, text that the domain
    rules read (credit codes, phone numbers, percentages), every rule bound to the package."""
    pool = [{"name": "note", "type": "string"}, {"name": "uscc", "type": "string"},
            {"name": "enterprise_uscc", "type": "string"}, {"name": "share_pct", "type": "number"},
            {"name": "contact"}, {"name": "count", "type": "integer"}, {"name": "code", "type": "any"}]
    fields = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique_by=lambda f: f["name"]))
    present = draw(st.lists(st.sampled_from([f["name"] for f in fields]), min_size=1, unique=True))
    extra = draw(st.sampled_from([[], ["extra"]]))
    schema = {"fields": [dict(f) for f in fields],
              "fieldsMatch": draw(st.sampled_from(["exact", "equal", "subset", "superset", "partial"]))}
    if draw(st.booleans()):
        schema["fields"][0]["constraints"] = {"required": True}
    cells = st.sampled_from(["", "13812345678", "913204020000005617", "91320402000000561X", "12.5", "x",
                             "110105194912310021", "示例", "42"])
    rows = draw(st.lists(st.lists(cells, min_size=len(present) + len(extra), max_size=len(present) + len(extra)),
                         max_size=4))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(present + extra)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8"), schema


@settings(max_examples=CASES // 5, deadline=None, suppress_health_check=list(HealthCheck))
@given(matched_tables())
def test_missing_columns_with_every_rule_bound(table):
    data, schema = table
    compare([("t", data, schema)], rules=True)


@pytest.mark.parametrize("data", [
    b"", b"a,b\n", b"a,b", b"\n", b"a,b\n\n\n", b"a,b\n1,2,3,4\n5\n",
    b'a,b\n"1\n2",x\n3,"y\r\nz"\n', b"a,b\r1,2\r3,4\r",
])
def test_edge_files(data):
    schema = {"fields": [{"name": "a", "type": "integer", "constraints": {"required": True}},
                         {"name": "b", "type": "string"}], "primaryKey": ["a"]}
    compare([("t", data, schema)])


@pytest.mark.slow
@settings(max_examples=20000, deadline=None, suppress_health_check=list(HealthCheck))
@given(tables())
def test_same_findings_as_frictionless_long(table):
    """The long run (`nox -s slow`): ten times the CI cases."""
    data, schema = table
    compare([("t", data, schema)])
