"""Derived figures as steps: discovery, the JSON Table Schemas, steps run on their own inputs,
and the constants that come from the configuration."""

from __future__ import annotations

import dataclasses
import json
import re
import types
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from test_derive_catalog import REF, small_catalog

from pipeline.config import current
from pipeline.derive import (
    IDENTITIES,
    NAME,
    derive,
    derived_tables,
    missing_sources,
    schemas,
)
from pipeline.derive.steps import _step, discover

STEPS_DIR = Path(schemas.__file__).parents[1] / "steps"
CJK = re.compile("[\u4e00-\u9fff]")


def outputs(steps) -> set[str]:
    return {name for step in steps for name in step.outputs}


# ---- discovery ---------------------------------------------------------------------------

def test_discovery_finds_every_step_module_and_every_schema_is_made_by_one():
    modules = {p.stem for p in STEPS_DIR.glob("*.py") if not p.stem.startswith("_")}
    steps = discover()
    assert {step.name for step in steps} == modules
    made = [name for step in steps for name in step.outputs]
    assert len(made) == len(set(made))
    assert set(made) == set(schemas.names())
    # the tables this portal has always derived are among them
    assert {"rates", "control_targets_attainment", "accident_statistics", "progress_status",
            "credit_grade_distribution", "certificates_status", "hazard_rectification",
            "hazard_summary", "blacklist_public", "blacklist_expired_counts"} <= set(made)
    assert [s.order for s in steps] == sorted(s.order for s in steps)


def test_a_step_module_is_checked_when_it_is_found():
    def module(**attrs):
        return types.SimpleNamespace(__name__="pipeline.derive.steps.fake", ORDER=1,
                                     run=lambda inputs, **_: {}, **attrs)

    with pytest.raises(TypeError, match="INPUTS"):
        _step(module(INPUTS=("accident-outcomes",), OUTPUTS=("rates",)))
    with pytest.raises(TypeError, match="OUTPUTS"):
        _step(module(INPUTS=(("reference", "districts"),), OUTPUTS=()))
    with pytest.raises(KeyError, match="no schema file"):
        _step(module(INPUTS=(("reference", "districts"),), OUTPUTS=("no_such_table",)))
    step = _step(module(INPUTS=[["reference", "districts"]], OUTPUTS=["rates"]))
    assert (step.name, step.inputs, step.outputs) == ("fake", (("reference", "districts"),),
                                                      ("rates",))


# ---- the schema files --------------------------------------------------------------------

@pytest.mark.parametrize("name", schemas.names())
def test_every_schema_file_is_a_valid_table_schema(name):
    from frictionless import Schema

    spec = schemas.spec(name)
    report = Schema.validate_descriptor(spec)
    assert report.valid, report.flatten(["type", "note"])
    schema = Schema.from_descriptor(schemas.table_schema(name))
    field_names = [f["name"] for f in spec["fields"]]
    assert schema.field_names == field_names
    assert set(spec["primaryKey"]) <= set(field_names)
    assert set(spec).issubset({"fields", "primaryKey", *schemas.RESOURCE_KEYS}), set(spec)
    for key in spec.get("x-foreignKeys", []):
        assert set(key["fields"]) <= set(field_names)
        assert {"package", "resource", "fields"} <= set(key["reference"])
    if "x-identity" in spec:
        assert spec["x-identity"] in spec["primaryKey"]
    for f in spec["fields"]:
        assert f["type"] in schemas.ARROW_TYPES, (name, f["name"])
        if "x-enumFromConfig" in f:
            assert f["x-enumFromConfig"] in schemas.CONFIG_ENUMS
            assert "enum" not in f.get("constraints", {})  # one source, not two


@pytest.mark.parametrize("name", schemas.names())
def test_every_table_and_field_is_described_in_both_languages(name):
    spec = schemas.spec(name)
    for node, where in [(spec, name)] + [(f, f"{name}.{f['name']}") for f in spec["fields"]]:
        for key in ("title", "description"):
            assert CJK.search(node[key]), (where, key, node[key])  # Chinese
            english = node["x-en"][key]
            assert english.strip() and english[0].isascii(), (where, key, english)  # English
            assert english != node[key]


def test_the_file_is_the_contract_a_descriptor_carries():
    derived = derive(small_catalog(), reference_date=REF).packages[NAME]
    for name, resource in derived.resources.items():
        spec, d = schemas.spec(name), resource.descriptor
        assert (d["title"], d["x-en"]["title"]) == (spec["title"], spec["x-en"]["title"])
        assert d["description"].startswith(spec["description"])
        assert [f["name"] for f in d["schema"]["fields"]] == [f["name"] for f in spec["fields"]]
        assert d["schema"]["primaryKey"] == spec["primaryKey"]
        assert d.get("x-foreignKeys") == spec.get("x-foreignKeys")
        for f, declared in zip(d["schema"]["fields"], spec["fields"], strict=True):
            assert f["x-en"] == declared["x-en"] and f["description"] == declared["description"]


