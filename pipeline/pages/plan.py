"""The plan itself: goals, measures and guarantee measures with their text, departments and
indicators; one page per department with what it leads or cooperates on."""

from __future__ import annotations

from collections import defaultdict

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.core import Data, indicator_card, slug


def _measure_view(data: Data, m: dict, lang: str) -> dict:
    roles = [{"slug": slug(r["department_code"]), "name": data.department_name(r["department_code"]),
              "role": r["role"], "role_label": t(f"plan.role.{r['role']}", lang),
              "listed_as": r.get("listed_as") or ""}
             for r in data.responsibilities.get(m["id"], [])]
    return {"id": m["id"], "kind": m["kind"], "label": data.measure_label(m["id"]),
            "text": m.get("text") or "", "text_en": m.get("text_en") or "", "note": m.get("note") or "",
            "lead": [r for r in roles if r["role"] == "lead"],
            "others": [r for r in roles if r["role"] != "lead"],
            "cards": [indicator_card(data, ind, lang) for ind in data.by_measure.get(m["id"], [])]}


def write(ctx) -> list:
    if not ctx.has("indicator-progress", "measures"):
        return []
    lang = ctx.lang
    data = Data(ctx)
    views = [_measure_view(data, m, lang) for m in data.measures]
    order = {"goal": 0, "measure": 1, "guarantee": 2}
    views.sort(key=lambda v: (order.get(v["kind"], 3), data.measure[v["id"]]["number"] or 0))
    groups = [(kind, t(f"plan.{name}", lang), [v for v in views if v["kind"] == kind])
              for kind, name in (("goal", "goals"), ("measure", "measures"),
                                 ("guarantee", "guarantees"))]
    by_department = defaultdict(list)
    for v in views:
        for r in v["lead"] + v["others"]:
            by_department[r["slug"]].append((v, r))
    departments = []
    for code in sorted(by_department, key=lambda c: c):
        entries = by_department[code]
        name = entries[0][1]["name"]
        lead = sum(1 for _, r in entries if r["role"] == "lead")
        departments.append({"slug": code, "name": name,
                            "counts": t("plan.department_counts", lang, lead=lead,
                                        other=len(entries) - lead)})
        ctx.render(f"plan/departments/{code}/index.md", "plan_department.md.j2", name=name,
                   entries=entries,
                   cards=[c for v, _ in entries for c in v["cards"]])
    ctx.render("plan/index.md", "plan_index.md.j2", groups=groups, departments=departments)
    return [{str(escape(t("nav.plan", lang))): "plan/index.md"}]
