"""The personal-data detector (DOMAIN 10), property-based: generated mobile and ID numbers
written with random separators and full-width digits are found; random credit codes with
valid check characters and random ordinary text and numbers are not; the vectorised column
scan and the one-value reading always agree; and every column type is scanned."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline import uscc
from pipeline.validate.rules.personal import (
    ID_CHECK,
    ID_WEIGHTS,
    PROVINCES,
    SEPARATORS,
    detect,
    finding,
    id_check_ok,
)

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
# separators as people type them: ASCII, full-width and ideographic forms (NFKC folds them)
TYPED_SEPARATORS = list(SEPARATORS) + ["\u3000", "\u00a0", "\uff0d", "\uff0e", "\uff0f", "\u2011"]
NAMES = ["mobile", "id-unchecked", "id"]


def vectorised(text: str, uscc_column: bool = False) -> str | None:
    code = detect(pa.array([text]), uscc_column)[0]
    return NAMES[code - 1] if code else None


@st.composite
def written(draw, digits: str) -> str:
    """``digits`` as a person might write them: groups split by one to three separators,
    some digits (and the X) full-width."""
    out = []
    for i, d in enumerate(digits):
        if i and draw(st.integers(0, 3)) == 0:
            out.append("".join(draw(st.lists(st.sampled_from(TYPED_SEPARATORS), min_size=1, max_size=3))))
        out.append(d.translate(FULL_WIDTH) if draw(st.booleans()) else d)
    return "".join(out)


# text around a number: never a digit or a separator next to it
CONTEXT = st.text(alphabet=st.sampled_from("联系人电话身份证号码备注abcXYZ：:，,（）()#"), max_size=6)


@st.composite
def mobiles(draw) -> str:
    return "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(
        st.sampled_from("0123456789"), min_size=9, max_size=9)))


@st.composite
def id_numbers(draw, valid: bool = True) -> str:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    region = f"{province}{draw(st.integers(0, 9999)):04d}"
    born = date(1900, 1, 1) + timedelta(days=draw(st.integers(0, 125 * 365)))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    right = ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]
    if valid:
        return body + right
    wrong = draw(st.sampled_from([c for c in "0123456789X" if c != right]))
    assume(uscc.check_char(body) != wrong)  # else it is a valid credit code, rightly not reported
    return body + wrong


def decimal_point_only(number: str) -> bool:
    """Two groups joined by one decimal point alone: 130000.00000 is read as a number."""
    import unicodedata

    kept = [c for c in unicodedata.normalize("NFKC", number) if not c.isdigit()]
    return kept == ["."]


@settings(suppress_health_check=list(HealthCheck))
@given(mobiles().flatmap(written), CONTEXT, CONTEXT)
def test_mobile_numbers_are_found_however_written(number, before, after):
    assume(not decimal_point_only(number))
    text = before + number + after
    assert finding(text) == "mobile"
    assert vectorised(text) == "mobile"


@settings(suppress_health_check=list(HealthCheck))
@given(mobiles(), st.sampled_from(["+86 ", "+86-", "0086 ", "+86", "86"]), CONTEXT)
def test_mobile_numbers_with_the_country_code_are_found(number, prefix, before):
    text = before + prefix + number
    assert finding(text) == "mobile" == vectorised(text)


@given(mobiles(), st.integers(1, 10))
def test_one_decimal_point_alone_makes_a_number(number, at):
    text = number[:at] + "." + number[at:]
    assert finding(text) is None and vectorised(text) is None
    assert finding(f"电话 {text} 或 {number}") == "mobile"  # another number in the text still counts


@settings(suppress_health_check=list(HealthCheck))
@given(id_numbers().flatmap(written), CONTEXT, CONTEXT, st.booleans())
def test_id_numbers_are_found_however_written(number, before, after, lower_x):
    text = before + (number.replace("X", "x") if lower_x else number) + after
    assert finding(text) == "id"
    assert vectorised(text) == "id"


@settings(suppress_health_check=list(HealthCheck))
@given(id_numbers(valid=False).flatmap(written), CONTEXT)
def test_id_numbers_with_a_wrong_check_digit_are_found_too(number, before):
    text = before + number
    assert finding(text) == "id-unchecked" == vectorised(text)


@st.composite
def credit_codes(draw) -> str:
    body = "".join(draw(st.lists(st.sampled_from(uscc.ALPHABET), min_size=17, max_size=17)))
    return body + uscc.check_char(body)


@settings(suppress_health_check=list(HealthCheck))
@given(credit_codes())
def test_credit_codes_are_not_id_numbers(code):
    # in a credit-code column a valid code is never an ID number
    assert finding(code, uscc_column=True) is None
    assert vectorised(code, uscc_column=True) is None
    # elsewhere only a code that is also an ID number with a valid check digit is one
    if not (code[:17].isdigit() and id_check_ok(code)):
        assert finding(code) is None
        assert vectorised(code) is None


@settings(suppress_health_check=list(HealthCheck))
@given(st.integers(0, 10**8 - 1), st.sampled_from([320402, 320404, 320411, 320412, 320481, 110105, 510104]))
def test_enterprise_credit_codes_are_never_personal_data(serial, district):
    code = uscc.make_codes(np.array([district]), np.array([serial]))[0].decode()
    assert finding(code) is None and vectorised(code) is None


ORDINARY = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Nd", "No", "Nl", "Cs"))),  # no digits at all
    st.integers(-(10**10) + 1, 10**10 - 1).map(str),  # counts and amounts up to ten digits
    st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9).map(lambda f: f"{f:.6f}"),
    st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()),
    st.builds(lambda y, a, b: f"{y}年{a}月至{b}月", st.integers(1990, 2030), st.integers(1, 12), st.integers(1, 12)),
    st.from_regex(r"[A-Z]{1,3}20[0-9]{2}-[0-9]{1,5}", fullmatch=True),  # record numbers
)


@settings(suppress_health_check=list(HealthCheck))
@given(st.lists(ORDINARY, min_size=1, max_size=3).map("；".join))
def test_ordinary_text_and_numbers_are_not_personal_data(text):
    assert finding(text) is None
    assert vectorised(text) is None


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(st.lists(st.text(alphabet=st.sampled_from("0123456789１３８Xx .-/\u3000ab中+"), max_size=40),
                min_size=1, max_size=20))
def test_column_scan_agrees_with_reading_each_value(texts):
    """The vectorised scan (screens, numpy check digits) and the one-by-one reading agree."""
    expected = [finding(t) for t in texts]
    assert [vectorised(t) for t in texts] == expected
    codes = detect(pa.chunked_array([pa.array(texts[: len(texts) // 2], pa.string()),
                                     pa.array(texts[len(texts) // 2:], pa.string())]))
    assert [NAMES[c - 1] if c else None for c in codes] == expected


def test_the_scan_is_linear_and_vectorised():
    """A million cells in seconds, not minutes (a Python loop per cell would take longer
    than this allows on the CI machines; the bound is loose for shared cores)."""
    n = 200_000
    notes = pa.array([f"联系人电话 138-{i % 10000:04d}-{i % 9999:04d}" for i in range(n)])
    started = time.perf_counter()
    kinds = detect(notes)
    assert (kinds == 1).all()
    long_text = pa.array(["1 " * 200_000 + "13812345678"])  # one long cell: linear, not quadratic
    assert detect(long_text)[0] == 1
    assert time.perf_counter() - started < 30


# ---------------------------------------------------------------------------------------
# end to end: every column type is scanned, findings are redacted, exemptions are narrow


def _package(root: Path, fields: list[dict], rows: list[list[str]], fields_match: str | None = None) -> Path:
    folder = root / "indicator-progress"  # a package the configuration binds the rule to
    (folder / "data").mkdir(parents=True)
    lines = [",".join(f["name"] for f in fields if not f.get("absent"))]
    lines += [",".join(row) for row in rows]
    (folder / "data" / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    schema = {"fields": [{k: v for k, v in f.items() if k != "absent"} for f in fields]}
    if fields_match:
        schema["fieldsMatch"] = fields_match
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
                  "name": "indicator-progress", "resources": [{
                      "name": "observations", "path": "data/observations.csv", "type": "table",
                      "scheme": "file", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                      "schema": schema}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return folder


def _findings(folder: Path, **kwargs):
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    report = validate_catalog(load_catalog([folder]), max_errors=None, **kwargs)
    return report, [(e.type, e.rowNumber, e.fieldName, e.key) for e in report.errors if e.type == "personal-data"]


def test_every_column_type_is_scanned(tmp_path):
    fields = [{"name": "id", "type": "string"}, {"name": "count", "type": "integer"},
              {"name": "amount", "type": "number"}, {"name": "code", "type": "any"},
              {"name": "when", "type": "date"}, {"name": "note"}]
    rows = [["a", "1", "2.5", "x", "2013-05-01", "ok"],
            ["b", "13812345678", "2.5", "x", "2013-05-01", "ok"],  # integer column
            ["c", "1", "1.3812345678E10", "x", "2013-05-01", "ok"],  # published as 13812345678
            ["d", "1", "2.5", "110105194912310021", "2013-05-01", "ok"],  # any column, wrong check digit
            ["e", "1", "2.5", "x", "138 1234 5678", "ok"],  # a type error is scanned too
            ["f", "1", "2.5", "x", "2013-05-01", "１３８．１２３４．５６７８"],  # untyped, full-width
            ["g", "1", "13.812345678", "x", "2013-05-01", "ok"]]  # a decimal number
    report, found = _findings(_package(tmp_path, fields, rows))
    assert found == [
        ("personal-data", 3, "count", "rule.personal-data-mobile"),
        ("personal-data", 4, "amount", "rule.personal-data-mobile"),
        ("personal-data", 5, "code", "rule.personal-data-id-unchecked"),
        ("personal-data", 6, "when", "rule.personal-data-mobile"),
        ("personal-data", 7, "note", "rule.personal-data-mobile"),
    ], found
    shown = [e for e in report.errors if e.type == "personal-data"]
    # the report must not repeat the number: CI logs are public
    assert all("5678" not in e.message("en") and "5678" not in (e.cell or "") for e in shown)


def test_a_field_missing_from_the_file_is_skipped_not_a_crash(tmp_path):
    fields = [{"name": "indicator_id", "type": "string"}, {"name": "note", "type": "string", "absent": True},
              {"name": "uscc", "type": "string", "absent": True}, {"name": "contact", "type": "string"}]
    report, found = _findings(_package(tmp_path, fields, [["a", "电话 13812345678"]], "superset"))
    assert found == [("personal-data", 2, "contact", "rule.personal-data-mobile")]
    assert not [e for e in report.errors if e.type != "personal-data"], report.errors


def test_exemptions_name_one_field_and_one_kind(tmp_path, monkeypatch):
    from dataclasses import replace

    from pipeline.config import CheckBinding, load_config
    from pipeline.load import load_catalog
    from pipeline.validate import rules, validate_catalog
    from pipeline.validate.rules import personal, run_rules

    fields = [{"name": "hotline", "type": "string"}, {"name": "note", "type": "string"}]
    catalog = load_catalog([_package(tmp_path, fields, [["13812345678", "13812345678"],
                                                        ["11010519491231002X", "x"]])])
    captured = {}
    monkeypatch.setattr(rules, "run_rules", lambda checked, *args, **kwargs: captured.update(checked))
    validate_catalog(catalog, max_errors=None)  # the cell checks, then the check by hand below
    item = captured[("indicator-progress", "observations")]

    def bound(resources, **params):
        return replace(load_config(), checks=(CheckBinding("personal-data", resources, params, "checks[0]"),))

    run_rules(captured, catalog, bound(("*/*",), exempt={"indicator-progress/observations/hotline": ["mobile"]}))
    found = sorted((e.rowNumber, e.fieldName, e.key) for e in item.out.kept() if e.type == "personal-data")
    # the hotline may hold a mobile number, not an ID number; the note may hold neither
    assert found == [(2, "note", "rule.personal-data-mobile"), (3, "hotline", "rule.personal-data-id")]
    with pytest.raises(ValueError):
        personal.scan(item, exempt={"indicator-progress/observations/hotline": ["phone"]})
    item.out.items.clear()
    run_rules(captured, catalog, bound(("reference/*",)))  # bound elsewhere: nothing is read
    assert not item.out.items
