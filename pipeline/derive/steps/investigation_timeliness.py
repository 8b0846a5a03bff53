"""Timeliness of accident investigations per year of the accident and district, with a row
for the whole city: reports due, submitted within the legal deadline (国务院令第493号
art. 29: 60 days, extended by at most 60), published, and the median days from the
accident to publication.

A report is *due* once it was submitted or its deadline passed; one still inside its
deadline is counted as neither on time nor late. Shares are of the reports due (within
deadline) and of all investigations (published), in percent with one decimal, so every
share stands beside its numerator and denominator.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import flag, pct

INPUTS = (("accident-investigations", "investigations"),)
OUTPUTS = ("investigation_timeliness",)
ORDER = 60


def investigation_timeliness(investigations: pa.Table, city: str) -> pa.Table:
    within = investigations["within_deadline"]
    base = pa.table({
        "year": pc.year(investigations["accident_date"]),
        "district_code": investigations["district_code"],
        "one": pa.array([1] * investigations.num_rows, pa.int64()),
        "due": flag(pc.is_valid(within)),
        "on_time": flag(within),
        "published": flag(pc.is_valid(investigations["report_published"])),
        "days": investigations["days_to_publication"],
    })
    city_rows = base.set_column(1, "district_code",
                                pa.array([city] * base.num_rows, pa.string()))
    both = pa.concat_tables([base, city_rows])
    grouped = both.group_by(["year", "district_code"], use_threads=False).aggregate([
        ("one", "sum"), ("due", "sum"), ("on_time", "sum"), ("published", "sum")])
    out = {
        "year": grouped["year"],
        "district_code": grouped["district_code"],
        "investigations": grouped["one_sum"],
        "reports_due": grouped["due_sum"],
        "within_deadline": grouped["on_time_sum"],
        "within_deadline_pct": pct(grouped["on_time_sum"], grouped["due_sum"]),
        "published": grouped["published_sum"],
        "published_pct": pct(grouped["published_sum"], grouped["one_sum"]),
        "median_days_to_publication": _median(both, grouped),
    }
    return pa.table(out)


def _median(both: pa.Table, grouped: pa.Table) -> pa.Array:
    """Exact median of days_to_publication per (year, district) (nulls ignored)."""
    values: dict[tuple, list[int]] = {}
    for year, code, days in zip(both["year"].to_pylist(), both["district_code"].to_pylist(),
                                both["days"].to_pylist(), strict=True):
        if days is not None:
            values.setdefault((year, code), []).append(days)
    out = []
    for year, code in zip(grouped["year"].to_pylist(), grouped["district_code"].to_pylist(),
                          strict=True):
        v = sorted(values.get((year, code), []))
        if not v:
            out.append(None)
            continue
        mid = len(v) // 2
        out.append(float(v[mid]) if len(v) % 2 else (v[mid - 1] + v[mid]) / 2)
    return pa.array(out, pa.float64())


def run(inputs, *, reference_date, config) -> dict:
    return {"investigation_timeliness": investigation_timeliness(
        inputs["accident-investigations", "investigations"], config.site.city_code)}
