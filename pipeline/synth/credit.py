"""Certificates, supervised hidden hazards, blacklist listings and credit ratings.

Each table is derived from what happened to the enterprise, so the rules a reader (or the
validator) may check hold by construction:
- certificates expire 3 years after issue; renewals are issued shortly before expiry, and
  only to a firm still operating;
- hazards are listed at operating firms and have a deadline after listing; some are
  rectified late, some are still open at the data's end (a firm that closes ends its
  hazard on the day it closes);
- a listing follows a real trigger (DOMAIN 6), is published after it, lasts 1 year
  (3 for an enterprise listed before) and may be removed no earlier than 1 year after;
- a rating year with a liability accident or a listing is graded D or E; a rating is
  never better than the standardisation certificate held that day allows (一级→A, 二级→B,
  三级→C; no certificate → C at best); ratings start the year after founding and stop
  when the firm closes.

Everything runs to DATA_END; the yearly ratings to the last complete year (they are made
in December).
"""

from __future__ import annotations

import itertools

import numpy as np

from pipeline.synth.accidents import Accidents
from pipeline.synth.dates import (
    DATA_END,
    LAST_FULL_YEAR,
    add_years,
    day,
    uniform_days,
    year_of,
    year_span,
)
from pipeline.synth.enterprises import HIGH_RISK, Enterprises

NAT = np.datetime64("NaT", "D")
RATING_YEARS = range(2012, LAST_FULL_YEAR + 1)  # rated in December: none yet in the last year
HAZARD_YEARS = range(2012, int(year_of(DATA_END)) + 1)
GRADES = np.array(["A", "B", "C", "D", "E"])
LISTING_START = day("2012-01-01")  # the plan's credit measure; earlier events are not listed
RENEWAL_P = 0.88
# Hidden-hazard investigation was stepped up from 2016 (the dual prevention mechanism of
# risk grading and hazard investigation): more hazards are listed per operating firm.
HAZARD_STEP_UP = {2016: 2.5}


def _ids(prefix: str, dates: np.ndarray, width: int) -> np.ndarray:
    """prefix + year + sequence within the year, for rows already sorted by date. The
    descriptors' patterns allow ``width`` digits of sequence; beyond that many ids in one
    year (five times the national tier has them), the sequence has as many digits as it
    needs and :func:`widened_patterns` says how the patterns must follow."""
    year = year_of(dates)
    starts = np.r_[0, np.flatnonzero(np.diff(year)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(year)]))
    seq = np.arange(len(year)) - first + 1
    if len(seq) and seq.max() >= 10**width:
        WIDENED[prefix] = (width, len(str(int(seq.max()))))
        width = WIDENED[prefix][1]
    return np.char.add(np.char.add(prefix, year.astype(str)), np.char.zfill(seq.astype(str), width))


WIDENED: dict[str, tuple[int, int]] = {}  # id prefix → (digits the patterns allow, digits used)


def widened_patterns() -> dict[str, str]:
    """The id patterns of the descriptors (``S20[0-9]{8}``: year and sequence) whose ids
    were generated with more digits, each with the pattern they now need."""
    return {f"{prefix}20[0-9]{{{2 + allowed}}}": f"{prefix}20[0-9]{{{2 + used}}}"
            for prefix, (allowed, used) in WIDENED.items()}


