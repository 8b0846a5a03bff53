"""Blacklist visibility: active listings with identity, everything else anonymous (DOMAIN 6)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from pipeline.derive.steps.blacklist import blacklist_expired_counts, blacklist_public

REF = date(2016, 3, 1)
S, I, DT = pa.string(), pa.int64(), pa.date32()

ENTERPRISES = pa.table({
    "uscc": pa.array([f"91320400MA1{i:06d}X" for i in range(1, 9)], S),
    "name": pa.array([f"常州示例{i}号有限公司" for i in range(1, 9)], S),
    "district_code": pa.array(["320402"] * 4 + ["320481"] * 4, S),
})
USCC = ENTERPRISES["uscc"].to_pylist()

#  id    enterprise  reason            listed            term expires          removed
ROWS = [
    ("L1", 0, "concealment", date(2015, 3, 1), 1, date(2016, 3, 1), None),  # expires on ref
    ("L2", 1, "concealment", date(2015, 3, 2), 1, date(2016, 3, 2), None),  # expires tomorrow
    ("L3", 2, "major_accident", date(2015, 6, 1), 3, date(2018, 6, 1), date(2016, 1, 1)),
    ("L4", 3, "major_accident", date(2015, 6, 1), 3, date(2018, 6, 1), REF),  # removed on ref
    ("L5", 4, "hazard_overdue", date(2015, 6, 1), 3, date(2018, 6, 1), date(2016, 3, 2)),
    ("L6", 5, "larger_accident", date(2016, 3, 2), 1, date(2017, 3, 2), None),  # after ref
    ("L7", 6, "larger_accident", REF, 1, date(2017, 3, 1), None),  # listed on ref
    ("L8", 7, "concealment", date(2014, 1, 15), 1, date(2015, 1, 15), date(2015, 2, 1)),
]


def blacklist() -> pa.Table:
    return pa.table({
        "listing_id": pa.array([r[0] for r in ROWS], S),
        "uscc": pa.array([USCC[r[1]] for r in ROWS], S),
        "reason": pa.array([r[2] for r in ROWS], S),
        "accident_id": pa.array(["A201500001" if r[2] == "major_accident" else None
                                 for r in ROWS], S),
        "hazard_id": pa.array(["H1" if r[2] == "hazard_overdue" else None for r in ROWS], S),
        "listed": pa.array([r[3] for r in ROWS], DT),
        "term_years": pa.array([r[4] for r in ROWS], I),
        "expires": pa.array([r[5] for r in ROWS], DT),
        "removed": pa.array([r[6] for r in ROWS], DT),
    })


def test_active_listings_at_the_boundary_days():
    out = blacklist_public(blacklist(), ENTERPRISES, reference_date=REF)
    # L1 expires on the reference day → gone; L2 the day after → shown; L4 removed on the
    # day → gone; L5 removed tomorrow → shown; L6 listed tomorrow → not yet; L7 listed today.
    assert sorted(out["listing_id"].to_pylist()) == ["L2", "L5", "L7"]
    l2 = next(r for r in out.to_pylist() if r["listing_id"] == "L2")
    assert (l2["uscc"], l2["enterprise_name"], l2["district_code"], l2["reason"],
            l2["listed"], l2["expires"]) == (USCC[1], "常州示例2号有限公司", "320402",
                                             "concealment", date(2015, 3, 2), date(2016, 3, 2))
    l5 = next(r for r in out.to_pylist() if r["listing_id"] == "L5")
    assert l5["hazard_id"] == "H1"


def test_the_day_before_expiry_is_active_and_expiry_day_is_not():
    one = blacklist().slice(0, 1)  # L1 expires 2016-03-01
    assert blacklist_public(one, ENTERPRISES, reference_date=date(2016, 2, 29)).num_rows == 1
    assert blacklist_public(one, ENTERPRISES, reference_date=date(2016, 3, 1)).num_rows == 0
    counts = blacklist_expired_counts(one, ENTERPRISES, reference_date=date(2016, 3, 1))
    assert counts.select(["year", "district_code", "reason", "expired", "removed",
                          "listings"]).to_pylist() == [
        {"year": 2015, "district_code": "320402", "reason": "concealment", "expired": 1,
         "removed": 0, "listings": 1}]
    assert blacklist_expired_counts(one, ENTERPRISES,
                                    reference_date=date(2016, 2, 29)).num_rows == 0


def test_expired_and_removed_listings_are_counted_anonymously():
    out = blacklist_expired_counts(blacklist(), ENTERPRISES, reference_date=REF)
    got = {(r["year"], r["district_code"], r["reason"]): (r["expired"], r["removed"],
                                                         r["listings"])
           for r in out.to_pylist()}
    assert got == {
        (2015, "320402", "concealment"): (1, 0, 1),      # L1
        (2015, "320402", "major_accident"): (0, 2, 2),   # L3, L4
        (2014, "320481", "concealment"): (1, 0, 1),      # L8: removed after expiry = expired
    }


def test_expired_listings_never_carry_identity():
    out = blacklist_expired_counts(blacklist(), ENTERPRISES, reference_date=REF)
    assert set(out.column_names) == {"as_of", "year", "district_code", "reason", "expired",
                                     "removed", "listings"}
    cells = {str(v) for column in out.columns for v in column.to_pylist()}
    names = set(ENTERPRISES["name"].to_pylist())
    assert not cells & (set(USCC) | names | {r[0] for r in ROWS} | {"A201500001"})
    public = blacklist_public(blacklist(), ENTERPRISES, reference_date=REF)
    ended = {"L1", "L3", "L4", "L8"}
    shown = {str(v) for column in public.columns for v in column.to_pylist()}
    assert not shown & ({USCC[i] for i in (0, 2, 3, 7)} | ended)
