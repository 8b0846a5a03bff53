"""Round axis ticks: steps of 1, 2, 2.5 or 5 × 10^k, labelled exactly.

Values are :class:`~decimal.Decimal` multiples of the step, so a label is the tick itself
printed with as many decimals as the step needs (0.025 → three): no two labels of an axis
read the same, and none is a rounded neighbour of the gridline it names.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))


def nice_ticks(low: float, high: float, count: int = 5) -> list[Decimal]:
    """About ``count`` round ticks whose first is ≤ ``low`` and last ≥ ``high``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"axis bounds must be finite numbers, not {low!r} and {high!r}")
    low, high = min(low, high), max(low, high)
    if high == low:  # one value: an axis of one step around it
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count - 1, 1)
    step = _step(raw)
    first = (Decimal(low) / step).to_integral_value(ROUND_FLOOR)
    last = (Decimal(high) / step).to_integral_value(ROUND_CEILING)
    return [_plain(k * step) for k in range(int(first), int(last) + 1)]


def _step(raw: float) -> Decimal:
    """The smallest round step ≥ ``raw``."""
    exponent = math.floor(math.log10(raw))
    for power in (exponent - 1, exponent, exponent + 1):
        for m in STEPS:
            step = m.scaleb(power)
            if step >= Decimal(raw):
                return step
    raise AssertionError("unreachable: 10^(e+1) >= raw")  # pragma: no cover


def _plain(value: Decimal) -> Decimal:
    return Decimal(0) if value == 0 else value


def decimals(ticks: list[Decimal]) -> int:
    """Decimals that print every tick exactly (and so every tick differently)."""
    return max((max(0, -t.normalize().as_tuple().exponent) for t in ticks if t != 0), default=0)


def labels(ticks: list[Decimal]) -> list[str]:
    places = decimals(ticks)
    return [f"{t:.{places}f}" for t in ticks]