def certificates(rng: np.random.Generator, firms: Enterprises) -> dict:
    """Standardisation certificates: high-risk sectors by 2013, above-scale metallurgy and
    machinery by 2014, the rest later (the plan's measure 3); a firm founded later qualifies
    within a few years of its founding. Renewed every 3 years while the firm operates."""
    n = len(firms)
    high = np.isin(firms.sector, HIGH_RISK)
    metal = np.isin(firms.sector, ["metallurgy", "machinery"]) & firms.above
    p = np.select([high, metal, firms.above], [0.97, 0.93, 0.80], 0.65)
    start = np.select([high, metal, firms.above],
                      [day("2011-01-01"), day("2012-06-01"), day("2012-01-01")], day("2013-01-01"))
    end = np.select([high, metal], [day("2013-12-31"), day("2014-12-31")], day("2015-12-31"))
    issued = uniform_days(rng, start, end, n)
    # a new firm needs time to qualify: half a year to two and a half
    issued = np.maximum(issued, firms.established + rng.integers(180, 901, n))
    has = (rng.random(n) < p) & (issued <= DATA_END) & (issued < firms.until)
    level = np.where(firms.above, rng.choice([1, 2, 3], n, p=[0.03, 0.27, 0.70]),
                     rng.choice([2, 3], n, p=[0.05, 0.95]))
    owner, iss, lvl = [np.flatnonzero(has)], [issued[has]], [level[has]]
    cur_owner, cur_iss, cur_lvl = owner[0], iss[0], lvl[0]
    while True:  # renewals until past the data's end
        exp = add_years(cur_iss, 3)
        new_iss = np.minimum(exp - rng.integers(1, 61, len(exp)), DATA_END)
        renew = ((exp - 60 <= DATA_END) & (rng.random(len(exp)) < RENEWAL_P)
                 & (new_iss < firms.until[cur_owner]))
        if not renew.any():
            break
        cur_owner, cur_iss = cur_owner[renew], new_iss[renew]
        cur_lvl = np.maximum(cur_lvl[renew] - (rng.random(renew.sum()) < 0.1), 1)
        owner.append(cur_owner), iss.append(cur_iss), lvl.append(cur_lvl)
    owner, iss, lvl = np.concatenate(owner), np.concatenate(iss), np.concatenate(lvl)
    order = np.lexsort((owner, iss))
    owner, iss, lvl = owner[order], iss[order], lvl[order]
    return {"certificate_id": _ids("S", iss, 6), "uscc": firms.uscc[owner], "level": lvl,
            "issued": iss, "expires": add_years(iss, 3), "_owner": owner}


def hazards(rng: np.random.Generator, firms: Enterprises, acc: Accidents) -> dict:
    """Hidden hazards under supervised rectification (挂牌督办), listed from 2012 to the data's end.

    Besides routine findings, an enterprise with a liability accident is often inspected
    afterwards and a major hazard listed at city level; such firms are also slower to fix
    it, which is how a firm comes to be blacklisted twice (the 3-year repeat term).
    City-level (major) hazards may be given up to a year; district-level ones up to half.
    """
    rate = np.where(np.isin(firms.sector, np.r_[HIGH_RISK, ["metallurgy"]]), 0.08, 0.04)
    owner, listed = [], []
    step_up = 1.0
    for year in HAZARD_YEARS:
        step_up = HAZARD_STEP_UP.get(year, step_up)
        first, last, share = year_span(year)
        eligible = year_of(firms.established) < year
        k = rng.poisson(rate * step_up * share * eligible)
        idx = np.repeat(np.arange(len(firms)), k)
        when = uniform_days(rng, first, last, len(idx))
        ok = when < firms.until[idx]  # only at a firm still operating on the day
        owner.append(idx[ok])
        listed.append(when[ok])
    owner, listed = np.concatenate(owner), np.concatenate(listed)
    n = len(owner)
    high = np.isin(firms.sector[owner], HIGH_RISK)
    city = rng.random(n) < np.where(high, 0.15, 0.07)
    fate = rng.choice(3, n, p=[0.85, 0.10, 0.05])  # on time, late, still open

    after = np.array([i for i, u in enumerate(acc["enterprise_uscc"])
                      if u is not None and acc["liability"][i] == "liability"], dtype=np.int64)
    after = after[rng.random(len(after)) < 0.5]
    a_listed = acc["date"][after] + rng.integers(15, 61, len(after))
    a_owner = firms.index_of(acc["enterprise_uscc"][after])
    a_keep = (a_listed >= LISTING_START) & (a_listed <= DATA_END) & (a_listed < firms.until[a_owner])
    after, a_listed, a_owner = after[a_keep], a_listed[a_keep], a_owner[a_keep]
    owner = np.r_[owner, a_owner]
    listed = np.r_[listed, a_listed]
    city = np.r_[city, np.ones(len(after), dtype=bool)]
    fate = np.r_[fate, rng.choice(3, len(after), p=[0.60, 0.25, 0.15])]
    n = len(owner)

    level = np.where(city, "city", "district")
    days = np.where(city, rng.choice([90, 180, 365], n), rng.choice([30, 60, 90, 180], n))
    deadline = listed + days
    on_time = listed + np.maximum(1, rng.uniform(0.2, 1.0, n) * (deadline - listed).astype(int)).astype(np.int64)
    late = deadline + rng.integers(5, 121, n)
    rectified = np.select([fate == 0, fate == 1], [on_time, late], NAT).astype("datetime64[D]")
    # closing the firm ends the hazard (listed only while it operated, so after listing)
    closed = firms.closed[owner]
    ended = ~np.isnat(closed) & (np.isnat(rectified) | (rectified > closed))
    rectified = np.where(ended, closed, rectified)
    rectified = np.where(rectified > DATA_END, NAT, rectified)  # not known at the data's end
    order = np.lexsort((owner, listed))
    owner, listed, level, deadline, rectified = (a[order] for a in (owner, listed, level, deadline, rectified))
    return {"hazard_id": _ids("H", listed, 6), "uscc": firms.uscc[owner],
            "district_code": firms.district_on(listed, owner), "level": level, "listed": listed,
            "deadline": deadline, "rectified": rectified, "_owner": owner}


