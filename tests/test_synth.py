"""The synthetic data: USCC check characters, determinism, and every cross-table rule the
generator promises (checked here from the CSVs and the real reference tables, not from the
generator's own helpers, so a generator bug cannot hide behind itself)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import uscc
from pipeline.synth import (
    DATA_END,
    DATA_START,
    LAST_FULL_YEAR,
    generate,
    temporal_coverage,
)

SEED = 20121030
END = date.fromisoformat(str(DATA_END))
START = date.fromisoformat(str(DATA_START))
FULL_YEARS = {str(y) for y in range(2010, LAST_FULL_YEAR + 1)}  # years of the annual tables
SYNTHETIC = {
    "accident-outcomes": ["accidents", "annual_outcomes", "provincial_benchmarks", "control_targets"],
    "enterprise-credit": ["enterprises", "credit_ratings", "certificates", "blacklist", "hazards"],
    "indicator-progress": ["observations"],
    "accident-investigations": ["investigations", "handling", "rectification"],
}
CITY = "320400"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# ---------------------------------------------------------------- USCC

def test_uscc_worked_example_from_domain_notes():
    assert uscc.check_char("91350100M000100Y4") == "3"
    assert uscc.is_valid("91350100M000100Y43")
    assert not uscc.is_valid("91350100M000100Y44")


@pytest.mark.parametrize("bad", ["", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100Y43",
                                 "91350100I000100Y43", "91350100O000100Y43", None, 123])
def test_uscc_rejects_malformed(bad):
    assert not uscc.is_valid(bad)


def test_uscc_vectorised_matches_scalar():
    codes = uscc.make_codes(np.array([320402, 320412, 320482]), np.array([0, 12345678, 99999999]))
    for code in codes.astype(str):
        assert uscc.is_valid(code)
        assert code[2:8] in {"320402", "320412", "320482"}


body = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(body)
def test_uscc_computed_check_is_valid(first17):
    assert uscc.is_valid(first17 + uscc.check_char(first17))
    arr = np.frombuffer(first17.encode(), dtype=np.uint8).reshape(1, 17)
    assert uscc.complete(arr)[0].decode() == first17 + uscc.check_char(first17)


@given(body, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_uscc_any_single_change_is_invalid(first17, pos, char):
    code = first17 + uscc.check_char(first17)
    changed = code[:pos] + char + code[pos + 1:]
    if changed != code:
        assert not uscc.is_valid(changed)


# ---------------------------------------------------------------- generation fixtures

def _gen(tmp: Path, tier: str = "sample", seed: int = SEED) -> Path:
    generate(tier, seed, tmp, real=Path(__file__).resolve().parent.parent / "datapackages")
    return tmp


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return _gen(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module", params=["sample", pytest.param("city", marks=pytest.mark.slow)])
def data(request, tmp_path_factory, sample) -> Data:
    root = sample if request.param == "sample" else _gen(tmp_path_factory.mktemp("city"), "city")
    return Data(root)


class Data:
    """The generated tables as strings (empty cell → None), plus parsed helpers."""

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    def __call__(self, package: str, resource: str) -> pd.DataFrame:
        key = (package, resource)
        if key not in self._cache:
            df = pd.read_csv(self.root / package / "data" / f"{resource}.csv", dtype=str,
                             keep_default_na=False)
            self._cache[key] = df.replace("", None)
        return self._cache[key]

    def descriptor(self, package: str) -> dict:
        return json.loads((self.root / package / "datapackage.json").read_text(encoding="utf-8"))


def d(text: str) -> date:
    return date.fromisoformat(text)


def plus_years(day: date, n: int) -> date:
    try:
        return day.replace(year=day.year + n)
    except ValueError:  # 29 Feb → 28 Feb
        return day.replace(year=day.year + n, day=28)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- determinism and shipping

def test_same_seed_same_bytes_other_seed_differs(tmp_path, sample):
    again = files(_gen(tmp_path / "a"))
    assert again == files(sample)
    other = files(_gen(tmp_path / "b", seed=SEED + 1))
    for pkg, resources in SYNTHETIC.items():
        for res in resources:
            if res == "provincial_benchmarks" or res == "observations":
                continue
            key = f"{pkg}/data/{res}.csv"
            assert other[key] != again[key], key


def test_committed_datapackages_are_the_sample(sample, datapackages_dir):
    committed = {k: v for k, v in files(datapackages_dir).items() if k.split("/")[0] in
                 ("reference", "indicator-progress", "accident-outcomes", "enterprise-credit",
                  "accident-investigations")}
    fresh = files(sample)
    assert sorted(committed) == sorted(fresh)
    differing = [k for k in fresh if fresh[k] != committed[k]]
    assert not differing, f"regenerate with `python -m pipeline synth --tier sample`: {differing}"


def test_sample_is_small(sample):
    total = sum(p.stat().st_size for p in sample.rglob("*.csv"))
    assert total < 10 * 1024 * 1024


@pytest.mark.parametrize("package", sorted(SYNTHETIC))
def test_frictionless_accepts_each_package(sample, package):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(sample / package / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


def test_descriptors_mark_synthetic_data(sample):
    for package in ("accident-outcomes", "enterprise-credit", "accident-investigations"):
        desc = json.loads((sample / package / "datapackage.json").read_text(encoding="utf-8"))
        assert desc["synthetic"] is True and "合成数据" in desc["description"]
        assert "synthetic" in desc["x-en"]["description"].lower()
        for res in desc["resources"]:
            assert res["synthetic"] is True and "合成数据" in res["description"]
            for field in res["schema"]["fields"]:
                assert re.search(r"[\u4e00-\u9fff]", field["title"]), field["name"]
                assert field["description"] and field["type"]


# ---------------------------------------------------------------- the data's period

PACKAGES = ("reference", "indicator-progress", "accident-outcomes", "enterprise-credit",
            "accident-investigations")


def test_data_end_is_a_fixed_recent_date():
    assert str(DATA_START) == "2010-01-01" and str(DATA_END) == "2026-06-30"
    assert LAST_FULL_YEAR == 2025  # the yearly tables stop at the last complete year


@pytest.mark.parametrize("package", PACKAGES)
def test_descriptors_declare_the_generators_period(sample, datapackages_dir, package):
    whole = {"start": str(DATA_START), "end": str(DATA_END)}
    expected = {"start": "2012-01-01", "end": f"{LAST_FULL_YEAR}-12-31"} \
        if package == "indicator-progress" else whole  # yearly observations only
    assert temporal_coverage(package) == expected
    for root in (sample, datapackages_dir):
        desc = json.loads((root / package / "datapackage.json").read_text(encoding="utf-8"))
        assert desc["x-temporal"] == expected, root
        # no date or year constraint stops short of, or runs past, the data's end
        for res in desc["resources"]:
            if not res.get("synthetic"):
                continue
            for field in res["schema"]["fields"]:
                top = field.get("constraints", {}).get("maximum")
                # dates and years only (extension_days ≤ 60 is a rule, not a period)
                if top is not None and (field["type"] == "date" or field["name"] == "year"):
                    assert str(top) in (str(DATA_END), f"{LAST_FULL_YEAR}-12-31",
                                        str(LAST_FULL_YEAR)), (res["name"], field["name"], top)


def test_descriptions_no_longer_end_in_2015(sample):
    """What a descriptor says of its period is true of the data."""
    stale = re.compile(r"20(10|12)\s*[—–-]\s*2015|2015年12月31日|31 December 2015|2015-12-31|"
                       r"end of 2015|2015年底")
    for package in ("accident-outcomes", "enterprise-credit"):
        desc = json.loads((sample / package / "datapackage.json").read_text(encoding="utf-8"))
        texts = [desc["description"], desc["x-en"]["description"]]
        for res in desc["resources"]:
            texts += [res["description"], res["x-en"]["description"]]
            texts += [text for f in res["schema"]["fields"]
                      for text in (f["description"], f["x-en"]["description"])]
        desc = json.loads((sample / "indicator-progress" / "datapackage.json").read_text("utf-8"))
        obs = next(r for r in desc["resources"] if r["name"] == "observations")
        texts += [obs["description"], obs["x-en"]["description"]]
        for text in texts:
            assert not stale.search(text), text


def test_tables_run_to_the_data_end(sample):
    def column(package, resource, name):
        df = pd.read_csv(sample / package / "data" / f"{resource}.csv", dtype=str,
                         keep_default_na=False)
        return df[name][df[name] != ""]

    for package, resource, name, slack in (
            ("accident-outcomes", "accidents", "date", 30),
            ("enterprise-credit", "certificates", "issued", 30),
            ("enterprise-credit", "hazards", "listed", 30),
            ("enterprise-credit", "blacklist", "listed", 120),
            ("enterprise-credit", "enterprises", "established", 60)):
        values = column(package, resource, name)
        assert END - timedelta(days=slack) <= d(values.max()) <= END, (resource, name)
    assert d(column("accident-outcomes", "accidents", "date").min()) - START < timedelta(days=7)
    for package, resource in (("accident-outcomes", "annual_outcomes"),
                              ("accident-outcomes", "provincial_benchmarks"),
                              ("accident-outcomes", "control_targets"),
                              ("enterprise-credit", "credit_ratings"),
                              ("indicator-progress", "observations")):
        years = column(package, resource, "year").astype(int)
        assert years.max() == LAST_FULL_YEAR, resource


def test_generation_refuses_a_descriptor_with_another_period(tmp_path, datapackages_dir):
    import shutil

    real = tmp_path / "real"
    shutil.copytree(datapackages_dir, real)
    path = real / "accident-outcomes" / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    desc["x-temporal"] = {"start": "2010-01-01", "end": "2015-12-31"}
    path.write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="x-temporal"):
        generate("sample", SEED, tmp_path / "out", real=real)


def test_generation_never_reads_the_clock(tmp_path, monkeypatch, sample):
    """No clock in the generator's source, and none read while it runs: the bytes are the
    same with every way of asking for today's date made to fail. (The committed sample,
    generated on another day, being byte-identical is the same check across real days.)"""
    import datetime as dt
    import time

    import pipeline.synth as synth_pkg

    clock = re.compile(r"\.(today|now|utcnow)\(|time\.(time|time_ns|localtime)\(|"
                       r"datetime64\(\s*[\"'](today|now)[\"']")
    for path in sorted(Path(synth_pkg.__file__).parent.glob("*.py")):
        assert not clock.search(path.read_text(encoding="utf-8")), path.name

    def refuse(*args, **kwargs):
        raise AssertionError("the generator asked for the current date or time")

    class NoClockDate(dt.date):
        today = classmethod(refuse)

    class NoClockDateTime(dt.datetime):
        today = classmethod(refuse)
        now = classmethod(refuse)
        utcnow = classmethod(refuse)

    monkeypatch.setattr(dt, "date", NoClockDate)
    monkeypatch.setattr(dt, "datetime", NoClockDateTime)
    monkeypatch.setattr(time, "time", refuse)
    monkeypatch.setattr(time, "time_ns", refuse)
    with pytest.raises(AssertionError, match="current date"):  # the trap works
        dt.date.today()
    out = _gen(tmp_path / "noclock")
    monkeypatch.undo()
    assert files(out) == files(sample)


# ---------------------------------------------------------------- statuses on a build's date

@pytest.fixture(scope="module")
def typed(sample):
    """The generated sample as the pipeline sees it: loaded and validated (typed tables)."""
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    catalog = load_catalog([sample])
    report = validate_catalog(catalog)
    assert report.valid, [str(e) for e in report.errors[:5]]
    return catalog


def _statuses(catalog, day: date) -> dict:
    from pipeline.derive.steps.blacklist import blacklist_public
    from pipeline.derive.steps.certificates_status import certificates_status
    from pipeline.derive.steps.hazard_rectification import hazard_rectification

    def t(resource):
        return catalog.table("enterprise-credit", resource)

    listings = blacklist_public(t("blacklist"), t("enterprises"), reference_date=day).to_pylist()
    certs = certificates_status(t("certificates"), t("enterprises"), reference_date=day).to_pylist()
    hazards = hazard_rectification(t("hazards"), reference_date=day).to_pylist()
    status = defaultdict(int)
    for h in hazards:
        status[h["status"]] += 1
    return {"listings": listings, "current": sum(r["current"] for r in certs),
            "expired": sum(r["expired"] for r in certs), "hazards": status,
            "hazard_rows": hazards}


@pytest.mark.parametrize("day", [date(2026, 12, 6), date(2015, 5, 20)])
def test_a_build_on_a_recent_or_an_old_date_finds_live_statuses(typed, day):
    """On the day of a build after the data's end, as on a day inside the plan period, the
    public blacklist names someone, certificates are both current and expired, and hazards
    are open within their deadline, overdue and (mostly) rectified."""
    s = _statuses(typed, day)
    assert len(s["listings"]) >= 1
    for listing in s["listings"]:
        assert listing["listed"] <= day < listing["expires"]
        assert "示例" in listing["enterprise_name"]
    assert s["current"] >= 1 and s["expired"] >= 1
    haz = s["hazards"]
    assert haz["open"] >= 1, "some under rectification within their deadline"
    assert haz["overdue_open"] >= 1, "some overdue"
    assert haz["on_time"] + haz["late"] > 0.75 * sum(haz.values()), "most rectified"
    assert all(h["listed"] <= day for h in s["hazard_rows"])


def test_listings_in_force_at_the_data_end_run_out_in_the_year_after(typed):
    """Listings active when the data end expire one by one: some between 2026-07-01 and the
    end of 2027, so the public list changes on the weekly rebuilds after the data end."""
    july = {r["listing_id"]: r for r in _statuses(typed, date(2026, 7, 1))["listings"]}
    december = {r["listing_id"] for r in _statuses(typed, date(2026, 12, 6))["listings"]}
    later = {r["listing_id"] for r in _statuses(typed, date(2028, 1, 1))["listings"]}
    assert december <= set(july)  # nothing is listed after the data end
    gone = [july[k] for k in set(july) - later]
    assert any(date(2026, 7, 1) < r["expires"] <= date(2027, 12, 31) for r in gone)
    assert len(later) < len(july)


def test_old_statuses_do_not_see_later_rows(typed):
    """On a date inside the plan period nothing listed, issued or rectified later counts."""
    s = _statuses(typed, date(2015, 5, 20))
    recent = _statuses(typed, date(2026, 12, 6))
    assert s["current"] + s["expired"] < recent["current"] + recent["expired"]
    assert sum(s["hazards"].values()) < sum(recent["hazards"].values())
    for h in s["hazard_rows"]:
        assert h["rectified"] is None or h["rectified"] <= date(2015, 5, 20)


# ---------------------------------------------------------------- every table is sorted and keyed

@pytest.mark.parametrize("package,resource", [(p, r) for p, rs in SYNTHETIC.items() for r in rs])
def test_rows_sorted_by_unique_primary_key(data, package, resource):
    desc = data.descriptor(package)
    res = next(r for r in desc["resources"] if r["name"] == resource)
    pk = res["schema"]["primaryKey"]
    types = {f["name"]: f["type"] for f in res["schema"]["fields"]}
    df = data(package, resource)
    keys = [tuple(int(v) if types[k] == "integer" else v for v, k in zip(row, pk))
            for row in df[pk].itertuples(index=False)]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_foreign_keys_resolve_across_packages(data):
    for package in ("reference", "indicator-progress", "accident-outcomes", "enterprise-credit",
                    "accident-investigations"):
        for res in data.descriptor(package)["resources"]:
            keys = [(fk, package) for fk in res["schema"].get("foreignKeys", [])]
            keys += [(fk, fk["reference"]["package"]) for fk in res.get("x-foreignKeys", [])]
            for fk, target_pkg in keys:
                child = data(package, res["name"])[fk["fields"]].dropna()
                target = fk["reference"].get("resource") or res["name"]  # omitted = self-reference
                parent = data(target_pkg, target)[fk["reference"]["fields"]]
                have = set(map(tuple, parent.itertuples(index=False)))
                missing = [t for t in map(tuple, child.itertuples(index=False)) if t not in have]
                assert not missing, (package, res["name"], fk, missing[:5])


# ---------------------------------------------------------------- geography

@pytest.fixture(scope="module")
def districts(sample):
    df = pd.read_csv(sample / "reference" / "data" / "districts.csv", dtype=str, keep_default_na=False)
    return {r.code: (d(r.valid_from) if r.valid_from else date.min,
                     d(r.valid_to) if r.valid_to else date.max) for r in df.itertuples()}


def test_units_valid_on_their_dates(data, districts):
    def valid(code, day):
        lo, hi = districts[code]
        return lo <= day <= hi

    acc = data("accident-outcomes", "accidents")
    assert all(valid(c, d(t)) for c, t in zip(acc.district_code, acc.date))
    haz = data("enterprise-credit", "hazards")
    assert all(valid(c, d(t)) for c, t in zip(haz.district_code, haz.listed))
    ent = data("enterprise-credit", "enterprises")
    assert all(valid(c, date(2015, 12, 31)) for c in ent.district_code)
    # USCC characters 3–8: the registering authority's unit, valid when the firm was founded
    assert all(valid(u[2:8], d(t)) for u, t in zip(ent.uscc, ent.established))
    obs = data("indicator-progress", "observations")
    assert all(c == CITY or valid(c, date(int(y), 12, 31)) for c, y in zip(obs.district_code, obs.year))


# ---------------------------------------------------------------- accidents and outcomes

@pytest.fixture(scope="module")
def grade_rule(sample):
    g = pd.read_csv(sample / "reference" / "data" / "accident_grades.csv", dtype=str, keep_default_na=False)
    rows = sorted(g.itertuples(), key=lambda r: int(r.rank))  # worst first

    def rule(deaths, injuries, loss):
        for r in rows:  # "以上" includes the lower bound; any one criterion is enough
            if (deaths >= int(r.min_deaths) or injuries >= int(r.min_serious_injuries)
                    or loss >= int(r.min_direct_loss_yuan)) and int(r.rank) < 4:
                return r.code
        return "general"
    return rule


def test_stated_grade_agrees_with_counts(data, grade_rule):
    acc = data("accident-outcomes", "accidents")
    for row in acc.itertuples():
        assert row.stated_grade == grade_rule(int(row.deaths), int(row.serious_injuries),
                                              int(row.direct_loss_yuan)), row.accident_id
    grades = set(acc.stated_grade)
    assert {"general", "larger", "major"} <= grades
    assert (acc.stated_grade == "major").sum() <= 2  # rare
    years = acc.date.str[:4].nunique()
    assert (acc.stated_grade == "larger").sum() <= 6 * years  # a few a year at most


def test_accident_ids_reports_and_no_external_links(data):
    acc = data("accident-outcomes", "accidents")
    for row in acc.itertuples():
        assert re.fullmatch(r"A\d{9}", row.accident_id) and row.accident_id[1:5] == row.date[:4]
        if row.report_status == "published":
            assert row.report_url == f"/reports/{row.accident_id}/"
            assert d(row.report_published) > d(row.date)
        else:
            assert row.report_url is None and row.report_published is None


def test_industrial_accidents_link_to_a_matching_enterprise(data, sample):
    acc = data("accident-outcomes", "accidents")
    ent = data("enterprise-credit", "enterprises").set_index("uscc")
    sectors = pd.read_csv(sample / "reference" / "data" / "sectors.csv", dtype=str)
    industrial = set(sectors.code[sectors.industrial == "true"])
    reform = date(2015, 4, 28)
    successor = {"320405": "320412", "320482": "320413"}

    def where(u, day):  # the unit a firm sat in on a day
        return u[2:8] if day < reform else ent.district_code[u]

    by_group = defaultdict(list)
    for u, row in ent.iterrows():
        by_group[row.sector_code].append((u, d(row.established),
                                          d(row.closed) if row.closed else date.max))
    for row in acc.itertuples():
        day = d(row.date)
        if row.sector_code not in industrial:
            assert row.enterprise_uscc is None
            continue
        if row.enterprise_uscc is None:  # only when no candidate operated that day
            assert not any(est < day < closed and where(u, day) == row.district_code
                           for u, est, closed in by_group[row.sector_code]), row.accident_id
            continue
        firm = ent.loc[row.enterprise_uscc]
        assert firm.sector_code == row.sector_code
        assert d(firm.established) < day
        assert firm.closed is None or day < d(firm.closed), row.accident_id
        assert where(row.enterprise_uscc, day) == row.district_code
        assert successor.get(row.enterprise_uscc[2:8], row.enterprise_uscc[2:8]) == firm.district_code \
            or day >= reform


def test_annual_outcomes_are_sums_of_accidents(data, sample):
    acc = data("accident-outcomes", "accidents").copy()
    out = data("accident-outcomes", "annual_outcomes")
    sectors = pd.read_csv(sample / "reference" / "data" / "sectors.csv", dtype=str)
    industrial = set(sectors.code[sectors.industrial == "true"])
    acc["year"] = acc.date.str[:4]
    acc["deaths"] = acc.deaths.astype(int)
    acc["ind"] = acc.deaths.where(acc.sector_code.isin(industrial), 0)
    acc["road"] = acc.deaths.where(acc.sector_code == "road", 0)
    sums = acc.groupby(["district_code", "year"]).agg(
        accidents=("accident_id", "size"), deaths=("deaths", "sum"),
        industrial_deaths=("ind", "sum"), road_deaths=("road", "sum"))
    counts = ["accidents", "deaths", "industrial_deaths", "road_deaths"]
    districts = out[out.district_code != CITY].set_index(["district_code", "year"])
    got = districts[counts].astype(int)
    expected = sums.reindex(got.index).fillna(0).astype(int)
    pd.testing.assert_frame_equal(got, expected[counts], check_names=False)
    # no accident outside a row, except in the year the data end in (no annual rows yet)
    assert set(out.year) == FULL_YEARS
    in_rows = sums[sums.index.get_level_values("year").isin(FULL_YEARS)]
    assert int(in_rows.accidents.sum()) == int(got.accidents.sum())
    assert set(acc.year) - FULL_YEARS == {str(END.year)}
    city = out[out.district_code == CITY].set_index("year")
    by_year = districts.reset_index().groupby("year")[counts].apply(lambda f: f.astype(int).sum())
    pd.testing.assert_frame_equal(city[counts].astype(int), by_year, check_names=False)


def test_rates_partial_years_and_denominators(data):
    out = data("accident-outcomes", "annual_outcomes")
    partial = out[out.partial_year == "true"]
    assert set(zip(partial.district_code, partial.year)) == {
        ("320405", "2015"), ("320482", "2015"), ("320413", "2015")}
    assert partial[["gdp_100m_yuan", "industrial_employees", "motor_vehicles", "gdp_death_rate",
                    "industrial_death_rate", "road_death_rate"]].isna().all().all()
    full = out[out.partial_year == "false"]
    for row in full.itertuples():
        for num, den, rate, scale, dp in (("deaths", "gdp_100m_yuan", "gdp_death_rate", 1, 3),
                                          ("industrial_deaths", "industrial_employees", "industrial_death_rate", 1e5, 2),
                                          ("road_deaths", "motor_vehicles", "road_death_rate", 1e4, 1)):
            value = getattr(row, rate)
            assert len(value.split(".")[1]) == dp
            exact = int(getattr(row, num)) / float(getattr(row, den)) * scale
            assert abs(float(value) - exact) <= 0.5 * 10 ** -dp + 1e-12
    districts = full[full.district_code != CITY]
    city = full[full.district_code == CITY].set_index("year")
    for year, group in districts.groupby("year"):
        if year == "2015":
            continue  # partial-year units carry no denominators; the city's are its own totals
        assert sum(int(x) for x in group.industrial_employees) == int(city.industrial_employees[year])
        assert sum(int(x) for x in group.motor_vehicles) == int(city.motor_vehicles[year])
        assert round(sum(float(x) for x in group.gdp_100m_yuan), 2) == float(city.gdp_100m_yuan[year])


def test_magnitudes_and_trend(data):
    out = data("accident-outcomes", "annual_outcomes")
    city = out[out.district_code == CITY].set_index("year")
    gdp = city.gdp_100m_yuan.astype(float)
    assert 2800 <= gdp["2010"] <= 3300 and 4800 <= gdp["2015"] <= 5600
    assert 8500 <= gdp["2025"] <= 12500
    plan = city.loc[[str(y) for y in range(2010, 2016)]]
    later = city.loc[[str(y) for y in range(2016, LAST_FULL_YEAR + 1)]]
    assert all(0.04 <= float(x) <= 0.13 for x in plan.gdp_death_rate)
    assert all(1.0 <= float(x) <= 3.5 for x in plan.industrial_death_rate)
    assert all(1.8 <= float(x) <= 4.5 for x in plan.road_death_rate)
    # after the plan period the rates keep falling, more slowly (noisy: fewer deaths a year)
    assert all(0.01 <= float(x) <= 0.06 for x in later.gdp_death_rate)
    assert all(0.2 <= float(x) <= 2.5 for x in later.industrial_death_rate)
    assert all(0.6 <= float(x) <= 2.6 for x in later.road_death_rate)
    assert int(city.deaths["2015"]) < int(city.deaths["2010"])
    assert int(city.deaths["2025"]) < int(city.deaths["2015"])
    assert float(city.gdp_death_rate["2015"]) < float(city.gdp_death_rate["2010"])
    assert float(city.gdp_death_rate["2025"]) < float(city.gdp_death_rate["2015"])
    bench = data("accident-outcomes", "provincial_benchmarks").set_index("year")
    for rate in ("gdp_death_rate", "industrial_death_rate", "road_death_rate"):
        ratio = bench[rate].astype(float) / city[rate].astype(float)
        assert ratio.between(0.8, 1.5).all(), rate


def test_control_targets(data):
    tgt = data("accident-outcomes", "control_targets")
    out = data("accident-outcomes", "annual_outcomes").set_index(["district_code", "year"])
    city = tgt[tgt.district_code == CITY].set_index("year")
    assert set(tgt.year) == FULL_YEARS
    for year, group in tgt[tgt.district_code != CITY].groupby("year"):
        assert group.max_deaths.astype(int).sum() == int(city.max_deaths[year])
        assert group.max_accidents.astype(int).sum() == int(city.max_accidents[year])
        units = set(group.district_code)  # the units valid on 1 January
        if int(year) <= 2015:
            assert units == {"320402", "320404", "320405", "320411", "320412", "320481", "320482"}
        else:
            assert units == {"320402", "320404", "320411", "320412", "320413", "320481"}
    above = sum(int(city.max_deaths[y]) >= int(out.deaths[(CITY, y)]) for y in city.index)
    assert above >= 2 * len(city) / 3  # a bit above outcomes most years


# ---------------------------------------------------------------- enterprises and credit

def test_enterprises_fictional_with_valid_codes(data, sample):
    ent = data("enterprise-credit", "enterprises")
    assert ent.name.str.contains("示例").all()
    assert ent.name.is_unique and ent.uscc.is_unique
    assert all(uscc.is_valid(u) for u in ent.uscc)
    assert ent.uscc.str[:2].eq("91").all()
    sectors = pd.read_csv(sample / "reference" / "data" / "sectors.csv", dtype=str)
    assert set(ent.sector_code) <= set(sectors.code[sectors.enterprise == "true"])


def test_certificates_last_three_years(data):
    cert = data("enterprise-credit", "certificates")
    ent = data("enterprise-credit", "enterprises").set_index("uscc")
    for row in cert.itertuples():
        assert d(row.expires) == plus_years(d(row.issued), 3)
        assert d(row.issued) > d(ent.established[row.uscc])
        closed = ent.closed[row.uscc]
        assert closed is None or d(row.issued) < d(closed), row.certificate_id  # only while operating
    assert cert.issued.max() <= str(END)


def test_hazards_deadlines_and_rectification(data):
    haz = data("enterprise-credit", "hazards")
    ent = data("enterprise-credit", "enterprises").set_index("uscc")
    listed, deadline = haz.listed.map(d), haz.deadline.map(d)
    assert (deadline > listed).all()
    rect = haz.rectified.dropna().map(d)
    assert (rect > listed[rect.index]).all()
    assert listed.max() <= END and rect.max() <= END
    for h in haz.itertuples():  # listed while the firm operated, ended by its closing at the latest
        closed = ent.closed[h.uscc]
        if closed is not None:
            assert d(h.listed) < d(closed) and h.rectified is not None and d(h.rectified) <= d(closed)
    assert (rect > deadline[rect.index]).any(), "some rectified late"
    assert haz.rectified.isna().any(), "some still open"
    assert (rect <= deadline[rect.index]).mean() > 0.7


def test_blacklist_follows_entry_rules(data):
    bl = data("enterprise-credit", "blacklist")
    acc = data("accident-outcomes", "accidents").set_index("accident_id")
    haz = data("enterprise-credit", "hazards").set_index("hazard_id")
    assert len(bl) > 0
    seen: set[str] = set()
    for row in bl.sort_values(["listed", "listing_id"]).itertuples():
        listed = d(row.listed)
        if row.reason == "hazard_overdue":
            assert row.accident_id is None and row.hazard_id is not None
            h = haz.loc[row.hazard_id]
            assert h.uscc == row.uscc and h.level == "city"
            assert h.rectified is None or d(h.rectified) > d(h.deadline)
            assert listed > d(h.deadline)
        elif row.reason == "licence_revoked":
            assert row.accident_id is None and row.hazard_id is None
        else:
            assert row.hazard_id is None and row.accident_id is not None
            a = acc.loc[row.accident_id]
            assert a.enterprise_uscc == row.uscc and listed > d(a.date)
            if row.reason == "concealment":
                assert a.concealed == "true"
            else:
                assert a.liability == "liability"
            if row.reason == "major_accident":
                assert a.stated_grade in ("major", "particularly_serious")
            if row.reason == "larger_accident":
                assert a.stated_grade in ("larger", "major", "particularly_serious")
            if row.reason == "two_general_12m":
                firm = acc[(acc.enterprise_uscc == row.uscc) & (acc.liability == "liability")
                           & (acc.stated_grade == "general")]
                assert any(timedelta(0) < d(a.date) - d(o) < timedelta(days=365) for o in firm.date)
            if row.reason == "deaths_10_in_year":
                firm = acc[(acc.enterprise_uscc == row.uscc) & (acc.liability == "liability")
                           & (acc.date.str[:4] == a.date[:4])]
                assert firm.deaths.astype(int).sum() >= 10
        assert int(row.term_years) == (3 if row.uscc in seen else 1)
        seen.add(row.uscc)
        assert d(row.expires) == plus_years(listed, int(row.term_years))
        if row.removed is not None:
            assert plus_years(listed, 1) <= d(row.removed) <= d(row.expires)
    assert {"major_accident", "hazard_overdue", "larger_accident"} <= set(bl.reason)


def test_credit_ratings_agree_with_history(data, sample):
    rat = data("enterprise-credit", "credit_ratings")
    ent = data("enterprise-credit", "enterprises").set_index("uscc")
    scheme = pd.read_csv(sample / "reference" / "data" / "credit_grade_scheme.csv", dtype=str,
                         keep_default_na=False)
    rank = {g: int(r) for g, r in zip(scheme.grade, scheme["rank"])}
    best_for_level = {int(lv): rank[g] for g, lv in zip(scheme.grade, scheme.standardisation_level) if lv}
    assert set(rat.scheme) == {"cz2020"}

    bad = defaultdict(set)  # uscc → years with a liability accident or a listing
    acc = data("accident-outcomes", "accidents")
    for u, t, lia in zip(acc.enterprise_uscc, acc.date, acc.liability):
        if u is not None and lia == "liability":
            bad[u].add(t[:4])
    bl = data("enterprise-credit", "blacklist")
    for u, t in zip(bl.uscc, bl.listed):
        bad[u].add(t[:4])
    certs = defaultdict(list)
    cert = data("enterprise-credit", "certificates")
    for u, i, e, lv in zip(cert.uscc, cert.issued, cert.expires, cert.level):
        certs[u].append((d(i), d(e), int(lv)))

    assert set(rat.year) == {str(y) for y in range(2012, LAST_FULL_YEAR + 1)}
    for u, year, grade, rated_on in zip(rat.uscc, rat.year, rat.grade, rat.rated_on):
        day = d(rated_on)
        assert rated_on[:4] == year and d(ent.established[u]) < day
        assert ent.closed[u] is None or day < d(ent.closed[u])  # a closed firm is not rated
        if year in bad.get(u, ()):
            assert grade in ("D", "E"), (u, year)
        held = [lv for i, e, lv in certs.get(u, ()) if i <= day < e]
        ceiling = best_for_level[min(held)] if held else rank["C"]
        assert rank[grade] >= ceiling, (u, year, grade, held)
    assert {"A", "B", "C", "D", "E"} <= set(rat.grade)


def test_no_personal_data(sample):
    """No 身份证-like 18-character IDs or mobile numbers outside the USCC columns."""
    id_card = re.compile(r"(?<![0-9A-Z])[1-9]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])\d{2}\d{3}[\dX](?![0-9A-Z])")
    phone = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    for pkg, resources in SYNTHETIC.items():
        for res in resources:
            df = pd.read_csv(sample / pkg / "data" / f"{res}.csv", dtype=str, keep_default_na=False)
            for col in df.columns:
                if "uscc" in col:
                    continue
                text = "\n".join(df[col])
                assert not id_card.search(text) and not phone.search(text), (pkg, res, col)


# ---------------------------------------------------------------- indicator observations

def test_observations_match_outcomes_and_cover_every_indicator(data, districts):
    obs = data("indicator-progress", "observations")
    ind = pd.read_csv(data.root / "indicator-progress" / "data" / "indicators.csv", dtype=str,
                      keep_default_na=False)
    out = data("accident-outcomes", "annual_outcomes")
    city = out[out.district_code == CITY].set_index("year")
    rate_cols = {"per_100m_yuan_gdp": ("gdp_death_rate", "deaths", "gdp_100m_yuan"),
                 "per_100k_workers": ("industrial_death_rate", "industrial_deaths", "industrial_employees"),
                 "per_10k_vehicles": ("road_death_rate", "road_deaths", "motor_vehicles")}
    for i in ind.itertuples():
        rows = obs[obs.indicator_id == i.id]
        assert set(rows.year) == {str(y) for y in range(2012, LAST_FULL_YEAR + 1)}, i.id
        for r in rows.itertuples():
            if i.unit in rate_cols:
                rate, num, den = rate_cols[i.unit]
                assert (r.value, r.numerator, r.denominator) == (
                    city[rate][r.year], city[num][r.year], city[den][r.year])
            elif i.unit in ("accidents", "deaths"):
                assert r.value == city[i.unit][r.year] and r.numerator is None
            elif i.unit == "percent":
                n, dd = int(r.numerator), int(r.denominator)
                assert 0 <= n <= dd and r.value == f"{100 * n / dd:.{int(i.decimals)}f}"
            else:
                assert r.numerator is None and float(r.value) >= 0
        if i.breakdown == "city":
            assert set(rows.district_code) == {CITY}
        else:
            for year, group in rows.groupby("year"):
                day = date(int(year), 12, 31)
                valid = {c for c, (lo, hi) in districts.items()
                         if lo <= day <= hi and c not in (CITY, "320000")}
                assert set(group.district_code) - {CITY} <= valid
                city_row = group[group.district_code == CITY].iloc[0]
                parts = group[group.district_code != CITY]
                assert int(city_row.numerator) == parts.numerator.astype(int).sum()
                assert int(city_row.denominator) == parts.denominator.astype(int).sum()