def test_code_reads_enumerations_from_the_schema():
    from pipeline.derive import progress
    from pipeline.derive.steps import hazard_rectification

    assert hazard_rectification.STATUSES == schemas.enum("hazard_rectification", "status")
    assert progress.STATUSES == schemas.enum("progress_status", "status")
    assert progress.REASONS == schemas.enum("progress_status", "reason")
    named = {progress.TARGET_ACHIEVED, progress.ON_TRACK, progress.ACCELERATION_NEEDED,
             progress.LIMITED_PROGRESS, progress.DETERIORATION, progress.NOT_AVAILABLE}
    assert named == set(progress.STATUSES)
    assert progress.STATUSES[-1] == progress.NOT_AVAILABLE  # best first, not available last
    with pytest.raises(KeyError):
        schemas.enum("hazard_rectification", "no_such_field")


def test_identities_come_from_the_schemas():
    declared = {(NAME, name): schemas.spec(name)["x-identity"] for name in schemas.names()
                if "x-identity" in schemas.spec(name)}
    assert IDENTITIES == declared
    assert IDENTITIES[(NAME, "blacklist_public")] == "listing_id"
    assert (NAME, "blacklist_expired_counts") not in IDENTITIES  # counts name nobody


# ---- each step on its own inputs ---------------------------------------------------------

def test_every_step_of_the_four_packages_runs_on_the_full_catalog():
    catalog = small_catalog()
    assert missing_sources(catalog) == {
        step.name: step.missing(catalog) for step in discover()
        if not {p for p, _ in step.inputs} <= set(catalog.packages)}
    assert set(derived_tables(catalog, reference_date=REF)) == outputs(
        s for s in discover() if not s.missing(catalog))


@pytest.mark.parametrize("package", ["enterprise-credit", "accident-outcomes",
                                     "indicator-progress", "reference"])
def test_a_catalog_without_one_package_gets_every_table_that_does_not_need_it(package):
    full = derive(small_catalog(), reference_date=REF).packages[NAME]
    catalog = small_catalog()
    del catalog.packages[package]
    needs = {s.name for s in discover() if package in {p for p, _ in s.inputs}}
    runnable = [s for s in discover() if not s.missing(catalog)]
    assert needs and runnable
    assert needs <= set(missing_sources(catalog))
    for step in discover():
        if step.name in needs:
            assert any(m.startswith(f"{package}/") for m in missing_sources(catalog)[step.name])

    derived = derive(catalog, reference_date=REF).packages[NAME]
    assert set(derived.resources) == outputs(runnable)
    assert not set(derived.resources) & outputs(s for s in discover() if s.name in needs)
    for name, resource in derived.resources.items():  # the same tables as with every source
        assert resource.table.equals(full.resources[name].table), name
        assert resource.descriptor == full.resources[name].descriptor, name
    # the package speaks only of the sources it used
    used = {src["package"] for r in derived.descriptor["resources"] for src in r["x-derivedFrom"]}
    assert package not in used
    assert {s["x-package"] for s in derived.descriptor["sources"]} == used
    assert [r["name"] for r in derived.descriptor["resources"]] == list(derived.resources)


def test_without_enterprise_credit_the_rates_are_still_derived():
    catalog = small_catalog()
    del catalog.packages["enterprise-credit"]
    derived = derive(catalog, reference_date=REF).packages[NAME]
    assert {"rates", "control_targets_attainment", "accident_statistics",
            "progress_status"} <= set(derived.resources)
    assert not {"blacklist_public", "hazard_summary", "certificates_status",
                "credit_grade_distribution"} & set(derived.resources)


def test_a_catalog_no_step_can_use_gets_no_derived_package():
    catalog = small_catalog()
    for package in ("accident-outcomes", "enterprise-credit", "indicator-progress"):
        del catalog.packages[package]
    assert not {s.name for s in discover() if not s.missing(catalog)}
    assert NAME not in derive(catalog, reference_date=REF).packages
    # and a derived package left from an earlier call is not kept with stale tables
    full = derive(small_catalog(), reference_date=REF)
    for package in ("accident-outcomes", "enterprise-credit", "indicator-progress"):
        del full.packages[package]
    assert NAME not in derive(full, reference_date=REF).packages


