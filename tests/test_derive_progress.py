"""Progress status (DOMAIN 9): every boundary by hand, properties by hypothesis, the table."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pipeline.derive.progress import (
    DIRECTION_SIGN,
    STATUS_ORDER,
    STATUSES,
    assess,
    assess_arrays,
)
from pipeline.derive.steps.progress_status import progress_table


def one_year(base, latest, target, direction="lower", *, strict=False):
    """Base 2012, latest and target 2013: CAGRs are plain ratios minus one."""
    return assess(2012, base, 2013, latest, target, 2013, direction, strict=strict)


# ---- boundaries, each computed by hand --------------------------------------------------

def test_r_exactly_095_is_on_track():
    # actual 81/100 − 1 = −0.19, needed 80/100 − 1 = −0.20, R = −1·−0.19 / 0.20 = 0.95
    a = one_year(100, 81, 80)
    assert a.ratio == 0.95
    assert a.status == "on_track"


def test_r_just_below_095_needs_acceleration():
    a = one_year(100, 81.02, 80)  # R = 0.1898 / 0.2 = 0.949
    assert a.ratio == pytest.approx(0.949)
    assert a.status == "acceleration_needed"


def test_r_exactly_060_needs_acceleration():
    a = one_year(100, 88, 80)  # R = 0.12 / 0.2 = 0.6
    assert a.ratio == 0.6
    assert a.status == "acceleration_needed"


def test_r_just_below_060_is_limited_progress():
    a = one_year(100, 88.02, 80)  # R = 0.1198 / 0.2 = 0.599
    assert a.ratio == pytest.approx(0.599)
    assert a.status == "limited_progress"


def test_r_exactly_zero_is_limited_progress():
    a = one_year(100, 100, 80)
    assert a.ratio == 0
    assert a.status == "limited_progress"


def test_r_just_below_zero_is_deterioration():
    a = one_year(100, 100.02, 80)  # R = −0.0002 / 0.2 = −0.001
    assert a.ratio == pytest.approx(-0.001)
    assert a.status == "deterioration"


def test_achieved_on_equality_in_both_directions():
    assert one_year(100, 80, 80, "lower").status == "target_achieved"
    assert one_year(50, 60, 60, "higher").status == "target_achieved"
    assert one_year(50, 59.99, 60, "higher").status != "target_achieved"
    achieved = one_year(100, 80, 80)
    assert (achieved.ratio, achieved.cagr_actual, achieved.cagr_needed) == (None, None, None)


def test_strict_target_is_not_achieved_on_equality():
    # "below the provincial average": equal is not below. R = 1 → on track.
    a = one_year(100, 80, 80, strict=True)
    assert a.status == "on_track"
    assert a.ratio == 1.0
    assert one_year(100, 79.9, 80, strict=True).status == "target_achieved"


def test_higher_is_better_uses_the_direction():
    # actual 55/50 − 1 = 0.1, needed 60/50 − 1 = 0.2, R = 0.5
    a = one_year(50, 55, 60, "higher")
    assert (a.status, a.ratio) == ("limited_progress", 0.5)
    assert one_year(50, 45, 60, "higher").status == "deterioration"


def test_multi_year_cagr_by_hand():
    # base 2012 = 100, latest 2014 = 81, target 2016 = 65.61 (0.9 a year needed)
    a = assess(2012, 100, 2014, 81, 65.61, 2016, "lower")
    assert a.cagr_actual == pytest.approx(-0.1)
    assert a.cagr_needed == pytest.approx(-0.1)
    assert a.ratio == 1.0
    assert a.status == "on_track"


def test_sign_change_is_not_available():
    a = assess(2012, -5, 2014, 5, 10, 2015, "higher")
    assert (a.status, a.reason) == ("not_available", "sign_change")
    b = assess(2012, 5, 2014, -1, -2, 2015, "lower")
    assert (b.status, b.reason) == ("not_available", "sign_change")
    # Only the latest value changed sign (base and target agree).
    c = assess(2012, 5, 2014, -1, 10, 2015, "higher")
    assert (c.status, c.reason) == ("not_available", "sign_change")


def test_achieved_is_decided_before_the_sign_change_rule():
    # The latest value meets the target; no growth rate is needed to say so.
    assert assess(2012, -5, 2014, 12, 10, 2015, "higher").status == "target_achieved"


def test_negative_base_flips_the_sign():
    # s = −1; actual (−5/−10) − 1 = −0.5 → s·d·actual = 0.5; needed √(−2/−10) − 1 = −0.552786
    a = assess(2012, -10, 2013, -5, -2, 2014, "higher")
    assert a.cagr_needed == pytest.approx(math.sqrt(0.2) - 1)
    assert a.ratio == pytest.approx(0.5 / (1 - math.sqrt(0.2)), abs=1e-6)
    assert a.status == "acceleration_needed"


def test_single_year_is_not_available_unless_the_target_is_met():
    a = assess(2015, 3.0, 2015, 3.0, 2.0, 2015, "lower")
    assert (a.status, a.reason) == ("not_available", "insufficient_data")
    b = assess(2012, 1.0, None, None, 2.0, 2015, "lower")
    assert (b.status, b.reason) == ("not_available", "insufficient_data")
    # As in Open SDG, a met target needs no trend: one year is enough to say so.
    c = assess(2015, 1.0, 2015, 1.0, 2.0, 2015, "lower")
    assert (c.status, c.reason) == ("target_achieved", None)


def test_achieved_compares_observed_values_not_the_zero_substitute():
    # Lower is better with a target of 0: 0.0005 is not 0, although it is below 0.001.
    assert assess(2012, 4, 2013, 0.0005, 0, 2015, "lower").status != "target_achieved"
    assert assess(2012, 4, 2013, 0, 0, 2015, "lower").status == "target_achieved"


def test_zero_base_is_replaced_by_0001():
    # actual (5 / 0.001)^(1/2) − 1 = √5000 − 1; needed (10 / 0.001)^(1/3) − 1
    a = assess(2012, 0, 2014, 5, 10, 2015, "higher")
    assert a.cagr_actual == pytest.approx(math.sqrt(5000) - 1)
    assert a.cagr_needed == pytest.approx(10000 ** (1 / 3) - 1)
    assert a.ratio == pytest.approx((math.sqrt(5000) - 1) / (10000 ** (1 / 3) - 1), abs=1e-6)
    assert a.status == "on_track"


def test_zero_target_is_replaced_by_0001():
    # actual 2/4 − 1 = −0.5; needed (0.001/4)^(1/3) − 1 = 0.0629960525 − 1; R = 0.533615
    a = assess(2012, 4, 2013, 2, 0, 2015, "lower")
    assert a.cagr_needed == pytest.approx(0.00025 ** (1 / 3) - 1)
    assert a.ratio == pytest.approx(0.5 / (1 - 0.00025 ** (1 / 3)), abs=1e-6)
    assert a.status == "limited_progress"


def test_base_on_the_wrong_side_of_the_target_deteriorates():
    # Lower is better, base 5 already below target 6, latest 7: needed growth is +; R < 0.
    a = one_year(5, 7, 6)
    assert a.status == "deterioration"
    assert a.ratio == pytest.approx(-2.0)


def test_target_equal_to_base():
    a = one_year(10, 12, 10)
    assert (a.status, a.reason, a.ratio) == ("deterioration", "target_equals_base", None)
    b = one_year(10, 10, 10, strict=True)  # on the benchmark, not below it, and no change
    assert (b.status, b.reason) == ("limited_progress", "target_equals_base")


def test_unknown_target_direction_or_target_year():
    assert one_year(10, 8, None).reason == "target_unknown"
    assert assess(2012, 10, 2013, 8, None, 2015, "lower",
                  missing_target_reason="benchmark_missing").reason == "benchmark_missing"
    assert one_year(10, 8, 5, direction=None).reason == "direction_unknown"
    late = assess(2012, 10, 2013, 9, 5, 2012, "lower")
    assert (late.status, late.reason) == ("not_available", "target_year_not_after_base")


# ---- properties -------------------------------------------------------------------------

nonzero = st.floats(min_value=0.01, max_value=1e4, allow_nan=False).flatmap(
    lambda x: st.sampled_from([x, -x]))
positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
direction = st.sampled_from(["higher", "lower"])


@st.composite
def series(draw, values=nonzero):
    t0 = draw(st.integers(2000, 2020))
    ti = draw(st.integers(t0, t0 + 10))
    tT = draw(st.integers(t0 + 1, t0 + 15))
    return {"base_year": t0, "base_value": draw(values), "latest_year": ti,
                "latest_value": draw(values), "target_value": draw(values), "target_year": tT,
                "direction": draw(direction), "strict": draw(st.booleans())}


def run(s: dict, **changes):
    s = {**s, **changes}
    strict = s.pop("strict")
    return assess(**s, strict=strict)


def scaled(s: dict, c: float) -> dict:
    return {**s, **{k: s[k] * c for k in ("base_value", "latest_value", "target_value")}}


@given(series(), st.integers(-20, 20))
def test_status_invariant_under_exact_scaling(s, k):
    # Scaling by a power of two is exact in binary, so everything must agree bit for bit.
    a, b = run(s), run(scaled(s, 2.0 ** k))
    assert a == b


@given(series(), st.floats(min_value=0.01, max_value=100))
def test_status_invariant_under_any_positive_scaling(s, c):
    a = run(s)
    # Away from the thresholds and from equality, float noise cannot move the status.
    lo, hi = sorted([abs(s["latest_value"]), abs(s["target_value"])])
    assume(hi - lo > 1e-6 * hi)
    assume(a.ratio is None or min(abs(a.ratio - t) for t in (0.95, 0.6, 0.0)) > 1e-4)
    assert run(scaled(s, c)).status == a.status


@given(series())
def test_achieved_iff_target_met(s):
    a = run(s)
    yi, yT = s["latest_value"], s["target_value"]
    if s["direction"] == "higher":
        met = yi > yT if s["strict"] else yi >= yT
    else:
        met = yi < yT if s["strict"] else yi <= yT
    assert (a.status == "target_achieved") == met


@given(series(values=positive), positive, positive)
def test_monotone_in_latest_value_when_higher_is_better(s, v1, v2):
    s = {**s, "direction": "higher"}
    assume(s["latest_year"] > s["base_year"])
    low, high = run(s, latest_value=min(v1, v2)), run(s, latest_value=max(v1, v2))
    assert STATUS_ORDER[high.status] <= STATUS_ORDER[low.status]


@given(series(values=positive), positive, positive)
def test_monotone_in_latest_value_when_lower_is_better(s, v1, v2):
    s = {**s, "direction": "lower"}
    assume(s["latest_year"] > s["base_year"])
    low, high = run(s, latest_value=min(v1, v2)), run(s, latest_value=max(v1, v2))
    assert STATUS_ORDER[low.status] <= STATUS_ORDER[high.status]


@given(st.lists(series(values=st.one_of(nonzero, st.just(0.0))), min_size=1, max_size=20))
def test_vectorised_equals_one_series_at_a_time(batch):
    out = assess_arrays(
        *[np.array([s[k] for s in batch], float) for k in (
            "base_year", "base_value", "latest_year", "latest_value", "target_value",
            "target_year")],
        np.array([DIRECTION_SIGN[s["direction"]] for s in batch]),
        np.array([s["strict"] for s in batch]))
    for i, s in enumerate(batch):
        one = run(s)
        assert out["status"][i] == one.status
        assert out["reason"][i] == one.reason
        assert (np.isnan(out["ratio"][i]) and one.ratio is None) or out["ratio"][i] == one.ratio
        assert one.status in STATUSES
        # The ratio is published exactly when a threshold decided the status.
        assert (one.ratio is not None) == (
            one.status not in ("target_achieved", "not_available") and one.reason is None)


# ---- the table ---------------------------------------------------------------------------

S, I, F = pa.string(), pa.int64(), pa.float64()


def indicators(rows):
    names = ["id", "direction", "target_kind", "target_value", "target_year", "base_year",
             "unit"]
    types = [S, S, S, F, I, I, S]
    return pa.table({n: pa.array([r[i] for r in rows], t) for i, (n, t) in
                     enumerate(zip(names, types))})


def observations(rows):
    return pa.table({"indicator_id": pa.array([r[0] for r in rows], S),
                     "district_code": pa.array([r[1] for r in rows], S),
                     "year": pa.array([r[2] for r in rows], I),
                     "value": pa.array([r[3] for r in rows], F)})


BENCHMARKS = pa.table({"year": pa.array([2012, 2013, 2014], I),
                       "gdp_death_rate": pa.array([0.2, 0.15, 0.1], F),
                       "industrial_death_rate": pa.array([2.0, 1.8, None], F),
                       "road_death_rate": pa.array([3.0, 2.5, 2.0], F)})
CONTROL = pa.table({"district_code": pa.array(["320400", "320400"], S),
                    "year": pa.array([2013, 2014], I),
                    "max_accidents": pa.array([100, 90], I),
                    "max_deaths": pa.array([50, 40], I)})


def table_rows(ind, obs, reference_year=2016, benchmarks=BENCHMARKS, control=CONTROL):
    out = progress_table(indicators(ind), observations(obs), benchmarks, control,
                         reference_date=date(reference_year, 6, 30), city_code="320400")
    return {(r["indicator_id"], r["district_code"]): r for r in out.to_dict("records")}


def test_benchmark_target_is_the_average_of_the_latest_year():
    rows = table_rows(
        [("gdp", "lower", "below_provincial_average", None, 2015, 2012, "per_100m_yuan_gdp")],
        [("gdp", "320400", 2012, 0.2), ("gdp", "320400", 2013, 0.16),
         ("gdp", "320400", 2014, 0.12)])
    r = rows[("gdp", "320400")]
    assert (r["target_value"], r["target_source"], r["latest_year"]) == (
        0.1, "provincial_benchmark", 2014)
    # actual √(0.12/0.2) − 1 = −0.225403, needed (0.1/0.2)^(1/3) − 1 = −0.206299: R = 1.0926
    assert r["cagr_actual"] == pytest.approx(math.sqrt(0.6) - 1)
    assert r["cagr_needed"] == pytest.approx(0.5 ** (1 / 3) - 1)
    assert r["status"] == "on_track"


def test_benchmark_equal_to_latest_value_is_not_achieved():
    rows = table_rows(
        [("road", "lower", "below_provincial_average", None, 2015, 2012, "per_10k_vehicles")],
        [("road", "320400", 2012, 3.0), ("road", "320400", 2014, 2.0)])
    assert rows[("road", "320400")]["status"] != "target_achieved"
    rows = table_rows(
        [("road", "lower", "below_provincial_average", None, 2015, 2012, "per_10k_vehicles")],
        [("road", "320400", 2012, 3.0), ("road", "320400", 2014, 1.9)])
    assert rows[("road", "320400")]["status"] == "target_achieved"


def test_missing_benchmark_and_missing_control_target():
    rows = table_rows(
        [("ind", "lower", "below_provincial_average", None, 2015, 2012, "per_100k_workers"),
         ("acc", "lower", "below_control_target", None, 2015, 2012, "accidents")],
        [("ind", "320400", 2012, 2.0), ("ind", "320400", 2014, 1.0),  # 2014 average is null
         ("acc", "320400", 2012, 120.0), ("acc", "320402", 2012, 20.0),
         ("acc", "320400", 2014, 95.0), ("acc", "320402", 2014, 15.0)])
    assert (rows[("ind", "320400")]["status"], rows[("ind", "320400")]["reason"]) == (
        "not_available", "benchmark_missing")
    city = rows[("acc", "320400")]
    assert (city["target_value"], city["target_source"]) == (90, "control_target")
    # actual √(95/120) − 1; needed (90/120)^(1/3) − 1
    assert city["ratio"] == pytest.approx(
        round((1 - math.sqrt(95 / 120)) / (1 - 0.75 ** (1 / 3)), 6))
    assert city["status"] == "on_track"
    assert rows[("acc", "320402")]["reason"] == "control_target_missing"


def test_base_year_latest_year_and_reference_year():
    rows = table_rows(
        [("m", "higher", "value", 100.0, 2015, 2012, "percent")],
        [("m", "320400", 2011, 1.0),  # before the base year: ignored
         ("m", "320400", 2013, 50.0), ("m", "320400", 2014, 60.0),
         ("m", "320400", 2017, 100.0)],  # after the target and the reference year: ignored
        reference_year=2016)
    r = rows[("m", "320400")]
    assert (r["base_year"], r["base_value"], r["latest_year"], r["latest_value"]) == (
        2013, 50.0, 2014, 60.0)
    assert r["years_observed"] == 2
    assert r["target_source"] == "indicator"
    # actual 0.2; needed (100/50)^(1/2) − 1 = 0.414214: R = 0.482843
    assert r["ratio"] == pytest.approx(0.2 / (math.sqrt(2) - 1), abs=1e-6)
    assert r["status"] == "limited_progress"


def test_indicator_without_data_or_target():
    rows = table_rows(
        [("empty", "higher", "value", 100.0, 2015, 2012, "percent"),
         ("unknown", "higher", "value", None, 2015, 2012, "percent")],
        [("unknown", "320400", 2012, 10.0), ("unknown", "320400", 2015, 20.0)])
    assert (rows[("empty", "320400")]["status"], rows[("empty", "320400")]["reason"]) == (
        "not_available", "no_data")
    assert rows[("empty", "320400")]["years_observed"] == 0
    assert rows[("unknown", "320400")]["reason"] == "target_unknown"


# ---- the year a status is judged at -------------------------------------------------------

SERIES_2012_2020 = [("m", "320400", year, 10.0 * (year - 2011)) for year in range(2012, 2021)]
TARGET_2015 = [("m", "higher", "value", 45.0, 2015, 2012, "percent")]


def test_judged_on_the_target_year_not_on_later_observations():
    # 2012..2020 = 10, 20, ..., 90; target 45 by 2015. 2015's value (40) misses the target;
    # later years (50..90) would meet it, but they are after the plan period.
    r = table_rows(TARGET_2015, SERIES_2012_2020, reference_year=2026)[("m", "320400")]
    assert (r["judged_year"], r["latest_year"], r["latest_value"]) == (2015, 2015, 40.0)
    assert r["years_observed"] == 4  # 2012-2015 only
    assert r["status"] != "target_achieved"
    # actual (40/10)^(1/3) − 1 = 0.587, needed (45/10)^(1/3) − 1 = 0.651: R = 0.902
    assert r["ratio"] == pytest.approx(round((4 ** (1 / 3) - 1) / (4.5 ** (1 / 3) - 1), 6))
    assert r["status"] == "acceleration_needed"
    assert r["as_of"] == date(2026, 6, 30)


def test_the_judged_row_does_not_depend_on_observations_after_the_target_year():
    judged = table_rows(TARGET_2015, SERIES_2012_2020, reference_year=2026)
    without_later = table_rows(TARGET_2015, [o for o in SERIES_2012_2020 if o[2] <= 2015],
                               reference_year=2026)
    changed = table_rows(TARGET_2015, [o if o[2] <= 2015 else (*o[:3], -1.0)
                                       for o in SERIES_2012_2020], reference_year=2026)
    def strip(rows):
        return {k: {c: v for c, v in r.items() if c != "as_of"} for k, r in rows.items()}

    assert strip(judged) == strip(without_later) == strip(changed)


def test_a_build_dated_before_the_target_year_judges_its_own_year():
    r = table_rows(TARGET_2015, SERIES_2012_2020, reference_year=2014)[("m", "320400")]
    assert (r["judged_year"], r["latest_year"], r["latest_value"]) == (2014, 2014, 30.0)
    assert r["target_year"] == 2015 and r["target_value"] == 45.0
    # actual (30/10)^(1/2) − 1, needed (45/10)^(1/3) − 1
    assert r["ratio"] == pytest.approx(round((3 ** 0.5 - 1) / (4.5 ** (1 / 3) - 1), 6))
    assert r["as_of"] == date(2014, 6, 30)


def test_no_target_is_invented_after_the_target_year():
    # Benchmarks and control targets go on after 2015 (2016..2020, all easily met): the
    # status still compares 2015's value with 2015's benchmark or control target.
    years = list(range(2012, 2021))
    benchmarks = pa.table({"year": pa.array(years, I),
                           "gdp_death_rate": pa.array([0.3] * 4 + [9.0] * 5, F),
                           "industrial_death_rate": pa.array([2.0] * 9, F),
                           "road_death_rate": pa.array([3.0] * 9, F)})
    control = pa.table({"district_code": pa.array(["320400"] * 9, S),
                        "year": pa.array(years, I),
                        "max_accidents": pa.array([100] * 4 + [10_000] * 5, I),
                        "max_deaths": pa.array([50] * 9, I)})
    rows = table_rows(
        [("gdp", "lower", "below_provincial_average", None, 2015, 2012, "per_100m_yuan_gdp"),
         ("acc", "lower", "below_control_target", None, 2015, 2012, "accidents"),
         *TARGET_2015],
        [*[("gdp", "320400", y, 0.5) for y in years],
         *[("acc", "320400", y, 150.0) for y in years], *SERIES_2012_2020],
        reference_year=2026, benchmarks=benchmarks, control=control)
    for key, target in ((("gdp", "320400"), 0.3), (("acc", "320400"), 100.0),
                        (("m", "320400"), 45.0)):
        r = rows[key]
        assert (r["judged_year"], r["latest_year"], r["target_year"]) == (2015, 2015, 2015)
        assert r["target_value"] == target, key
        assert r["status"] != "target_achieved", key
    # One row per indicator and district: nothing is assessed for 2016 onwards.
    assert set(rows) == {("gdp", "320400"), ("acc", "320400"), ("m", "320400")}


def test_an_earlier_target_year_is_judged_at_that_year():
    r = table_rows([("m", "higher", "value", 45.0, 2013, 2012, "percent")], SERIES_2012_2020,
                   reference_year=2026)[("m", "320400")]
    assert (r["judged_year"], r["latest_year"], r["latest_value"]) == (2013, 2013, 20.0)


def test_judged_year_without_a_target_year_is_the_reference_year():
    r = table_rows([("m", "higher", "value", 45.0, None, 2012, "percent")], SERIES_2012_2020,
                   reference_year=2018)[("m", "320400")]
    assert (r["judged_year"], r["latest_year"]) == (2018, 2018)
    assert (r["status"], r["reason"]) == ("target_achieved", None)  # 70 ≥ 45, no trend needed


def test_observations_only_after_the_judged_year_are_no_data():
    r = table_rows(TARGET_2015, [o for o in SERIES_2012_2020 if o[2] >= 2016],
                   reference_year=2026)[("m", "320400")]
    assert (r["status"], r["reason"], r["years_observed"]) == ("not_available", "no_data", 0)
    assert r["judged_year"] == 2015
