"""The page core: what more than one section needs, so that no section imports another.

A section (a module of ``pipeline.pages`` with ``write(ctx)``, see ``context``) takes its
helpers from here, from the libraries beside it (``charts``, ``dates``, ``views``,
``lookup_index``) and from its own templates, never from another section; a test reads the
imports of every section to keep it so.

Here are:

- the portal's constants, read from the configuration in force (``portal.yml``,
  :func:`pipeline.config.current`): the city's code, the ids of the target rates;
- rows of a table, numbers and dates as text, JSON that is safe inside ``<script>``;
- the names of codes (:class:`Ref`), the synthetic-data banner;
- views several sections show: a district's rates and control targets (accidents,
  districts), listings and hazards (credit, districts), indicators (indicators, plan, home).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import date

from markupsafe import Markup

from pipeline.config import current
from pipeline.export.formats import CSV, XLSX
from pipeline.i18n import catalog, t
from pipeline.pages.charts import fmt
from pipeline.pages.dates import status_date

# --- the portal's constants ---------------------------------------------------------------


def city_code() -> str:
    """GB/T 2260 code of the whole city: its row in every per-district table."""
    return current().site.city_code


def rate_ids() -> tuple[str, ...]:
    """The indicator ids of the plan's target death rates, in the order pages show them."""
    return current().rates


# --- JSON inside HTML ---------------------------------------------------------------------

# ``< > &`` written as JSON escapes: a JSON text holding them could close a ``<script>``
# element it sits in, or be read as markup by someone who opens the file as HTML.
INERT = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def inert(json_text: str) -> str:
    """``json_text`` (JSON) with ``< > &`` as escapes; the JSON value is the same."""
    for plain, escaped in INERT:
        json_text = json_text.replace(plain, escaped)
    return json_text


