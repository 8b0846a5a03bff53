"""Changzhou's county-level units and the 2015-04-28 reform (DOMAIN 7), as the generator uses them.

The codes are the contract's; ``tests/test_synth.py`` checks them against the real
``reference/districts`` table so a change there cannot drift silently from here.
"""

from __future__ import annotations

import numpy as np

from pipeline.config import current
from pipeline.synth.dates import day

CITY = int(current().site.city_code)  # the whole city's row: portal.yml's site.city.code
PROVINCE = 320000
REFORM = day("2015-04-28")  # first day of the new divisions
ABOLISHED = {320405: 320412, 320482: 320413}  # valid to 2015-04-27 → successor
BOUNDARY_CHANGED = (320402, 320404, 320411, 320412)

# Economic weight of each unit (share of GDP, employees, vehicles, enterprises, accidents).
# Before the reform 戚墅堰 is small; afterwards 武进 absorbs it and 金坛区 replaces 金坛市.
OLD_WEIGHTS = {320402: 0.12, 320404: 0.10, 320405: 0.03, 320411: 0.18,
               320412: 0.31, 320481: 0.12, 320482: 0.14}
NEW_WEIGHTS = {320402: 0.13, 320404: 0.11, 320411: 0.19, 320412: 0.33,
               320481: 0.10, 320413: 0.14}
OLD = np.array(sorted(OLD_WEIGHTS), dtype=np.int64)
NEW = np.array(sorted(NEW_WEIGHTS), dtype=np.int64)
OLD_P = np.array([OLD_WEIGHTS[c] for c in OLD])
NEW_P = np.array([NEW_WEIGHTS[c] for c in NEW])


def weight(code: int, year: int) -> float:
    """Economic weight of ``code`` in ``year``: the old divisions until 2014, the new after."""
    return OLD_WEIGHTS[code] if year < 2015 else NEW_WEIGHTS.get(code, OLD_WEIGHTS.get(code))


def pick(rng: np.random.Generator, dates: np.ndarray) -> np.ndarray:
    """A unit valid on each date, drawn by economic weight."""
    old = rng.choice(OLD, size=len(dates), p=OLD_P)
    new = rng.choice(NEW, size=len(dates), p=NEW_P)
    return np.where(dates < REFORM, old, new)


def current(codes: np.ndarray) -> np.ndarray:
    """The unit a pre-reform code belongs to after the reform (identity for the others)."""
    out = np.asarray(codes, dtype=np.int64).copy()
    for old, new in ABOLISHED.items():
        out[out == old] = new
    return out


def units_in_year(year: int) -> list[tuple[int, bool]]:
    """(code, partial_year) for every unit valid at some time in ``year``."""
    if year < 2015:
        return [(int(c), False) for c in OLD]
    if year > 2015:
        return [(int(c), False) for c in NEW]
    codes = sorted(set(OLD) | set(NEW))
    return [(int(c), c in ABOLISHED or c == 320413) for c in codes]


def units_on(date: np.datetime64) -> np.ndarray:
    return OLD if date < REFORM else NEW