def test_an_untyped_input_is_refused_only_where_a_step_reads_it():
    catalog = small_catalog()
    catalog.resource("enterprise-credit", "hazards").typed = False
    with pytest.raises(ValueError, match="enterprise-credit/hazards is not typed"):
        derive(catalog, reference_date=REF)
    catalog = small_catalog()
    del catalog.packages["enterprise-credit"]
    catalog.resource("reference", "credit_grade_scheme").typed = False  # read by no step now
    assert "rates" in derive(catalog, reference_date=REF).packages[NAME].resources


@pytest.mark.parametrize("step", discover(), ids=lambda s: s.name)
def test_a_step_output_conforms_to_its_schema(step):
    catalog = small_catalog()
    if step.missing(catalog):
        pytest.skip(f"the small catalog lacks {step.missing(catalog)}")
    inputs = {(p, r): catalog.table(p, r) for p, r in step.inputs}
    raw = step.run(inputs, reference_date=REF, config=current())
    assert set(raw) == set(step.outputs)
    for name, table in raw.items():
        spec = schemas.spec(name)
        declared = [f["name"] for f in spec["fields"]]
        columns = table.column_names if isinstance(table, pa.Table) else list(table.columns)
        assert set(declared) <= set(columns), (name, set(declared) - set(columns))
        out = schemas.conform(table, name)
        assert out.schema == schemas.arrow_schema(name)
        assert out.num_rows == len(table)
        key = spec["primaryKey"]
        assert out.group_by(key).aggregate([]).num_rows == out.num_rows, name
        keys = out.select(key).to_pylist()
        assert keys == sorted(keys, key=lambda r: tuple(r.values()))
        for f in schemas.table_schema(name)["fields"]:
            c, column = f.get("constraints", {}), out[f["name"]]
            if c.get("required"):
                assert column.null_count == 0, (name, f["name"])
            values = [v for v in column.to_pylist() if v is not None]
            if "enum" in c:
                assert set(values) <= set(c["enum"]), (name, f["name"])
            if "pattern" in c:
                assert all(re.fullmatch(c["pattern"], v) for v in values), (name, f["name"])
            if "minimum" in c and values:
                assert pc.min(column).as_py() >= c["minimum"], (name, f["name"])
            if c.get("unique"):
                assert len(values) == len(set(values)), (name, f["name"])


def test_conform_selects_orders_casts_and_sorts_as_declared():
    spec = schemas.spec("hazard_summary")
    names = [f["name"] for f in spec["fields"]]
    rows = {n: pa.array([0, 0], pa.int32()) for n in names}  # integers of the wrong width
    rows.update(as_of=pa.array([REF, REF], pa.date32()),
                district_code=pa.array(["320412", "320402"]), year=pa.array([2015, 2015]),
                rectification_rate_pct=pa.array([None, 1], pa.int64()),
                on_time_rate_pct=pa.array([None, None], pa.float64()), extra=pa.array(["x", "y"]))
    table = pa.table(dict(reversed(list(rows.items()))))
    out = schemas.conform(table, "hazard_summary")
    assert out.column_names == names
    assert out.schema == schemas.arrow_schema("hazard_summary")
    assert out["district_code"].to_pylist() == ["320402", "320412"]
    assert out["rectification_rate_pct"].to_pylist() == [1.0, None]
    with pytest.raises(KeyError):
        schemas.conform(table.drop_columns(["hazards"]), "hazard_summary")


# ---- constants from the configuration ----------------------------------------------------

def _config(**site_or_top):
    config = current()
    site = {k: v for k, v in site_or_top.items() if k in {f.name for f in
                                                          dataclasses.fields(config.site)}}
    top = {k: v for k, v in site_or_top.items() if k not in site}
    return dataclasses.replace(config, site=dataclasses.replace(config.site, **site), **top)


def _rates(*ids):
    """The configuration in force with only the rates ``ids``, in that order."""
    formulas = current().rate_formulas
    return _config(rates=ids, rate_formulas={rate: formulas[rate] for rate in ids})