def inert_json(value) -> str:
    """Compact JSON, sorted keys, non-ASCII kept, ``< > &`` escaped (see :func:`inert`)."""
    return inert(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def script_json(value) -> Markup:
    """JSON for a ``<script type="application/json">`` block: no data can close the element."""
    return Markup(inert_json(value))


# --- rows and text ------------------------------------------------------------------------


def rows(ctx, package: str, resource: str) -> list[dict]:
    """The table's rows as dicts (NaN as None). Converted once per table and build (the
    district pages ask for the same tables again per district); each call gets its own
    list and dicts, so a caller may sort or change them."""
    if not ctx.has(package, resource):
        return []
    table = ctx.table(package, resource)
    memo = getattr(ctx, "memo", None)
    key = ("rows", package, resource)
    if memo is None or key not in memo or memo[key][0] is not table:
        converted = [{k: clean(v) for k, v in r.items()} for r in table.to_pylist()]
        if memo is None:
            return converted
        memo[key] = (table, converted)  # the table is kept: its identity vouches for the rows
    return [dict(r) for r in memo[key][1]]


def clean(value):
    """None for NaN, else ``value``."""
    return None if isinstance(value, float) and math.isnan(value) else value


def text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def number(value, decimals: int = 0) -> str:
    """Integers with thousands separators, other numbers with fixed decimals; '' for null."""
    if value is None:
        return ""
    if decimals == 0:
        return f"{round(value):,}"
    return f"{float(value):,.{decimals}f}"


def slug(identifier: str) -> str:
    """A path segment for an identifier (indicator ids and department codes are slugs
    already; anything else is made one, so no data can shape a path)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(identifier)).strip("-") or "x"


def synthetic_banner(lang: str, names: bool = False) -> dict:
    return {"title": t("datapage.synthetic_title", lang),
            "body": t("datapage.synthetic_body", lang)
            + (t("datapage.fictional_names", lang) if names else "")}


class Ref:
    """Names of the codes used on the data pages, from the reference tables."""

    def __init__(self, ctx):
        self.lang = ctx.lang
        key = "name" if ctx.lang == "zh" else "name_en"
        self.district_rows = rows(ctx, "reference", "districts")
        self.districts = {r["code"]: r.get(key) or r["name"] for r in self.district_rows}
        self.district = {r["code"]: r for r in self.district_rows}
        self.sectors = {r["code"]: r.get(key) or r["name"] for r in rows(ctx, "reference", "sectors")}
        self.categories = {r["code"]: r.get(key) or r["name"]
                           for r in rows(ctx, "reference", "accident_categories")}
        grades = sorted(rows(ctx, "reference", "accident_grades"), key=lambda r: r["rank"])
        self.grade_order = [g["code"] for g in grades]
        self.grades = {r["code"]: r.get(key) or r["name"] for r in grades}
        scheme = sorted(rows(ctx, "reference", "credit_grade_scheme"),
                        key=lambda r: (r["scheme"], r["rank"]))
        self.credit_grades = [r["grade"] for r in scheme]
        self.credit_grade_names = {r["grade"]: r.get(key) or r["name"] for r in scheme}

    def units(self) -> list[str]:
        """County-level units (districts), old ones included, in code order."""
        return sorted(r["code"] for r in self.district_rows if r.get("level") not in
                      ("province", "prefecture_city"))

    def boundary_notes(self) -> list[dict]:
        """Every unit whose series the 2015 reform breaks: what happened, from when."""
        out = []
        for r in sorted(self.district_rows, key=lambda r: r["code"]):
            if r.get("valid_to") or r.get("valid_from") or r.get("boundary_changed_on"):
                note = r.get("boundary_note") if self.lang == "zh" else r.get("boundary_note_en")
                out.append({"code": r["code"], "name": self.districts[r["code"]],
                            "valid_from": text(r.get("valid_from")),
                            "valid_to": text(r.get("valid_to")),
                            "successor": self.districts.get(r.get("successor_code"), ""),
                            "changed": text(r.get("boundary_changed_on")),
                            "note": note or ""})
        return out


# --- a district's rates and control targets (accidents, districts) ------------------------


def rate_rows(ctx, district: str) -> dict[str, list[dict]]:
    """``derived/rates`` of ``district``: rate id → rows by year."""
    out = defaultdict(list)
    for r in rows(ctx, "derived", "rates"):
        if r["district_code"] == district:
            out[r["rate_id"]].append(r)
    for values in out.values():
        values.sort(key=lambda r: r["year"])
    return out


def denominator_decimals(ctx, rate_id: str) -> int:
    """Decimals a rate's denominators are printed with: 2 when they are amounts (GDP in
    100 million yuan), 0 when they are counts (workers, vehicles), read from the data."""
    key = ("denominator_decimals", rate_id)
    memo = ctx.memo
    if key not in memo:
        memo[key] = 2 if any(r.get("denominator") is not None
                             and not float(r["denominator"]).is_integer()
                             for r in rows(ctx, "derived", "rates") if r["rate_id"] == rate_id) else 0
    return memo[key]


def rate_headers(lang: str, rate_id: str, first: str = "datapage.year") -> list[str]:
    """The columns of a rate table; ``first`` names what its rows are (years, or districts).
    A row's note is no column (a long note in a narrow column stood one character per
    line and made the row hundreds of pixels tall): it is a footnote, see ``row_note``."""
    return [t(first, lang), t(f"accidents.numerator.{rate_id}", lang),
            t(f"accidents.denominator.{rate_id}", lang),
            t("accidents.rate", lang), t("accidents.provincial_average", lang),
            t("accidents.below_average", lang)]


def rate_cells(ctx, rate_id: str, r: dict) -> list[str]:
    """Numerator, denominator, rate, provincial average, below it?: one rate row."""
    lang = ctx.lang
    d = r["decimals"]
    met = r.get("goal_met")
    return [number(r.get("numerator")), number(r.get("denominator"), denominator_decimals(ctx, rate_id)),
            fmt(r.get("rate"), d), fmt(r.get("provincial_average"), d),
            t("datapage.yes", lang) if met else t("datapage.no", lang) if met is False
            else t("datapage.na", lang)]


def bracketed(text: str, lang: str) -> str:
    """``text`` in the language's brackets: （…） in Chinese, " (…)" in English."""
    return f"{t('punct.open', lang)}{text}{t('punct.close', lang)}"


