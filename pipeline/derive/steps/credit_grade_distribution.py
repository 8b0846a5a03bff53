"""Credit grade distribution: enterprises per grade by district, sector and year."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import pct

INPUTS = (("enterprise-credit", "credit_ratings"), ("enterprise-credit", "enterprises"),
          ("reference", "credit_grade_scheme"))
OUTPUTS = ("credit_grade_distribution",)
ORDER = 50

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


def run(inputs, *, reference_date, config) -> dict:
    return {"credit_grade_distribution": credit_grade_distribution(
        inputs["enterprise-credit", "credit_ratings"], inputs["enterprise-credit", "enterprises"],
        inputs["reference", "credit_grade_scheme"])}
