"""Stated accident grade against deaths, serious injuries and direct loss (DOMAIN 3).

国务院令第493号: any one criterion triggers a grade; "以上" includes the bound.
"""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from pipeline.validate.rules import View, col, mask, report

# (grade, deaths ≥, serious injuries ≥, loss in yuan ≥), most serious first
THRESHOLDS = (
    ("particularly_serious", 30, 100, 100_000_000),
    ("major", 10, 50, 50_000_000),
    ("larger", 3, 10, 10_000_000),
)
FIELDS = ("deaths", "serious_injuries", "direct_loss_yuan", "stated_grade")


def grade_of(deaths: np.ndarray, injuries: np.ndarray, loss: np.ndarray) -> np.ndarray:
    grade = np.full(len(deaths), "general", dtype=object)
    for name, d, i, yuan in reversed(THRESHOLDS):
        grade[(deaths >= d) | (injuries >= i) | (loss >= yuan)] = name
    return grade


def check(view: View) -> None:
    item = view.get("accident-outcomes", "accidents", *FIELDS)
    if item is None:
        return
    arrays = [col(item, f) for f in FIELDS[:3]]
    known = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        known &= mask(pc.is_valid(a))
    deaths, injuries, loss = (pc.fill_null(a, 0).to_numpy(zero_copy_only=False) for a in arrays)
    computed = grade_of(deaths, injuries, loss)
    stated = col(item, "stated_grade").to_numpy(zero_copy_only=False)
    bad = known & mask(pc.is_valid(col(item, "stated_grade"))) & (stated != computed)
    report(item, "accident-grade-mismatch", "rule.accident-grade-mismatch", bad, "stated_grade",
           values=lambda row: {"expected": computed[row], "deaths": int(deaths[row]),
                               "injuries": int(injuries[row]), "loss": int(loss[row])})
