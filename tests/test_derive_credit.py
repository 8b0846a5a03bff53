"""Credit grade distribution and certificates in force, against hand counts."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from pipeline.derive.schemas import conform
from pipeline.derive.steps.certificates_status import certificates_status
from pipeline.derive.steps.credit_grade_distribution import credit_grade_distribution

S, I, DT = pa.string(), pa.int64(), pa.date32()

ENTERPRISES = pa.table({
    "uscc": pa.array(["E1", "E2", "E3", "E4"], S),
    "name": pa.array(["示例一", "示例二", "示例三", "示例四"], S),
    "district_code": pa.array(["320402", "320402", "320402", "320481"], S),
    "sector_code": pa.array(["machinery"] * 3 + ["hazchem"], S),
})
SCHEME = pa.table({"scheme": pa.array(["cz2020"] * 3 + ["old"] * 2, S),
                   "grade": pa.array(["A", "B", "C", "1", "2"], S),
                   "rank": pa.array([1, 2, 3, 1, 2], I)})


def ratings(rows):
    return pa.table({"uscc": pa.array([r[0] for r in rows], S),
                     "year": pa.array([r[1] for r in rows], I),
                     "scheme": pa.array([r[2] for r in rows], S),
                     "grade": pa.array([r[3] for r in rows], S)})


def test_grade_counts_and_shares_with_every_grade_of_the_scheme():
    out = conform(credit_grade_distribution(ratings([
        ("E1", 2014, "cz2020", "A"), ("E2", 2014, "cz2020", "A"), ("E3", 2014, "cz2020", "C"),
        ("E1", 2015, "cz2020", "B"), ("E4", 2015, "old", "2"),
    ]), ENTERPRISES, SCHEME), "credit_grade_distribution")
    rows = {(r["year"], r["district_code"], r["sector_code"], r["grade"]):
            (r["enterprises"], r["rated"], r["share_pct"]) for r in out.to_pylist()}
    assert rows == {
        # 2/3 = 66.7 %, 1/3 = 33.3 %; B has none but still a row
        (2014, "320402", "machinery", "A"): (2, 3, 66.7),
        (2014, "320402", "machinery", "B"): (0, 3, 0.0),
        (2014, "320402", "machinery", "C"): (1, 3, 33.3),
        (2015, "320402", "machinery", "A"): (0, 1, 0.0),
        (2015, "320402", "machinery", "B"): (1, 1, 100.0),
        (2015, "320402", "machinery", "C"): (0, 1, 0.0),
        # another scheme's grades only appear with that scheme
        (2015, "320481", "hazchem", "1"): (0, 1, 0.0),
        (2015, "320481", "hazchem", "2"): (1, 1, 100.0),
    }


def test_a_grade_missing_from_the_scheme_is_still_counted():
    out = credit_grade_distribution(ratings([("E1", 2014, "cz2020", "Z")]), ENTERPRISES, SCHEME)
    z = [r for r in out.to_pylist() if r["grade"] == "Z"]
    assert [(r["enterprises"], r["rated"]) for r in z] == [(1, 1)]


def certificates(rows):
    return pa.table({"certificate_id": pa.array([f"C{i}" for i in range(len(rows))], S),
                     "uscc": pa.array([r[0] for r in rows], S),
                     "level": pa.array([r[1] for r in rows], I),
                     "issued": pa.array([r[2] for r in rows], DT),
                     "expires": pa.array([r[3] for r in rows], DT)})


def test_certificates_current_and_expired_at_the_boundary_day():
    ref = date(2016, 3, 1)
    out = conform(certificates_status(certificates([
        ("E1", 3, date(2013, 3, 1), date(2016, 3, 1)),  # expires on ref: expired
        ("E1", 3, date(2016, 3, 1), date(2019, 3, 1)),  # issued on ref: current
        ("E2", 3, date(2013, 3, 2), date(2016, 3, 2)),  # expires the day after: current
        ("E2", 3, date(2014, 1, 1), date(2017, 1, 1)),  # second current certificate of E2
        ("E3", 2, date(2016, 3, 2), date(2019, 3, 2)),  # issued after ref: not counted
        ("E4", 1, date(2010, 1, 1), date(2013, 1, 1)),  # long expired
    ]), ENTERPRISES, reference_date=ref), "certificates_status")
    rows = {(r["district_code"], r["level"]): r for r in out.to_pylist()}
    assert set(rows) == {("320402", 3), ("320481", 1)}
    r = rows[("320402", 3)]
    assert (r["current"], r["expired"], r["certificates"], r["enterprises_current"]) == (
        3, 1, 4, 2)
    r = rows[("320481", 1)]
    assert (r["current"], r["expired"], r["certificates"], r["enterprises_current"]) == (
        0, 1, 1, 0)
    assert {r["as_of"] for r in out.to_pylist()} == {ref}