def blacklist(rng: np.random.Generator, firms: Enterprises, acc: Accidents, haz: dict) -> dict:
    """Listings from accidents and hazards that happened, by the rules of DOMAIN 6."""
    ent = acc["enterprise_uscc"]
    linked = np.array([u is not None for u in ent])
    index = dict(zip(ent[linked], firms.index_of(ent[linked])))  # only the few linked firms
    liable = linked & (acc["liability"] == "liability")
    events = []  # (trigger date, owner index, reason, accident_id, hazard_id)
    grade, date, ids = acc["stated_grade"], acc["date"], acc["accident_id"]
    listed_accident = set()
    for i in np.flatnonzero(linked):
        reason = None
        if liable[i] and grade[i] in ("major", "particularly_serious"):
            reason = "major_accident"
        elif acc["concealed"][i]:
            reason = "concealment"
        elif liable[i] and grade[i] == "larger":
            reason = "larger_accident"
        if reason:
            events.append((date[i], index[ent[i]], reason, ids[i], None))
            listed_accident.add(i)
    # ≥10 liability deaths in a calendar year, and two 一般 liability accidents within 12 months
    by_firm: dict[str, list[int]] = {}
    for i in np.flatnonzero(liable):
        by_firm.setdefault(ent[i], []).append(i)
    for firm, rows in sorted(by_firm.items()):
        rows.sort(key=lambda r: date[r])
        for y in sorted({int(year_of(date[r])) for r in rows}):
            in_year = [r for r in rows if year_of(date[r]) == y]
            total = np.cumsum([acc["deaths"][r] for r in in_year])
            if total[-1] >= 10 and not any(r in listed_accident for r in in_year):
                r = in_year[int(np.argmax(total >= 10))]
                events.append((date[r], index[firm], "deaths_10_in_year", ids[r], None))
                listed_accident.add(r)
        general = [r for r in rows if grade[r] == "general"]
        for prev, cur in itertools.pairwise(general):
            if (date[cur] - date[prev]).astype(int) < 365 and cur not in listed_accident:
                events.append((date[cur], index[firm], "two_general_12m", ids[cur], None))
                listed_accident.add(cur)
    # Major (city-level) hazards not rectified by the deadline
    overdue = (haz["level"] == "city") & (haz["deadline"] < DATA_END) & (
        np.isnat(haz["rectified"]) | (haz["rectified"] > haz["deadline"]))
    for h in np.flatnonzero(overdue):
        events.append((haz["deadline"][h], int(haz["_owner"][h]), "hazard_overdue", None,
                       haz["hazard_id"][h]))
    # Licences revoked: a few high-risk firms a year, no linked accident or hazard
    high = np.flatnonzero(np.isin(firms.sector, HIGH_RISK))
    for year in range(2013, int(year_of(DATA_END)) + 1):
        first, last, _ = year_span(year)
        when = uniform_days(rng, first, min(last, DATA_END - 91), 1)[0]
        if when < first:
            continue
        ok = high[(year_of(firms.established[high]) < year) & firms.operating(when, high)]
        for f in rng.choice(ok, size=min(len(ok), max(1, len(firms) // 6000)), replace=False):
            events.append((when, int(f), "licence_revoked", None, None))

    events = [e for e in events if e[0] >= LISTING_START]
    trig = np.array([e[0] for e in events], dtype="datetime64[D]")
    listed = trig + rng.integers(20, 91, len(events))
    owner = np.array([e[1] for e in events], dtype=np.int64)
    keep = listed <= DATA_END
    order = np.flatnonzero(keep)[np.lexsort((owner[keep], listed[keep]))]
    listed, owner = listed[order], owner[order]
    reason = np.array([events[i][2] for i in order])
    accident_id = np.array([events[i][3] for i in order], dtype=object)
    hazard_id = np.array([events[i][4] for i in order], dtype=object)
    # a repeat listing (the firm was listed before) lasts 3 years
    seen: set[int] = set()
    repeat = np.zeros(len(owner), dtype=bool)
    for k, o in enumerate(owner):
        repeat[k] = o in seen
        seen.add(int(o))
    term = np.where(repeat, 3, 1)
    expires = add_years(listed, term)
    earliest = add_years(listed, 1)  # public for at least a year
    latest = np.minimum(expires, DATA_END)
    can = earliest <= latest
    removed = np.where(can & (rng.random(len(owner)) < 0.4),
                       uniform_days(rng, earliest, np.maximum(earliest, latest), len(owner)), NAT)
    return {"listing_id": _ids("B", listed, 5), "uscc": firms.uscc[owner], "reason": reason,
            "accident_id": accident_id, "hazard_id": hazard_id, "listed": listed,
            "term_years": term, "expires": expires, "removed": removed, "_owner": owner}


def bad_years(firms: Enterprises, acc: Accidents, listing: dict) -> np.ndarray:
    """(n, rating years) int8: 0 nothing, 1 a liability accident, 2 a listing."""
    flags = np.zeros((len(firms), len(RATING_YEARS)), dtype=np.int8)
    years = year_of(acc["date"])
    hit = np.array([u is not None for u in acc["enterprise_uscc"]]) & (
        acc["liability"] == "liability") & np.isin(years, list(RATING_YEARS))
    flags[firms.index_of(acc["enterprise_uscc"][hit]), years[hit] - RATING_YEARS[0]] = 1
    lyear = year_of(listing["listed"])
    ok = (lyear >= RATING_YEARS[0]) & (lyear <= RATING_YEARS[-1])
    flags[listing["_owner"][ok], lyear[ok] - RATING_YEARS[0]] = 2
    return flags


def cert_table(firms: Enterprises, certs: dict) -> tuple[np.ndarray, ...]:
    """Dense per-firm certificate arrays (issued, expires, level), one column per
    certificate of the firm with the most (empty slots NaT / level 9)."""
    n = len(firms)
    owner = certs["_owner"]
    order = np.lexsort((certs["issued"], owner))
    o = owner[order]
    starts = np.r_[0, np.flatnonzero(np.diff(o)) + 1]
    slot = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)]))
    slots = int(slot.max()) + 1 if len(slot) else 1
    issued = np.full((n, slots), NAT)
    expires = np.full((n, slots), NAT)
    level = np.full((n, slots), 9, dtype=np.int8)
    issued[o, slot] = certs["issued"][order]
    expires[o, slot] = certs["expires"][order]
    level[o, slot] = certs["level"][order]
    return issued, expires, level


