"""Vectorised calendar arithmetic on numpy ``datetime64[D]`` arrays."""

from __future__ import annotations

import numpy as np

D = "datetime64[D]"


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def add_years(dates: np.ndarray, years) -> np.ndarray:
    """Same month and day ``years`` later; 29 Feb becomes 28 Feb in a common year (contract rule).

    NaT stays NaT. ``years`` may be a scalar or an array broadcast against ``dates``.
    """
    dates = np.asarray(dates, dtype=D)
    months = dates.astype("datetime64[M]")
    day_index = (dates - months.astype(D)).astype(np.int64)  # 0-based day of month
    shifted = months + np.asarray(years, dtype=np.int64) * 12
    out = shifted.astype(D) + day_index
    # A day past the target month's end can only be 29 Feb → clamp to the month's last day.
    month_end = (shifted + 1).astype(D) - 1
    out = np.minimum(out, month_end)
    return np.where(np.isnat(dates), np.datetime64("NaT", "D"), out)


def year_of(dates: np.ndarray) -> np.ndarray:
    return np.asarray(dates, dtype=D).astype("datetime64[Y]").astype(np.int64) + 1970


def uniform_days(rng: np.random.Generator, start, end, size) -> np.ndarray:
    """Dates drawn uniformly from [start, end] (inclusive); start/end scalars or arrays."""
    start = np.asarray(start, dtype=D)
    end = np.asarray(end, dtype=D)
    span = (end - start).astype(np.int64) + 1
    return start + (rng.random(size) * span).astype(np.int64)
