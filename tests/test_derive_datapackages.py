"""derive() on the committed data packages, after the real load and validate stages.

Besides "it runs", each derived figure is checked against the source rows it comes from by a
second, independent route (pandas on the typed source tables), and the derived package is
written out and validated by frictionless.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow.csv as pacsv
import pytest

from pipeline.derive import derive
from pipeline.derive.steps import discover
from pipeline.load import load_catalog
from pipeline.validate import validate_catalog

REF = date(2016, 3, 1)


@pytest.fixture(scope="module")
def catalog(datapackages_dir):
    catalog = load_catalog([datapackages_dir])
    report = validate_catalog(catalog)
    assert report.valid, [str(e) for e in report.errors[:5]]
    return derive(catalog, reference_date=REF)


def frame(catalog, package, resource) -> pd.DataFrame:
    return catalog.table(package, resource).to_pandas()


def test_every_derived_resource_is_there_and_non_empty(catalog):
    derived = catalog.packages["derived"]
    assert set(derived.resources) == {name for step in discover() for name in step.outputs}
    for name, resource in derived.resources.items():
        assert resource.table.num_rows > 0, name
        assert resource.table.column_names == [
            f["name"] for f in resource.descriptor["schema"]["fields"]]


def test_recomputed_rates_agree_with_stated_rates_within_half_a_unit(catalog):
    rates = frame(catalog, "derived", "rates")
    both = rates.dropna(subset=["rate", "stated_rate"])
    assert len(both) > 0
    tolerance = 0.5 * 10.0 ** -both["decimals"] + 1e-12
    assert ((both["rate"] - both["stated_rate"]).abs() <= tolerance).all()
    # Where the data have no denominator (a partial year) there is no rate.
    partial = rates[rates["partial_year"]]
    assert partial["rate"].isna().all()


def test_accident_statistics_add_up_to_the_accidents_and_annual_outcomes(catalog):
    stats = frame(catalog, "derived", "accident_statistics")
    accidents = frame(catalog, "accident-outcomes", "accidents")
    assert stats["accidents"].sum() == len(accidents)
    assert stats["deaths"].sum() == accidents["deaths"].sum()
    assert stats["direct_loss_yuan"].sum() == accidents["direct_loss_yuan"].sum()
    per_district = stats.groupby(["district_code", "year"])["accidents"].sum()
    outcomes = frame(catalog, "accident-outcomes", "annual_outcomes")
    districts = outcomes[outcomes["district_code"] != "320400"].set_index(
        ["district_code", "year"])["accidents"]
    # annual rows exist for complete years only: the accidents of the year the data end in
    # have none yet
    years = set(outcomes["year"])
    assert set(per_district.index.get_level_values("year")) - years == {max(years) + 1}
    per_district = per_district[per_district.index.get_level_values("year").isin(years)]
    joined = pd.concat([per_district.rename("derived"), districts.rename("source")],
                       axis=1).fillna(0)
    assert (joined["derived"] == joined["source"]).all()


def test_progress_inputs_come_from_the_rates_and_benchmarks(catalog):
    progress = frame(catalog, "derived", "progress_status").set_index(
        ["indicator_id", "district_code"])
    indicators = frame(catalog, "indicator-progress", "indicators").set_index("id")
    benchmarks = frame(catalog, "accident-outcomes", "provincial_benchmarks").set_index("year")
    unit_column = {"per_100m_yuan_gdp": "gdp_death_rate",
                   "per_100k_workers": "industrial_death_rate",
                   "per_10k_vehicles": "road_death_rate"}
    checked = 0
    for (indicator, district), row in progress.iterrows():
        if indicators.at[indicator, "target_kind"] != "below_provincial_average":
            continue
        column = unit_column[indicators.at[indicator, "unit"]]
        assert row["target_value"] == benchmarks.at[row["latest_year"], column]
        checked += 1
    assert checked >= 3
    assert set(progress["status"]) <= {
        "target_achieved", "on_track", "acceleration_needed", "limited_progress",
        "deterioration", "not_available"}
    assert set(progress.reset_index()["indicator_id"]) == set(indicators.index)


def test_blacklist_split_is_complete_and_public_rows_are_active(catalog):
    public = frame(catalog, "derived", "blacklist_public")
    counts = frame(catalog, "derived", "blacklist_expired_counts")
    listings = frame(catalog, "enterprise-credit", "blacklist")
    ref = pd.Timestamp(REF).date()
    listed = listings[listings["listed"] <= ref]
    assert len(public) + counts["listings"].sum() == len(listed)
    assert ((public["listed"] <= ref) & (public["expires"] > ref)).all()
    removed = listings.set_index("listing_id").loc[public["listing_id"], "removed"]
    assert (removed.isna() | (removed > ref)).all()
    assert not {"uscc", "enterprise_name", "listing_id"} & set(counts.columns)


def test_hazard_summary_matches_the_hazards(catalog):
    rows = frame(catalog, "derived", "hazard_rectification")
    summary = frame(catalog, "derived", "hazard_summary")
    hazards = frame(catalog, "enterprise-credit", "hazards")
    assert len(rows) == (hazards["listed"] <= REF).sum()
    assert summary["hazards"].sum() == len(rows)
    for status in ("on_time", "late", "open", "overdue_open"):
        assert summary[status].sum() == (rows["status"] == status).sum()


def test_grade_counts_match_the_ratings(catalog):
    grades = frame(catalog, "derived", "credit_grade_distribution")
    ratings = frame(catalog, "enterprise-credit", "credit_ratings")
    assert grades["enterprises"].sum() == len(ratings)
    shares = grades.groupby(["year", "district_code", "sector_code", "scheme"])["share_pct"]
    assert ((shares.sum() - 100).abs() <= 0.5 * 5).all()  # rounding, at most 5 grades


def test_frictionless_accepts_the_derived_package(catalog, tmp_path):
    from frictionless import Package as FrictionlessPackage

    derived = catalog.packages["derived"]
    (tmp_path / "data").mkdir()
    for name, resource in derived.resources.items():
        pacsv.write_csv(resource.table, tmp_path / "data" / f"{name}.csv")
    (tmp_path / "datapackage.json").write_text(
        json.dumps(derived.descriptor, ensure_ascii=False), encoding="utf-8")
    report = FrictionlessPackage(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "note"])[:5]
