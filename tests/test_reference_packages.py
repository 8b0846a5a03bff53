"""The two hand-curated packages: reference and indicator-progress.

These tables are transcribed from law, standards and the 2012 plan, so the tests compare
them with those facts (DOMAIN notes, the team's fixed codes) and re-read the plan's text
to prove that every department and every quantified target made it into the data.
frictionless is the reference validator for the descriptors and CSVs.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from frictionless import Package, validate
from hypothesis import given
from hypothesis import strategies as st

PACKAGES = ("reference", "indicator-progress")
MEASURE_IDS = ["goal"] + [f"m{i:02d}" for i in range(1, 11)] + [f"g{i}" for i in range(1, 5)]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


ZH_PUNCTUATION = re.compile(r"[，。；：、]")


def english_field_description(f: dict) -> bool:
    """A field's ``description`` is Chinese and its ``x-en.description`` English, as for
    packages and resources. The English may quote Chinese terms (``lead = 牵头``), so it is
    told from the Chinese by its sentences: Latin words and punctuation, no 。；，：、."""
    zh, en = f["description"], f["x-en"]["description"]
    return bool(CJK.search(zh) and ZH_PUNCTUATION.search(zh)
                and LATIN.search(en) and not ZH_PUNCTUATION.search(en))


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def plan_text(repo_root: Path) -> str:
    # The repository keeps its own copy; the shared seed beside the repository is the
    # original. Either will do, but one of them must exist: nothing is skipped.
    for candidate in (repo_root / "sources" / "changzhou-safety-plan-2012.txt",
                      repo_root.parent / "shared" / "seed" / "changzhou-safety-plan-2012.txt"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    pytest.fail("the plan's text was not found in sources/ nor in ../shared/seed/")


def descriptor(datapackages_dir: Path, package: str) -> dict:
    return json.loads((datapackages_dir / package / "datapackage.json").read_text(encoding="utf-8"))


def rows(datapackages_dir: Path, package: str, resource: str) -> list[dict]:
    path = datapackages_dir / package / "data" / f"{resource}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def resource_descriptor(datapackages_dir: Path, package: str, name: str) -> dict:
    return next(r for r in descriptor(datapackages_dir, package)["resources"] if r["name"] == name)


@pytest.fixture(scope="module")
def ref(datapackages_dir):
    return lambda resource: rows(datapackages_dir, "reference", resource)


@pytest.fixture(scope="module")
def prog(datapackages_dir):
    return lambda resource: rows(datapackages_dir, "indicator-progress", resource)


# The plan's paragraphs: goals, the ten measures and the four guarantee measures.
def plan_paragraphs(text: str) -> dict[str, str]:
    lines = text.split("\n")
    out = {"goal": next(l for l in lines if l.startswith("安全生产基层基础更加扎实"))}
    for i in range(1, 11):
        out[f"m{i:02d}"] = next(l for l in lines if l.startswith(f"{i}、"))
    for i, zh in enumerate("一二三四", 1):
        # (一) and (二) also head the guiding-ideas and goals sections; those lines have no 。
        out[f"g{i}"] = next(l for l in lines if l.startswith(f"({zh})") and "。" in l)
    return out


COLLECTIVE = re.compile(r"(各有关|各|有关)行业主管、监管部门")


def responsibility_clause(paragraph: str) -> str:
    # The clause is the last parenthesis of the paragraph; in three paragraphs the
    # closing bracket was lost in scraping, so the clause then runs to the line's end.
    inner = paragraph[paragraph.rindex("(") + 1:]
    return inner.removesuffix(")")


def parse_clause(clause: str) -> list[tuple[str, str]]:
    """(name as written, role) for every department in a responsibility clause."""
    def names(segment: str) -> list[str]:
        collective = COLLECTIVE.search(segment)
        if collective:
            segment = segment[:collective.start()] + segment[collective.end():]
        found = [n for n in re.split(r"[、及等]", segment) if n]
        return found + ([collective.group(0)] if collective else [])

    out: list[tuple[str, str]] = []
    rest = clause
    if "牵头" in clause:
        lead, rest = clause.split("牵头", 1)
        out += [(n, "lead") for n in names(lead)]
        rest = rest.lstrip(",，")
    for ending, role in (("分工负责", "share"), ("配合", "cooperate"), ("负责", "share")):
        if rest.endswith(ending):
            return out + [(n, role) for n in names(rest[: -len(ending)])]
    raise AssertionError(f"unrecognised responsibility clause: {clause}")


# ---------------------------------------------------------------- frictionless

@pytest.mark.parametrize("package", PACKAGES)
def test_package_is_valid_for_frictionless(datapackages_dir, package):
    report = validate(str(datapackages_dir / package / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    loaded = Package(str(datapackages_dir / package / "datapackage.json"))
    assert loaded.name == package


# ---------------------------------------------------------------- descriptor metadata

@pytest.mark.parametrize("package", PACKAGES)
def test_descriptor_metadata(datapackages_dir, package):
    d = descriptor(datapackages_dir, package)
    assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert d["name"] == package
    assert d["id"].startswith("urn:")
    assert CJK.search(d["title"]) and CJK.search(d["description"])
    assert LATIN.search(d["x-en"]["title"]) and LATIN.search(d["x-en"]["description"])
    # indicator-progress 1.1.0: observations extended past 2015 (new rows, new years);
    # 1.2.0: observations regenerated from outcomes calibrated to the real published figures;
    # 1.3.0: English renderings of the measures, clauses and scopes (new columns)
    # reference 1.0.1: English field titles (x-en), metadata only
    # reference 1.0.2, indicator-progress 1.3.1: field descriptions in Chinese, the English in
    # x-en; units (x-unit); metadata only
    assert d["version"] == {"reference": "1.0.2", "indicator-progress": "1.3.1"}[package]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["created"])
    assert d["licenses"] and all({"name", "path", "title"} <= set(x) for x in d["licenses"])
    assert d["contributors"] and d["keywords"]
    assert d["synthetic"] is False
    plan = next(s for s in d["sources"] if "实施方案" in s["title"])
    assert plan["x-index-number"] == "014110243/2012-00098"
    assert plan["x-issued"] == "2012-10-30" and plan["x-published"] == "2012-11-02"
    # Only the undamaged part of the document number is recorded.
    assert plan["x-document-number"].startswith("常安〔2012〕")
    assert not re.search(r"〕\d", plan["x-document-number"])
    for source in d["sources"]:
        assert "path" not in source, "sources are recorded by title: the portal links to no outside site"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_resource_and_field_is_described(datapackages_dir, package):
    for r in descriptor(datapackages_dir, package)["resources"]:
        assert r["path"] == f"data/{r['name']}.csv"
        assert (r["type"], r["scheme"], r["format"], r["mediatype"], r["encoding"]) == (
            "table", "file", "csv", "text/csv", "utf-8")
        assert CJK.search(r["title"]) and CJK.search(r["description"])
        assert LATIN.search(r["x-en"]["title"]) and LATIN.search(r["x-en"]["description"])
        assert isinstance(r["synthetic"], bool)
        assert r["schema"]["primaryKey"]
        for f in r["schema"]["fields"]:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", f["name"]), f["name"]
            assert CJK.search(f["title"]), (r["name"], f["name"])
            assert LATIN.search(f["x-en"]["title"]) and not CJK.search(f["x-en"]["title"]), f["name"]
            assert english_field_description(f), (r["name"], f["name"])
        for fk in r.get("x-foreignKeys", []):
            assert fk["reference"]["package"] in PACKAGES and fk["reference"]["package"] != package


@pytest.mark.parametrize("package", PACKAGES)
def test_csv_files_follow_the_house_format(datapackages_dir, package):
    for r in descriptor(datapackages_dir, package)["resources"]:
        raw = (datapackages_dir / package / r["path"]).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM"
        assert b"\r" not in raw, "LF line endings"
        raw.decode("utf-8")
        header = raw.split(b"\n", 1)[0].decode("utf-8").split(",")
        assert header == [f["name"] for f in r["schema"]["fields"]]
        if package == "indicator-progress" and r["name"] == "observations":
            continue  # written by the generator, which keeps its own order
        table = rows(datapackages_dir, package, r["name"])
        key = r["schema"]["primaryKey"]
        types = {f["name"]: f["type"] for f in r["schema"]["fields"]}
        sort_key = [(lambda v, k=k, types=types: int(v) if types[k] == "integer" else v)
                    for k in key]
        keys = [tuple(fn(row[k]) for fn, k in zip(sort_key, key)) for row in table]
        assert keys == sorted(keys), f"{r['name']} rows are not sorted by primary key"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_link_to_an_outside_government_site(datapackages_dir, package):
    for path in sorted((datapackages_dir / package).rglob("*")):
        if path.is_file():
            assert "changzhou.gov.cn" not in path.read_text(encoding="utf-8"), path.name


def test_synthetic_flags(datapackages_dir):
    assert all(r["synthetic"] is False for r in descriptor(datapackages_dir, "reference")["resources"])
    flags = {r["name"]: r["synthetic"] for r in descriptor(datapackages_dir, "indicator-progress")["resources"]}
    assert flags == {"measures": False, "responsibilities": False, "indicators": False, "observations": True}
    obs = resource_descriptor(datapackages_dir, "indicator-progress", "observations")
    assert "合成数据" in obs["description"] and "synthetic" in obs["x-en"]["description"].lower()
    pkg = descriptor(datapackages_dir, "indicator-progress")
    assert "合成数据" in pkg["description"] and "synthetic" in pkg["x-en"]["description"].lower()


# ---------------------------------------------------------------- reference: districts

EXPECTED_DISTRICTS = {
    # code: (name, parent, valid_from, valid_to, successor, boundary_changed_on)
    "320000": ("江苏省", "", "", "", "", ""),
    "320400": ("常州市", "320000", "", "", "", ""),
    "320402": ("天宁区", "320400", "", "", "", "2015-04-28"),
    "320404": ("钟楼区", "320400", "", "", "", "2015-04-28"),
    "320405": ("戚墅堰区", "320400", "", "2015-04-27", "320412", ""),
    "320411": ("新北区", "320400", "", "", "", "2015-04-28"),
    "320412": ("武进区", "320400", "", "", "", "2015-04-28"),
    "320481": ("溧阳市", "320400", "", "", "", ""),
    "320482": ("金坛市", "320400", "", "2015-04-27", "320413", ""),
    "320413": ("金坛区", "320400", "2015-04-28", "", "", ""),
}


def test_districts_match_the_domain(ref):
    got = {r["code"]: (r["name"], r["parent_code"], r["valid_from"], r["valid_to"], r["successor_code"],
                       r["boundary_changed_on"]) for r in ref("districts")}
    assert got == EXPECTED_DISTRICTS
    for r in ref("districts"):
        assert r["name_en"] and r["level"]
        # a unit whose area or status changed carries a note in both languages
        changed = r["valid_to"] or r["boundary_changed_on"] or r["valid_from"]
        assert bool(r["boundary_note"]) == bool(r["boundary_note_en"]) == bool(changed), r["code"]


def in_force(row: dict, day: str) -> bool:
    return (not row["valid_from"] or row["valid_from"] <= day) and (not row["valid_to"] or day <= row["valid_to"])


def test_county_level_units_in_force_before_and_after_the_2015_reform(ref):
    county = [r for r in ref("districts") if r["level"] in ("district", "county_city")]
    assert {r["code"] for r in county if in_force(r, "2012-10-30")} == {
        "320402", "320404", "320405", "320411", "320412", "320481", "320482"}
    assert {r["code"] for r in county if in_force(r, "2015-12-31")} == {
        "320402", "320404", "320411", "320412", "320413", "320481"}
    # the handover leaves neither a gap nor an overlap
    assert not any(in_force(r, "2015-04-28") for r in county if r["code"] in ("320405", "320482"))
    assert all(in_force(r, "2015-04-27") for r in county if r["code"] in ("320405", "320482"))


def test_null_valid_from_is_explained(datapackages_dir):
    fields = {f["name"]: f for f in resource_descriptor(datapackages_dir, "reference", "districts")["schema"]["fields"]}
    assert "before the portal's coverage" in fields["valid_from"]["x-en"]["description"]
    assert "数据覆盖期" in fields["valid_from"]["description"]


# ---------------------------------------------------------------- reference: categories and grades

GB6441 = ["物体打击", "车辆伤害", "机械伤害", "起重伤害", "触电", "淹溺", "灼烫", "火灾", "高处坠落", "坍塌",
          "冒顶片帮", "透水", "放炮", "火药爆炸", "瓦斯爆炸", "锅炉爆炸", "容器爆炸", "其他爆炸", "中毒和窒息", "其他伤害"]


def test_accident_categories_are_gb6441(ref):
    assert [(r["code"], r["name"]) for r in ref("accident_categories")] == [
        (f"{i:02d}", name) for i, name in enumerate(GB6441, 1)]
    assert all(r["name_en"] for r in ref("accident_categories"))


def test_accident_grades_match_decree_493(ref):
    got = {r["code"]: (r["name"], int(r["rank"]), r["min_deaths"], r["max_deaths"], r["min_serious_injuries"],
                       r["max_serious_injuries"], r["min_direct_loss_yuan"], r["max_direct_loss_yuan"])
           for r in ref("accident_grades")}
    assert got == {
        "particularly_serious": ("特别重大事故", 1, "30", "", "100", "", "100000000", ""),
        "major": ("重大事故", 2, "10", "30", "50", "100", "50000000", "100000000"),
        "larger": ("较大事故", 3, "3", "10", "10", "50", "10000000", "50000000"),
        "general": ("一般事故", 4, "0", "3", "0", "10", "0", "10000000"),
    }


def grade_of(grades: list[dict], deaths: int, injuries: int, loss: int) -> str:
    """Most serious grade for which any criterion reaches its inclusive lower bound."""
    for g in sorted(grades, key=lambda g: int(g["rank"])):
        if (deaths >= int(g["min_deaths"]) and int(g["min_deaths"]) > 0
                or injuries >= int(g["min_serious_injuries"]) and int(g["min_serious_injuries"]) > 0
                or loss >= int(g["min_direct_loss_yuan"]) and int(g["min_direct_loss_yuan"]) > 0):
            return g["code"]
    return "general"


@pytest.mark.parametrize("deaths,injuries,loss,expected", [
    (2, 9, 9_999_999, "general"), (3, 0, 0, "larger"), (9, 0, 0, "larger"), (10, 0, 0, "major"),
    (29, 0, 0, "major"), (30, 0, 0, "particularly_serious"), (0, 10, 0, "larger"), (0, 50, 0, "major"),
    (0, 100, 0, "particularly_serious"), (0, 0, 10_000_000, "larger"), (0, 0, 49_999_999, "larger"),
    (0, 0, 50_000_000, "major"), (0, 0, 100_000_000, "particularly_serious"), (1, 60, 0, "major"),
])
def test_grading_by_the_table(ref, deaths, injuries, loss, expected):
    assert grade_of(ref("accident_grades"), deaths, injuries, loss) == expected


@given(n=st.integers(min_value=0, max_value=10**10),
       criterion=st.sampled_from(["deaths", "serious_injuries", "direct_loss_yuan"]))
def test_grade_bands_partition_every_count(datapackages_dir, n, criterion):
    grades = rows(datapackages_dir, "reference", "accident_grades")
    hits = [g["code"] for g in grades
            if int(g[f"min_{criterion}"]) <= n and (g[f"max_{criterion}"] == "" or n < int(g[f"max_{criterion}"]))]
    assert len(hits) == 1, (criterion, n, hits)


# ---------------------------------------------------------------- reference: credit, sectors

def test_credit_grade_scheme(ref, datapackages_dir):
    got = [(r["scheme"], r["grade"], int(r["rank"]), r["standardisation_level"]) for r in ref("credit_grade_scheme")]
    assert got == [("cz2020", "A", 1, "1"), ("cz2020", "B", 2, "2"), ("cz2020", "C", 3, "3"),
                   ("cz2020", "D", 4, ""), ("cz2020", "E", 5, "")]
    res = resource_descriptor(datapackages_dir, "reference", "credit_grade_scheme")
    assert "2020" in res["description"] and "not verified" in res["x-en"]["description"]


INDUSTRIAL = {"hazchem", "nonmetal_mining", "fireworks", "metallurgy", "machinery", "light_industry",
              "construction", "commerce"}


def test_sectors(ref):
    table = {r["code"]: r for r in ref("sectors")}
    assert set(table) == INDUSTRIAL | {"road", "fire", "waterway", "rail", "farm_machinery", "fishing"}
    assert {c for c, r in table.items() if r["industrial"] == "true"} == INDUSTRIAL
    assert {c for c, r in table.items() if r["enterprise"] == "true"} == INDUSTRIAL
    assert {c for c, r in table.items() if r["in_road_rate"] == "true"} == {"road"}
    assert all(r["in_gdp_rate"] == "true" for r in table.values())
    assert table["light_industry"]["name"] == "轻工纺织等其他工贸"


# ---------------------------------------------------------------- departments and responsibilities

def test_every_department_in_the_plan_is_a_department_and_a_responsibility(plan_text, ref, prog):
    departments = {r["name"]: r["code"] for r in ref("departments")}
    codes = {r["code"] for r in ref("departments")}
    assert len(codes) == len(ref("departments"))
    assert departments["市安委会"] == "safety_committee"
    assert departments["各行业主管、监管部门"] == "industry_regulators"

    expected = set()
    for measure_id, paragraph in plan_paragraphs(plan_text).items():
        if measure_id == "goal":
            continue
        for listed, role in parse_clause(responsibility_clause(paragraph)):
            code = "industry_regulators" if COLLECTIVE.fullmatch(listed) else departments.get(listed)
            assert code, f"{listed} (named in {measure_id}) is not in reference/departments"
            expected.add((measure_id, code, role, listed))
    got = {(r["measure_id"], r["department_code"], r["role"], r["listed_as"]) for r in prog("responsibilities")}
    assert got == expected
    # Spot-check the parser against a hand count so that it cannot silently drop names.
    assert len(expected) == 108
    assert sum(1 for m, *_ in expected if m == "m06") == 17
    assert {(m, c, r) for m, c, r, _ in expected if c == "work_safety" and m == "m01"} == {("m01", "work_safety", "share")}
    # every department named in any parenthesis appears; only the issuer and its office do not
    assert codes - {c for _, c, _, _ in expected} == {"safety_committee", "safety_committee_office"}


def test_responsibility_positions_follow_the_plan(plan_text, prog):
    paragraphs = plan_paragraphs(plan_text)
    by_measure: dict[str, list[tuple[int, str]]] = {}
    for r in prog("responsibilities"):
        by_measure.setdefault(r["measure_id"], []).append((int(r["position"]), r["listed_as"]))
    for measure_id, listed in by_measure.items():
        ordered = [name for _, name in sorted(listed)]
        assert ordered == [n for n, _ in parse_clause(responsibility_clause(paragraphs[measure_id]))]


def test_cross_package_keys_resolve(datapackages_dir, ref, prog):
    dept_codes = {r["code"] for r in ref("departments")}
    sector_codes = {r["code"] for r in ref("sectors")}
    assert {r["department_code"] for r in prog("responsibilities")} <= dept_codes
    assert {r["sector_code"] for r in prog("indicators") if r["sector_code"]} <= sector_codes
    declared = {r["name"]: r.get("x-foreignKeys", []) for r in descriptor(datapackages_dir, "indicator-progress")["resources"]}
    assert declared["responsibilities"] == [{"fields": ["department_code"], "reference": {
        "package": "reference", "resource": "departments", "fields": ["code"]}}]
    assert declared["observations"] == [{"fields": ["district_code"], "reference": {
        "package": "reference", "resource": "districts", "fields": ["code"]}}]


# ---------------------------------------------------------------- measures

def test_measures_are_the_plans_paragraphs_verbatim(plan_text, prog):
    paragraphs = plan_paragraphs(plan_text)
    table = {r["id"]: r for r in prog("measures")}
    assert set(table) == set(MEASURE_IDS)
    for measure_id, paragraph in paragraphs.items():
        assert table[measure_id]["text"] == paragraph
        if measure_id != "goal":
            assert paragraph.split("、" if measure_id.startswith("m") else ")", 1)[1].startswith(table[measure_id]["title"])
    assert [table[f"m{i:02d}"]["number"] for i in range(1, 11)] == [str(i) for i in range(1, 11)]
    assert table["goal"]["kind"] == "goal" and table["goal"]["number"] == ""


# ---------------------------------------------------------------- indicators

# id: (unit, target_kind, target_value, target_year, target_status)
EXPECTED_INDICATORS = {
    "goal-gdp-death-rate": ("per_100m_yuan_gdp", "below_provincial_average", "", "2015", "stated"),
    "goal-industrial-death-rate": ("per_100k_workers", "below_provincial_average", "", "2015", "stated"),
    "goal-road-death-rate": ("per_10k_vehicles", "below_provincial_average", "", "2015", "stated"),
    "goal-accidents": ("accidents", "below_control_target", "", "2015", "stated"),
    "goal-deaths": ("deaths", "below_control_target", "", "2015", "stated"),
    "m02-county-osh-agencies": ("count", "value", "7", "2013", "stated"),
    "m02-village-inspectors": ("percent", "value", "100", "2013", "stated"),
    "m03-above-scale-baseline": ("percent", "value", "100", "2013", "stated"),
    "m03-other-baseline": ("percent", "value", "", "2013", "unknown"),
    "m03-std-hazchem": ("percent", "value", "100", "2013", "stated"),
    "m03-std-nonmetal-mining": ("percent", "value", "100", "2013", "stated"),
    "m03-std-fireworks": ("percent", "value", "100", "2013", "stated"),
    "m03-std-metallurgy-above-scale": ("percent", "value", "100", "2014", "stated"),
    "m03-std-machinery-above-scale": ("percent", "value", "100", "2014", "stated"),
    "m03-std-metallurgy-below-scale": ("percent", "value", "100", "2015", "stated"),
    "m03-std-machinery-below-scale": ("percent", "value", "100", "2015", "stated"),
    "m04-major-hazard-rectification": ("percent", "value", "100", "2015", "inferred"),
    "m05-urban-support-base": ("count", "value", "1", "2015", "stated"),
    "m05-nonmetal-mining-rescue-base": ("count", "value", "1", "2015", "stated"),
    "m05-hazchem-rescue-bases": ("count", "value", "2", "2015", "stated"),
    "m08-level2-training-institution": ("count", "value", "1", "2015", "stated"),
    "m08-level3-training-institutions": ("count", "value", "", "2015", "unknown"),
    "m08-school-safety-facilities": ("percent", "value", "100", "2015", "stated"),
    "m09-training-rate": ("percent", "value", "90", "2015", "stated"),
    "m09-declaration-rate": ("percent", "value", "80", "2015", "sourced_elsewhere"),
    "m09-notification-rate": ("percent", "value", "90", "2015", "sourced_elsewhere"),
    "m09-warning-sign-rate": ("percent", "value", "90", "2015", "sourced_elsewhere"),
    "m09-monitoring-rate": ("percent", "value", "70", "2015", "stated"),
    "m09-monitoring-pass-rate": ("percent", "value", "", "2015", "unknown"),
    "m10-credit-database": ("milestone", "value", "1", "2015", "stated"),
    "m10-credit-grades": ("milestone", "value", "1", "2015", "stated"),
    "m10-credit-publication": ("milestone", "value", "1", "2015", "stated"),
    "m10-blacklist": ("milestone", "value", "1", "2015", "stated"),
}

# Each damaged number in the plan and the indicators that depend on it.
DAMAGED = {
    "力?0%": ["m03-other-baseline"],
    "整改率?00%": ["m04-major-hazard-rectification"],
    "提升完?个": ["m08-level3-training-institutions"],
    "申报率达?0%": ["m09-declaration-rate"],
    "设置率?0%": ["m09-notification-rate", "m09-warning-sign-rate"],
    "合格率达?0%": ["m09-monitoring-pass-rate"],
}


def test_every_quantified_target_is_an_indicator(prog):
    table = {r["id"]: r for r in prog("indicators")}
    for indicator_id, expected in EXPECTED_INDICATORS.items():
        assert indicator_id in table, f"missing indicator {indicator_id}"
        r = table[indicator_id]
        assert (r["unit"], r["target_kind"], r["target_value"], r["target_year"], r["target_status"]) == expected, \
            indicator_id
        assert r["measure_id"] == indicator_id.split("-", 1)[0]


def test_indicator_clauses_are_verbatim(plan_text, prog):
    for r in prog("indicators"):
        assert r["clause"] in plan_text, r["id"]
        assert r["base_year"] == "2012"


def test_every_quoted_text_has_an_english_rendering_that_keeps_its_damage(prog):
    """The English of a measure, clause or scope is the project's own (the descriptor says
    so): no Chinese in it, every damaged ``?`` of the quote kept, not guessed, and each
    clause's English is the English of the words it quotes from its measure."""
    measures = {r["id"]: r for r in prog("measures")}
    for r in measures.values():
        assert LATIN.search(r["text_en"]) and not CJK.search(r["text_en"]), r["id"]
        assert r["text_en"].count("?") == r["text"].count("?"), r["id"]
    for r in prog("indicators"):
        for zh, en in ((r["clause"], r["clause_en"]), (r["scope"], r["scope_en"])):
            assert LATIN.search(en) and not CJK.search(en), r["id"]
            assert en.count("?") == zh.count("?"), r["id"]
        assert r["clause_en"].rstrip(".") in measures[r["measure_id"]]["text_en"], r["id"]


