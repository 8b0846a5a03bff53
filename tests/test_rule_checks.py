"""The domain checks as small parameterised checks that portal.yml binds: the registry and
the configuration schema agree, a check reads the fields its binding names and nothing it is
not bound to, a bad binding is refused with its key path, and a field of an unexpected type
is reported instead of crashing the run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.config import DEFAULT, SCHEMA, ConfigError, load_config, parse
from pipeline.load import load_catalog
from pipeline.uscc import check_char
from pipeline.validate import validate_catalog
from pipeline.validate.rules import RULE_TYPES, Field, Role, registry

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
# The identity and indicator sections of the repository's file, before the policy under test.
SITE = DEFAULT.read_text(encoding="utf-8").split("\nsections:")[0].split("\npackages:")[0] + "\n"
GOOD = [stem + check_char(stem) for stem in ("91320402MA1XK0A15", "91320411MA1XK0B26")]
BAD = GOOD[1][:-1] + ("0" if GOOD[1][-1] != "0" else "1")


def _config(packages: list[str], checks: str) -> object:
    text = SITE + "packages:\n" + "".join(f"  {p}: {{}}\n" for p in packages) + "checks:\n" + checks
    return parse(text)


def _package(root: Path, name: str, resources: dict[str, tuple[list[dict], list[list[str]]]]) -> Path:
    folder = root / name
    (folder / "data").mkdir(parents=True)
    described = []
    for resource, (fields, rows) in resources.items():
        lines = [",".join(f["name"] for f in fields)] + [",".join(row) for row in rows]
        (folder / "data" / f"{resource}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        described.append({"name": resource, "path": f"data/{resource}.csv", "type": "table", "scheme": "file",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": {"fields": fields}})
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": name,
                  "resources": described}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return folder


def _found(report) -> list[tuple]:
    return sorted((t.package, t.resource, e.type, e.rowNumber, e.fieldName) for t in report.tasks for e in t.errors)


# --- the registry and the schema --------------------------------------------------------

def test_every_check_is_in_the_schema_with_its_own_parameters():
    checks = registry()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["checks"]["items"]["properties"]["check"]["enum"] == sorted(checks)
    conditions = {c["if"]["properties"]["check"]["const"]: c["then"]["$ref"]
                  for c in schema["properties"]["checks"]["items"]["allOf"]}
    assert conditions == {name: f"#/$defs/check.{name}" for name in checks}
    for name, chk in checks.items():
        spec = schema["$defs"][f"check.{name}"]
        assert set(spec["properties"]) == {"check", "resources", *chk.params}, name
        assert spec["required"] == [p for p, param in chk.params.items() if param.required], name
        assert spec["additionalProperties"] is False
        for p, param in chk.params.items():
            ref = spec["properties"][p].get("$ref")
            expected = ("#/$defs/field" if isinstance(param, Field) else
                        "#/$defs/resource" if isinstance(param, Role) else None)
            assert ref == expected, (name, p)
    # the error types stay those reports, the corpus and the methodology page know
    assert {chk.type for chk in checks.values()} == set(RULE_TYPES)


def test_the_repository_binds_every_check_and_keeps_no_literal_city_or_rate_in_the_rules():
    config = load_config()
    assert {b.check for b in config.checks} == set(registry())
    rates = [b for b in config.checks if b.check == "rate-mismatch"]
    assert [rate for b in rates for rate in b.params["rates"]] == list(config.rates)
    for module in (ROOT / "pipeline" / "validate" / "rules").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert config.site.city_code not in text and "320000" not in text, module.name
        assert not any(f'"{rate}"' in text for rate in config.rates), module.name


# --- what a binding checks ------------------------------------------------------------------

FIRMS = {
    "registry": ([{"name": "credit_code", "type": "string"}, {"name": "note", "type": "string"}],
                 [[GOOD[0], "a"], [BAD, "b"]]),
    "copy": ([{"name": "credit_code", "type": "string"}], [[BAD]]),
}


def test_a_check_bound_to_another_field_name_catches_the_planted_error(tmp_path):
    folder = _package(tmp_path, "firms", FIRMS)
    config = _config(["firms"], "  - {check: uscc-check-digit, resources: [firms/registry], field: credit_code}\n")
    report = validate_catalog(load_catalog([folder]), max_errors=None, config=config)
    assert _found(report) == [("firms", "registry", "uscc-check-digit", 3, "credit_code")]
    assert GOOD[1][-1] in report.errors[0].message("en")  # the expected check character
    # an unbound resource holding the same code is not checked; bound by a pattern, it is
    everywhere = _config(["firms"], "  - {check: uscc-check-digit, resources: [firms/*], field: credit_code}\n")
    report = validate_catalog(load_catalog([folder]), max_errors=None, config=everywhere)
    assert _found(report) == [("firms", "copy", "uscc-check-digit", 2, "credit_code"),
                              ("firms", "registry", "uscc-check-digit", 3, "credit_code")]
    # the same binding on the field name the repository uses finds nothing to check here
    other = _config(["firms"], "  - {check: uscc-check-digit, resources: [firms/*], field: uscc}\n")
    assert _found(validate_catalog(load_catalog([folder]), max_errors=None, config=other)) == []


def test_a_cross_table_check_reads_the_fields_and_the_role_it_is_given(tmp_path):
    codes = ([{"name": "code", "type": "string"}, {"name": "valid_from", "type": "date"},
              {"name": "valid_to", "type": "date"}],
             [["320405", "", "2015-04-27"], ["320412", "", ""]])
    events = ([{"name": "where", "type": "string"}, {"name": "occurred_on", "type": "date"}],
              [["320405", "2014-01-01"], ["320405", "2015-06-01"], ["320412", "2015-06-01"]])
    root = tmp_path / "data"
    _package(root, "lookup", {"codes": codes})
    _package(root, "events", {"log": events, "unbound": events})
    config = _config(["lookup", "events"], (
        "  - check: district-validity\n    resources: [events/log]\n    field: where\n"
        "    date_field: occurred_on\n    districts: lookup/codes\n"))
    report = validate_catalog(load_catalog([root]), max_errors=None, config=config)
    assert _found(report) == [("events", "log", "district-validity", 3, "where")]
    assert "2015-04-27" in report.errors[0].message("en")


# --- bad bindings are refused with their key path -----------------------------------------

@pytest.mark.parametrize("checks, message", [
    ("  - {check: uscc-checkdigit, resources: [firms/*], field: uscc}\n", "checks[0].check"),
    ("  - {check: uscc-check-digit, resources: [firms/*]}\n", 'checks[0]: "field" is a required property'),
    ("  - {check: uscc-check-digit, resources: [firms/*], field: uscc, fields: [x]}\n",
     "checks[0]: Additional properties are not allowed ('fields' was unexpected)"),
    ("  - {check: uscc-check-digit, field: uscc}\n", '"resources" is a required property'),
    ("  - {check: uscc-check-digit, resources: [], field: uscc}\n", "checks[0].resources"),
    ("  - {check: uscc-check-digit, resources: [firms], field: uscc}\n", "checks[0].resources[0]"),
    ("  - {check: text-safety, resources: [elsewhere/*]}\n", "checks[0].resources 引用了未声明的数据包 elsewhere"),
    ("  - {check: certificate-expiry, resources: [firms/x], issued_field: a, expires_field: b, term_years: three}\n",
     "checks[0].term_years"),
    ("  - {check: district-validity, resources: [firms/x], field: a, date_field: b, districts: elsewhere/codes}\n",
     "checks[0].districts 引用了未声明的数据包 elsewhere"),
    ("  - {check: district-validity, resources: [firms/x], field: a, date_field: b}\n",
     'checks[0]: "districts" is a required property'),
    (("  - {check: rate-mismatch, resources: [firms/x], rates: {crime_rate: {numerator: a, denominator: b, "
      "scale: 1, decimals: 1}}}\n"), "checks[0].rates.crime_rate"),
    ("  - {check: rate-mismatch, resources: [firms/x], rates: {gdp_death_rate: {numerator: a, denominator: b}}}\n",
     'checks[0].rates.gdp_death_rate: "scale" is a required property'),
    ("  - {check: personal-data, resources: [firms/x], exempt: {firms/x/phone: [phone]}}\n",
     "checks[0].exempt.firms/x/phone[0]"),
])
def test_a_bad_binding_is_refused_with_its_key_path(checks, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        _config(["firms"], checks)


def _beside(tmp_path: Path, text: str) -> Path:
    """A configuration next to a copy of the repository's descriptors (no data needed)."""
    for descriptor in DATAPACKAGES.glob("*/datapackage.json"):
        target = tmp_path / "datapackages" / descriptor.parent.name / "datapackage.json"
        target.parent.mkdir(parents=True)
        shutil.copy(descriptor, target)
    (tmp_path / "portal.yml").write_text(text, encoding="utf-8")
    return tmp_path / "portal.yml"