def ratings_chunks(seed_seq: np.random.SeedSequence, firms: Enterprises, certs, flags,
                   chunk: int = 250_000):
    """Rating rows in (uscc, year) order, one dict of columns per chunk of firms.

    Each chunk has its own generator spawned from ``seed_seq`` so the output does not depend
    on anything but the seed and the fixed chunk size.
    """
    issued, expires, level = certs
    n = len(firms)
    est_year = year_of(firms.established)
    until = firms.until
    children = seed_seq.spawn((n + chunk - 1) // chunk)
    for c, lo in enumerate(range(0, n, chunk)):
        rng = np.random.default_rng(children[c])
        hi = min(n, lo + chunk)
        m = hi - lo
        years = np.array(RATING_YEARS)
        rated_on = (np.array([f"{y}-12-01" for y in years], dtype="datetime64[D]")[None, :]
                    + rng.integers(0, 31, (m, len(years))))
        # best (lowest) certificate level valid on the rating day, 9 = none
        valid = ((issued[lo:hi, :, None] <= rated_on[:, None, :])
                 & (rated_on[:, None, :] < expires[lo:hi, :, None]))
        best = np.where(valid, level[lo:hi, :, None], 9).min(axis=1)  # (m, years)
        ceiling = np.where(best == 9, 3, best)  # rank 1=A … 5=E; no certificate → C at best
        rank = ceiling + (rng.random((m, len(years))) < np.where(best == 9, 0.25, 0.15))
        flag = flags[lo:hi]
        rank = np.where(flag == 2, 5, np.where(flag == 1, np.maximum(4 + (rng.random(flag.shape) < 0.3), rank), rank))
        # founded before the rating year, still operating on the rating day
        exists = (est_year[lo:hi, None] < years[None, :]) & (rated_on < until[lo:hi, None])
        row, col = np.nonzero(exists)  # row-major: by firm, then year
        yield {"uscc": firms.uscc[lo + row], "year": years[col],
               "scheme": np.full(len(row), "cz2020"), "grade": GRADES[rank[row, col] - 1],
               "rated_on": rated_on[row, col]}