def test_damaged_targets_are_never_stated(plan_text, prog):
    table = {r["id"]: r for r in prog("indicators")}
    for fragment, ids in DAMAGED.items():
        assert fragment in plan_text
        for indicator_id in ids:
            r = table[indicator_id]
            assert fragment in r["clause"], indicator_id
            assert r["target_status"] in ("unknown", "sourced_elsewhere", "inferred"), indicator_id
            if r["target_status"] == "unknown":
                assert r["target_value"] == "", indicator_id
            else:
                assert r["target_value"] != "" and r["provenance"], indicator_id
    for r in table.values():
        if r["target_status"] == "sourced_elsewhere":
            assert "2009" in r["provenance"] and "occupational-disease" in r["provenance"], r["id"]
        if r["target_status"] == "inferred":
            assert r["provenance"].startswith("Inferred") or "inference" in r["provenance"], r["id"]
    assert "?00%" in table["m04-major-hazard-rectification"]["provenance"]
    assert "100" in table["m04-major-hazard-rectification"]["provenance"]


def test_unknown_and_benchmark_targets_have_no_value(prog):
    for r in prog("indicators"):
        if r["target_status"] == "unknown" or r["target_kind"] != "value":
            assert r["target_value"] == "", r["id"]
        else:
            assert r["target_value"] != "", r["id"]