@pytest.mark.parametrize("old, new, message", [
    ("date_field: date\n", "date_field: occurred_on\n",
     "date_field：检查 district-validity 要读取 accident-outcomes/accidents 的字段 occurred_on"),
    ("districts: reference/districts\n  - check: district-validity\n    resources: [enterprise-credit/hazards]",
     "districts: reference/district\n  - check: district-validity\n    resources: [enterprise-credit/hazards]",
     "checks[5].districts: the check district-validity is bound to reference/district"),
    ("resources: [enterprise-credit/certificates]", "resources: [enterprise-credit/certificate]",
     "checks[10].resources: the check certificate-expiry is bound to enterprise-credit/certificate"),
    ('resources: ["enterprise-credit/*"]\n    field: uscc', 'resources: ["enterprise-credit/*"]\n    field: usc',
     ("checks[0].field: the check uscc-check-digit reads the field usc, which no resource matched by "
      "enterprise-credit/* declares")),
])
def test_a_binding_the_packages_beside_it_cannot_satisfy_is_refused(tmp_path, old, new, message):
    text = DEFAULT.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = _beside(tmp_path, text.replace(old, new))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)
    load_config(_beside(tmp_path / "unchanged", text))  # the repository's own bindings pass


def test_other_packages_without_a_bound_field_are_not_checked_and_said_so(tmp_path):
    folder = _package(tmp_path, "firms", FIRMS)
    config = _config(["firms"], "  - {check: uscc-check-digit, resources: [firms/registry], field: uscc}\n")
    report = validate_catalog(load_catalog([folder]), max_errors=None, config=config)
    assert report.valid
    assert [w for w in report.warnings if "checks[0].field" in w and "firms/registry" in w
            and "credit_code, note" in w]


