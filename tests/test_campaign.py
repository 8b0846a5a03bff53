"""The bad-input campaign: hostile text in every text cell the site shows, and malformed
files and descriptors. Each case is either refused with a clear error or published inert,
and the test says which and checks it in the built output (HTML, CSV, Excel CSV, XLSX,
JSON, Parquet, SQLite).

Published inert: markup, event handlers, ``javascript:`` links, Markdown and attr_list
syntax, Jinja and snippet markers, spreadsheet formulas, a 10 kB name.
Refused: direction overrides, zero-width and control characters (rule text-safety),
personal data inside longer text (rule personal-data), unreadable or oversized files and
descriptors, descriptors that point at themselves or outside the package.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from campaign_payloads import (
    FORBIDDEN_CLASSES,
    FORBIDDEN_IDS,
    JINJA_PRODUCT,
    PAYLOADS,
)

from pipeline.build import InvalidData, build
from pipeline.config import DEFAULT, parse
from pipeline.export.formats import RESOURCE_FORMATS

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
REFERENCE_DATE = date(2016, 1, 1)
# A name must keep 示例 (synthetic-name rule); every payload carries it, so the pattern
# ".*示例.*" holds. Other fields with a pattern or an enum are codes, not free text.
PATTERNED_TEXT = {("enterprise-credit", "enterprises", "name")}
PAYLOAD_LIST = list(PAYLOADS.values())


def _keys(schema: dict) -> set[str]:
    names = set()
    for value in [schema.get("primaryKey") or []] + [fk.get("fields") for fk in schema.get("foreignKeys", [])]:
        names.update([value] if isinstance(value, str) else value or [])
    return names


def text_fields(package: str, resource: dict) -> list[str]:
    """Free-text fields: string-typed, not part of a key, no enum or pattern constraint."""
    schema = resource["schema"]
    keys = _keys(schema)
    for fk in resource.get("x-foreignKeys", []):
        keys.update([fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"])
    out = []
    for field in schema["fields"]:
        constraints = field.get("constraints", {})
        if field.get("type", "string") != "string" or field["name"] in keys:
            continue
        if "enum" in constraints:
            continue
        if "pattern" in constraints and (package, resource["name"], field["name"]) not in PATTERNED_TEXT:
            continue
        out.append(field["name"])
    return out


def inject(data: Path) -> dict[tuple[str, str], dict[str, list[str | None]]]:
    """Replace every non-empty free-text cell by a payload (cycling through them by row and
    field), drop the declared hashes and sizes, and return what each cell now holds."""
    written = {}
    for descriptor_path in sorted(data.glob("*/datapackage.json")):
        descriptor = json.loads(descriptor_path.read_text("utf-8"))
        package = descriptor["name"]
        for resource in descriptor["resources"]:
            resource.pop("hash", None)
            resource.pop("bytes", None)
            fields = text_fields(package, resource)
            if not fields:
                continue
            path = descriptor_path.parent / resource["path"]
            with path.open(encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
            header = list(rows[0]) if rows else []
            cells: dict[str, list[str | None]] = {}
            for j, name in enumerate(fields):
                for i, row in enumerate(rows):
                    if row[name]:  # a null stays null: emptiness can mean something
                        row[name] = PAYLOAD_LIST[(i + 7 * j) % len(PAYLOAD_LIST)]
                cells[name] = [row[name] or None for row in rows]
            with path.open("w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
            written[(package, resource["name"])] = cells
        descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")
    return written


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """The committed packages with every free-text cell hostile, built once."""
    root = tmp_path_factory.mktemp("campaign")
    shutil.copytree(DATAPACKAGES, root / "data")
    written = inject(root / "data")
    out = root / "site"
    build(root / "data", out, reference_date=REFERENCE_DATE)
    return out, written


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self.scripts = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        if tag in ("script", "style"):  # raw text: a payload here would be code
            self._script = dict(attrs).get("type", tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag):
        self._script = None

    def handle_data(self, data):
        if self._script is None:
            self.text.append(data)
        else:
            self.scripts.append((self._script, data))


@pytest.fixture(scope="module")
def pages(campaign):
    out, _ = campaign
    parsed = {}
    for path in sorted(out.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text("utf-8"))
        page.close()
        parsed[str(path.relative_to(out))] = page
    return parsed


def test_no_payload_became_an_element_or_attribute(pages):
    problems = []
    for name, page in pages.items():
        for tag, attrs in page.elements:
            for attr, value in attrs:
                value = (value or "").strip().lower()
                if attr.startswith("on"):
                    problems.append((name, tag, attr))
                if attr in ("href", "src", "action", "formaction") and value.startswith("javascript:"):
                    problems.append((name, tag, attr, value))
                if attr == "id" and value in FORBIDDEN_IDS or attr == "class" and FORBIDDEN_CLASSES & set(value.split()):
                    problems.append((name, tag, attr, value))  # attr_list ran on data
            if tag == "img" and dict(attrs).get("src") == "x":
                problems.append((name, "img src=x"))
        for kind, script in page.scripts:
            if ("alert(" in script or "*{display:none}" in script) and "json" not in kind:
                problems.append((name, "script", script[:80]))
            if "json" in kind:  # data for the page's script, or the JSON-LD record
                assert "<" not in script, name  # could not end the element early
                json.loads(script)
    assert problems == []


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_every_payload_is_published_as_text(pages, payload):
    value = PAYLOADS[payload]
    shown = [name for name, page in pages.items() if value in "".join(page.text)]
    assert shown, f"{payload} reached no page: the test would prove nothing"


def test_jinja_and_snippet_markers_stay_literal(pages, campaign):
    text = {name: "".join(page.text) for name, page in pages.items()}
    assert any("{{ 7*7777 }}" in t for t in text.values())
    assert not [n for n, t in text.items() if f"P09示例 {JINJA_PRODUCT}" in t]
    assert any('--8<-- "mkdocs.yml"' in t for t in text.values())
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    assert "markdown_extensions" in config
    assert not [n for n, t in text.items() if "markdown_extensions" in t]  # no file was pulled in


def test_a_10kb_name_is_published_whole_and_may_wrap(pages, campaign):
    out, _ = campaign
    assert len(PAYLOADS["long"].encode()) > 10_000
    assert [n for n, p in pages.items() if PAYLOADS["long"] in "".join(p.text)]
    css = "".join(p.read_text("utf-8") for p in out.rglob("*.css"))
    assert re.search(r"(overflow-wrap|word-break)\s*:\s*(anywhere|break-word|break-all)", css)


def _expected(written, package, resource):
    return written[(package, resource)]


def _counter(values):
    return Counter(v for v in values)


def _latest(out: Path, package: str, resource: str, ext: str) -> Path:
    fmt = next(f for f in RESOURCE_FORMATS if f.suffix == f".{ext}")  # spreadsheets: descriptive names
    return out / "data" / package / "latest" / "data" / fmt.filename(resource, package)


def _resources():
    found = []
    for descriptor_path in sorted(DATAPACKAGES.glob("*/datapackage.json")):
        descriptor = json.loads(descriptor_path.read_text("utf-8"))
        found += [(descriptor["name"], r["name"]) for r in descriptor["resources"]
                  if text_fields(descriptor["name"], r)]
    return found


def _inert(value):
    return None if value is None else ("'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else value)


@pytest.mark.parametrize("package,resource", _resources())
def test_downloads_hold_the_literal_text(campaign, package, resource):
    import openpyxl
    import pyarrow.parquet as pq

    out, written = campaign
    expected = written[(package, resource)]
    with _latest(out, package, resource, "csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    raw = _latest(out, package, resource, "excel.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    excel = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    records = json.loads(_latest(out, package, resource, "json").read_text("utf-8"))
    parquet = pq.read_table(_latest(out, package, resource, "parquet")).to_pydict()
    book = openpyxl.load_workbook(_latest(out, package, resource, "xlsx"))
    cells = {}
    for sheet in book.worksheets:
        header = None  # data follow the row of field names (titles may come first)
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row), sheet.title  # never a formula
            values = [cell.value for cell in row]
            if header is None:
                header = values if set(rows[0]) <= set(values) else None
                continue
            for name, value in zip(header, values):
                cells.setdefault(name, []).append(value)
    for name, values in expected.items():
        want = _counter(values)
        assert _counter(r[name] or None for r in rows) == want, ("csv", name)
        assert _counter(r[name] or None for r in excel) == _counter(map(_inert, values)), ("excel.csv", name)
        assert _counter(r[name] for r in records) == want, ("json", name)
        assert _counter(parquet[name]) == want, ("parquet", name)
        assert _counter(cells[name]) == want, ("xlsx", name)
    formulas = [v for vs in expected.values() for v in vs if v and v[0] in "=+-@"]
    for value in formulas:  # spreadsheet programs get the prefixed, inert form
        assert any(r for r in excel if "'" + value in r.values())


def test_sqlite_holds_the_exact_strings(campaign):
    from pipeline.export.sqlitefile import table_name

    out, written = campaign
    with sqlite3.connect(out / "data" / "changzhou-work-safety.sqlite") as db:
        for (package, resource), fields in written.items():
            for name, values in fields.items():
                got = [v for (v,) in db.execute(f'SELECT "{name}" FROM "{table_name(package, resource)}"')]
                assert Counter(got) == Counter(values), (package, resource, name)


def test_lookup_shards_carry_the_names_as_strings(campaign):
    out, written = campaign
    names = {v for v in written[("enterprise-credit", "enterprises")]["name"] if v}
    strings = set()

    def walk(node):
        if isinstance(node, str):
            strings.add(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (out / "credit").rglob("*.json"):
        walk(json.loads(path.read_text("utf-8")))
    assert names <= strings, names - strings


# --- refused: malformed files, descriptors and text the validator stops -----------------

def _tiny(root: Path, body: bytes, **resource) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.csv").write_bytes(body)
    res = {"name": "t", "path": "data/t.csv", "format": "csv", "encoding": "utf-8",
           "schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "note", "type": "string"}]}}
    res.update(resource)
    (root / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [res]}), encoding="utf-8")
    return root


# The hostile package "p" as if a maintainer had declared it: the data is what is refused.
DECLARING_P = DEFAULT.read_text(encoding="utf-8").replace("packages:\n", "packages:\n  p: {}\n", 1)


def _refused(root: Path, tmp_path: Path, capsys) -> str:
    """Refused by `validate` (exit 1) and by `build`, which leaves the published folder as it was."""
    from pipeline.cli import main
    from pipeline.outdir import MARKER, MARKER_TEXT

    out = tmp_path / "published"
    out.mkdir(exist_ok=True)
    (out / "index.html").write_text("last good", encoding="utf-8")
    (out / MARKER).write_text(MARKER_TEXT, encoding="utf-8")  # what every build leaves
    with pytest.raises(InvalidData):
        build(root, out, reference_date=REFERENCE_DATE, config=parse(DECLARING_P))
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "index.html"]
    assert (out / "index.html").read_text("utf-8") == "last good"
    capsys.readouterr()
    config = tmp_path / "portal.yml"
    config.write_text(DECLARING_P, encoding="utf-8")
    assert main(["validate", str(root), "--format", "text", "--config", str(config)]) == 1
    return capsys.readouterr().out


TEXT_CASES = {
    "rtl_override": ("示例\u202etxt.exe", "U+202E"),
    "zero_width": ("常州\u200b示例", "U+200B"),
    "nul_byte": ("a\x00b", "U+0000"),
    "id_in_text": ("事故经过：死者张某，身份证号 11010519491231002X，系临时工。", "身份证"),
    "mobile_in_text": ("现场负责人（电话 13912345678）已配合调查", "手机"),
}


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_hidden_text_is_refused_naming_file_row_and_field(tmp_path, capsys, case):
    text, expected = TEXT_CASES[case]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([["id", "note"], ["1", "正常"], ["2", text]])
    root = _tiny(tmp_path / "p", out.getvalue().encode())
    report = _refused(root, tmp_path, capsys)
    assert "t.csv:3: note:" in report and expected in report, report  # file, line, field, what


def test_an_unclosed_quote_in_a_typed_row_is_refused_with_its_line(tmp_path, capsys):
    report = _refused(_tiny(tmp_path / "p", b'id,note\n1,ok\n"2,open\n3,x\n'), tmp_path, capsys)
    assert "t.csv:3:" in report


def test_an_unclosed_quote_that_swallows_rows_is_refused(tmp_path, capsys):
    _refused(_tiny(tmp_path / "p", b'id,note\n1,"open\n2,x\n3,y\n'), tmp_path, capsys)


def test_mixed_line_endings_are_accepted_with_logical_rows_and_physical_lines(tmp_path):
    from pipeline.load import load_catalog

    root = _tiny(tmp_path / "p", b'id,note\r\n1,a\n2,"b\r\nc"\r\n3,d\n')
    resource = load_catalog([root]).packages["p"].resources["t"]
    assert resource.row_numbers.tolist() == [2, 3, 4]
    assert resource.lines.tolist() == [2, 3, 5]
    assert resource.table.column(1).to_pylist() == ["a", "b\r\nc", "d"]


def test_a_1gb_line_is_refused_by_size_before_it_is_read(tmp_path, capsys):
    from pipeline.load import DEFAULT_MAX_BYTES

    root = _tiny(tmp_path / "p", b'id,note\n1,"')
    with (root / "data" / "t.csv").open("r+b") as f:
        f.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: one line over 1 GiB, no disk written
    report = _refused(root, tmp_path, capsys)
    assert "t.csv" in report and str(DEFAULT_MAX_BYTES) in report


@pytest.mark.parametrize("case", ["not_json", "huge", "array"])
def test_unreadable_descriptors_are_refused_naming_the_file(tmp_path, capsys, case):
    from pipeline.load import MAX_DESCRIPTOR_BYTES

    root = _tiny(tmp_path / "p", b"id,note\n1,a\n")
    descriptor = root / "datapackage.json"
    if case == "not_json":
        descriptor.write_text('{"name": "p", "resources": [', encoding="utf-8")
    elif case == "array":
        descriptor.write_text("[]", encoding="utf-8")
    else:
        with descriptor.open("r+b") as f:
            f.truncate(MAX_DESCRIPTOR_BYTES + 1)  # sparse
    report = _refused(root, tmp_path, capsys)
    assert "datapackage.json" in report


@pytest.mark.parametrize("resource", [
    {"path": "datapackage.json"},  # the descriptor read as its own table
    {"schema": "datapackage.json"},  # the descriptor as its own schema
    {"schema": "https://example.invalid/schema.json"},  # a remote schema
])
def test_self_referencing_and_remote_descriptors_are_refused(tmp_path, capsys, resource):
    _refused(_tiny(tmp_path / "p", b"id,note\n1,a\n", **resource), tmp_path, capsys)


def test_a_ref_inside_a_schema_is_never_followed(tmp_path):
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    schema = {"$ref": "https://example.invalid/schema.json",
              "fields": [{"name": "id", "type": "integer"}, {"name": "note", "type": "string"}]}
    root = _tiny(tmp_path / "p", b"id,note\n1,a\n", schema=schema)
    assert validate_catalog(load_catalog([root])).valid  # the inline fields decide; no fetch