def row_note(lang: str, r: dict) -> str:
    """What a rate or control-target row needs said: a partial year, or the boundary change."""
    return t("datapage.partial_year", lang) if r.get("partial_year") else (r.get("boundary_note") or "")


def rate_table(ctx, rate_id: str, values: list[dict]) -> dict:
    """One rate by year: numerator, denominator, rate, provincial average, below it?, and
    each row's note as a footnote (``notes``, one per row, '' for none)."""
    return {"title": t(f"rate.{rate_id}", ctx.lang), "headers": rate_headers(ctx.lang, rate_id),
            "rows": [[str(r["year"]), *rate_cells(ctx, rate_id, r)] for r in values],
            "notes": [row_note(ctx.lang, r) for r in values]}


def attainment_rows(ctx, district: str) -> list[dict]:
    return sorted((r for r in rows(ctx, "derived", "control_targets_attainment")
                   if r["district_code"] == district), key=lambda r: r["year"])


def attainment_table(lang: str, values: list[dict]) -> dict:
    def met(v):
        return (t("datapage.met", lang) if v else t("datapage.not_met", lang) if v is False
                else t("datapage.na", lang))

    def change(v, pct):
        if v is None:
            return ""
        sign = "+" if v > 0 else ""
        return f"{sign}{v}" + (bracketed(f"{sign}{pct:.1f}%", lang) if pct is not None else "")

    body = [[str(r["year"]), number(r["accidents"]), number(r.get("max_accidents")),
             met(r.get("accidents_met")), change(r.get("accidents_change"),
                                                 r.get("accidents_change_pct")),
             number(r["deaths"]), number(r.get("max_deaths")), met(r.get("deaths_met")),
             change(r.get("deaths_change"), r.get("deaths_change_pct"))] for r in values]
    return {"title": t("accidents.control_targets", lang),
            "headers": [t("datapage.year", lang), t("accidents.accidents", lang),
                        t("accidents.max_accidents", lang), t("accidents.attained", lang),
                        t("accidents.change", lang), t("accidents.deaths", lang),
                        t("accidents.max_deaths", lang), t("accidents.attained", lang),
                        t("accidents.change", lang)],
            "rows": body, "notes": [row_note(lang, r) for r in values]}


# --- listings and hazards (credit, districts) ---------------------------------------------

# Rows a list page carries in its HTML (newest listings, most overdue hazards first). The
# lists grow with the data (10,000 open hazards at province scale); the pages must not,
# so past this the page says how many it shows and links the complete downloads.
ROWS_IN_HTML = 200


def blacklist_view(ctx, ref: Ref, district: str | None = None) -> dict:
    """Active listings (with identity) and expired ones (counts only)."""
    lang = ctx.lang
    active = [r for r in rows(ctx, "derived", "blacklist_public")
              if district is None or r["district_code"] == district]
    active.sort(key=lambda r: (r["listed"], r["listing_id"]), reverse=True)
    listings = [{"id": r["listing_id"], "name": r.get("enterprise_name") or "", "uscc": r["uscc"],
                 "district": ref.districts.get(r["district_code"], r["district_code"]),
                 "reason": t(f"credit.reason.{r['reason']}", lang),
                 "listed": text(r["listed"]), "expires": text(r["expires"]),
                 "term": r["term_years"], "accident": r.get("accident_id") or "",
                 "hazard": r.get("hazard_id") or ""} for r in active[:ROWS_IN_HTML]]
    counts = defaultdict(lambda: [0, 0, 0])
    for r in rows(ctx, "derived", "blacklist_expired_counts"):
        if district is None or r["district_code"] == district:
            c = counts[(r["year"], r["reason"])]
            c[0] += r["expired"]
            c[1] += r["removed"]
            c[2] += r["listings"]
    expired = {"title": t("credit.expired_counts", lang),
               "headers": [t("datapage.year", lang), t("credit.reason", lang),
                           t("credit.expired", lang), t("credit.removed", lang),
                           t("credit.total", lang)],
               "rows": [[str(y), t(f"credit.reason.{reason}", lang), str(c[0]), str(c[1]),
                         str(c[2])] for (y, reason), c in sorted(counts.items())]}
    return {"listings": listings, "total": len(active),
            "more": _more(ctx, "blacklist_public", len(listings), len(active)),
            "expired": expired, "as_of": status_date(ctx)}