def test_the_rates_are_the_configurations_in_its_order():
    config = _rates("road_death_rate", "gdp_death_rate")
    tables = derived_tables(small_catalog(), reference_date=REF, config=config)
    assert set(tables["rates"]["rate_id"].to_pylist()) == {"road_death_rate", "gdp_death_rate"}
    derived = derive(small_catalog(), reference_date=REF, config=config).packages[NAME]
    [rate_id] = [f for f in derived.resources["rates"].descriptor["schema"]["fields"]
                 if f["name"] == "rate_id"]
    assert rate_id["constraints"]["enum"] == ["road_death_rate", "gdp_death_rate"]
    default = derive(small_catalog(), reference_date=REF).packages[NAME]
    [rate_id] = [f for f in default.resources["rates"].descriptor["schema"]["fields"]
                 if f["name"] == "rate_id"]
    assert rate_id["constraints"]["enum"] == list(current().rates)
    # the progress status looks a rate indicator's benchmark up among the configured rates
    progress = {r["indicator_id"]: r for r in tables["progress_status"].to_pylist()}
    assert progress["goal-gdp-death-rate"]["target_source"] == "provincial_benchmark"
    assert progress["goal-gdp-death-rate"]["target_value"] == 0.002  # the 2014 average


def test_a_configured_rate_without_its_formula_is_refused_with_its_key_path():
    from pipeline.config import DEFAULT, ConfigError, parse

    text = DEFAULT.read_text(encoding="utf-8").replace("scale: 10000,\n", "", 1)
    with pytest.raises(ConfigError, match="indicators.rates.road_death_rate") as refused:
        parse(text)
    assert CJK.search(str(refused.value)) and "scale" in str(refused.value)


def test_a_formula_changed_in_the_configuration_changes_the_derived_rates():
    formulas = dict(current().rate_formulas)
    formulas["road_death_rate"] = {**formulas["road_death_rate"], "scale": 100_000}
    config = _config(rate_formulas=formulas)
    base = derived_tables(small_catalog(), reference_date=REF)["rates"].to_pylist()
    changed = derived_tables(small_catalog(), reference_date=REF, config=config)["rates"].to_pylist()
    pairs = [(a["rate"], b["rate"]) for a, b in zip(base, changed, strict=True)
             if a["rate_id"] == "road_death_rate" and a["rate"]]
    # both rounded to one decimal: ten times the first may be off by ten half-units, plus one
    assert pairs and all(abs(b - a * 10) <= 0.55 + 1e-9 for a, b in pairs)


def test_the_city_code_is_the_configurations():
    catalog = small_catalog()
    indicators = catalog.resource("indicator-progress", "indicators")
    extra = pa.table({name: pa.array([None], indicators.table.schema.field(name).type)
                      for name in indicators.table.column_names})
    extra = extra.set_column(0, "id", pa.array(["unobserved"]))
    indicators.table = pa.concat_tables([indicators.table, extra])
    for code in (current().site.city_code, "320499"):
        tables = derived_tables(catalog, reference_date=REF, config=_config(city_code=code))
        rows = [r for r in tables["progress_status"].to_pylist() if r["indicator_id"] == "unobserved"]
        assert [(r["district_code"], r["reason"]) for r in rows] == [(code, "no_data")]


def test_nothing_in_derive_defines_the_city_code_or_the_rate_ids():
    import pipeline.derive as derive_package

    assert not hasattr(derive_package, "CITY_CODE")
    assert not hasattr(schemas, "RATE_IDS")
    code = current().site.city_code
    root = Path(derive_package.__file__).parent
    for path in root.rglob("*"):
        if path.suffix in {".py", ".json"}:
            assert code not in path.read_text(encoding="utf-8"), path
    for path in (root / "schemas").glob("*.json"):
        text = json.loads(path.read_text(encoding="utf-8"))
        for f in text["fields"]:
            assert set(f.get("constraints", {}).get("enum", [])).isdisjoint(current().rates), path


def test_derive_is_the_same_for_the_same_date_and_moves_with_it():
    first = derived_tables(small_catalog(), reference_date=REF)
    assert all(first[n].equals(t) for n, t in
               derived_tables(small_catalog(), reference_date=REF).items())
    later = derived_tables(small_catalog(), reference_date=date(2016, 3, 2))
    assert later["blacklist_public"].num_rows < first["blacklist_public"].num_rows


def test_portal_yml_chooses_the_steps_that_run():
    from pipeline.config import ConfigError
    from pipeline.derive import configured

    assert {s.name for s in configured()} == set(current().derived)  # every name is a step
    only = _config(derived=("rates", "accident_statistics"))
    tables = derived_tables(small_catalog(), reference_date=REF, config=only)
    assert set(tables) == {"rates", "accident_statistics"}
    everything = _config(derived=None)
    assert len(derived_tables(small_catalog(), reference_date=REF, config=everything)) > 2
    with pytest.raises(ConfigError, match="fire_rates") as refused:
        derived_tables(small_catalog(), reference_date=REF, config=_config(derived=("rates", "fire_rates")))
    assert CJK.search(str(refused.value))