def test_rate_decimals_follow_official_figures(prog):
    table = {r["id"]: r for r in prog("indicators")}
    assert [table[i]["decimals"] for i in ("goal-gdp-death-rate", "goal-industrial-death-rate",
                                           "goal-road-death-rate")] == ["3", "2", "1"]


# ---------------------------------------------------------------- observations (synthetic)

def test_observations_schema_is_the_contract(datapackages_dir):
    res = resource_descriptor(datapackages_dir, "indicator-progress", "observations")
    assert [f["name"] for f in res["schema"]["fields"]] == [
        "indicator_id", "district_code", "year", "value", "numerator", "denominator", "note"]
    assert res["schema"]["primaryKey"] == ["indicator_id", "district_code", "year"]
    assert res["schema"]["foreignKeys"] == [
        {"fields": ["indicator_id"], "reference": {"resource": "indicators", "fields": ["id"]}}]
    assert res["synthetic"] is True


def test_every_field_of_every_source_package_has_an_english_title(datapackages_dir):
    """The English edition, the data dictionaries and the XLSX downloads name each column in
    English from ``x-en.title``; the Chinese ``title`` stays the field's title. Each field's
    ``description`` is Chinese, its English in ``x-en.description``."""
    descriptors = sorted(datapackages_dir.glob("*/datapackage.json"))
    assert len(descriptors) >= 6
    for path in descriptors:
        for r in json.loads(path.read_text(encoding="utf-8"))["resources"]:
            for f in r["schema"]["fields"]:
                assert CJK.search(f["title"]), (path.parent.name, r["name"], f["name"])
                english = f["x-en"]["title"]
                assert LATIN.search(english) and not CJK.search(english), (path.parent.name, f["name"])
                assert english_field_description(f), (path.parent.name, r["name"], f["name"])
