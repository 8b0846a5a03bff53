"""Blacklist listings (DOMAIN 6): the expiry date, and the cause behind each listing.

* ``blacklist-expiry``: expires = listed + term_years years.
* ``blacklist-cause``: a listing names the record that caused it, and the reason agrees
  with that record — the accident's grade, liability and concealment; the hazard's
  deadline; the enterprise's liability accidents and deaths in the period.

The blacklist's columns are bound in ``portal.yml``; the accidents and hazards are roles
whose columns are fixed (``ACCIDENT_COLUMNS``, ``HAZARD_COLUMNS``), as are the reason codes
below (安委办〔2015〕14号, 苏安办〔2016〕47号) and the liability code ``liability``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate.rules import NUMERIC, Bound, Field, Role, check, mask
from pipeline.validate.rules.dates import add_years, iso, to_days

ACCIDENT_REASONS = {
    # reason → grades that justify it (None: any grade)
    "major_accident": {"major", "particularly_serious"},
    "larger_accident": {"larger", "major", "particularly_serious"},
    "concealment": None,
    "two_general_12m": None,
    "deaths_10_in_year": None,
}
LIABILITY_REASONS = {"major_accident", "larger_accident", "two_general_12m", "deaths_10_in_year"}


@check("blacklist-expiry", batched=True,
       listed_field=Field(("date",), "the listing date"),
       term_field=Field(("integer",), "the term in years"),
       expires_field=Field(("date",), "the stated end of the listing"))
def blacklist_expiry(b: Bound) -> None:
    """expires = listed + term years (29 February becomes 28 February)."""
    listed, term = b.col(b.field("listed_field")), b.col(b.field("term_field"))
    expires_field = b.field("expires_field")
    expires = b.col(expires_field)
    known = mask(pc.is_valid(listed)) & mask(pc.is_valid(term)) & mask(pc.is_valid(expires))
    years = pc.fill_null(pc.cast(term, pa.int64(), safe=False), 0).to_numpy(zero_copy_only=False)
    years = np.clip(years, -9999, 9999)
    expected = add_years(to_days(listed), years)
    bad = known & (to_days(expires) != expected)
    b.report("rule.blacklist-expiry", bad, expires_field, values=lambda row: {"expected": iso(expected[row])})


ACCIDENT_COLUMNS = {"accident_id": ("string",), "stated_grade": ("string",), "liability": ("string",),
                    "concealed": ("boolean",), "enterprise_uscc": ("string",), "date": ("date",),
                    "deaths": NUMERIC}
HAZARD_COLUMNS = {"hazard_id": ("string",), "uscc": ("string",), "deadline": ("date",), "rectified": ("date",)}


@check("blacklist-cause",
       uscc_field=Field(("string",), "the listed enterprise's credit code"),
       reason_field=Field(("string",), "the reason code (ACCIDENT_REASONS, hazard_overdue …)"),
       accident_field=Field(("string",), "the id of the accident that caused the listing"),
       hazard_field=Field(("string",), "the id of the hazard that caused the listing"),
       listed_field=Field(("date",), "the listing date"),
       accidents=Role(ACCIDENT_COLUMNS, "the accidents: id, grade, liability (\"liability\" when the "
                      "enterprise is liable), concealed, enterprise, date, deaths"),
       hazards=Role(HAZARD_COLUMNS, "the hazards: id, enterprise, rectification deadline and date"))
def blacklist_cause(b: Bound) -> None:
    """A listing names the record that caused it, and the reason agrees with that record."""
    n = b.rows
    reason_field, accident_field, hazard_field = (b.field(p) for p in ("reason_field", "accident_field",
                                                                        "hazard_field"))
    reason = b.col(reason_field)
    reason_np = pc.fill_null(reason, "").to_numpy(zero_copy_only=False)
    accident_id, hazard_id = b.col(accident_field), b.col(hazard_field)
    has_accident, has_hazard = mask(pc.is_valid(accident_id)), mask(pc.is_valid(hazard_id))
    needs_accident = np.isin(reason_np, list(ACCIDENT_REASONS))
    needs_hazard = reason_np == "hazard_overdue"
    b.report("rule.blacklist-no-accident", needs_accident & ~has_accident, accident_field,
             values=lambda row: {"reason": reason_np[row]})
    b.report("rule.blacklist-no-hazard", needs_hazard & ~has_hazard, hazard_field,
             values=lambda row: {"reason": reason_np[row]})
    listed_days = to_days(b.col(b.field("listed_field")))
    uscc = b.col(b.field("uscc_field"))

    accidents = b.role("accidents")
    if accidents is not None:
        where = pc.index_in(accident_id, value_set=accidents.col("accident_id"))
        linked = needs_accident & has_accident & mask(pc.is_valid(where))

        def take(name):
            return accidents.col(name).take(where)
        grade = pc.fill_null(take("stated_grade"), "").to_numpy(zero_copy_only=False)
        liable = mask(pc.equal(take("liability"), "liability"))
        concealed = mask(take("concealed"))
        same_firm = mask(pc.equal(take("enterprise_uscc"), uscc))
        accident_days = to_days(take("date"))
        bad_grade = np.zeros(n, dtype=bool)
        for name, grades in ACCIDENT_REASONS.items():
            if grades:
                bad_grade |= (reason_np == name) & ~np.isin(grade, list(grades))
        problems = [
            (linked & bad_grade, "rule.blacklist-grade", lambda row: {"grade": grade[row]}),
            (linked & np.isin(reason_np, list(LIABILITY_REASONS)) & ~liable, "rule.blacklist-liability", None),
            (linked & (reason_np == "concealment") & ~concealed, "rule.blacklist-not-concealed", None),
            (linked & ~same_firm, "rule.blacklist-other-firm", None),
            (linked & (accident_days > listed_days), "rule.blacklist-before-accident",
             lambda row: {"date": iso(accident_days[row])}),
        ]
        problems += _enterprise_history(accidents, uscc, reason_np, listed_days, accident_days, linked)
        for rows, key, values in problems:
            b.report(key, rows, reason_field,
                     values=lambda row, v=values: {"reason": reason_np[row], **(v(row) if v else {})})

    hazards = b.role("hazards")
    if hazards is not None:
        where = pc.index_in(hazard_id, value_set=hazards.col("hazard_id"))
        linked = needs_hazard & has_hazard & mask(pc.is_valid(where))
        deadline = to_days(hazards.col("deadline").take(where))
        rectified_col = hazards.col("rectified").take(where)
        rectified = np.where(mask(pc.is_valid(rectified_col)), to_days(rectified_col), np.iinfo(np.int64).max)
        same_firm = mask(pc.equal(hazards.col("uscc").take(where), uscc))
        # overdue at listing: the deadline had passed and the hazard was not fixed by then
        overdue = (listed_days > deadline) & (rectified > deadline)
        b.report("rule.blacklist-hazard-not-overdue", linked & ~overdue, hazard_field,
                 values=lambda row: {"reason": reason_np[row], "deadline": iso(deadline[row])})
        b.report("rule.blacklist-other-firm", linked & ~same_firm, hazard_field,
                 values=lambda row: {"reason": reason_np[row]})


def _enterprise_history(accidents, uscc, reason_np, listed_days, accident_days, linked):
    """two_general_12m: two liability accidents of the firm within 12 months up to the cited
    one; deaths_10_in_year: ≥ 10 deaths in liability accidents that calendar year."""
    firm = accidents.col("enterprise_uscc")
    liable = mask(pc.equal(accidents.col("liability"), "liability")) & mask(pc.is_valid(firm))
    table = pa.table({"uscc": firm.filter(pa.array(liable)),
                      "day": pa.array(to_days(accidents.col("date"))[liable]),
                      "deaths": pc.fill_null(accidents.col("deaths"), 0).filter(pa.array(liable))})
    out = []
    for reason, key in (("two_general_12m", "rule.blacklist-two-general"),
                        ("deaths_10_in_year", "rule.blacklist-deaths-10")):
        rows = np.flatnonzero(linked & (reason_np == reason))
        if not len(rows):
            continue
        bad = np.zeros(len(reason_np), dtype=bool)
        firms = uscc.take(pa.array(rows))
        # Few listings per reason: one Arrow filter per listing keeps memory flat.
        for row, firm_code in zip(rows, firms.to_pylist()):
            mine = table.filter(pc.equal(table["uscc"], firm_code))
            day = mine["day"].to_numpy()
            cited = accident_days[row]
            if reason == "two_general_12m":
                window = (day <= cited) & (day > add_years(np.array([cited]), np.array([-1]))[0])
                bad[row] = np.count_nonzero(window) < 2
            else:
                year = np.datetime64(int(cited), "D").astype("M8[Y]")
                same_year = day.astype("M8[D]").astype("M8[Y]") == year
                bad[row] = mine["deaths"].to_numpy()[same_year].sum() < 10
        out.append((bad, key, None))
    return out