# --- a field of an unexpected type --------------------------------------------------------

def test_a_bound_field_of_another_type_is_reported_not_a_crash(tmp_path):
    fields = [{"name": "uscc", "type": "integer"}, {"name": "listed", "type": "string"}]
    codes = ([{"name": "code", "type": "string"}, {"name": "valid_from", "type": "string"},
              {"name": "valid_to", "type": "date"}], [["320405", "x", "2015-04-27"]])
    root = tmp_path / "data"
    _package(root, "firms", {"registry": (fields, [["913204021", "2015-01-01"]])})
    _package(root, "lookup", {"codes": codes})
    config = _config(["firms", "lookup"], (
        "  - {check: uscc-check-digit, resources: [firms/registry], field: uscc}\n"
        "  - check: district-validity\n    resources: [firms/registry]\n    field: uscc\n"
        "    date_field: listed\n    districts: lookup/codes\n"
        "  - check: district-validity\n    resources: [lookup/codes]\n    field: code\n"
        "    date_field: valid_to\n    districts: lookup/codes\n"))
    report = validate_catalog(load_catalog([root]), max_errors=None, config=config)
    found = [(t.package, t.resource, e.type, e.fieldName, e.message("zh"), e.message("en"))
             for t in report.tasks for e in t.errors]
    assert {f[:4] for f in found} == {("firms", "registry", "check-error", "uscc"),
                                      ("firms", "registry", "check-error", "listed"),
                                      ("lookup", "codes", "check-error", "valid_from")}
    uscc = next(f for f in found if f[3] == "uscc" and "uscc-check-digit" in f[5])
    assert "firms/registry" in uscc[4] and "integer" in uscc[4] and "string" in uscc[4] and "checks[0].field" in uscc[4]
    assert "firms/registry" in uscc[5] and "declares the type integer" in uscc[5] and "reads string" in uscc[5]
    role = next(f for f in found if f[3] == "valid_from")
    assert "checks[2].districts" in role[5] and "lookup/codes" in role[5] and "date" in role[5]
    assert not report.valid


def test_the_repository_data_with_a_credit_code_declared_integer_validates_without_a_crash(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES, data, ignore=shutil.ignore_patterns("credit_ratings.csv", "certificates.csv"))
    for package in ("enterprise-credit",):  # tables the bindings do not need, left out for speed
        path = data / package / "datapackage.json"
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        descriptor["resources"] = [r for r in descriptor["resources"]
                                   if r["name"] not in ("credit_ratings", "certificates")]
        path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    path = data / "accident-outcomes" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    accidents = next(r for r in descriptor["resources"] if r["name"] == "accidents")
    field = next(f for f in accidents["schema"]["fields"] if f["name"] == "enterprise_uscc")
    field["type"] = "integer"
    field.get("constraints", {}).pop("pattern", None)
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    report = validate_catalog(load_catalog([data]), max_errors=None)  # raised ArrowNotImplementedError before
    problems = {(t.package, t.resource, e.fieldName, e.values["check"]) for t in report.tasks for e in t.errors
                if e.type == "check-error"}
    # the credit-code check on the column, and the blacklist's causes that read it as a role
    assert problems == {("accident-outcomes", "accidents", "enterprise_uscc", "uscc-check-digit"),
                        ("accident-outcomes", "accidents", "enterprise_uscc", "blacklist-cause")}
