"""Accident investigations in figures, the tables the 事故调查 section shows.

``investigation_timeliness``: per year of the accident and district, with a row for the
whole city: reports due, submitted within the legal deadline (国务院令第493号 art. 29:
60 days, extended by at most 60), published, and the median days from the accident to
publication.

``investigation_results``: per year of the accident (every year with an investigation), the
handling of those held responsible, counted (persons referred to the judiciary, persons
sanctioned, persons and units fined and the fines in 10,000 yuan), and the rectification
measures by status. Nobody is named: the package counts handling, it names no one.

A report is *due* once it was submitted or its deadline passed; one still inside its
deadline is counted as neither on time nor late. Shares are of the reports due (within
deadline) and of all investigations (published), in percent with one decimal, so every
share stands beside its numerator and denominator.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.derive._arrow import flag, pct

INPUTS = (("accident-investigations", "investigations"), ("accident-investigations", "handling"),
          ("accident-investigations", "rectification"))
OUTPUTS = ("investigation_timeliness", "investigation_results")
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


# handling code → (column of persons or units, column of the fines or None)
HANDLING = {"criminal_referral": ("referred_persons", None),
            "party_government_sanction": ("sanctioned_persons", None),
            "personal_fine": ("fined_persons", "personal_fines_10k_yuan"),
            "unit_fine": ("fined_units", "unit_fines_10k_yuan")}
STATUSES = ("completed", "in_progress", "overdue")


def investigation_results(investigations: pa.Table, handling: pa.Table,
                          rectification: pa.Table) -> pa.Table:
    """Handling and rectification per year of the accident; handling or measures of an
    accident without an investigation row are not counted (no year to put them in)."""
    year_of = dict(zip(investigations["accident_id"].to_pylist(),
                       pc.year(investigations["accident_date"]).to_pylist(), strict=True))
    years = sorted(set(year_of.values()))
    counts = {name: dict.fromkeys(years, 0) for name, _ in HANDLING.values()}
    fines = {name: dict.fromkeys(years, 0.0) for _, name in HANDLING.values() if name}
    for accident, kind, subjects, amount in zip(
            handling["accident_id"].to_pylist(), handling["handling"].to_pylist(),
            handling["subjects"].to_pylist(), handling["amount_10k_yuan"].to_pylist(), strict=True):
        year = year_of.get(accident)
        if year is None or kind not in HANDLING:
            continue
        count, fine = HANDLING[kind]
        counts[count][year] += subjects or 0
        if fine:
            fines[fine][year] += amount or 0.0
    measures = {s: dict.fromkeys(years, 0) for s in STATUSES}
    for accident, status in zip(rectification["accident_id"].to_pylist(),
                                rectification["status"].to_pylist(), strict=True):
        year = year_of.get(accident)
        if year is not None and status in measures:
            measures[status][year] += 1
    per_year = {year: 0 for year in years}
    for year in year_of.values():
        per_year[year] += 1
    out = {"year": pa.array(years, pa.int64()),
           "investigations": pa.array([per_year[y] for y in years], pa.int64())}
    for count, fine in HANDLING.values():
        out[count] = pa.array([counts[count][y] for y in years], pa.int64())
        if fine:
            out[fine] = pa.array([round(fines[fine][y], 1) for y in years], pa.float64())
    out["measures"] = pa.array([sum(measures[s][y] for s in STATUSES) for y in years], pa.int64())
    for s in STATUSES:
        out[f"measures_{s}"] = pa.array([measures[s][y] for y in years], pa.int64())
    return pa.table(out)


def run(inputs, *, reference_date, config) -> dict:
    investigations = inputs["accident-investigations", "investigations"]
    return {"investigation_timeliness": investigation_timeliness(investigations, config.site.city_code),
            "investigation_results": investigation_results(
                investigations, inputs["accident-investigations", "handling"],
                inputs["accident-investigations", "rectification"])}
