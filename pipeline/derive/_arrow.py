"""Small Arrow helpers shared by the derive modules."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

F64 = pa.float64()


def null_like(type_: pa.DataType) -> pa.Scalar:
    return pa.scalar(None, type_)


def const(value, n: int, type_: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n)


def as_of(reference_date: date, n: int) -> pa.Array:
    return const(reference_date, n, pa.date32())


def day(reference_date: date) -> pa.Scalar:
    return pa.scalar(reference_date, pa.date32())


def when(condition, values, type_: pa.DataType | None = None):
    """``values`` where ``condition`` is true, null elsewhere (and where it is null)."""
    values = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    return pc.if_else(condition, values, null_like(type_ or values.type))


def pct(numerator, denominator, decimals: int = 1):
    """numerator ÷ denominator × 100, rounded half away from zero (四舍五入);
    null where the denominator is 0 or null."""
    num, den = pc.cast(numerator, F64), pc.cast(denominator, F64)
    ratio = pc.divide(pc.multiply(num, 100.0), pc.if_else(pc.equal(den, 0.0), null_like(F64), den))
    return pc.round(ratio, decimals, round_mode="half_towards_infinity")


def flag(condition) -> pa.Array:
    """A boolean condition as 0/1 integers, for counting with a sum."""
    return pc.cast(pc.fill_null(condition, False), pa.int64())


def flags(outcomes: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """partial_year (false where null) and boundary_note of annual_outcomes, as carried through."""
    return pc.fill_null(outcomes["partial_year"], False), outcomes["boundary_note"]
