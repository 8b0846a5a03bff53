"""Table Schemas of the derived resources, and the step that makes a table match its schema.

The schema is the contract with journalists ("stable column names"), the exporter and the pages,
so columns are produced from it: ``conform`` selects, orders and casts the columns exactly as
declared and sorts the rows by the primary key, so the output is the same bytes every build.
"""

from __future__ import annotations

import pyarrow as pa

from pipeline.derive.progress import REASONS, STATUSES

ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
               "boolean": pa.bool_(), "date": pa.date32()}

DISTRICT_PATTERN = "[0-9]{6}"
USCC_PATTERN = "[0-9A-HJ-NPQRTUWXY]{18}"
RATE_IDS = ("gdp_death_rate", "industrial_death_rate", "road_death_rate")
HAZARD_STATUSES = ("on_time", "late", "open", "overdue_open")
BLACKLIST_REASONS = ("major_accident", "deaths_10_in_year", "concealment", "hazard_overdue",
                     "licence_revoked", "larger_accident", "two_general_12m")


def field(name: str, type_: str, title: str, description: str, **constraints) -> dict:
    out = {"name": name, "type": type_, "title": title, "description": description}
    if constraints:
        out["constraints"] = constraints
    return out


def count(name: str, title: str, description: str) -> dict:
    return field(name, "integer", title, description, required=True, minimum=0)


def district() -> dict:
    return field("district_code", "string", "行政区划代码",
                 "GB/T 2260 code of the district (or 320400 for the whole city).",
                 required=True, pattern=DISTRICT_PATTERN)


def year(description: str = "Calendar year.") -> dict:
    return field("year", "integer", "年份", description, required=True, minimum=1949)


def as_of() -> dict:
    return field("as_of", "date", "统计基准日",
                 "Reference date of the build: statuses (active, expired, overdue...) are as on "
                 "this day, so the same inputs and date give the same table.", required=True)


def pct(name: str, title: str, numerator: str, denominator: str) -> dict:
    return field(name, "number", title,
                 f"{numerator} ÷ {denominator} × 100, rounded to 1 decimal (half away from "
                 f"zero); null when {denominator} is 0.", minimum=0)


def _district_fk(*fields: str) -> dict:
    return {"fields": list(fields),
            "reference": {"package": "reference", "resource": "districts", "fields": ["code"]}}


def _code_fk(field_name: str, resource: str, package: str = "reference") -> dict:
    return {"fields": [field_name],
            "reference": {"package": package, "resource": resource, "fields": ["code"]}}


SYNTHETIC_NOTE_ZH = "由合成数据派生,仅供演示,不反映真实情况。"
SYNTHETIC_NOTE_EN = "Derived from synthetic data: for demonstration only; describes nothing real."

