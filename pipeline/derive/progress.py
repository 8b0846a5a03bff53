"""Progress toward a target: Statistics Canada's method as used by Open SDG (DOMAIN 9).

One implementation, vectorised over numpy arrays (``assess_arrays``); ``assess`` is the same
computation for a single series so it can be reasoned about and property-tested alone.
The derive step ``progress_status`` applies it to the indicator-progress package.

Choices the method leaves open, fixed here and documented in the derived schema:
- "target achieved" is decided first, as in Open SDG's implementation (sdg-build): it needs
  only the latest value and the target, so it holds even with a single year of data or after
  a sign change; every other status needs two years and no sign change;
- the achieved test compares the observed values (0.001 stands in for 0 only inside the growth
  rates, where a 0 would divide by zero or take a root of 0);
- achieved on equality (``yi >= yT`` / ``yi <= yT``) except for targets of the form "below the
  provincial average", where ``strict=True`` makes equality *not* achieved, so the status agrees
  with ``goal_met`` (rate < provincial average) in the rates table;
- R is rounded to ``RATIO_DECIMALS`` before it meets the thresholds, so that an R of exactly 0.95
  in decimal terms is not demoted by binary floating-point noise (0.9499999999999998);
- when the required growth is zero (target equal to the base value) R is undefined: the status is
  ``deterioration`` if the series moved the wrong way, ``limited_progress`` if it did not move;
- a status is judged at the indicator's target year (``judged_year``), or at the reference date's
  year when that comes first: the latest value is the last one observed up to that year. The
  plan sets no target for the years after its own, so observations after the target year are
  published (and shown as "after the plan period") but never judged, and no target is made up
  for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.derive import schemas

TARGET_ACHIEVED = "target_achieved"
ON_TRACK = "on_track"
ACCELERATION_NEEDED = "acceleration_needed"
LIMITED_PROGRESS = "limited_progress"
DETERIORATION = "deterioration"
NOT_AVAILABLE = "not_available"
# Every status, best first and not_available last, and every reason: as the schema of the
# progress_status table lists them.
STATUSES = schemas.enum("progress_status", "status")
REASONS = schemas.enum("progress_status", "reason")
# Best first; used by tests and pages to compare statuses.
STATUS_ORDER = {status: rank for rank, status in enumerate(STATUSES) if status != NOT_AVAILABLE}

ON_TRACK_RATIO = 0.95
ACCELERATION_RATIO = 0.60
ZERO_SUBSTITUTE = 0.001
RATIO_DECIMALS = 6
DIRECTION_SIGN = {"higher": 1.0, "lower": -1.0}


@dataclass(frozen=True)
class Assessment:
    status: str
    reason: str | None
    cagr_actual: float | None
    cagr_needed: float | None
    ratio: float | None


def assess(base_year: int | None, base_value: float | None,
           latest_year: int | None, latest_value: float | None,
           target_value: float | None, target_year: int | None,
           direction: str | None, *, strict: bool = False,
           missing_target_reason: str = "target_unknown") -> Assessment:
    """The progress status of one series, from its base and latest observations."""
    out = assess_arrays(
        np.array([_num(base_year)]), np.array([_num(base_value)]),
        np.array([_num(latest_year)]), np.array([_num(latest_value)]),
        np.array([_num(target_value)]), np.array([_num(target_year)]),
        np.array([DIRECTION_SIGN.get(direction, np.nan)]), np.array([strict]),
        np.array([missing_target_reason], dtype=object))
    return Assessment(
        status=out["status"][0], reason=out["reason"][0],
        cagr_actual=_opt(out["cagr_actual"][0]), cagr_needed=_opt(out["cagr_needed"][0]),
        ratio=_opt(out["ratio"][0]))


def assess_arrays(base_year, base_value, latest_year, latest_value, target_value, target_year,
                  direction_sign, strict, missing_target_reason=None) -> dict[str, np.ndarray]:
    """Vectorised ``assess``: float arrays with NaN for null, direction as +1/-1 (NaN unknown).

    Returns arrays ``status``, ``reason`` (object, None where no reason), ``cagr_actual``,
    ``cagr_needed`` and ``ratio`` (float, NaN where not computed).
    """
    t0, y0 = np.asarray(base_year, float), np.asarray(base_value, float)
    ti, yi = np.asarray(latest_year, float), np.asarray(latest_value, float)
    yT, tT = np.asarray(target_value, float), np.asarray(target_year, float)
    d, strict = np.asarray(direction_sign, float), np.asarray(strict, bool)
    n = len(y0)
    if missing_target_reason is None:
        missing_target_reason = np.full(n, "target_unknown", dtype=object)

    status = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    undecided = np.ones(n, bool)

    def decide(mask, new_status, new_reason):
        nonlocal undecided
        hit = undecided & mask
        status[hit] = new_status
        if isinstance(new_reason, np.ndarray):
            reason[hit] = new_reason[hit]
        else:
            reason[hit] = new_reason
        undecided = undecided & ~mask

    with np.errstate(all="ignore"):
        decide(np.isnan(yT), NOT_AVAILABLE, np.asarray(missing_target_reason, dtype=object))
        decide(np.isnan(d), NOT_AVAILABLE, "direction_unknown")

        met_higher = np.where(strict, yi > yT, yi >= yT)  # NaN compares false: not met
        met_lower = np.where(strict, yi < yT, yi <= yT)
        decide(np.where(d > 0, met_higher, met_lower), TARGET_ACHIEVED, None)

        two_years = ~np.isnan(t0) & ~np.isnan(ti) & ~np.isnan(y0) & ~np.isnan(yi) & (ti > t0)
        decide(~two_years, NOT_AVAILABLE, "insufficient_data")

        y0s = np.where(y0 == 0, ZERO_SUBSTITUTE, y0)
        yTs = np.where(yT == 0, ZERO_SUBSTITUTE, yT)
        decide((y0s * yi < 0) | (y0s * yTs < 0), NOT_AVAILABLE, "sign_change")
        decide(np.isnan(tT) | (tT <= t0), NOT_AVAILABLE, "target_year_not_after_base")

        cagr_actual = np.power(yi / y0s, 1.0 / (ti - t0)) - 1.0
        cagr_needed = np.power(yTs / y0s, 1.0 / (tT - t0)) - 1.0
        s = np.where(y0s < 0, -1.0, 1.0)
        progress = s * d * cagr_actual  # positive = moving the desired way
        flat_target = cagr_needed == 0
        ratio = np.round(progress / np.abs(cagr_needed), RATIO_DECIMALS)
        ratio = np.where(flat_target, np.nan, ratio)

        computed = undecided.copy()
        decide(flat_target & (progress < 0), DETERIORATION, "target_equals_base")
        decide(flat_target, LIMITED_PROGRESS, "target_equals_base")
        decide(ratio >= ON_TRACK_RATIO, ON_TRACK, None)
        decide(ratio >= ACCELERATION_RATIO, ACCELERATION_NEEDED, None)
        decide(ratio >= 0, LIMITED_PROGRESS, None)
        decide(ratio < 0, DETERIORATION, None)
        # NaN ratio cannot remain here (all NaN inputs were decided above); guard anyway.
        decide(np.ones(n, bool), NOT_AVAILABLE, "insufficient_data")

    nan = np.full(n, np.nan)
    return {
        "status": status,
        "reason": reason,
        "cagr_actual": np.where(computed, cagr_actual, nan),
        "cagr_needed": np.where(computed, cagr_needed, nan),
        "ratio": np.where(computed, ratio, nan),
    }


def _num(value) -> float:
    return np.nan if value is None else float(value)


def _opt(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
