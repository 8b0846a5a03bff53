"""Blacklist visibility (DOMAIN 6): active listings with identity, the rest as anonymous counts."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import as_of, day, flag

INPUTS = (("enterprise-credit", "blacklist"), ("enterprise-credit", "enterprises"))
OUTPUTS = ("blacklist_public", "blacklist_expired_counts")
ORDER = 80


def _listings(blacklist: pa.Table, enterprises: pa.Table, reference_date: date) -> pa.Table:
    """Listings made on or before the reference date, with their state on that day."""
    ref = day(reference_date)
    table = blacklist.filter(pc.less_equal(blacklist["listed"], ref))
    table = table.join(enterprises.select(["uscc", "name", "district_code"]), "uscc",
                       join_type="left outer")
    # `expires` is the first day the listing is no longer in force (listed + term years).
    removed = pc.fill_null(pc.and_(pc.less_equal(table["removed"], ref),
                                   pc.less(table["removed"], table["expires"])), False)
    expired = pc.and_(pc.invert(removed), pc.less_equal(table["expires"], ref))
    active = pc.and_(pc.invert(removed), pc.invert(expired))
    return (table.append_column("is_active", active)
            .append_column("is_removed", removed)
            .append_column("is_expired", expired))


def blacklist_public(blacklist: pa.Table, enterprises: pa.Table, *,
                     reference_date: date) -> pa.Table:
    table = _listings(blacklist, enterprises, reference_date)
    table = table.filter(table["is_active"])
    return pa.table({
        "listing_id": table["listing_id"],
        "uscc": table["uscc"],
        "enterprise_name": table["name"],
        "district_code": table["district_code"],
        "reason": table["reason"],
        "listed": table["listed"],
        "term_years": table["term_years"],
        "expires": table["expires"],
        "accident_id": table["accident_id"],
        "hazard_id": table["hazard_id"],
        "as_of": as_of(reference_date, table.num_rows),
    })


def blacklist_expired_counts(blacklist: pa.Table, enterprises: pa.Table, *,
                             reference_date: date) -> pa.Table:
    """Counts only: the grouping keys are year, district and reason, never an identity."""
    table = _listings(blacklist, enterprises, reference_date)
    table = table.filter(pc.invert(table["is_active"]))
    counts = pa.table({
        "year": pc.year(table["listed"]),
        "district_code": table["district_code"],
        "reason": table["reason"],
        "expired": flag(table["is_expired"]),
        "removed": flag(table["is_removed"]),
    }).group_by(["year", "district_code", "reason"], use_threads=False).aggregate(
        [("expired", "sum"), ("removed", "sum")])
    return pa.table({
        "as_of": as_of(reference_date, counts.num_rows),
        "year": counts["year"],
        "district_code": counts["district_code"],
        "reason": counts["reason"],
        "expired": counts["expired_sum"],
        "removed": counts["removed_sum"],
        "listings": pc.add(counts["expired_sum"], counts["removed_sum"]),
    })


def run(inputs, *, reference_date, config) -> dict:
    blacklist, enterprises = (inputs["enterprise-credit", "blacklist"],
                              inputs["enterprise-credit", "enterprises"])
    return {"blacklist_public": blacklist_public(blacklist, enterprises,
                                                 reference_date=reference_date),
            "blacklist_expired_counts": blacklist_expired_counts(
                blacklist, enterprises, reference_date=reference_date)}
