"""Accidents, deaths, serious injuries and loss by year × district × sector × category × grade
(long format)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

INPUTS = (("accident-outcomes", "accidents"),)
OUTPUTS = ("accident_statistics",)
ORDER = 30

KEYS = ["year", "district_code", "sector_code", "category_code", "grade_code"]


def accident_statistics(accidents: pa.Table) -> pa.Table:
    table = pa.table({
        "year": pc.year(accidents["date"]),
        "district_code": accidents["district_code"],
        "sector_code": accidents["sector_code"],
        "category_code": accidents["category_code"],
        # The stated grade: validation has already rejected one that disagrees with the counts.
        "grade_code": accidents["stated_grade"],
        "accident_id": accidents["accident_id"],
        "deaths": accidents["deaths"],
        "serious_injuries": accidents["serious_injuries"],
        "direct_loss_yuan": accidents["direct_loss_yuan"],
    })
    grouped = table.group_by(KEYS, use_threads=False).aggregate([
        ("accident_id", "count"), ("deaths", "sum"), ("serious_injuries", "sum"),
        ("direct_loss_yuan", "sum")])
    return grouped.rename_columns({
        "accident_id_count": "accidents", "deaths_sum": "deaths",
        "serious_injuries_sum": "serious_injuries", "direct_loss_yuan_sum": "direct_loss_yuan"})


def run(inputs, *, reference_date, config) -> dict:
    return {"accident_statistics": accident_statistics(inputs["accident-outcomes", "accidents"])}
