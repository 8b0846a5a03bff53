"""Stated accident grade against deaths, serious injuries and direct loss (DOMAIN 3).

国务院令第493号: any one criterion triggers a grade; "以上" includes the bound.
"""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from pipeline.validate.rules import NUMERIC, Bound, Field, check, mask, number

# (grade, deaths ≥, serious injuries ≥, loss in yuan ≥), most serious first
THRESHOLDS = (
    ("particularly_serious", 30, 100, 100_000_000),
    ("major", 10, 50, 50_000_000),
    ("larger", 3, 10, 10_000_000),
)
# the grade codes (reference/accident_grades) and thresholds are the law's, fixed here


def grade_of(deaths: np.ndarray, injuries: np.ndarray, loss: np.ndarray) -> np.ndarray:
    grade = np.full(len(deaths), "general", dtype=object)
    for name, d, i, yuan in reversed(THRESHOLDS):
        grade[(deaths >= d) | (injuries >= i) | (loss >= yuan)] = name
    return grade


@check("accident-grade-mismatch",
       grade_field=Field(("string",), "the stated grade (particularly_serious, major, larger, general)"),
       deaths_field=Field(NUMERIC, "deaths"),
       injuries_field=Field(NUMERIC, "serious injuries (acute industrial poisoning included)"),
       loss_field=Field(NUMERIC, "direct economic loss in yuan"))
def accident_grade_mismatch(b: Bound) -> None:
    """The stated grade against the grade the counts and the loss give."""
    arrays = [b.col(b.field(p)) for p in ("deaths_field", "injuries_field", "loss_field")]
    known = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        known &= mask(pc.is_valid(a))
    deaths, injuries, loss = (pc.fill_null(a, 0).to_numpy(zero_copy_only=False) for a in arrays)
    computed = grade_of(deaths, injuries, loss)
    grade_field = b.field("grade_field")
    stated_col = b.col(grade_field)
    stated = stated_col.to_numpy(zero_copy_only=False)
    bad = known & mask(pc.is_valid(stated_col)) & (stated != computed)
    b.report("rule.accident-grade-mismatch", bad, grade_field,
             values=lambda row: {"expected": computed[row], "deaths": number(deaths[row]),
                                 "injuries": number(injuries[row]), "loss": number(loss[row])})
