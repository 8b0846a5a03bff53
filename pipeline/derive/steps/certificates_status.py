"""Standardisation certificates in force and expired on the reference date."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import as_of, day, flag

INPUTS = (("enterprise-credit", "certificates"), ("enterprise-credit", "enterprises"))
OUTPUTS = ("certificates_status",)
ORDER = 60


def certificates_status(certificates: pa.Table, enterprises: pa.Table, *,
                        reference_date: date) -> pa.Table:
    ref = day(reference_date)
    issued = certificates.filter(pc.less_equal(certificates["issued"], ref))
    table = issued.select(["uscc", "level", "expires"]).join(
        enterprises.select(["uscc", "district_code"]), "uscc", join_type="left outer")
    current = pc.greater(table["expires"], ref)  # expires is the first day out of force
    table = table.append_column("current", flag(current)).append_column(
        "expired", flag(pc.invert(current)))
    counts = table.group_by(["district_code", "level"], use_threads=False).aggregate(
        [("current", "sum"), ("expired", "sum")])
    holders = table.filter(current).group_by(["district_code", "level"], use_threads=False) \
        .aggregate([("uscc", "count_distinct")])
    out = counts.join(holders, ["district_code", "level"], join_type="left outer")
    current_n, expired_n = out["current_sum"], out["expired_sum"]
    return pa.table({
        "as_of": as_of(reference_date, out.num_rows),
        "district_code": out["district_code"],
        "level": out["level"],
        "current": current_n,
        "expired": expired_n,
        "certificates": pc.add(current_n, expired_n),
        "enterprises_current": pc.fill_null(out["uscc_count_distinct"], 0),
    })


def run(inputs, *, reference_date, config) -> dict:
    return {"certificates_status": certificates_status(
        inputs["enterprise-credit", "certificates"], inputs["enterprise-credit", "enterprises"],
        reference_date=reference_date)}
