"""Invariants of the parts that parse or compute, checked on generated inputs (hypothesis):
CSV reading, USCC and resident-ID check digits, the rate and grade rules, progress status,
changelog diffs, the SQLite export's row values and the escaping filters."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import markdown
import numpy as np
import pyarrow as pa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline import uscc
from pipeline.config import DEFAULT, parse
from pipeline.derive.progress import STATUSES, assess
from pipeline.export.changelog import diff_table
from pipeline.load import load_catalog
from pipeline.pages.render import breakable, environment, html_lines, md, yaml_html
from pipeline.validate import validate_catalog
from pipeline.validate.rules import accidents as grade_rule
from pipeline.validate.rules import personal, rates, text_safety

ROOT = Path(__file__).resolve().parent.parent
# Any text a publisher could type: every code point except surrogates (not encodable).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
LINE_BREAK = re.compile(r"\r\n|\r|\n")


# --- CSV reading -----------------------------------------------------------------------

def _package(root: Path, columns: int, body: str) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.csv").write_text(body, encoding="utf-8", newline="")
    fields = [{"name": f"f{i}", "type": "string"} for i in range(columns)]
    descriptor = {"name": "p", "resources": [{"name": "t", "path": "data/t.csv", "format": "csv",
                                               "encoding": "utf-8", "schema": {"fields": fields}}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


@given(columns=st.integers(1, 4), data=st.data())
def test_csv_cells_row_numbers_and_lines_survive_reading(tmp_path_factory, columns, data):
    rows = data.draw(st.lists(st.lists(TEXT, min_size=columns, max_size=columns), max_size=8))
    # a row of nothing but empty cells is a blank line for one column: not a data row
    assume(all(any(row) or columns > 1 for row in rows))
    # Python's writer quotes only what its own line terminator contains: with "\n" a bare
    # "\r" would go out unquoted and mean a line break. Quote everything, or end lines "\r\n".
    quoting = data.draw(st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]))
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting,
                        lineterminator="\n" if quoting == csv.QUOTE_ALL else "\r\n")
    writer.writerow([f"f{i}" for i in range(columns)])
    lines = []
    for row in rows:
        lines.append(len(LINE_BREAK.findall(out.getvalue())) + 1)
        writer.writerow(row)
    root = _package(tmp_path_factory.mktemp("csv"), columns, out.getvalue())
    resource = load_catalog([root]).packages["p"].resources["t"]
    table = resource.table
    assert [list(r.values()) for r in table.to_pylist()] == rows
    assert resource.row_numbers.tolist() == list(range(2, len(rows) + 2))  # logical rows
    assert resource.lines.tolist() == lines  # physical line where each row starts


# --- check digits ----------------------------------------------------------------------

USCC_BODY = st.text(st.sampled_from(uscc.ALPHABET), min_size=17, max_size=17)


@given(USCC_BODY, st.sampled_from(uscc.ALPHABET))
def test_uscc_valid_iff_the_check_character_is_the_computed_one(body, last):
    assert uscc.is_valid(body + last) == (last == uscc.check_char(body))


@given(USCC_BODY, st.integers(0, 17), st.sampled_from(uscc.ALPHABET))
def test_uscc_any_single_substitution_is_detected(body, position, char):
    code = body + uscc.check_char(body)
    assume(code[position] != char)
    assert not uscc.is_valid(code[:position] + char + code[position + 1:])


@given(st.lists(USCC_BODY, min_size=1, max_size=20))
def test_uscc_vectorised_check_equals_one_at_a_time(bodies):
    array = np.frombuffer("".join(bodies).encode(), dtype=np.uint8).reshape(-1, 17)
    assert bytes(uscc.check_chars(array)).decode() == "".join(uscc.check_char(b) for b in bodies)


def _id_body():
    return st.builds(
        lambda region, year, month, day, seq: f"{region}{year}{month:02d}{day:02d}{seq:03d}",
        st.builds(lambda province, rest: province * 10000 + rest,  # a region of a real province
                  st.sampled_from(sorted(personal.PROVINCES)), st.integers(0, 9999)),
        st.integers(1900, 2099), st.integers(1, 12),
        st.integers(1, 28), st.integers(0, 999))


def _with_check(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, personal.ID_WEIGHTS))
    return body + personal.ID_CHECK[total % 11]


@given(_id_body(), st.sampled_from("0123456789X"))
def test_id_valid_iff_the_check_digit_is_the_computed_one(body, last):
    assert personal.id_check_ok(body + last) == (last == _with_check(body)[-1])


@given(_id_body(), st.integers(0, 17), st.sampled_from("0123456789"))
def test_id_any_single_digit_substitution_is_detected(body, position, digit):
    number = _with_check(body)
    assume(number[position] != digit)
    assert not personal.id_check_ok(number[:position] + digit + number[position + 1:])


# Beside the number: no digit, also none that NFKC makes (full-width １, superscript ², circled ①;
# all in the first two planes), since the rule reads those as digits and the number would be
# longer than a mobile or an ID.
DIGIT_MAKERS = "".join(chr(c) for c in range(0x80, 0x20000) if not 0xD800 <= c <= 0xDFFF
                       and any(d.isdecimal() for d in unicodedata.normalize("NFKC", chr(c))))
NOT_DIGIT_EDGE = st.text(st.characters(exclude_categories=("Cs",),
                                       exclude_characters="0123456789+" + DIGIT_MAKERS), max_size=20)


@given(NOT_DIGIT_EDGE, _id_body(), NOT_DIGIT_EDGE)
def test_an_id_inside_any_text_is_found(prefix, body, suffix):
    assert personal.finding(prefix + _with_check(body) + suffix) == "id"


@given(NOT_DIGIT_EDGE, st.integers(3, 9), st.integers(0, 999_999_999), NOT_DIGIT_EDGE)
def test_a_mobile_number_inside_any_text_is_found(prefix, second, rest, suffix):
    assert personal.finding(f"{prefix}1{second}{rest:09d}{suffix}") in ("mobile", "id")


@settings(max_examples=25)
@given(NOT_DIGIT_EDGE, _id_body(), NOT_DIGIT_EDGE, st.integers(0, 3))
def test_the_personal_data_rule_names_file_row_and_field(tmp_path_factory, prefix, body, suffix, row):
    text = prefix + _with_check(body) + suffix
    assume(not re.search(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029"
                         r"\u2060-\u2069\ufeff\u180e]", text))  # the text-safety rule's business
    notes = ["无"] * 4
    notes[row] = text
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([["id", "note"]] + [[str(i), n] for i, n in enumerate(notes)])
    root = _package(tmp_path_factory.mktemp("pd"), 2, out.getvalue().replace("id,note", "f0,f1", 1))
    declaring_p = parse(DEFAULT.read_text(encoding="utf-8").replace("packages:\n", "packages:\n  p: {}\n", 1))
    report = validate_catalog(load_catalog([root]), config=declaring_p)
    found = [(e.type, e.rowNumber, e.fieldName) for e in report.errors]
    assert found == [("personal-data", row + 2, "f1")]
    assert report.tasks[0].path.endswith("t.csv")
    assert _with_check(body) not in json.dumps([e.to_dict() for e in report.errors])  # not repeated


# --- rate and grade rules --------------------------------------------------------------

# (numerator, denominator, scale, decimals) of each target rate, as portal.yml binds them
RATE = st.sampled_from([(s["numerator"], s["denominator"], s["scale"], s["decimals"])
                        for b in parse(DEFAULT.read_text(encoding="utf-8")).checks if b.check == "rate-mismatch"
                        for s in b.params["rates"].values()])


@given(RATE, st.integers(0, 10_000), st.integers(1_000, 10_000_000), st.floats(-0.999, 0.999))
def test_a_rate_within_half_a_unit_is_accepted(rate, numerator, denominator, fraction):
    _, _, scale, decimals = rate
    computed = numerator / denominator * scale
    stated = computed + fraction * 0.5 * 10.0 ** -decimals
    bad, _ = rates.mismatch(np.array([stated]), np.array([float(numerator)]),
                            np.array([float(denominator)]), scale, decimals)
    assert not bad[0]


@given(RATE, st.integers(0, 10_000), st.integers(1_000, 10_000_000))
def test_any_published_rounding_is_accepted(rate, numerator, denominator):
    _, _, scale, decimals = rate
    stated = float(f"{numerator / denominator * scale:.{decimals}f}")
    bad, _ = rates.mismatch(np.array([stated]), np.array([float(numerator)]),
                            np.array([float(denominator)]), scale, decimals)
    assert not bad[0]


@given(RATE, st.integers(0, 10_000), st.integers(1_000, 10_000_000), st.floats(1.001, 1000),
       st.sampled_from([-1, 1]))
def test_a_rate_beyond_half_a_unit_is_rejected(rate, numerator, denominator, factor, sign):
    _, _, scale, decimals = rate
    computed = numerator / denominator * scale
    stated = computed + sign * factor * 0.5 * 10.0 ** -decimals
    bad, _ = rates.mismatch(np.array([stated]), np.array([float(numerator)]),
                            np.array([float(denominator)]), scale, decimals)
    assert bad[0]


RANK = {"particularly_serious": 1, "major": 2, "larger": 3, "general": 4}
COUNTS = st.tuples(st.integers(0, 200), st.integers(0, 300), st.integers(0, 300_000_000))


@given(COUNTS, COUNTS)
def test_more_harm_never_lowers_the_grade(a, b):
    high = tuple(max(x, y) for x, y in zip(a, b))
    grades = grade_rule.grade_of(*(np.array([v, w]) for v, w in zip(a, high)))
    assert RANK[grades[1]] <= RANK[grades[0]]  # rank 1 is the most serious


def _reference_grades() -> list[dict]:
    with (ROOT / "datapackages" / "reference" / "data" / "accident_grades.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@given(COUNTS)
def test_the_grade_rule_agrees_with_the_published_grade_table(counts):
    # "以上" includes the bound, "以下" excludes it; any one criterion decides
    deaths, injuries, loss = counts
    expected = min((g for g in _reference_grades()
                    if deaths >= int(g["min_deaths"]) or injuries >= int(g["min_serious_injuries"])
                    or loss >= int(g["min_direct_loss_yuan"])), key=lambda g: int(g["rank"]))
    computed = grade_rule.grade_of(np.array([deaths]), np.array([injuries]), np.array([loss]))[0]
    assert computed == expected["code"]


# --- progress status (what tests/test_derive_progress.py leaves out) -------------------

FINITE = st.floats(-1e6, 1e6, allow_nan=False)
MAYBE = st.one_of(st.none(), FINITE)


@given(st.one_of(st.none(), st.integers(2000, 2030)), MAYBE, st.one_of(st.none(), st.integers(2000, 2030)),
       MAYBE, MAYBE, st.one_of(st.none(), st.integers(2000, 2040)),
       st.sampled_from(["higher", "lower", None]), st.booleans())
def test_every_input_gets_a_known_status_and_not_available_has_a_reason(
        t0, y0, ti, yi, target, target_year, direction, strict):
    result = assess(t0, y0, ti, yi, target, target_year, direction, strict=strict)
    assert result.status in STATUSES
    assert (result.status == "not_available") == (result.reason is not None) or result.reason is not None


# --- changelog diffs -------------------------------------------------------------------

VALUES = st.one_of(st.none(), st.integers(-5, 5), )


@st.composite
def tables(draw):
    keys = draw(st.lists(st.integers(0, 30), unique=True, max_size=15))
    values = draw(st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=len(keys), max_size=len(keys)))
    names = draw(st.lists(st.one_of(st.none(), TEXT), min_size=len(keys), max_size=len(keys)))
    return pa.table({"k": pa.array(keys, pa.int64()), "v": pa.array(values, pa.int64()),
                     "s": pa.array(names, pa.string())})


@given(tables())
def test_a_table_against_itself_has_no_changes(table):
    result = diff_table(table, table, ["k"])
    assert (result["rows"]["added"], result["rows"]["removed"], result["rows"]["changed"]) == (0, 0, 0)
    assert result["added"] == result["removed"] == result["changed"] == []


@given(tables(), st.integers(1, 5))
def test_an_unchanged_table_is_told_without_the_join_and_as_the_join_tells_it(table, pieces):
    """Equal tables skip the join (a national table joined with its last release took
    gigabytes); the result is the one the join gives, whatever the chunks of either side."""
    from unittest import mock

    from pipeline.export import changelog

    step = max(1, table.num_rows // pieces)
    rechunked = pa.Table.from_batches([b for i in range(0, table.num_rows, step)
                                       for b in table.slice(i, step).to_batches()], schema=table.schema) \
        if table.num_rows else table
    quick = diff_table(table, rechunked, ["k"])
    with mock.patch.object(changelog, "_same", return_value=False):
        joined = diff_table(table, rechunked, ["k"])
    assert quick == joined


@given(tables(), tables())
def test_a_diff_applied_to_the_old_table_gives_the_new_one(old, new):
    result = diff_table(old, new, ["k"])
    before = {r["k"]: r for r in old.to_pylist()}
    after = {r["k"]: r for r in new.to_pylist()}
    added = {r["k"] for r in result["added"]}
    removed = {r["k"] for r in result["removed"]}
    changed = {c["key"]["k"] for c in result["changed"]}
    assert added == after.keys() - before.keys()
    assert removed == before.keys() - after.keys()
    assert not (added & changed or removed & changed)
    rebuilt = {k: dict(v) for k, v in before.items() if k not in removed}
    rebuilt.update({k: after[k] for k in added})
    for change in result["changed"]:
        for name, values in change["fields"].items():
            assert rebuilt[change["key"]["k"]][name] == values["old"]
            rebuilt[change["key"]["k"]][name] = values["new"]
    assert rebuilt == after
    assert result["rows"]["added"] == len(added) and result["rows"]["changed"] == len(changed)


# --- SQLite row values -------------------------------------------------------------------

_ARROW_VALUES = [
    (pa.int64(), st.integers(-2**63, 2**63 - 1)), (pa.int8(), st.integers(-128, 127)),
    (pa.uint32(), st.integers(0, 2**32 - 1)),
    (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
    (pa.float32(), st.floats(width=32)), (pa.string(), TEXT), (pa.large_string(), TEXT),
    (pa.bool_(), st.booleans()), (pa.date32(), st.dates()),
    (pa.dictionary(pa.int32(), pa.string()), TEXT),
    (pa.decimal128(12, 3), st.decimals(-10**8, 10**8, places=3, allow_nan=False, allow_infinity=False)),
    # whole seconds too: ISO text leaves out a zero fraction, which is easy to get wrong
    (pa.timestamp("us"), st.datetimes() | st.datetimes().map(lambda d: d.replace(microsecond=0)))]


@st.composite
def arrow_tables(draw):
    """A table of one to four columns of the types above, all of one length (up to 30 rows)."""
    rows = draw(st.integers(0, 30))
    columns = {}
    for k in range(draw(st.integers(1, 4))):
        type_, values = draw(st.sampled_from(_ARROW_VALUES))
        columns[f"c{k}"] = pa.array(draw(st.lists(st.none() | values, min_size=rows, max_size=rows)), type_)
    return pa.table(columns)


@given(arrow_tables(), st.booleans())
def test_the_sqlite_rows_are_what_python_s_sqlite3_stores(table, chunked):
    """Differential: the table the export writes (Arrow buffers bound by the ADBC driver)
    holds, cell by cell, the values and storage classes that Python's ``sqlite3`` stores for
    the same rows (booleans as 0/1, dates and times as ISO text), whatever the chunks."""
    import sqlite3
    import tempfile
    from decimal import Decimal

    from pipeline.export import sqlitefile

    if chunked:
        table = pa.concat_tables([table.slice(0, table.num_rows // 2), table.slice(table.num_rows // 2)])
    rows = [tuple(int(v) if isinstance(v, bool) else v.isoformat() if hasattr(v, "isoformat") else
                  float(v) if isinstance(v, Decimal) else v  # decimals as REAL, the declared type
                  for v in row.values()) for row in table.to_pylist()]
    columns = ", ".join(f"{n} {sqlitefile._column_type(t)}" for n, t in zip(table.column_names, table.schema.types))
    cells = "rowid, " + ", ".join(f"typeof({n}), {n}" for n in table.column_names)
    with tempfile.TemporaryDirectory() as folder:
        ours = sqlitefile.write_table_database(table, Path(folder) / "ours.sqlite", name="t")
        with contextlib.closing(sqlite3.connect(Path(folder) / "reference.sqlite")) as reference:
            reference.execute(f"CREATE TABLE t ({columns})")
            reference.executemany(f"INSERT INTO t VALUES ({', '.join('?' * table.num_columns)})", rows)
            expected = reference.execute(f"SELECT {cells} FROM t ORDER BY rowid").fetchall()
        with contextlib.closing(sqlite3.connect(ours)) as written:
            assert written.execute(f"SELECT {cells} FROM t ORDER BY rowid").fetchall() == expected


# --- escaping --------------------------------------------------------------------------

class _Nodes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.tags.append(("!--", data))


def _parse(html: str) -> _Nodes:
    nodes = _Nodes()
    nodes.feed(html)
    nodes.close()
    return nodes


VISIBLE = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)
ENV = environment("zh")


@given(VISIBLE)
def test_autoescaped_text_is_one_text_node_equal_to_the_input(value):
    nodes = _parse(ENV.from_string("<p>{{ value }}</p>").render(value=value))
    assert [t for t, _ in nodes.tags] == ["p"]
    assert nodes.text == [value]


@given(VISIBLE)
def test_an_attribute_value_stays_one_attribute(value):
    nodes = _parse(ENV.from_string('<a title="{{ value }}">x</a>').render(value=value))
    assert nodes.tags == [("a", [("title", value)])]


@given(VISIBLE)
def test_the_md_filter_survives_markdown_as_the_same_text(value):
    # Python-Markdown uses STX/ETX (\x02, \x03) as its own placeholders: such text comes
    # out mangled. The text-safety rule refuses control characters before they get here.
    assume(text_safety.offending(value) is None)
    normalised = " ".join(value.split())
    assume(normalised)
    html = markdown.markdown(str(md(value)), extensions=["admonition", "attr_list", "tables", "toc"])
    nodes = _parse(html)
    assert [t for t, _ in nodes.tags] == ["p"]
    assert "".join(nodes.text) == normalised


@given(VISIBLE)
def test_the_other_filters_hold_only_text(value):
    lines = _parse(str(html_lines(value)))
    assert {t for t, _ in lines.tags} <= {"br"}
    assert "".join(lines.text) == "".join(value.strip().splitlines())
    parts = _parse(str(breakable(value)))
    assert {t for t, _ in parts.tags} <= {"wbr"}
    assert "".join(parts.text) == value
    front = json.loads(str(yaml_html(value)))
    assert _parse(front).tags == [] and "".join(_parse(front).text) == " ".join(value.split())