RESOURCES: dict[str, dict] = {
    "rates": {
        "title": "三项死亡率及与全省平均水平比较",
        "description": (
            "各辖市（区）和全市每年的亿元GDP生产安全事故死亡率、工矿商贸就业人员十万人生产"
            "安全事故死亡率和道路交通万车死亡率：分子、分母、按分子分母重新计算的比率（分别保"
            "留3、2、1位小数，四舍五入）、公布的比率、全省平均水平及是否低于全省平均。"),
        "en": ("The three death rates",
               ("The three death rates (DOMAIN 2) per district and year and for the city: "
                "numerator, denominator, the rate recomputed from them (3, 2 and 1 decimals, "
                "half away from zero), the stated rate, the provincial average and whether "
                "the rate is below it. Partial-year and boundary-change flags are carried "
                "through.")),
        "derivedFrom": [("accident-outcomes", "annual_outcomes"),
                        ("accident-outcomes", "provincial_benchmarks")],
        "fields": [
            field("rate_id", "string", "指标",
                  "Which rate: gdp_death_rate (deaths per 100 million yuan of GDP), "
                  "industrial_death_rate (deaths in industry, mining, commerce and trade per "
                  "100,000 employees), road_death_rate (road deaths per 10,000 motor vehicles).",
                  required=True, enum=list(RATE_IDS)),
            district(), year(),
            field("numerator", "integer", "分子（死亡人数）",
                  "Deaths counted by the rate: annual_outcomes.deaths, .industrial_deaths or "
                  ".road_deaths.", minimum=0),
            field("denominator", "number", "分母",
                  "annual_outcomes.gdp_100m_yuan (亿元), .industrial_employees or "
                  ".motor_vehicles; null in a partial year.", minimum=0),
            field("scale", "integer", "换算系数",
                  "rate = numerator ÷ denominator × scale (1, 100000 or 10000).",
                  required=True, enum=[1, 10000, 100000]),
            field("decimals", "integer", "小数位数",
                  "Decimals the rate is published with (3, 2, 1).", required=True),
            field("rate", "number", "比率（重新计算）",
                  "numerator × scale ÷ denominator, rounded half away from zero (四舍五入) to "
                  "`decimals`; null when the denominator is null or 0.", minimum=0),
            field("stated_rate", "number", "比率（公布值）",
                  "The rate as stated in annual_outcomes, for comparison.", minimum=0),
            field("provincial_average", "number", "全省平均水平",
                  "The Jiangsu average of the same rate in the same year "
                  "(provincial_benchmarks).", minimum=0),
            field("goal_met", "boolean", "低于全省平均",
                  "true when rate < provincial_average (strictly below, as the plan asks); null "
                  "when either is null."),
            field("partial_year", "boolean", "非全年",
                  "true when the district existed for part of the year only (2015 reform); its "
                  "denominators and rates are then null.", required=True),
            field("boundary_note", "string", "区划调整说明",
                  "Carried from annual_outcomes: why the district's series is not comparable "
                  "across the 2015 boundary change; null if none."),
        ],
        "primaryKey": ["rate_id", "district_code", "year"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
    "control_targets_attainment": {
        "title": "事故控制指标完成情况",
        "description": (
            "各地区每年的事故起数、死亡人数与控制指标的比较（不超过指标即为完成），以及与上一"
            "年相比的增减数和增减百分比。"),
        "en": ("Attainment of accident control targets",
               ("Accidents and deaths per district and year against the control targets (met "
                "when not above the target), with the change on the previous year in absolute"
                " terms and in percent. The change is null for the first year, or when this "
                "or the previous year's row is missing or covers part of a year only.")),
        "derivedFrom": [("accident-outcomes", "annual_outcomes"),
                        ("accident-outcomes", "control_targets")],
        "fields": [
            district(), year(),
            count("accidents", "事故起数", "annual_outcomes.accidents."),
            field("max_accidents", "integer", "事故起数控制指标",
                  "control_targets.max_accidents; null if no target was set.", minimum=0),
            field("accidents_met", "boolean", "事故起数未超指标",
                  "accidents ≤ max_accidents; null without a target."),
            count("deaths", "死亡人数", "annual_outcomes.deaths."),
            field("max_deaths", "integer", "死亡人数控制指标",
                  "control_targets.max_deaths; null if no target was set.", minimum=0),
            field("deaths_met", "boolean", "死亡人数未超指标",
                  "deaths ≤ max_deaths; null without a target."),
            field("accidents_previous", "integer", "上年事故起数",
                  "Accidents of the previous year (the denominator of the percent change); "
                  "null when the change is not computed.", minimum=0),
            field("accidents_change", "integer", "事故起数同比增减",
                  "accidents − accidents_previous."),
            field("accidents_change_pct", "number", "事故起数同比增减（%）",
                  "accidents_change ÷ accidents_previous × 100, rounded to 1 decimal; null when "
                  "accidents_previous is 0 or null."),
            field("deaths_previous", "integer", "上年死亡人数",
                  "Deaths of the previous year; null when the change is not computed.",
                  minimum=0),
            field("deaths_change", "integer", "死亡人数同比增减", "deaths − deaths_previous."),
            field("deaths_change_pct", "number", "死亡人数同比增减（%）",
                  "deaths_change ÷ deaths_previous × 100, rounded to 1 decimal; null when "
                  "deaths_previous is 0 or null."),
            field("partial_year", "boolean", "非全年",
                  "Carried from annual_outcomes.", required=True),
            field("boundary_note", "string", "区划调整说明",
                  "Carried from annual_outcomes; null if none."),
        ],
        "primaryKey": ["district_code", "year"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
    "accident_statistics": {
        "title": "事故统计（按年份、地区、行业、类别、等级）",
        "description": (
            "按年份、辖市（区）、行业领域、事故类别和事故等级汇总的事故起数、死亡人数、重伤人"
            "数和直接经济损失（长表，仅列出有事故的组合）。"),
        "en": ("Accident statistics",
               ("Accidents, deaths, serious injuries and direct economic loss by year, "
                "district, sector, accident category and grade (long format; only "
                "combinations with at least one accident have a row).")),
        "derivedFrom": [("accident-outcomes", "accidents")],
        "fields": [
            year("Year of the accident date."), district(),
            field("sector_code", "string", "行业领域", "reference/sectors code.", required=True),
            field("category_code", "string", "事故类别", "GB 6441 category code 01–20.",
                  required=True),
            field("grade_code", "string", "事故等级", "The accident's stated grade "
                  "(reference/accident_grades code).", required=True),
            count("accidents", "事故起数", "Number of accidents."),
            count("deaths", "死亡人数", "Sum of deaths."),
            count("serious_injuries", "重伤人数", "Sum of serious injuries."),
            count("direct_loss_yuan", "直接经济损失（元）", "Sum of direct economic loss, yuan."),
        ],
        "primaryKey": ["year", "district_code", "sector_code", "category_code", "grade_code"],
        "x-foreignKeys": [_district_fk("district_code"), _code_fk("sector_code", "sectors"),
                          _code_fk("category_code", "accident_categories"),
                          _code_fk("grade_code", "accident_grades")],
    },
    "progress_status": {
        "title": "指标进展状态",
        "description": (
            "按加拿大统计局方法（Open SDG 采用）评估每项指标在全市及各辖市（区）的进"
            "展状态，并列出计算所用的全部输入：基准年和基准值、最新年份和最新值、目标值和目标"
            "年份、方向、实际和所需的年均复合增长率及其比值R。状态按指标的目标年份评估（统计基"
            "准日早于目标年份时按基准日所在年份），即评估年份；评估年份以后的观测值为计划期后"
            "的数据，照常公布，但不用于评估，也不为其设定目标。"),
        "en": ("Progress status of the indicators",
               ("Status of every indicator per district (or for the city) by Statistics "
                "Canada's method as used by Open SDG, with all its inputs. Achieved when the "
                "latest value meets the target (on equality, except 'below the provincial "
                "average', which needs the value strictly below); otherwise R = "
                "s·d·CAGR(actual) ÷ |CAGR(needed)|, rounded to 6 decimals: R ≥ 0.95 on track,"
                " 0.60 ≤ R < 0.95 acceleration needed, 0 ≤ R < 0.60 limited progress, R < 0 "
                "deterioration. Achieved is decided first (as in Open SDG), so it needs only "
                "the latest value; otherwise fewer than two years, an unknown target or a "
                "sign change give not available, with the reason. A base or target of 0 is "
                "replaced by 0.001 in the growth rates. The status is judged at judged_year: "
                "the indicator's target year, or the reference date's year when that is "
                "earlier. Observations after judged_year (after the plan period) are published"
                " in indicator-progress/observations but not used, and no target is set for "
                "them.")),
        "derivedFrom": [("indicator-progress", "indicators"),
                        ("indicator-progress", "observations"),
                        ("accident-outcomes", "provincial_benchmarks"),
                        ("accident-outcomes", "control_targets")],
        "fields": [
            field("indicator_id", "string", "指标编号", "indicator-progress/indicators id.",
                  required=True),
            district(),
            field("direction", "string", "期望方向", "higher or lower is better.",
                  enum=["higher", "lower"]),
            field("target_kind", "string", "目标类型",
                  "value, below_provincial_average or below_control_target.", required=True),
            field("target_source", "string", "目标值来源",
                  "indicator (its target_value), provincial_benchmark (the average of "
                  "latest_year) or control_target (the district's target of latest_year)."),
            field("base_year", "integer", "基准年",
                  "First observed year on or after the indicator's base year."),
            field("base_value", "number", "基准值", "Observed value in base_year (before any "
                  "0 → 0.001 substitution)."),
            field("latest_year", "integer", "最新年份",
                  "Last observed year up to judged_year (never after the target year)."),
            field("latest_value", "number", "最新值", "Observed value in latest_year."),
            count("years_observed", "观测年数", "Years with a value between base and latest."),
            field("target_value", "number", "目标值", "The value compared with; null if "
                  "unknown (before any 0 → 0.001 substitution)."),
            field("target_year", "integer", "目标年份", "Year the target is due."),
            field("cagr_actual", "number", "实际年均复合增长率",
                  "(latest_value ÷ base_value)^(1 ÷ (latest_year − base_year)) − 1."),
            field("cagr_needed", "number", "所需年均复合增长率",
                  "(target_value ÷ base_value)^(1 ÷ (target_year − base_year)) − 1."),
            field("ratio", "number", "比值R",
                  "s·d·cagr_actual ÷ |cagr_needed|, rounded to 6 decimals; null when the "
                  "status does not use it."),
            field("status", "string", "进展状态", "Progress status.", required=True,
                  enum=list(STATUSES)),
            field("reason", "string", "说明",
                  "Why the status is not_available, or target_equals_base when the needed "
                  "growth is zero; null otherwise.", enum=list(REASONS)),
            field("judged_year", "integer", "评估年份",
                  "Year the status is judged at: target_year, or the year of as_of when that "
                  "is earlier (or target_year is unknown). Observations after it are after the "
                  "plan period: published, never used for the status, given no target.",
                  required=True),
            as_of(),
        ],
        "primaryKey": ["indicator_id", "district_code"],
        "x-foreignKeys": [_district_fk("district_code"),
                          {"fields": ["indicator_id"],
                           "reference": {"package": "indicator-progress",
                                         "resource": "indicators", "fields": ["id"]}}],
    },
    "credit_grade_distribution": {
        "title": "安全生产信用等级分布",
        "description": (
            "按辖市（区）、行业领域、年份统计的各信用等级企业数及占比（占比的分母为同组被评级"
            "企业数；等级无企业时计0）。"),
        "en": ("Distribution of credit grades",
               ("Enterprises per credit grade by district, sector and year, with the share of"
                " the enterprises rated in that group (every grade of the scheme has a row, 0"
                " when empty).")),
        "derivedFrom": [("enterprise-credit", "credit_ratings"),
                        ("enterprise-credit", "enterprises"),
                        ("reference", "credit_grade_scheme")],
        "fields": [
            year("Rating year."), district(),
            field("sector_code", "string", "行业领域", "The enterprise's sector.",
                  required=True),
            field("scheme", "string", "等级体系", "reference/credit_grade_scheme scheme.",
                  required=True),
            field("grade", "string", "信用等级", "Grade within the scheme.", required=True),
            count("enterprises", "企业数", "Enterprises rated this grade (the numerator)."),
            count("rated", "被评级企业数",
                  "Enterprises rated in this year, district, sector and scheme (the "
                  "denominator)."),
            pct("share_pct", "占比（%）", "enterprises", "rated"),
        ],
        "primaryKey": ["year", "district_code", "sector_code", "scheme", "grade"],
        "x-foreignKeys": [_district_fk("district_code"), _code_fk("sector_code", "sectors"),
                          {"fields": ["scheme", "grade"],
                           "reference": {"package": "reference",
                                         "resource": "credit_grade_scheme",
                                         "fields": ["scheme", "grade"]}}],
    },
    "certificates_status": {
        "title": "安全生产标准化证书有效情况",
        "description": (
            "截至统计基准日，按辖市（区）和标准化等级统计的有效和已过期证书数（有效：发证日 "
            "≤ 基准日 < 有效期截止日）。基准日以后发放的证书不计。"),
        "en": ("Standardisation certificates in force",
               ("Certificates current (issued ≤ as_of < expires) and expired (expires ≤ "
                "as_of) on the reference date, by the holder's district and the certificate "
                "level. Certificates issued after the reference date are not counted.")),
        "derivedFrom": [("enterprise-credit", "certificates"),
                        ("enterprise-credit", "enterprises")],
        "fields": [
            as_of(), district(),
            field("level", "integer", "标准化等级", "1 (一级, highest) to 3 (三级).",
                  required=True, enum=[1, 2, 3]),
            count("current", "有效证书数", "Certificates in force on as_of."),
            count("expired", "过期证书数", "Certificates expired on or before as_of."),
            count("certificates", "证书总数", "current + expired."),
            count("enterprises_current", "持有效证书企业数",
                  "Distinct enterprises holding a current certificate of this level."),
        ],
        "primaryKey": ["district_code", "level"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
    "hazard_rectification": {
        "title": "挂牌督办隐患整改情况",
        "description": (
            "截至统计基准日每项挂牌督办隐患的整改状态：按期整改、逾期整改、整改中（未到期限）"
            "、逾期未整改。整改日等于整改期限算按期；基准日等于期限而未整改算整改中。"),
        "en": ("Rectification of supervised hazards",
               ("Status of every supervised hazard on the reference date: on_time (rectified "
                "≤ deadline), late (rectified after the deadline), open (not rectified, as_of"
                " ≤ deadline), overdue_open (not rectified, as_of > deadline). Hazards listed"
                " after as_of are left out; a rectification dated after as_of counts as not "
                "yet done.")),
        "derivedFrom": [("enterprise-credit", "hazards")],
        "fields": [
            field("hazard_id", "string", "隐患编号", "enterprise-credit/hazards id.",
                  required=True, unique=True),
            field("uscc", "string", "统一社会信用代码", "The enterprise responsible.",
                  pattern=USCC_PATTERN),
            district(),
            field("level", "string", "督办级别", "city or district.",
                  enum=["city", "district"]),
            field("listed", "date", "挂牌日期", "Date the hazard was listed.", required=True),
            field("deadline", "date", "整改期限", "Rectification deadline.", required=True),
            field("rectified", "date", "整改完成日期",
                  "Date rectified, if on or before as_of; null otherwise."),
            field("status", "string", "整改状态", "on_time, late, open or overdue_open.",
                  required=True, enum=list(HAZARD_STATUSES)),
            field("days_late", "integer", "逾期天数",
                  "Days after the deadline: rectified − deadline for late, as_of − deadline "
                  "for overdue_open; null otherwise.", minimum=1),
            as_of(),
        ],
        "primaryKey": ["hazard_id"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
    "hazard_summary": {
        "title": "挂牌督办隐患整改汇总",
        "description": "按辖市（区）和挂牌年份汇总的隐患整改状态及整改率（已整改数 ÷ 隐患数）。",
        "en": ("Summary of hazard rectification",
               ("Hazard statuses on the reference date by district and year listed, with the "
                "rectification rate (rectified ÷ hazards) and the on-time rate (on_time ÷ "
                "hazards).")),
        "derivedFrom": [("enterprise-credit", "hazards")],
        "fields": [
            as_of(), district(), year("Year the hazards were listed."),
            count("hazards", "隐患数", "Hazards listed in the year (the denominator)."),
            count("rectified", "已整改数", "on_time + late."),
            count("on_time", "按期整改数", "Rectified on or before the deadline."),
            count("late", "逾期整改数", "Rectified after the deadline."),
            count("open", "整改中数", "Not rectified, deadline not passed."),
            count("overdue_open", "逾期未整改数", "Not rectified, deadline passed."),
            pct("rectification_rate_pct", "整改率（%）", "rectified", "hazards"),
            pct("on_time_rate_pct", "按期整改率（%）", "on_time", "hazards"),
        ],
        "primaryKey": ["district_code", "year"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
    "blacklist_public": {
        "title": "安全生产黑名单（现行）",
        "description": (
            "统计基准日仍在公布期内的黑名单（列入日期 ≤ 基准日 < 届满日期，且未被提前移"
            "出）。期满或已移出的名单不公布企业身份，只见匿名统计。"),
        "en": ("Blacklist (active listings)",
               ("Listings in force on the reference date (listed ≤ as_of < expires, and not "
                "removed on or before as_of), with the enterprise's identity. Expired or "
                "removed listings are never published with an identity; see "
                "blacklist_expired_counts.")),
        "derivedFrom": [("enterprise-credit", "blacklist"), ("enterprise-credit", "enterprises")],
        "fields": [
            field("listing_id", "string", "名单编号", "enterprise-credit/blacklist id.",
                  required=True, unique=True),
            field("uscc", "string", "统一社会信用代码", "The listed enterprise.",
                  required=True, pattern=USCC_PATTERN),
            field("enterprise_name", "string", "企业名称", "Name of the enterprise."),
            district(),
            field("reason", "string", "列入原因", "Reason code.", required=True,
                  enum=list(BLACKLIST_REASONS)),
            field("listed", "date", "列入日期", "Date of listing.", required=True),
            field("term_years", "integer", "公布期限（年）", "1, or 3 for a repeat listing.",
                  required=True, enum=[1, 3]),
            field("expires", "date", "届满日期",
                  "First day the listing is no longer in force (listed + term_years years).",
                  required=True),
            field("accident_id", "string", "关联事故编号",
                  "accident-outcomes/accidents id of the accident behind the listing."),
            field("hazard_id", "string", "关联隐患编号",
                  "enterprise-credit/hazards id of the hazard behind the listing."),
            as_of(),
        ],
        "primaryKey": ["listing_id"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
    "blacklist_expired_counts": {
        "title": "期满或移出的黑名单（匿名统计）",
        "description": (
            "统计基准日已期满或已提前移出的黑名单条数，按列入年份、辖市（区）和列入原因统计，"
            "不含任何企业身份信息。"),
        "en": ("Expired or removed blacklist listings (anonymous counts)",
               ("Listings no longer in force on the reference date, counted by year listed, "
                "district and reason. No enterprise identity: an expired listing must not be "
                "published with it.")),
        "derivedFrom": [("enterprise-credit", "blacklist"), ("enterprise-credit", "enterprises")],
        "fields": [
            as_of(), year("Year the listings were made."), district(),
            field("reason", "string", "列入原因", "Reason code.", required=True,
                  enum=list(BLACKLIST_REASONS)),
            count("expired", "期满条数", "Listings whose term ended (expires ≤ as_of)."),
            count("removed", "提前移出条数",
                  "Listings removed before their term ended (removed ≤ as_of, removed < "
                  "expires)."),
            count("listings", "合计", "expired + removed."),
        ],
        "primaryKey": ["year", "district_code", "reason"],
        "x-foreignKeys": [_district_fk("district_code")],
    },
}


def arrow_schema(name: str) -> pa.Schema:
    fields = RESOURCES[name]["fields"]
    # Nullable throughout, like the validated source tables; `required` is checked by tests.
    return pa.schema([pa.field(f["name"], ARROW_TYPES[f["type"]]) for f in fields])


def conform(table, name: str) -> pa.Table:
    """``table`` (Arrow or pandas) with exactly the declared columns, types and row order."""
    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    schema = arrow_schema(name)
    columns = [table.column(f.name).cast(f.type) for f in schema]
    out = pa.Table.from_arrays(columns, schema=schema)
    return out.sort_by([(key, "ascending") for key in RESOURCES[name]["primaryKey"]])
