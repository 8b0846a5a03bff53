"""The lookup index built a column at a time gives exactly the bytes of the original
row-by-row implementation (kept in ``lookup_reference.py``): on random small tables with
the columns and types of the real ones, and on the committed sample. The number of random
examples is the hypothesis profile's (conftest: "ci", or "long" for ``nox -s slow``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lookup_reference import build_index as reference_build_index

from pipeline.pages import lookup_index
from pipeline.pages.lookup_index import (
    Params,
    build_index,
    fnv1a,
    iter_index,
    stop_files,
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DATE = date(2016, 1, 1)

# The types of the tables build_index receives (checked against the real ones below).
SCHEMAS = {
    ("enterprise-credit", "enterprises"): pa.schema([
        ("uscc", pa.string()), ("name", pa.string()), ("district_code", pa.string()),
        ("sector_code", pa.string()), ("scale", pa.string()), ("established", pa.date32()),
        ("closed", pa.date32())]),
    ("enterprise-credit", "credit_ratings"): pa.schema([
        ("uscc", pa.string()), ("year", pa.int64()), ("scheme", pa.string()),
        ("grade", pa.string()), ("rated_on", pa.date32())]),
    ("enterprise-credit", "certificates"): pa.schema([
        ("certificate_id", pa.string()), ("uscc", pa.string()), ("level", pa.int64()),
        ("issued", pa.date32()), ("expires", pa.date32())]),
    ("derived", "blacklist_public"): pa.schema([
        ("listing_id", pa.string()), ("uscc", pa.string()), ("enterprise_name", pa.string()),
        ("district_code", pa.string()), ("reason", pa.string()), ("listed", pa.date32()),
        ("term_years", pa.int64()), ("expires", pa.date32()), ("accident_id", pa.string()),
        ("hazard_id", pa.string()), ("as_of", pa.date32())]),
    ("derived", "hazard_rectification"): pa.schema([
        ("hazard_id", pa.string()), ("uscc", pa.string()), ("district_code", pa.string()),
        ("level", pa.string()), ("listed", pa.date32()), ("deadline", pa.date32()),
        ("rectified", pa.date32()), ("status", pa.string()), ("days_late", pa.int64()),
        ("as_of", pa.date32())]),
}
ARGUMENTS = {  # build_index argument -> table, as pipeline.pages.credit passes them
    "enterprises": ("enterprise-credit", "enterprises"),
    "ratings": ("enterprise-credit", "credit_ratings"),
    "certificates": ("enterprise-credit", "certificates"),
    "listings": ("derived", "blacklist_public"),
    "hazards": ("derived", "hazard_rectification"),
}

DISTRICTS = ["320402", "320404", "320411", "320481"]
SECTORS = ["commerce", "fire", "machinery"]
GRADES = ["A", "B", "C", "D", "E"]
CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Few characters, so grams repeat and become stop grams: Chinese, ASCII in both cases,
# full-width and other forms NFKC changes (ﬁ, ①), characters lower case lengthens (İ),
# final sigma, a combining accent, what JSON escapes (quote, backslash, control
# characters), what dumps escapes (< > &), characters beyond the BMP, U+2028.
NAME_CHARACTERS = ("常州示例有限公司号", "aAbZ09 ", "ＡＢ１ﬁ①", "İßΣσ\u0301",
                   '"\\\n\t\r\x01\x08\x0c\x1f\x7f', "<>&", "😀𠀀", "\u2028")
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2017, 12, 31))


def _missing(strategy, chance: bool):
    return st.one_of(strategy, st.none()) if chance else strategy


@st.composite
def _names(draw):
    """Names of one example: free text over a few characters, or made of a few shared
    pieces (as 常州示例 and 有限公司 are), so that grams repeat and long stop grams occur."""
    alphabet = "".join(draw(st.lists(st.sampled_from(NAME_CHARACTERS), min_size=1,
                                     unique=True)))
    if draw(st.booleans()):
        alphabet += "\x00"  # names holding U+0000 are normalised one by one
    pieces = draw(st.lists(st.text(alphabet, min_size=1, max_size=4), min_size=1, max_size=4))
    name = st.text(alphabet, max_size=12) \
        | st.lists(st.sampled_from(pieces), max_size=4).map("".join)
    return _missing(name, draw(st.booleans()))


@st.composite
def _tables(draw):
    odd_codes = draw(st.booleans())  # codes of 17-19 characters: hashed through Python
    count = draw(st.integers(0, 14))
    codes = draw(st.lists(st.text(CODE_CHARACTERS, min_size=17 if odd_codes else 18,
                                  max_size=19 if odd_codes else 18),
                          min_size=count, max_size=count, unique=True))
    nulls = draw(st.booleans())  # missing values where the code copes with them
    names = draw(_names())
    enterprises = [{
        "uscc": code, "name": draw(names),
        "district_code": draw(_missing(st.sampled_from(DISTRICTS + ["320000"]), nulls)),
        "sector_code": draw(_missing(st.sampled_from(SECTORS + ["rail"]), nulls)),
        "scale": draw(st.sampled_from(["above", "below"])),
        "established": draw(_missing(DAYS, nulls)),
    } for code in codes]
    # Rows of other tables name listed enterprises, and sometimes none (left out).
    stranger = st.text(CODE_CHARACTERS, min_size=18, max_size=18)
    owner = st.sampled_from(codes) | stranger if codes else stranger
    rated = draw(st.lists(st.tuples(owner, st.integers(2012, 2015)), max_size=30,
                          unique=True))
    ratings = [{"uscc": code, "year": year, "scheme": draw(st.sampled_from(["cz2020", "x<"])),
                "grade": draw(st.sampled_from(GRADES + ["Z"])),
                "rated_on": draw(DAYS)} for code, year in rated]
    identifiers = st.text("S0123", min_size=1, max_size=3)  # ties in the sort keys too
    certificates = [{"certificate_id": draw(identifiers), "uscc": draw(owner),
                     "level": draw(st.integers(1, 3)), "issued": draw(DAYS),
                     "expires": draw(DAYS)} for _ in range(draw(st.integers(0, 12)))]
    listings = [{"listing_id": draw(identifiers), "uscc": draw(owner),
                 "enterprise_name": draw(names), "district_code": DISTRICTS[0],
                 "reason": draw(st.sampled_from(["hazard_overdue", "concealment", 'a"b\\'])),
                 "listed": draw(DAYS), "term_years": 3, "expires": draw(DAYS),
                 "accident_id": draw(st.none() | st.just("A201300001")),
                 "hazard_id": draw(st.none() | st.just("H2012000289")),
                 "as_of": REFERENCE_DATE} for _ in range(draw(st.integers(0, 6)))]
    hazards = [{"hazard_id": draw(identifiers), "uscc": draw(st.none() | owner),
                "district_code": DISTRICTS[1],
                "level": draw(st.sampled_from(["city", "district"])),
                "listed": draw(DAYS), "deadline": draw(DAYS),
                "rectified": draw(st.none() | DAYS),
                "status": draw(st.sampled_from(["on_time", "late", "open_overdue"])),
                "days_late": draw(st.none() | st.integers(-5, 4000)), "as_of": REFERENCE_DATE}
               for _ in range(draw(st.integers(0, 10)))]
    rows = {"enterprises": enterprises, "ratings": ratings, "certificates": certificates,
            "listings": listings, "hazards": hazards}
    tables = {}
    for argument, table_rows in rows.items():
        table = pa.Table.from_pylist(table_rows, schema=SCHEMAS[ARGUMENTS[argument]])
        cut = draw(st.integers(0, table.num_rows))  # real tables come in several chunks
        tables[argument] = pa.concat_tables([table.slice(0, cut), table.slice(cut)])
    return tables


def _assert_same(files: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(files) == sorted(expected)
    for path, text in expected.items():
        assert files[path] == text, path


@given(tables=_tables(),
       params=st.builds(Params, cap=st.sampled_from([2, 1, 3, 0]),  # 0: every gram stops
                        max_gram=st.sampled_from([4, 3, 2, 5, 1]),  # 1: no gram at all
                        record_bytes=st.sampled_from([250, 500, 1_000, 4_000]),
                        gram_bytes=st.sampled_from([10, 60, 200, 8_000]),
                        list_page=st.sampled_from([200, 1, 2, 3]),
                        list_cap=st.sampled_from([2_000, 0, 1, 4]),
                        # affixes: stop grams made of them alone get no list (ａｂ: NFKC)
                        affixes=st.sampled_from([(), ("有限公司",), ("常州", "ａｂ"), ("İ",)])),
       batch=st.sampled_from([1, 2, 3, 7, lookup_index.BATCH]))  # shards joined in batches
def test_same_bytes_as_the_row_by_row_reference(tables, params, batch):
    arguments = dict(tables, districts=DISTRICTS, sectors=SECTORS, grades=GRADES,
                     reference_date=REFERENCE_DATE, params=params)
    with mock.patch.object(lookup_index, "BATCH", batch):
        files = build_index(**arguments)
    _assert_same(files, reference_build_index(**arguments))


@given(tables=_tables())
def test_same_bytes_with_default_parameters(tables):
    arguments = dict(tables, districts=DISTRICTS, sectors=SECTORS, grades=GRADES,
                     reference_date=REFERENCE_DATE)
    _assert_same(build_index(**arguments), reference_build_index(**arguments))


@pytest.fixture(scope="module")
def sample():
    from pipeline.derive import derive
    from pipeline.load import load_catalog
    from pipeline.pages.context import SiteContext
    from pipeline.pages.core import Ref
    from pipeline.validate import validate_catalog

    catalog = load_catalog([ROOT / "datapackages"])
    validate_catalog(catalog)
    derive(catalog, reference_date=REFERENCE_DATE)
    ctx = SiteContext(catalog=catalog, docs_dir=Path("unused"), env=None,
                      reference_date=REFERENCE_DATE)
    ref = Ref(ctx)
    return dict({argument: catalog.table(*table) for argument, table in ARGUMENTS.items()},
                districts=[r["code"] for r in ref.district_rows], sectors=sorted(ref.sectors),
                grades=ref.credit_grades, reference_date=REFERENCE_DATE)


def test_generated_tables_have_the_real_types(sample):
    for argument, table in ARGUMENTS.items():
        assert sample[argument].schema.remove_metadata() == SCHEMAS[table], argument


@pytest.mark.parametrize("params", [
    Params(), Params(cap=40, max_gram=5, gram_bytes=2_000),
    Params(cap=40, max_gram=5, list_page=7, list_cap=30, affixes=("有限公司", "常州"))],
    ids=["default", "small-cap", "short-lists"])
def test_sample_same_bytes_as_the_reference(sample, params):
    files = build_index(**sample, params=params)
    _assert_same(files, reference_build_index(**sample, params=params))
    assert len(files) > 10


def test_the_first_file_comes_before_the_rest_are_made(sample, monkeypatch):
    """The index is written file by file: its first record shard is given before the name
    index is worked out (so before any gram shard, stop shard or list is made), and the
    files of one kind come one at a time, not as a list made beforehand."""
    made = []

    def spy(name, real):
        def called(*args, **kwargs):
            made.append(name)
            return real(*args, **kwargs)
        return called

    for name in ("_grams", "stop_files", "_batch_files"):
        monkeypatch.setattr(lookup_index, name, spy(name, getattr(lookup_index, name)))
    monkeypatch.setattr(lookup_index, "BATCH", 50)
    files = iter_index(**sample)
    assert made == []  # nothing is made before the first file is asked for
    path, _ = next(files)
    assert path == "r/0.json" and made == ["_batch_files"]  # one batch of records only
    given_ = dict([(path, _)] + list(files))
    assert made.count("_grams") == 1 and made.count("stop_files") == 1
    assert made.count("_batch_files") > 4
    assert list(given_)[-1] == "meta.json"
    _assert_same(given_, reference_build_index(**sample))


@given(grams=st.sets(st.text(alphabet="常州示例0123有限公司ab", min_size=2, max_size=6), max_size=60),
       stop_bytes=st.sampled_from([1, 40, 400, 4_000]))
def test_stop_grams_are_sharded_by_their_two_character_prefix(grams, stop_bytes):
    count, files = stop_files(grams, Params(stop_bytes=stop_bytes))
    assert sorted(files) == sorted(f"s/{k}.json" for k in range(count))  # none missing
    found = {}
    for k in range(count):
        for prefix, chain in json.loads(files[f"s/{k}.json"]).items():
            assert fnv1a(prefix.encode("utf-8")) % count == k  # where the browser looks
            assert chain == sorted(chain) and all(g[:2] == prefix for g in chain)
            found.update(dict.fromkeys(chain, prefix))
    assert set(found) == grams
    # No more shards than the size asked for needs: past one, they hold stop_bytes / 2 or more
    # on average (a shard's braces and commas are one byte more than its entries' share).
    total = sum(len(f) for f in files.values())
    assert count == 1 or (total - count) / count > stop_bytes / 2
