"""Credit grade distribution and standardisation certificates in force."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import as_of, day, flag, pct

GROUP = ["year", "district_code", "sector_code", "scheme"]


def credit_grade_distribution(ratings: pa.Table, enterprises: pa.Table,
                              scheme: pa.Table) -> pa.Table:
    """Enterprises per grade with the share of those rated in the same group.

    Every grade of the scheme gets a row in every group that has ratings (0 when empty), so a
    chart or a download never has to guess whether a missing grade means zero.
    """
    rated = ratings.select(["uscc", "year", "scheme", "grade"]).join(
        enterprises.select(["uscc", "district_code", "sector_code"]), "uscc",
        join_type="inner")
    counts = rated.group_by([*GROUP, "grade"], use_threads=False).aggregate(
        [("uscc", "count")]).rename_columns({"uscc_count": "enterprises"})
    totals = counts.group_by(GROUP, use_threads=False).aggregate(
        [("enterprises", "sum")]).rename_columns({"enterprises_sum": "rated"})
    # The scheme's grades, plus any graded value missing from it (impossible after the foreign
    # key check, but an enterprise must never drop out of the counts silently).
    grades = pa.concat_tables([scheme.select(["scheme", "grade"]),
                               counts.select(["scheme", "grade"])])
    grades = grades.group_by(["scheme", "grade"], use_threads=False).aggregate([])
    table = totals.join(grades, "scheme", join_type="inner").join(
        counts, [*GROUP, "grade"], join_type="left outer")
    enterprises_n = pc.fill_null(table["enterprises"], 0)
    table = table.set_column(table.schema.get_field_index("enterprises"), "enterprises",
                             enterprises_n)
    return table.append_column("share_pct", pct(enterprises_n, table["rated"]))


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
