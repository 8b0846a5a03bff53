"""The data's period, and vectorised calendar arithmetic on numpy ``datetime64[D]`` arrays."""

from __future__ import annotations

import numpy as np

D = "datetime64[D]"


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


# The period the synthetic data describe. DATA_END is a fixed recent date, never today's
# date: the same tier and seed must give the same bytes on any day, and a build speaks for
# its own reference date (statuses are computed then, from data that stop here). Move it
# forward (and regenerate the sample) to extend the data; the descriptors' "x-temporal"
# must say the same (the generator refuses a descriptor that disagrees).
DATA_START = day("2010-01-01")
DATA_END = day("2026-06-30")
# Tables with one row per calendar year (annual outcomes, provincial benchmarks, control
# targets, credit ratings, indicator observations) stop at the last complete year: a
# half-year's deaths against a whole year's GDP, control target or provincial average would
# be a figure nobody publishes, and a row marked partial would still invite comparison with
# the full years. The incident-level tables (accidents, certificates, hazards, listings)
# run to DATA_END.
LAST_FULL_YEAR = int((DATA_END + 1).astype("datetime64[Y]").astype(np.int64)) + 1970 - 1
# Indicator observations start in the plan's base year.
OBSERVATIONS_START = 2012


def temporal_coverage(package: str) -> dict[str, str]:
    """The ``x-temporal`` every descriptor with time-varying data must declare.

    indicator-progress holds yearly observations only (base year 2012 to the last complete
    year); the other packages cover the generator's whole period (the reference tables are
    the code lists in force over it).
    """
    if package == "indicator-progress":
        return {"start": f"{OBSERVATIONS_START}-01-01", "end": f"{LAST_FULL_YEAR}-12-31"}
    return {"start": str(DATA_START), "end": str(DATA_END)}


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


def year_span(year: int) -> tuple[np.datetime64, np.datetime64, float]:
    """First and last day of ``year`` inside the data's period, and the share of the year
    they cover (1.0 for a complete year, about 0.5 for 2026 when the data end on 30 June)."""
    first, last = day(f"{year}-01-01"), min(day(f"{year}-12-31"), DATA_END)
    share = float((last - first).astype(np.int64) + 1) / float(
        (day(f"{year + 1}-01-01") - first).astype(np.int64))
    return first, last, share


def uniform_days(rng: np.random.Generator, start, end, size) -> np.ndarray:
    """Dates drawn uniformly from [start, end] (inclusive); start/end scalars or arrays."""
    start = np.asarray(start, dtype=D)
    end = np.asarray(end, dtype=D)
    span = (end - start).astype(np.int64) + 1
    return start + (rng.random(size) * span).astype(np.int64)
