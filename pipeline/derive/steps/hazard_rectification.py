"""Rectification status of supervised hidden hazards on the reference date, and a summary."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive import schemas
from pipeline.derive._arrow import as_of, day, flag, pct, when

INPUTS = (("enterprise-credit", "hazards"),)
OUTPUTS = ("hazard_rectification", "hazard_summary")
ORDER = 70

# The statuses a hazard can have, in the order of the summary's count columns.
STATUSES = schemas.enum("hazard_rectification", "status")


def hazard_rectification(hazards: pa.Table, *, reference_date: date) -> pa.Table:
    """One row per hazard listed on or before the reference date.

    Rectified on the deadline day is on time; not rectified on the deadline day is still open
    (the deadline is the last day allowed). A rectification dated after the reference date is
    not known yet on that day, so it is treated as not done.
    """
    ref = day(reference_date)
    table = hazards.filter(pc.less_equal(hazards["listed"], ref))
    deadline = table["deadline"]
    rectified = when(pc.less_equal(table["rectified"], ref), table["rectified"], pa.date32())
    done = pc.is_valid(rectified)
    on_time = pc.less_equal(rectified, deadline)
    overdue = pc.greater(pa.repeat(ref, table.num_rows), deadline)
    # The first condition that holds decides; none holding is overdue_open.
    decided = {"on_time": pc.and_(done, on_time), "late": done, "open": pc.invert(overdue)}
    status = pc.case_when(
        pc.make_struct(*decided.values(), field_names=list(decided)),
        *[pa.repeat(pa.scalar(s), table.num_rows) for s in decided],
        pa.repeat(pa.scalar("overdue_open"), table.num_rows))
    days_late = pc.if_else(
        done, pc.days_between(deadline, rectified),
        pc.days_between(deadline, pa.repeat(ref, table.num_rows)))
    days_late = when(pc.greater(days_late, 0), days_late, pa.int64())
    return pa.table({
        "hazard_id": table["hazard_id"],
        "uscc": table["uscc"],
        "district_code": table["district_code"],
        "level": table["level"],
        "listed": table["listed"],
        "deadline": deadline,
        "rectified": rectified,
        "status": status,
        "days_late": days_late,
        "as_of": as_of(reference_date, table.num_rows),
    })


def hazard_summary(rectification: pa.Table, *, reference_date: date) -> pa.Table:
    """Counts by district and year listed, from the per-hazard table (same as_of)."""
    status = rectification["status"]
    table = pa.table({
        "district_code": rectification["district_code"],
        "year": pc.year(rectification["listed"]),
        **{s: flag(pc.equal(status, s)) for s in STATUSES},
    })
    out = table.group_by(["district_code", "year"], use_threads=False).aggregate(
        [(s, "sum") for s in STATUSES])
    counts = {s: out[f"{s}_sum"] for s in STATUSES}
    hazards = pc.add(pc.add(counts["on_time"], counts["late"]),
                     pc.add(counts["open"], counts["overdue_open"]))
    rectified = pc.add(counts["on_time"], counts["late"])
    return pa.table({
        "as_of": as_of(reference_date, out.num_rows),
        "district_code": out["district_code"],
        "year": out["year"],
        "hazards": hazards,
        "rectified": rectified,
        **counts,
        "rectification_rate_pct": pct(rectified, hazards),
        "on_time_rate_pct": pct(counts["on_time"], hazards),
    })


def run(inputs, *, reference_date, config) -> dict:
    rows = hazard_rectification(inputs["enterprise-credit", "hazards"],
                                reference_date=reference_date)
    return {"hazard_rectification": rows,
            "hazard_summary": hazard_summary(rows, reference_date=reference_date)}
