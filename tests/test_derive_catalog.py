"""derive() end to end on a small typed catalog built here (no files), and its descriptors."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from pipeline.derive import derive
from pipeline.derive.schemas import ARROW_TYPES
from pipeline.derive.steps import discover
from pipeline.model import Catalog, Package, Resource

D = date
REF = date(2016, 3, 1)


def table(**columns) -> pa.Table:
    return pa.table(columns)


def col(values, type_):
    return pa.array(values, type=type_)


S, I, F, B, DT = pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.date32()


U1, U2, U3 = "91320400MA1000001X", "91320400MA1000002X", "91320400MA1000003X"


def small_catalog() -> Catalog:
    """Two districts and the city over 2012–2014; figures chosen so results are easy by hand."""
    tables = {
        ("reference", "credit_grade_scheme"): table(
            scheme=col(["cz2020"] * 5, S), grade=col(list("ABCDE"), S),
            rank=col([1, 2, 3, 4, 5], I)),
        ("accident-outcomes", "annual_outcomes"): table(
            district_code=col(["320402", "320402", "320402", "320400", "320400", "320400"], S),
            year=col([2012, 2013, 2014, 2012, 2013, 2014], I),
            accidents=col([10, 8, 9, 20, 16, 18], I),
            deaths=col([4, 3, 3, 8, 6, 6], I),
            industrial_deaths=col([2, 1, 1, 4, 2, 2], I),
            road_deaths=col([2, 2, 2, 4, 4, 4], I),
            gdp_100m_yuan=col([800.0, 1000.0, None, 1600.0, 2000.0, 2400.0], F),
            industrial_employees=col([200000, 200000, None, 400000, 400000, 400000], I),
            motor_vehicles=col([50000, 80000, None, 100000, 160000, 200000], I),
            gdp_death_rate=col([0.005, 0.003, None, 0.005, 0.003, 0.0025], F),
            industrial_death_rate=col([1.0, 0.5, None, 1.0, 0.5, 0.5], F),
            road_death_rate=col([0.4, 0.3, None, 0.4, 0.3, 0.2], F),
            partial_year=col([False, False, True, False, False, False], B),
            boundary_note=col([None, None, "boundary changed", None, None, None], S)),
        ("accident-outcomes", "provincial_benchmarks"): table(
            year=col([2012, 2013, 2014], I),
            gdp_death_rate=col([0.006, 0.003, 0.002], F),
            industrial_death_rate=col([1.2, 0.6, 0.4], F),
            road_death_rate=col([0.5, 0.3, 0.3], F)),
        ("accident-outcomes", "control_targets"): table(
            district_code=col(["320400", "320400", "320400"], S),
            year=col([2012, 2013, 2014], I),
            max_accidents=col([25, 16, 17], I), max_deaths=col([10, 7, 5], I)),
        ("accident-outcomes", "accidents"): table(
            accident_id=col(["A201200001", "A201200002", "A201300001"], S),
            date=col([D(2012, 1, 5), D(2012, 12, 31), D(2013, 1, 1)], DT),
            district_code=col(["320402"] * 3, S),
            sector_code=col(["machinery", "machinery", "road"], S),
            category_code=col(["03", "03", "02"], S),
            deaths=col([1, 2, 3], I), serious_injuries=col([0, 1, 0], I),
            direct_loss_yuan=col([100, 200, 300], I),
            stated_grade=col(["general", "general", "larger"], S),
            liability=col(["liability"] * 3, S), concealed=col([False] * 3, B),
            enterprise_uscc=col([None] * 3, S), report_status=col(["published"] * 3, S),
            report_published=col([None] * 3, DT), report_url=col([None] * 3, S)),
        ("enterprise-credit", "enterprises"): table(
            uscc=col([U1, U2, U3], S),
            name=col(["示例甲公司", "示例乙公司", "示例丙公司"], S),
            district_code=col(["320402", "320402", "320404"], S),
            sector_code=col(["machinery", "machinery", "hazchem"], S),
            scale=col(["above", "below", "above"], S),
            established=col([D(2000, 1, 1)] * 3, DT)),
        ("enterprise-credit", "credit_ratings"): table(
            uscc=col([U1, U2, U3], S), year=col([2014] * 3, I),
            scheme=col(["cz2020"] * 3, S), grade=col(["A", "A", "C"], S),
            rated_on=col([D(2014, 6, 1)] * 3, DT)),
        ("enterprise-credit", "certificates"): table(
            certificate_id=col(["C1", "C2", "C3"], S), uscc=col([U1, U2, U3], S),
            level=col([3, 3, 2], I),
            issued=col([D(2013, 3, 1), D(2012, 1, 1), D(2016, 6, 1)], DT),
            expires=col([D(2016, 3, 1), D(2015, 1, 1), D(2019, 6, 1)], DT)),
        ("enterprise-credit", "blacklist"): table(
            listing_id=col(["L1", "L2"], S), uscc=col([U1, U2], S),
            reason=col(["concealment", "major_accident"], S),
            accident_id=col([None, "A201300001"], S), hazard_id=col([None, None], S),
            listed=col([D(2015, 3, 2), D(2015, 3, 1)], DT), term_years=col([1, 1], I),
            expires=col([D(2016, 3, 2), D(2016, 3, 1)], DT), removed=col([None, None], DT)),
        ("enterprise-credit", "hazards"): table(
            hazard_id=col(["H1"], S), uscc=col([U1], S), district_code=col(["320402"], S),
            level=col(["city"], S), listed=col([D(2015, 1, 1)], DT),
            deadline=col([D(2015, 6, 30)], DT), rectified=col([D(2015, 6, 30)], DT)),
        ("indicator-progress", "indicators"): table(
            id=col(["goal-gdp-death-rate", "goal-deaths"], S),
            direction=col(["lower", "lower"], S),
            target_kind=col(["below_provincial_average", "below_control_target"], S),
            target_value=col([None, None], F), target_year=col([2015, 2015], I),
            base_year=col([2012, 2012], I),
            unit=col(["per_100m_yuan_gdp", "deaths"], S)),
        ("indicator-progress", "observations"): table(
            indicator_id=col(["goal-gdp-death-rate"] * 3 + ["goal-deaths"] * 3, S),
            district_code=col(["320400"] * 6, S), year=col([2012, 2013, 2014] * 2, I),
            value=col([0.005, 0.003, 0.0025, 8.0, 6.0, 6.0], F),
            numerator=col([None] * 6, F), denominator=col([None] * 6, F),
            note=col([None] * 6, S)),
    }
    catalog = Catalog()
    for (package, name), tab in tables.items():
        pkg = catalog.packages.setdefault(package, Package(
            name=package, root=None,
            descriptor={"name": package, "synthetic": package != "reference",
                        "created": "2026-11-29T00:00:00Z" if package == "reference"
                        else "2026-11-30T00:00:00Z",
                        "licenses": [{"name": "CC-BY-4.0"}],
                        "contributors": [{"title": "team"}]}))
        pkg.resources[name] = Resource(package=package, name=name, path=None, table=tab,
                                       typed=True,
                                       descriptor={"name": name,
                                                   "synthetic": package != "reference"})
    return catalog


@pytest.fixture
def derived():
    return derive(small_catalog(), reference_date=REF).packages["derived"]


def test_every_declared_resource_is_derived_with_its_declared_columns(derived):
    catalog = small_catalog()
    expected = {name for step in discover() if not step.missing(catalog) for name in step.outputs}
    assert set(derived.resources) == expected
    # the catalog holds every source of the four packages: every step reading only them runs
    assert {name for step in discover() for name in step.outputs
            if {p for p, _ in step.inputs} <= set(catalog.packages)} == expected
    for name, resource in derived.resources.items():
        fields = resource.descriptor["schema"]["fields"]
        assert resource.table.column_names == [f["name"] for f in fields], name
        for f in fields:
            assert resource.table.schema.field(f["name"]).type == ARROW_TYPES[f["type"]]


def test_the_package_descriptor_is_bilingual_fixed_and_marked_synthetic(derived):
    d = derived.descriptor
    assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert (d["name"], d["synthetic"], d["x-referenceDate"]) == ("derived", True, "2016-03-01")
    assert d["id"].startswith("urn:")
    assert d["created"] == "2026-11-30T00:00:00Z"  # the newest source, never "now"
    assert "合成数据" in d["description"] and "synthetic" in d["x-en"]["description"]
    assert d["licenses"] == [{"name": "CC-BY-4.0"}]
    assert [r["name"] for r in d["resources"]] == list(derived.resources)


def test_every_resource_is_traceable_and_fully_described(derived):
    catalog = small_catalog()
    for name, resource in derived.resources.items():
        r = resource.descriptor
        assert r["path"] == f"data/{name}.csv" and resource.path is None
        assert (r["type"], r["format"], r["mediatype"], r["encoding"]) == (
            "table", "csv", "text/csv", "utf-8")
        assert r["synthetic"] is True, name  # every one has a synthetic source here
        assert "合成数据" in r["description"] and "synthetic" in r["x-en"]["description"]
        assert r["x-derivedFrom"], name
        for src in r["x-derivedFrom"]:
            catalog.resource(src["package"], src["resource"])  # exists
        for f in r["schema"]["fields"]:
            # Chinese title and description, English ones in x-en (as the source packages)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in f["title"]), (name, f)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in f["description"]), (name, f)
            for key in ("title", "description"):  # English (may quote a Chinese term)
                assert f["x-en"][key] and f["x-en"][key][0].isascii(), (name, f["name"], key)
            assert f["type"] in ARROW_TYPES
            assert "x-enumFromConfig" not in f  # resolved to an enum in the descriptor


def test_tables_respect_keys_and_constraints(derived):
    import pyarrow.compute as pc

    for name, resource in derived.resources.items():
        table = resource.table
        key = resource.descriptor["schema"]["primaryKey"]
        assert table.group_by(key).aggregate([]).num_rows == table.num_rows, name
        assert table.select(key).to_pylist() == sorted(table.select(key).to_pylist(),
                                                       key=lambda r: tuple(r.values()))
        for f in resource.descriptor["schema"]["fields"]:
            c = f.get("constraints", {})
            column = table[f["name"]]
            if c.get("required"):
                assert column.null_count == 0, (name, f["name"])
            if "enum" in c:
                assert {v for v in column.to_pylist() if v is not None} <= set(c["enum"])
            if "minimum" in c and len(column) and column.null_count < len(column):
                assert pc.min(column).as_py() >= c["minimum"], (name, f["name"])


def test_frictionless_accepts_the_derived_package(derived, tmp_path):
    """The reference implementation agrees that the tables match their descriptors."""
    import json

    import pyarrow.csv as pacsv
    from frictionless import Package as FrictionlessPackage

    (tmp_path / "data").mkdir()
    for name, resource in derived.resources.items():
        pacsv.write_csv(resource.table, tmp_path / "data" / f"{name}.csv",
                        pacsv.WriteOptions(quoting_style="needed"))
    (tmp_path / "datapackage.json").write_text(
        json.dumps(derived.descriptor, ensure_ascii=False), encoding="utf-8")
    report = FrictionlessPackage(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_same_inputs_same_tables_and_sources_untouched():
    catalog = small_catalog()
    before = {(r.package, r.name): r.table for r in catalog}
    first = derive(catalog, reference_date=REF).packages["derived"]
    second = derive(small_catalog(), reference_date=REF).packages["derived"]
    for name in first.resources:
        assert first.resources[name].table.equals(second.resources[name].table), name
    assert first.descriptor == second.descriptor
    for r in catalog:
        if r.package != "derived":
            assert r.table is before[(r.package, r.name)]


def test_the_reference_date_moves_statuses():
    later = derive(small_catalog(), reference_date=date(2016, 3, 2)).packages["derived"]
    # L1 (expires 2016-03-02) is active on 2016-03-01 and expired on 2016-03-02.
    assert later.resources["blacklist_public"].table.num_rows == 0
    assert later.resources["blacklist_expired_counts"].table["listings"].to_pylist() == [1, 1]


def test_untyped_catalog_is_refused():
    catalog = small_catalog()
    catalog.resource("accident-outcomes", "accidents").typed = False
    with pytest.raises(ValueError, match="not typed"):
        derive(catalog, reference_date=REF)


def test_every_derived_code_has_a_label_in_both_languages():
    from pipeline.config import current
    from pipeline.derive.schemas import enum
    from pipeline.i18n import t

    keys = ([f"progress.status.{s}" for s in enum("progress_status", "status")]
            + [f"progress.reason.{r}" for r in enum("progress_status", "reason")]
            + [f"hazard.status.{s}" for s in enum("hazard_rectification", "status")]
            + [f"rate.{r}" for r in current().rates])
    for key in keys:
        assert t(key, "zh") and t(key, "en"), key
        assert t(key, "zh") != t(key, "en"), key
