"""Hazard rectification status on the reference date, at every boundary, and the summary."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from pipeline.derive.steps.hazard_rectification import (
    hazard_rectification,
    hazard_summary,
)

REF = date(2016, 3, 1)
DAY = timedelta(days=1)
S, DT = pa.string(), pa.date32()


def hazards(rows):
    return pa.table({"hazard_id": pa.array([r[0] for r in rows], S),
                     "uscc": pa.array(["E1"] * len(rows), S),
                     "district_code": pa.array([r[1] for r in rows], S),
                     "level": pa.array(["city"] * len(rows), S),
                     "listed": pa.array([r[2] for r in rows], DT),
                     "deadline": pa.array([r[3] for r in rows], DT),
                     "rectified": pa.array([r[4] for r in rows], DT)})


ROWS = [
    ("H1", "320402", date(2015, 1, 5), date(2015, 6, 30), date(2015, 6, 30)),  # on the day
    ("H2", "320402", date(2015, 2, 1), date(2015, 6, 30), date(2015, 7, 3)),   # 3 days late
    ("H3", "320402", date(2015, 9, 1), REF, None),                            # due today: open
    ("H4", "320402", date(2016, 1, 1), REF - DAY, None),                      # 1 day overdue
    ("H5", "320481", date(2016, 1, 1), REF - 2 * DAY, REF + 5 * DAY),         # done after ref
    ("H6", "320481", REF + DAY, REF + 90 * DAY, None),                        # listed after ref
    ("H7", "320481", REF, REF + 30 * DAY, REF),                               # listed and done
]


def test_status_of_each_hazard_on_the_reference_date():
    out = hazard_rectification(hazards(ROWS), reference_date=REF)
    got = {r["hazard_id"]: (r["status"], r["days_late"], r["rectified"])
           for r in out.to_pylist()}
    assert got == {
        "H1": ("on_time", None, date(2015, 6, 30)),
        "H2": ("late", 3, date(2015, 7, 3)),
        "H3": ("open", None, None),
        "H4": ("overdue_open", 1, None),
        "H5": ("overdue_open", 2, None),  # the later rectification is not known on ref
        "H7": ("on_time", None, REF),
    }


def test_summary_by_district_and_year_listed():
    rows = hazard_rectification(hazards(ROWS), reference_date=REF)
    out = hazard_summary(rows, reference_date=REF)
    got = {(r["district_code"], r["year"]): r for r in out.to_pylist()}
    assert set(got) == {("320402", 2015), ("320402", 2016), ("320481", 2016)}
    r = got[("320402", 2015)]  # H1 on time, H2 late, H3 open
    assert (r["hazards"], r["rectified"], r["on_time"], r["late"], r["open"],
            r["overdue_open"]) == (3, 2, 1, 1, 1, 0)
    assert (r["rectification_rate_pct"], r["on_time_rate_pct"]) == (66.7, 33.3)
    r = got[("320481", 2016)]  # H5 overdue, H7 on time
    assert (r["hazards"], r["rectified"], r["overdue_open"], r["rectification_rate_pct"]) == (
        2, 1, 1, 50.0)
