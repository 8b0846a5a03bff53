"""Axis ticks: round steps (1, 2, 2.5 or 5 × 10^k), covering the data, printed exactly and
distinctly, for any finite range (hypothesis) and for the rate axis that read 0.00/0.03/0.05."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.pages.ticks import decimals, labels, nice_ticks

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


def _is_round(step: Decimal) -> bool:
    mantissa = step.scaleb(-step.adjusted())  # 1 ≤ mantissa < 10
    return mantissa in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))


@given(finite, finite, st.integers(min_value=2, max_value=12))
def test_ticks_are_round_cover_the_data_and_read_distinctly(a, b, count):
    ticks = nice_ticks(a, b, count)
    assert len(ticks) >= 2
    steps = {later - earlier for earlier, later in pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    assert step > 0 and _is_round(step)
    assert all(t % step == 0 for t in ticks)  # on the step's grid, so 0 is a tick if in range
    assert ticks[0] <= Decimal(min(a, b)) and ticks[-1] >= Decimal(max(a, b))
    # not many more ticks than asked for: the step is the smallest round one that fits
    assert len(ticks) <= count + 3
    printed = labels(ticks)
    assert len(set(printed)) == len(printed)
    assert [Decimal(p) for p in printed] == ticks  # exact: no label is a rounded value


def test_the_rate_axis_prints_every_gridline_exactly():
    ticks = nice_ticks(0.0, 0.118, 6)
    assert labels(ticks) == ["0.000", "0.025", "0.050", "0.075", "0.100", "0.125"]


@pytest.mark.parametrize("low, high, expected", [
    (0, 97, ["0", "25", "50", "75", "100"]),
    (0, 1, ["0.00", "0.25", "0.50", "0.75", "1.00"]),
    (-3, 3, ["-4", "-2", "0", "2", "4"]),
    (5, 5, ["4", "6", "8", "10"]),
    (1200, 1850, ["1200", "1400", "1600", "1800", "2000"]),
])
def test_examples(low, high, expected):
    assert labels(nice_ticks(low, high, 5)) == expected
    assert decimals(nice_ticks(low, high, 5)) == max(
        (len(e.partition(".")[2]) for e in expected), default=0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_bounds_are_refused(bad):
    with pytest.raises(ValueError):
        nice_ticks(0.0, bad)
