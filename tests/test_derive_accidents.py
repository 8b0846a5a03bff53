"""Accident statistics: sums by year × district × sector × category × grade."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from pipeline.derive.schemas import conform
from pipeline.derive.steps.accident_statistics import accident_statistics

S, I, DT = pa.string(), pa.int64(), pa.date32()


def test_accident_statistics_by_hand():
    rows = [  # id, date, district, sector, category, deaths, injuries, loss, grade
        ("A201200001", date(2012, 1, 1), "320402", "machinery", "03", 1, 0, 100, "general"),
        ("A201200002", date(2012, 12, 31), "320402", "machinery", "03", 2, 4, 250, "general"),
        ("A201200003", date(2012, 5, 5), "320402", "machinery", "03", 3, 0, 10, "larger"),
        ("A201300001", date(2013, 1, 1), "320402", "machinery", "03", 0, 1, 5, "general"),
        ("A201300002", date(2013, 7, 1), "320481", "road", "02", 1, 0, 0, "general"),
    ]
    names = ["accident_id", "date", "district_code", "sector_code", "category_code",
             "deaths", "serious_injuries", "direct_loss_yuan", "stated_grade"]
    types = [S, DT, S, S, S, I, I, I, S]
    accidents = pa.table({n: pa.array([r[i] for r in rows], t)
                          for i, (n, t) in enumerate(zip(names, types))})
    out = conform(accident_statistics(accidents), "accident_statistics")
    assert [tuple(r.values()) for r in out.to_pylist()] == [
        (2012, "320402", "machinery", "03", "general", 2, 3, 4, 350),
        (2012, "320402", "machinery", "03", "larger", 1, 3, 0, 10),
        (2013, "320402", "machinery", "03", "general", 1, 0, 1, 5),
        (2013, "320481", "road", "02", "general", 1, 1, 0, 0),
    ]
