"""Unit tests of the domain rules' arithmetic (the corpus tests each rule end to end)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from pipeline.validate.rules.accidents import grade_of
from pipeline.validate.rules.dates import add_years, iso
from pipeline.validate.rules.personal import finding, id_check_ok
from pipeline.validate.rules.rates import mismatch


def days(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


@pytest.mark.parametrize("start, years, expected", [
    ("2012-02-29", 1, "2013-02-28"), ("2012-02-29", 4, "2016-02-29"), ("2013-01-31", 3, "2016-01-31"),
    ("2015-12-31", 1, "2016-12-31"), ("2014-06-30", -1, "2013-06-30"),
])
def test_add_years_keeps_month_and_day(start, years, expected):
    assert iso(add_years(np.array([days(start)]), np.array([years]))[0]) == expected


@pytest.mark.parametrize("deaths, injuries, loss, grade", [
    (2, 9, 9_999_999, "general"), (3, 0, 0, "larger"), (0, 10, 0, "larger"), (0, 0, 10_000_000, "larger"),
    (9, 49, 49_999_999, "larger"), (10, 0, 0, "major"), (0, 50, 0, "major"), (0, 0, 50_000_000, "major"),
    (29, 99, 99_999_999, "major"), (30, 0, 0, "particularly_serious"),
    (0, 100, 0, "particularly_serious"), (0, 0, 100_000_000, "particularly_serious"),
])
def test_grade_thresholds_include_their_lower_bound(deaths, injuries, loss, grade):
    assert grade_of(np.array([deaths]), np.array([injuries]), np.array([loss]))[0] == grade


def test_id_check_digit():
    assert id_check_ok("11010519491231002X")  # the standard's worked example
    assert not id_check_ok("110105194912310021")


@pytest.mark.parametrize("text, kind", [
    ("身份证 11010519491231002X 已核实", "id"), ("11010519491231002x", "id"),
    ("编号 110105194912310021", "id-unchecked"),  # wrong check digit: still a region and a birth date
    ("电话13812345678", "mobile"), ("+86 138 1234 5678", "mobile"), ("138-1234-5678", "mobile"),
    ("A201300123", None), ("12345678901", None), ("金额 213812345678 元", None),
    # full-width digits and separators, dots, slashes, spaced ID numbers
    ("１３８１２３４５６７８", "mobile"), ("１３８－１２３４－５６７８", "mobile"), ("138.1234.5678", "mobile"),
    ("138/1234/5678", "mobile"), ("138\u30001234\u30005678", "mobile"), ("138 — 1234 — 5678", "mobile"),
    ("+8613812345678", "mobile"), ("008613812345678", "mobile"), ("2015 13812345678", "mobile"),
    ("110105 19491231 002X", "id"), ("１１０１０５１９４９１２３１００２Ｘ", "id"), ("1101-0519-4912-3100-2X", "id"),
    # not personal data: a decimal number, a run of digits too long, dates, credit codes
    ("13.812345678", None), ("率 13.812345678 ‰", None), ("13812345678901", None),
    ("2013-05-01 2014-06-02", None), ("913204020000005617", None), ("91320402MA1XYZ0A5Q", None),
    ("13,812,345,678", None),  # a comma groups thousands: an amount
    ("900105194912310021", None),  # 90 is no province code
    ("110105194913310021", None),  # month 13
    ("110105194902300021", None),  # 30 February
])
def test_personal_data_finding(text, kind):
    from pipeline.validate.rules.personal import detect

    assert finding(text) == kind
    # the vectorised path decides the same
    assert (["mobile", "id-unchecked", "id"][code - 1] if (code := detect(pa.array([text]))[0]) else None) == kind


def test_id_that_is_also_a_valid_credit_code_is_told_apart():
    from pipeline import uscc
    from pipeline.validate.rules.personal import ID_CHECK, ID_WEIGHTS

    def id_char(body):
        return ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]

    bodies = [f"11010519491231{n:03d}" for n in range(1000)]  # region 110105, born 1949-12-31
    # the 18th character a credit code would have, where it is a digit or X
    as_code = {b: uscc.check_char(b) for b in bodies if uscc.check_char(b) in "0123456789X"}
    only_code = next(b + c for b, c in as_code.items() if c != id_char(b))
    both = next(b + c for b, c in as_code.items() if c == id_char(b))
    assert uscc.is_valid(only_code) and not id_check_ok(only_code)
    assert finding(only_code) is None  # a credit code: its ID check digit is wrong
    assert finding(only_code[:17] + ("1" if only_code[17] != "1" else "2")) == "id-unchecked"
    assert uscc.is_valid(both) and id_check_ok(both)
    assert finding(both) == "id"  # valid as both: an ID number wins, outside credit-code columns
    assert finding(both, uscc_column=True) is None


def test_rate_tolerance_is_half_a_unit_in_the_last_decimal():
    stated = np.array([0.25, 0.3, 0.2, np.nan])
    bad, _ = mismatch(stated, np.array([5.0, 5.0, 5.0, 5.0]), np.array([2e5] * 4), 1e4, 1)
    assert bad.tolist() == [False, False, False, False]  # 0.25 → 0.2 or 0.3 both pass
    bad, _ = mismatch(np.array([0.4]), np.array([5.0]), np.array([2e5]), 1e4, 1)
    assert bad.tolist() == [True]


def test_printable_ascii_screen_reads_only_the_rows_in_view():
    from pipeline.validate.rules.text_safety import printable_ascii

    assert printable_ascii(pa.array(["913204020000005617", "cz2020", None, ""]))
    assert not printable_ascii(pa.array(["ok", "bad\x1b[31m"]))
    assert not printable_ascii(pa.array(["ok", "示例"]))
    assert not printable_ascii(pa.array(["a\u202eb"]))
    # a slice starts inside the buffers: bytes outside it do not count
    assert printable_ascii(pa.array(["\x00", "plain", "\x7f"]).slice(1, 1))
    assert printable_ascii(pa.chunked_array([["a"], ["b"]]))


def test_uscc_rule_finds_the_wrong_check_character_among_distinct_codes():
    from pipeline.validate.rules.uscc import wrong_codes

    real, typo = "913204020000005617", "91320402000000561X"  # the synthetic data's first firm
    codes = [typo, "short", real]
    shaped, wrong, expected = wrong_codes(pa.array(codes))
    assert shaped.tolist() == [True, False, True]
    assert wrong.tolist() == [True, False, False]
    assert chr(expected[0]) == "7"