def _more(ctx, resource: str, shown: int, total: int) -> dict | None:
    """What a list cut at ``ROWS_IN_HTML`` says instead of the rest: counts and the
    addresses of the complete table (stable ``latest`` downloads of the derived package)."""
    if shown >= total:
        return None
    return {"shown": shown, "total": total, "csv": ctx.download("derived", resource, CSV.key),
            "xlsx": ctx.download("derived", resource, XLSX.key)}


def _open_hazards(ctx, district: str | None) -> tuple[list[dict], int]:
    """The first ``ROWS_IN_HTML`` open hazards (overdue first, the most days late first,
    then by id) with their enterprise's name, and how many are open. Filtered, ordered and
    cut in Arrow: at national scale the table has millions of rows, and every district page
    asks again."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not ctx.has("derived", "hazard_rectification"):
        return [], 0
    table = ctx.table("derived", "hazard_rectification")
    keep = pc.is_in(table["status"], value_set=pa.array(["open", "overdue_open"], table["status"].type))
    if district is not None:
        keep = pc.and_(keep, pc.equal(table["district_code"], district))
    table = table.filter(pc.fill_null(keep, False))
    days = table["days_late"] if "days_late" in table.column_names else pa.nulls(table.num_rows, pa.int64())
    order = pc.sort_indices(pa.table({
        "later": pc.not_equal(table["status"], "overdue_open"),
        "days": pc.negate(pc.fill_null(days, 0)),
        "id": table["hazard_id"]}), sort_keys=[("later", "ascending"), ("days", "ascending"),
                                               ("id", "ascending")])
    shown = [{k: clean(v) for k, v in r.items()}
             for r in table.take(order[:ROWS_IN_HTML]).to_pylist()]
    names = {}
    if shown and ctx.has("enterprise-credit", "enterprises") and "uscc" in table.column_names:
        e = ctx.table("enterprise-credit", "enterprises")
        wanted = pa.array(sorted({r["uscc"] for r in shown if r.get("uscc")}), e["uscc"].type)
        e = e.filter(pc.is_in(e["uscc"], value_set=wanted)).select(["uscc", "name"])
        names = dict(zip(e["uscc"].to_pylist(), e["name"].to_pylist(), strict=True))
    for r in shown:
        r["name"] = names.get(r.get("uscc"), "")
    return shown, table.num_rows


def hazards_view(ctx, ref: Ref, district: str | None = None) -> dict:
    lang = ctx.lang
    summary = []
    for r in sorted(rows(ctx, "derived", "hazard_summary"),
                    key=lambda r: (r["district_code"], r["year"])):
        if district is not None and r["district_code"] != district:
            continue
        rate = r.get("rectification_rate_pct")
        summary.append([ref.districts.get(r["district_code"], r["district_code"]),
                        str(r["year"]), number(r["hazards"]), number(r["rectified"]),
                        number(r["on_time"]), number(r["late"]), number(r["open"]),
                        number(r["overdue_open"]),
                        "" if rate is None else f"{rate:.1f}%" + bracketed(f"{r['rectified']}/{r['hazards']}", lang)])
    shown, total = _open_hazards(ctx, district)
    # What matters first (status, days overdue, level), so that a phone shows it beside the
    # hazard's id before any sideways scroll; the enterprise's identity follows.
    items = [[r["hazard_id"], t(f"hazard.status.{r['status']}", lang),
              number(r.get("days_late")) if r.get("days_late") else "",
              t(f"credit.hazard_level.{r['level']}", lang) if r.get("level") else "",
              r["name"], text(r["deadline"]),
              ref.districts.get(r["district_code"], r["district_code"]),
              text(r["listed"]), r.get("uscc") or ""] for r in shown]
    return {
        "summary": {"title": t("credit.hazard_summary", lang), "rows": summary,
                    "headers": [t("datapage.district", lang), t("datapage.year", lang),
                                t("credit.hazards", lang), t("credit.rectified", lang),
                                t("hazard.status.on_time", lang), t("hazard.status.late", lang),
                                t("hazard.status.open", lang),
                                t("hazard.status.overdue_open", lang),
                                t("credit.rectification_rate", lang)]},
        "more": _more(ctx, "hazard_rectification", len(items), total),
        "open": {"title": t("credit.open_hazards", lang), "rows": items,
                 "headers": [t("lookup.hazard_id", lang), t("lookup.state", lang),
                             t("credit.days_late", lang), t("lookup.level", lang),
                             t("credit.enterprise", lang), t("lookup.deadline", lang),
                             t("datapage.district", lang), t("lookup.listed", lang),
                             t("lookup.uscc", lang)]},
    }


# --- indicators (indicators, plan, home) --------------------------------------------------

CONTROL_OF_UNIT = {"accidents": "max_accidents", "deaths": "max_deaths"}
STATUS_ORDER = ("target_achieved", "on_track", "acceleration_needed", "limited_progress",
                "deterioration", "not_available")


def rate_of_unit() -> dict[str, str]:
    """Which of the configuration's rates holds the provincial benchmark of an indicator
    unit (the column of provincial_benchmarks named by the rate's id)."""
    from pipeline.derive.steps.rates import rate_specs

    return {spec.unit: spec.rate_id for spec in rate_specs()}


class Data:
    """The tables the indicator, plan and home pages read, indexed once."""

    def __init__(self, ctx):
        lang = ctx.lang
        self.lang = lang
        self.city = city_code()
        self.districts = {r["code"]: r for r in rows(ctx, "reference", "districts")}
        self.departments = {r["code"]: r for r in rows(ctx, "reference", "departments")}
        self.measures = rows(ctx, "indicator-progress", "measures")
        self.measure = {m["id"]: m for m in self.measures}
        self.indicators = rows(ctx, "indicator-progress", "indicators")
        self.responsibilities = defaultdict(list)
        for r in sorted(rows(ctx, "indicator-progress", "responsibilities"),
                        key=lambda r: (r.get("position") or 0, r["department_code"])):
            self.responsibilities[r["measure_id"]].append(r)
        self.observations = defaultdict(list)  # (indicator, district) → rows by year
        for r in rows(ctx, "indicator-progress", "observations"):
            self.observations[(r["indicator_id"], r["district_code"])].append(r)
        for by_year in self.observations.values():
            by_year.sort(key=lambda r: r["year"])
        self.status = {(r["indicator_id"], r["district_code"]): r
                       for r in rows(ctx, "derived", "progress_status")}
        # The year each indicator's statuses are judged at (the same for all its rows).
        self.judged = {iid: row["judged_year"] for (iid, _), row in self.status.items()
                       if row.get("judged_year") is not None}
        self.rate_of_unit = rate_of_unit()
        self.benchmarks = {}  # rate id → {year: provincial average}
        for r in rows(ctx, "accident-outcomes", "provincial_benchmarks"):
            for rate in self.rate_of_unit.values():
                self.benchmarks.setdefault(rate, {})[r["year"]] = r.get(rate)
        self.controls = defaultdict(dict)  # (district, field) → {year: value}
        for r in rows(ctx, "accident-outcomes", "control_targets"):
            for name in CONTROL_OF_UNIT.values():
                self.controls[(r["district_code"], name)][r["year"]] = r.get(name)
        self.by_measure = defaultdict(list)
        for ind in self.indicators:
            self.by_measure[ind["measure_id"]].append(ind)

    def district_name(self, code: str) -> str:
        row = self.districts.get(code)
        if row is None:
            return code
        return str(row.get("name_en") or code) if self.lang == "en" else str(row["name"])

    def department_name(self, code: str) -> str:
        row = self.departments.get(code)
        if row is None:
            return code
        return str(row.get("name_en") or code) if self.lang == "en" else str(row["name"])

    def measure_label(self, measure_id: str) -> str:
        m = self.measure.get(measure_id)
        if m is None:
            return measure_id
        title = m["title_en"] if self.lang == "en" and m.get("title_en") else m["title"]
        return t(f"plan.kind_label.{m['kind']}", self.lang, number=m["number"], title=title)

    def title(self, ind: dict) -> str:
        return str(ind["title_en"] if self.lang == "en" and ind.get("title_en") else ind["title"])

    def city_status(self, indicator_id: str) -> dict | None:
        return self.status.get((indicator_id, self.city))

    def judged_year(self, ind: dict) -> int | None:
        """The year the indicator's status is judged at (``progress_status.judged_year``)."""
        return self.judged.get(ind["id"], ind.get("target_year"))

    def after_plan(self, ind: dict, district: str | None = None) -> list[dict]:
        """Observations (of the city, or ``district``) after the indicator's target year:
        after the plan period, shown apart and never judged."""
        end = ind.get("target_year")
        if end is None:
            return []
        return [r for r in self.observations.get((ind["id"], district or self.city), [])
                if r["year"] > end]

    def district_statuses(self, indicator_id: str) -> list[dict]:
        found = [row for (ind, code), row in self.status.items()
                 if ind == indicator_id and code != self.city]
        return sorted(found, key=lambda r: r["district_code"])


def status_label(status: str | None, lang: str) -> str:
    return t(f"progress.status.{status or 'not_available'}", lang)


def value_text(value, ind: dict, lang: str) -> str:
    """A value with the indicator's decimals and unit, or the word for 'unknown'."""
    value = clean(value)
    if value is None:
        return t("indicator.unknown", lang)
    decimals = int(ind.get("decimals") or 0)
    if ind.get("unit") == "milestone":
        return t("indicator.milestone_done" if value >= 1 else "indicator.milestone_open", lang)
    return t(f"unit.{ind['unit']}", lang, value=fmt(value, decimals))


def target_text(ind: dict, lang: str) -> str:
    kind = ind["target_kind"]
    if kind == "value":
        return t("indicator.target_value", lang, value=value_text(ind.get("target_value"), ind, lang),
                 year=ind["target_year"])
    return t(f"indicator.target_kind.{kind}", lang, year=ind["target_year"])


def indicator_card(data: Data, ind: dict, lang: str) -> dict:
    """An indicator as a card: its target, the city's status and latest value, the districts'."""
    city = data.city_status(ind["id"])
    after = data.after_plan(ind)
    districts = [{"code": r["district_code"], "name": data.district_name(r["district_code"]),
                  "status": r["status"], "label": status_label(r["status"], lang)}
                 for r in data.district_statuses(ind["id"])]
    return {
        "id": ind["id"], "slug": slug(ind["id"]), "title": data.title(ind),
        "measure_id": ind["measure_id"], "target": target_text(ind, lang),
        "status": (city or {}).get("status") or "not_available",
        "status_label": status_label((city or {}).get("status"), lang),
        "latest": (t("indicator.latest_value", lang, year=city["latest_year"],
                     value=value_text(city.get("latest_value"), ind, lang))
                   if city and city.get("latest_year") else t("indicator.no_data", lang)),
        "judged": t("indicator.judged_at", lang, year=data.judged_year(ind))
        if data.judged_year(ind) is not None else "",
        "after": t("indicator.after_latest", lang, year=after[-1]["year"]) if after else "",
        "districts": districts,
    }


def status_counts(data: Data, lang: str) -> list[dict]:
    counts = defaultdict(int)
    for ind in data.indicators:
        row = data.city_status(ind["id"])
        counts[(row or {}).get("status") or "not_available"] += 1
    return [{"status": s, "label": status_label(s, lang), "count": counts[s]}
            for s in STATUS_ORDER]


def rows_file_labels(lang: str, title: str, name: str) -> dict:
    """What ``rowsfile.js`` writes into a CSV of the rows a page shows: the button, the
    titles of the note columns (filter, synthetic note, source) and the file name
    (``<portal>_<name>.csv``, the portal's name from portal.yml)."""
    texts = catalog(lang)
    return {"download": texts["rows.download"], "filter": texts["rows.filter"],
            "no_filter": texts["rows.no_filter"], "synthetic": texts["rows.synthetic"],
            "synthetic_value": texts["rows.synthetic_value"], "source": texts["rows.source"],
            "source_value": texts["rows.source_value"], "site": current().site.name[lang],
            "title": title, "file": f"{current().site.sqlite}_{name}.csv"}
