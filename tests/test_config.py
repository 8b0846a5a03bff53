"""The portal's configuration decides what is published and where the domain rules run;
a descriptor edit cannot override it, and the site check finds a withheld table anywhere."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import one_edition, one_edition_file

from pipeline.build import build
from pipeline.cli import main
from pipeline.config import DEFAULT, ConfigError, load_config, parse
from pipeline.load import load_catalog
from pipeline.sitecheck import check_site
from pipeline.validate import validate_catalog

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
DAY = dt.date(2016, 1, 4)
BLACKLIST = DATAPACKAGES / "enterprise-credit" / "data" / "blacklist.csv"


def test_the_repository_configuration_is_valid_and_withholds_the_blacklist():
    config = load_config()
    assert config.withheld("enterprise-credit", "blacklist")
    assert not config.withheld("enterprise-credit", "enterprises")
    assert set(config.packages) == {p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json")}


# The identity and indicator sections of the repository's file, before the policy under test.
SITE = DEFAULT.read_text(encoding="utf-8").split("\npackages:")[0] + "\n"


def test_the_site_identity_is_read_once_from_the_configuration():
    config = load_config()
    assert config.site.city_code == "320400" and config.site.languages[0] == "zh"
    assert config.rates == ("gdp_death_rate", "industrial_death_rate", "road_death_rate")
    bad = DEFAULT.read_text(encoding="utf-8").replace('code: "320400"', 'code: "3204"')
    with pytest.raises(ConfigError, match=r"site\.city\.code"):
        parse(bad)


@pytest.mark.parametrize("text, message", [
    ("site:\n  city: {code: 3204}\n", "site"),
    ("packages:\n  reference: {}\n", r"\(root\).*site"),
])
def test_a_configuration_without_a_full_site_section_is_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text)


@pytest.mark.parametrize("text, message", [
    ("packages:\n  reference: {}\n  reference: {}\n", "键 reference 重复出现"),
    ("packages:\n  enterprise-credit:\n    withheld: [blacklist]\n    withheld: []\n", r"第 \d+ 行"),
    ("packages: {}\n", "packages"),
    ("packages:\n  reference: {}\npublic: [enterprise-credit/blacklist]\n", "(root)"),
    ("packages:\n  Bad_Name: {}\n", "packages"),
    ("packages:\n  reference:\n    withheld: blacklist\n", "packages.reference.withheld"),
    ("packages:\n  reference: {}\nchecks:\n  - {check: uscc-check-digit, resources: [enterprise-credit/*], field: uscc}\n",
     "未声明的数据包 enterprise-credit"),
    ("packages:\n  reference: {}\nchecks:\n  - {check: nonsense, resources: [reference/*]}\n", "check"),
    ("packages:\n  reference: {}\nrules:\n  uscc: [reference/*]\n", "rules"),
    ("packages: [reference\n", "不是有效的 YAML"),
])
def test_a_broken_configuration_is_refused_with_its_key_path(text, message):
    if not text.startswith("packages: ["):  # (the YAML error needs no valid part before it)
        text = SITE + text
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse(text)


def _copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES, data)
    return data


def _descriptor(data: Path, package: str) -> tuple[Path, dict]:
    path = data / package / "datapackage.json"
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_deleting_x_public_from_a_descriptor_does_not_publish_the_blacklist(tmp_path):
    data = _copy(tmp_path)
    path, descriptor = _descriptor(data, "enterprise-credit")
    for resource in descriptor["resources"]:
        resource.pop("x-public", None)
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "site"
    build(data, out, reference_date=DAY, config=one_edition())  # the downloads are the same for every edition
    assert not list(out.glob("data/enterprise-credit/*/data/blacklist.*"))
    with sqlite3.connect(out / "data" / "changzhou-work-safety.sqlite") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not [t for t in tables if "blacklist" in t and "public" not in t and "expired" not in t]
    published = json.loads((out / "data/enterprise-credit/latest/datapackage.json").read_text(encoding="utf-8"))
    assert "blacklist" not in [r["name"] for r in published["resources"]]
    assert "blacklist" in [w["name"] for w in published["x-withheld"]]


def test_a_descriptor_may_withhold_more_than_the_configuration(tmp_path):
    data = _copy(tmp_path)
    path, descriptor = _descriptor(data, "enterprise-credit")
    for resource in descriptor["resources"]:
        if resource["name"] == "certificates":
            resource["x-public"] = False
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    catalog = load_catalog([data])
    from pipeline.config import apply

    apply(catalog, load_config())
    assert not catalog.resource("enterprise-credit", "certificates").public
    assert not catalog.resource("enterprise-credit", "blacklist").public
    assert catalog.resource("enterprise-credit", "enterprises").public


def test_a_package_the_configuration_does_not_declare_is_not_published(tmp_path, capsys):
    data = _copy(tmp_path)
    shutil.copytree(data / "reference", data / "new-codes")
    path, descriptor = _descriptor(data, "new-codes")
    descriptor.update(name="new-codes", id="urn:test:new-codes")
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "site"
    assert main(["build", "--data", str(data), "--out", str(out), "--no-cache",
                 "--reference-date", DAY.isoformat()]) == 2
    error = capsys.readouterr().err
    assert "new-codes" in error and "portal.yml" in error and "Traceback" not in error
    assert not out.exists()
    # declared by a maintainer, it is published
    config = tmp_path / "portal.yml"
    text = one_edition_file(tmp_path).read_text(encoding="utf-8")  # one edition: the package is what is tested
    assert "packages:\n" in text
    config.write_text(text.replace("packages:\n", "packages:\n  new-codes: {}\n", 1), encoding="utf-8")
    assert main(["build", "--data", str(data), "--out", str(out), "--no-cache", "--config", str(config),
                 "--reference-date", DAY.isoformat()]) == 0
    assert (out / "data" / "new-codes" / "latest" / "new-codes.zip").is_file()


def _break_a_uscc(data: Path, package: str) -> None:
    path = data / package / "data" / "enterprises.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    code = lines[1].split(",")[0]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    path.write_text("\n".join([lines[0], lines[1].replace(code, wrong, 1), *lines[2:]]), encoding="utf-8")


def test_domain_rules_run_where_the_configuration_binds_them_and_nowhere_else(tmp_path):
    data = _copy(tmp_path)
    # the same table as a third-party package: Table Schema checks only
    third = tmp_path / "third" / "firms"
    (third / "data").mkdir(parents=True)
    shutil.copy(data / "enterprise-credit" / "data" / "enterprises.csv", third / "data" / "enterprises.csv")
    _, credit = _descriptor(data, "enterprise-credit")
    enterprises = next(r for r in credit["resources"] if r["name"] == "enterprises")
    (third / "datapackage.json").write_text(json.dumps(
        {"name": "firms", "resources": [{**{k: v for k, v in enterprises.items() if k != "x-foreignKeys"},
                                         "schema": {k: v for k, v in enterprises["schema"].items()
                                                    if k != "foreignKeys"}}]}, ensure_ascii=False),
        encoding="utf-8")
    _break_a_uscc(tmp_path / "third", "firms")
    _break_a_uscc(data, "enterprise-credit")

    def types(path: Path) -> set[str]:
        catalog = load_catalog([path])
        report = validate_catalog(catalog)
        return {e.type for task in report.tasks for e in task.errors}

    assert "uscc-check-digit" in types(data)
    assert "uscc-check-digit" not in types(third)
    unbound = parse(DEFAULT.read_text(encoding="utf-8").split("\nchecks:")[0])
    catalog = load_catalog([data])
    report = validate_catalog(catalog, config=unbound)
    assert "uscc-check-digit" not in {e.type for task in report.tasks for e in task.errors}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("config") / "site"
    build(DATAPACKAGES, out, reference_date=DAY)
    return out


def _withheld_problems(site: Path) -> list:
    from pipeline.sitecheck import _withheld

    return [p for p in check_site(site, withheld=_withheld(DATAPACKAGES, None)) if p.what == "withheld"]


def test_the_built_site_holds_no_copy_of_the_withheld_blacklist(site):
    assert _withheld_problems(site) == []


@pytest.mark.parametrize("plant", ["csv", "zip", "parquet", "sqlite", "zipped-sqlite", "json", "xlsx"])
def test_the_site_check_finds_a_withheld_table_in_any_form(site, tmp_path, plant):
    import zipfile

    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    target = copy / "data" / "reference" / "latest" / "data"
    rows = BLACKLIST.read_text(encoding="utf-8")
    table = pa.csv.read_csv(BLACKLIST, convert_options=pa.csv.ConvertOptions(
        column_types={n: pa.string() for n in rows.split("\n", 1)[0].split(",")}))
    if plant == "csv":
        (target / "extra.csv").write_text(rows, encoding="utf-8")
    elif plant == "zip":
        with zipfile.ZipFile(target / "extra.zip", "w") as archive:
            archive.writestr("data/x.csv", rows)
    elif plant == "parquet":
        pq.write_table(table, target / "extra.parquet")
    elif plant == "sqlite":
        with sqlite3.connect(copy / "data" / "changzhou-work-safety.sqlite") as db:
            columns = ", ".join(f'"{n}" TEXT' for n in table.column_names)
            db.execute(f"CREATE TABLE hidden_copy ({columns})")
    elif plant == "zipped-sqlite":
        database = tmp_path / "copy.sqlite"
        with sqlite3.connect(database) as db:
            db.execute(f"CREATE TABLE t ({', '.join(f'{chr(34)}{n}{chr(34)} TEXT' for n in table.column_names)})")
        db.close()
        with zipfile.ZipFile(target / "extra.zip", "w") as archive:
            archive.write(database, "data/copy.sqlite")
    elif plant == "json":
        (target / "extra.json").write_text(json.dumps(table.to_pylist(), ensure_ascii=False), encoding="utf-8")
    elif plant == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(table.column_names)
        book.save(target / "extra.xlsx")
    problems = _withheld_problems(copy)
    assert problems and all("enterprise-credit/blacklist" in p.detail for p in problems)


def test_the_city_code_and_the_rate_ids_are_written_only_in_portal_yml():
    config = load_config()
    words = [config.site.city_code, *config.rates]
    code = ROOT / "pipeline"
    sources = [*code.rglob("*.py"), *code.rglob("*.j2"), *(ROOT / "site" / "templates").rglob("*.j2")]
    found = [f"{path.relative_to(ROOT)}: {word}" for path in sources
             for word in words if word in path.read_text(encoding="utf-8")]
    assert sources and found == []
