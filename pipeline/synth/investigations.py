"""Synthetic accident investigations: who investigated, when the report was submitted,
approved and published, against the legal deadline, the causes found, how those held
responsible were handled, and the rectification measures with their follow-up.

Every accident is investigated (国务院令第493号 art. 19-20; road-traffic, fire and
waterway accidents of the 一般 grade by the authority of that field, art. 45). Rules the
rows follow, so the pages and checks have something true to say:

- the investigating body follows the grade: 重大 the provincial government, 较大 the city
  government, 一般 the county-level government or, for road, fire, waterway, rail, farm
  machinery and fishing accidents, the authority of that field; a 一般 accident without
  deaths is sometimes handed to the county-level safety authority;
- the report is due 60 days after the accident; the government may extend that by at most
  60 days (art. 29), so ``deadline_days`` is 60 plus the recorded extension (≤ 120);
  ``within_deadline`` compares the day the report was submitted with it;
- the government approves within 15 days of the report (art. 32), then publishes it. An
  accident whose ``report_status`` is ``published`` gets exactly its ``report_published``
  date (submitted ≤ approved ≤ published); the other accidents either have an approved
  report that was never published, or are still being investigated at the data's end;
- causes, handling and rectification exist only once the report is approved; handling
  counts persons or units, never names them; fine amounts follow the Work Safety Law's
  ranges by grade (2014 version, and from 2021-09-01 the amended one).

Every draw has a fixed size per accident, so changing one rule does not shift the others,
and nothing depends on the tier's enterprises: the package is the same at every tier.
"""

from __future__ import annotations

import numpy as np

from pipeline.synth.accidents import INDUSTRIAL, Accidents
from pipeline.synth.dates import DATA_END, day

NAT = np.datetime64("NaT", "D")
LAW_2021 = day("2021-09-01")  # the amended Work Safety Law in force
BASE_DEADLINE = 60
MAX_EXTENSION = 60

BODIES = ("provincial_government", "city_government", "district_government",
          "district_safety_authority", "traffic_police", "fire_rescue", "sector_authority")
FIELD_AUTHORITY = {"road": "traffic_police", "fire": "fire_rescue", "waterway": "sector_authority",
                   "rail": "sector_authority", "farm_machinery": "sector_authority",
                   "fishing": "sector_authority"}
DIRECT_CAUSES = ("unsafe_act", "unsafe_condition", "unsafe_environment", "traffic_violation",
                 "natural")
INDIRECT_CAUSES = ("design_defect", "training", "labour_organisation", "supervision",
                   "procedures", "hazard_control", "regulatory_oversight")
INDIRECT_P = np.array([0.08, 0.22, 0.10, 0.20, 0.14, 0.18, 0.08])
# in primary-key order (the rows of an accident are sorted by kind)
HANDLING = ("criminal_referral", "party_government_sanction", "personal_fine", "unit_fine")
MEASURES = ("equipment", "training", "procedures", "hazard_inspection", "safety_management",
            "road_facilities", "supervision")
RESPONSIBLE = ("enterprise", "department", "district_government")
STATUSES = ("completed", "in_progress", "overdue")
# Unit fines in 万元 per grade: (low, high) under the 2014 law, then the 2021 one.
UNIT_FINE = {"general": ((20, 50), (30, 100)), "larger": ((50, 100), (100, 200)),
             "major": ((100, 500), (200, 1000)), "particularly_serious": ((500, 2000), (1000, 2000))}


def _days(values) -> np.ndarray:
    return np.asarray(values).astype("timedelta64[D]")


