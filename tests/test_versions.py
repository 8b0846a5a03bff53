"""Release versions: the grammar (which is also what keeps a version from being a path),
their order (Semantic Versioning 2.0.0 §11, extended to calendar versions) and the
versions computed for the derived package."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.versions import calendar_version, is_version, newest, version_key

VALID = ["1.0.0", "1.0.1", "2.0.0-rc.1", "1.0.0+build.5", "2024.06", "2024.07", "2015.05.27",
         "2015.05.27.2", "7", "0.1"]
INVALID = ["", "latest", "../../x", "1.0.0/../../x", "1..0", ".1", "1.", "1.0.0.0.0", "v1.0.0",
           "1.0 ", " 1.0", "1.0\n", "1/0", "1\\0", "1.0.0-", "1.0.0+", "1.0.0-a..b", "１.０",
           "1.0.0-ä", "x" * 65, None, 1.0, ["1.0.0"]]


@pytest.mark.parametrize("text", VALID)
def test_semantic_and_calendar_versions_are_accepted(text):
    assert is_version(text)


@pytest.mark.parametrize("text", INVALID)
def test_anything_else_is_refused(text):
    assert not is_version(text)


def test_the_order_of_semantic_versioning_section_11():
    # the example list of §11.4, oldest first
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
               "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    shuffled = ordered[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=version_key) == ordered
    assert version_key("1.9.0") < version_key("1.10.0") < version_key("1.11.0")
    assert version_key("2.0.0") < version_key("2.1.0") < version_key("2.1.1")


def test_calendar_versions_sort_by_date_and_serial():
    ordered = ["2024.06", "2024.06.1", "2024.07", "2024.12", "2025.01"]
    shuffled = ["2024.12", "2024.06.1", "2025.01", "2024.06", "2024.07"]
    assert sorted(shuffled, key=version_key) == ordered
    assert newest(["2015.05.27", "2015.05.27.2", "2015.05.20", "latest"]) == "2015.05.27.2"


def test_calendar_version_of_a_day():
    assert calendar_version(dt.date(2015, 5, 27)) == "2015.05.27"
    assert calendar_version(dt.date(2015, 5, 27), 2) == "2015.05.27.2"
    assert is_version(calendar_version(dt.date(1, 1, 1), 99))


@given(st.dates(), st.dates(), st.integers(1, 50), st.integers(1, 50))
def test_computed_versions_follow_the_dates_and_serials(a, b, i, j):
    va, vb = calendar_version(a, i), calendar_version(b, j)
    assert is_version(va) and is_version(vb)
    assert (version_key(va) < version_key(vb)) == ((a, i) < (b, j))


@given(st.text(max_size=30))
def test_a_valid_version_is_never_a_path(text):
    if is_version(text):
        assert "/" not in text and "\\" not in text and ".." not in text
        assert text not in (".", "latest") and not text.startswith(".")
        assert text == text.strip() and text.isascii()


versions = st.builds(lambda parts, pre: ".".join(map(str, parts)) + (f"-{pre}" if pre else ""),
                     st.lists(st.integers(0, 3000), min_size=1, max_size=4),
                     st.one_of(st.none(), st.from_regex(r"[0-9A-Za-z-]{1,5}(\.[0-9A-Za-z-]{1,5}){0,2}",
                                                        fullmatch=True)))


@given(st.lists(versions, min_size=1, max_size=8))
def test_the_order_is_total_and_consistent(items):
    ordered = sorted(items, key=version_key)
    for earlier, later in itertools.pairwise(ordered):
        assert version_key(earlier) <= version_key(later)
    assert newest(items) == ordered[-1] or version_key(newest(items)) == version_key(ordered[-1])


@given(versions, versions)
def test_a_pre_release_sorts_before_its_release(a, b):
    release = a.split("-", 1)[0]
    if "-" in a:
        assert version_key(a) < version_key(release)
