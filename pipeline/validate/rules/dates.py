"""Date arithmetic shared by the rules: "+ N years" is the same month and day N years
later, and 29 February becomes 28 February in a common year (team contract)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def to_days(array) -> np.ndarray:
    return pc.fill_null(pc.cast(pc.cast(array, pa.date32()), pa.int32()), 0).to_numpy(
        zero_copy_only=False).astype(np.int64)


def add_years(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Days since 1970 plus whole ``years``, clamping 29 Feb to 28 Feb."""
    d = days.astype("M8[D]")
    year = d.astype("M8[Y]").astype(np.int64) + 1970
    month0 = d.astype("M8[M]").astype(np.int64) % 12
    day0 = (d - d.astype("M8[M]").astype("M8[D]")).astype(np.int64)
    target_month = ((year + years - 1970) * 12 + month0).astype("M8[M]")
    month_len = ((target_month + 1).astype("M8[D]") - target_month.astype("M8[D]")).astype(np.int64)
    return (target_month.astype("M8[D]").astype(np.int64) + np.minimum(day0, month_len - 1))


def iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))