def generate(rng: np.random.Generator, acc: Accidents) -> dict[str, dict]:
    n = len(acc)
    ids = acc["accident_id"]
    date = np.asarray(acc["date"], dtype="datetime64[D]")
    sector = np.asarray(acc["sector_code"]).astype(str)
    grade = np.asarray(acc["stated_grade"]).astype(str)
    deaths = np.asarray(acc["deaths"])
    liability = np.asarray(acc["liability"]) == "liability"
    published = np.asarray(acc["report_published"], dtype="datetime64[D]")
    is_published = ~np.isnat(published)
    general = grade == "general"
    road = sector == "road"
    industrial = np.isin(sector, INDUSTRIAL)

    # Fixed-size draws, in a fixed order.
    u_body, u_ext, ext_pick, u_late = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    on_time = rng.uniform(0, 1, n)
    late_by = rng.integers(1, 46, n)
    approve_gap = rng.integers(3, 16, n)
    u_direct, u_indirect = rng.random(n), rng.random(n)
    handling_u = rng.random((n, 4))
    handling_n = rng.poisson(0.5, (n, 4))
    fine_u = rng.random((n, 2))
    n_measures = rng.integers(1, 5, n)
    measure_u = rng.random((n, 4, 4))

    # Who investigates.
    body = np.where(general, np.array([FIELD_AUTHORITY.get(s, "district_government")
                                       for s in sector], dtype=object), "district_government")
    body = np.where(general & (body == "district_government") & (deaths == 0) & (u_body < 0.5),
                    "district_safety_authority", body)
    body = np.where(grade == "larger", "city_government", body)
    body = np.where(grade == "major", "provincial_government", body)
    body = np.where(grade == "particularly_serious", "provincial_government", body)

    # Deadline: an extension is recorded more often for the harder investigations.
    extended = u_ext < np.where(general, 0.12, 0.5)
    extension = np.where(extended, np.array([15, 30, 45, 60])[(ext_pick * 4).astype(int)], 0)
    deadline = BASE_DEADLINE + extension

    # Submission day: mostly within the deadline, sometimes late.
    late = u_late < 0.08
    target = np.where(late, deadline + late_by,
                      np.maximum(20, (20 + on_time * (deadline - 20)).astype(int)))
    to_publish = (published - date).astype(np.int64)
    # A published report was submitted and approved before its publication date.
    submit_days = np.where(is_published, np.minimum(target, to_publish - approve_gap), target)
    submit_days = np.maximum(submit_days, 1)
    approve_days = np.where(is_published, np.minimum(submit_days + approve_gap, to_publish),
                            submit_days + approve_gap)
    submitted = date + _days(submit_days)
    approved = date + _days(approve_days)
    submitted = np.where(submitted <= DATA_END, submitted, NAT)
    approved = np.where(approved <= DATA_END, approved, NAT)

    stage = np.where(is_published, "published",
                     np.where(~np.isnat(approved), "approved",
                              np.where(~np.isnat(submitted), "submitted", "investigating")))
    has_submitted = ~np.isnat(submitted)
    overdue = ~has_submitted & ((DATA_END - date).astype(np.int64) > deadline)
    within = np.where(has_submitted, submit_days <= deadline, np.where(overdue, False, None))

    # Causes (found in the submitted report).
    direct = np.where(road, np.where(u_direct < 0.85, "traffic_violation", "unsafe_condition"),
                      np.where(u_direct < 0.55, "unsafe_act",
                               np.where(u_direct < 0.88, "unsafe_condition", "unsafe_environment")))
    direct = np.where(~liability, np.where(u_direct < 0.5, "natural", "unsafe_environment"), direct)
    cum = np.cumsum(INDIRECT_P / INDIRECT_P.sum())
    indirect = np.array(INDIRECT_CAUSES, dtype=object)[np.minimum(np.searchsorted(cum, u_indirect),
                                                                  len(INDIRECT_CAUSES) - 1)]
    indirect = np.where(liability, indirect, None)
    direct = np.where(has_submitted, direct, None)
    indirect = np.where(has_submitted, indirect, None)

    investigations = {
        "accident_id": ids,
        "district_code": acc["district_code"],
        "investigating_body": body.astype(str),
        "accident_date": date,
        "extension_days": extension,
        "deadline_days": deadline,
        "report_submitted": submitted,
        "days_to_submission": _nullable_int(np.where(has_submitted, submit_days, -1)),
        "within_deadline": _nullable_bool(within),
        "report_approved": approved,
        "report_published": published,
        "days_to_publication": _nullable_int(np.where(is_published, to_publish, -1)),
        "stage": stage,
        "direct_cause": direct,
        "indirect_cause": indirect,
        "report_url": np.where(is_published, acc["report_url"], None),
    }

    # Handling of those held responsible: only for liability accidents with an approved report.
    decided = liability & ~np.isnat(approved)
    serious = ~general
    year_law = np.where(date >= LAW_2021, 1, 0)
    rows = {"accident_id": [], "handling": [], "subjects": [], "amount_10k_yuan": []}
    for i in np.flatnonzero(decided):
        p_refer = 1.0 if serious[i] else (0.6 if road[i] else 0.45) if deaths[i] else 0.05
        p_sanction = 1.0 if serious[i] else 0.0 if road[i] else 0.3 if deaths[i] else 0.05
        p_unit = 1.0 if serious[i] else 0.1 if road[i] else 0.9 if industrial[i] else 0.5
        p_person = 1.0 if serious[i] else 0.05 if road[i] else 0.7 if industrial[i] else 0.4
        base = 2 if serious[i] else 1
        for k, (kind, p) in enumerate(zip(HANDLING, (p_refer, p_sanction, p_person, p_unit),
                                          strict=True)):
            if handling_u[i, k] >= p:
                continue
            count = int(base + handling_n[i, k] * (3 if serious[i] and k == 1 else 1))
            amount = None
            if kind == "unit_fine":
                count = 1
                low, high = UNIT_FINE[grade[i]][year_law[i]]
                amount = round(low + fine_u[i, 0] * (high - low), 1)
            elif kind == "personal_fine":
                per_person = (2 + fine_u[i, 1] * 8) * (2 if serious[i] else 1)
                amount = round(per_person * count, 1)
            rows["accident_id"].append(ids[i])
            rows["handling"].append(kind)
            rows["subjects"].append(count)
            rows["amount_10k_yuan"].append(np.nan if amount is None else amount)
    handling = {"accident_id": np.array(rows["accident_id"], dtype=object),
                "handling": np.array(rows["handling"], dtype=object),
                "subjects": np.array(rows["subjects"], dtype=np.int64),
                "amount_10k_yuan": (np.array(rows["amount_10k_yuan"], dtype=float), 1)}

    # Rectification measures the approved report orders, with their follow-up at DATA_END.
    m = {"accident_id": [], "measure_no": [], "measure": [], "responsible": [], "due_date": [],
         "status": [], "completed_on": [], "checked_on": []}
    for i in np.flatnonzero(~np.isnat(approved)):
        for j in range(int(n_measures[i])):
            u = measure_u[i, j]
            if road[i]:
                kind = ("road_facilities", "supervision", "training")[int(u[0] * 3)]
                who = "department" if kind != "road_facilities" else "district_government"
            else:
                kind = ("equipment", "training", "procedures", "hazard_inspection",
                        "safety_management", "supervision")[int(u[0] * 6)]
                who = "department" if kind == "supervision" else "enterprise"
            due = approved[i] + np.timedelta64(int(30 + u[1] * 150), "D")
            took = approved[i] + np.timedelta64(int(10 + u[2] * 200), "D")
            done = took <= DATA_END and u[3] < 0.93
            if done:
                status, completed, checked = "completed", took, took
            else:
                status = "overdue" if due < DATA_END else "in_progress"
                completed = NAT
                checked = min(DATA_END, approved[i] + np.timedelta64(int(30 + u[3] * 300), "D"))
            m["accident_id"].append(ids[i])
            m["measure_no"].append(j + 1)
            m["measure"].append(kind)
            m["responsible"].append(who)
            m["due_date"].append(due)
            m["status"].append(status)
            m["completed_on"].append(completed)
            m["checked_on"].append(checked)
    measures = {"accident_id": np.array(m["accident_id"], dtype=object),
                "measure_no": np.array(m["measure_no"], dtype=np.int64),
                "measure": np.array(m["measure"], dtype=object),
                "responsible": np.array(m["responsible"], dtype=object),
                "due_date": np.array(m["due_date"], dtype="datetime64[D]"),
                "status": np.array(m["status"], dtype=object),
                "completed_on": np.array(m["completed_on"], dtype="datetime64[D]"),
                "checked_on": np.array(m["checked_on"], dtype="datetime64[D]")}
    return {"investigations": investigations, "handling": handling, "rectification": measures}


def _nullable_int(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    return np.array([None if v < 0 else int(v) for v in values], dtype=object)


def _nullable_bool(values) -> np.ndarray:
    return np.array([None if v is None else bool(v) for v in values], dtype=object)
