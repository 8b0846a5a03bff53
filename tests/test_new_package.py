"""A new dataset through configuration and templates alone: a copy of the repository gains
a package folder, its lines in portal.yml and two templates, and no Python. The commands a
publisher runs must validate it with the rules the configuration binds (a planted error is
caught), then publish it in every format, in the SQLite database and the catalogs, with its
package and table pages, its own section in the navigation and a page per row."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from pipeline.uscc import check_char

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "workplace-inspections"
# First 17 characters of four enterprises' codes (a Changzhou district in each).
STEMS = ["91320402MA1XK0A15", "91320411MA1XK0B26", "91320412MA1XK0C37", "91320481MA1XK0D48"]

DESCRIPTOR = {
    "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
    "name": PACKAGE,
    "title": "职业卫生现场检查（合成数据）",
    "description": "合成数据：用于演示新增数据包的示例，不是常州市的真实检查记录。",
    "x-en": {"title": "Occupational-health inspections (synthetic data)",
             "description": "Synthetic data: an example of a new package, not real inspections."},
    "version": "1.0.0",
    "synthetic": True,
    "licenses": [{"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/",
                  "title": "Creative Commons Zero v1.0 Universal"}],
    "contributors": [{"title": "常州安全生产开放数据门户项目组", "roles": ["author"]}],
    "resources": [{
        "name": "visits", "path": "data/visits.csv", "type": "table", "format": "csv",
        "mediatype": "text/csv", "encoding": "utf-8", "title": "检查记录",
        "description": "每次现场检查一行（合成数据）。", "synthetic": True,
        "x-en": {"title": "Visits", "description": "One row per inspection (synthetic)."},
        "schema": {
            "fields": [
                {"name": "visit_id", "type": "string", "title": "检查编号",
                 "constraints": {"required": True, "pattern": "V[0-9]{4}"}},
                {"name": "uscc", "type": "string", "title": "统一社会信用代码",
                 "constraints": {"required": True}},
                {"name": "visited_on", "type": "date", "title": "检查日期",
                 "constraints": {"required": True}},
                {"name": "hazards_found", "type": "integer", "title": "发现隐患数",
                 "constraints": {"required": True, "minimum": 0}},
            ],
            "primaryKey": ["visit_id"],
        },
    }],
}

SECTION_TEMPLATE = """---
title: {{ section.title[lang]|yaml_html }}
synthetic: "all"
---

# {{ section.title[lang]|md }}

<div class="inspections">
<ul>
{% for v in data.rows("workplace-inspections/visits") %}
<li><a href="{{ root }}inspections/visits/{{ v.visit_id }}/">{{ v.visit_id }}</a>：{{ v.hazards_found }}</li>
{% endfor %}
</ul>
<p><a href="{{ root }}{{ data.download('workplace-inspections/visits', 'csv') }}" download>CSV</a></p>
</div>
"""

ITEM_TEMPLATE = """---
title: {{ row.visit_id|yaml_html }}
synthetic: "all"
---

# {{ row.visit_id|md }}

<div class="inspection" data-visit="{{ row.visit_id }}">
<p>{{ row.visited_on }} · {{ row.hazards_found }}</p>
<p><a href="{{ root }}inspections/">{{ section.title[lang] }}</a></p>
</div>
"""

SECTION = {
    "name": "inspections",
    "title": {"zh": "职业卫生检查", "en": "Occupational-health inspections"},
    "needs": [f"{PACKAGE}/visits"],
    "items": [{"table": f"{PACKAGE}/visits", "path": "inspections/visits/{visit_id}",
               "template": "inspections-visit.md.j2"}],
}
# The USCC check-digit check bound to the new table's ``uscc`` field.
BINDING = {"check": "uscc-check-digit", "resources": [f"{PACKAGE}/visits"], "field": "uscc"}


def configure(text: str, *, bind: bool = True) -> str:
    """portal.yml declaring the package, its section after the accidents and (``bind``) the
    check on its field: what a maintainer writes, edited as data so that the test does not
    depend on how the rest of the file is laid out."""
    config = yaml.safe_load(text)
    config["packages"][PACKAGE] = {}
    sections = config["sections"]
    sections.insert(sections.index("accidents") + 1, SECTION)
    if bind:
        config["checks"].append(BINDING)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def _copy_repository(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", ".nox", "build", "cache", "__pycache__", "*.egg-info",
                                    ".hypothesis", ".pytest_cache", "tests")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def _visits_csv(uscc_codes: list[str]) -> str:
    lines = ["visit_id,uscc,visited_on,hazards_found"]
    for i, code in enumerate(uscc_codes, 1):
        lines.append(f"V{i:04d},{code},2025-0{i}-15,{i - 1}")
    return "\n".join(lines) + "\n"


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], check=False, cwd=repo, capture_output=True,
                          text=True, env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin",
                                          "HOME": str(repo)}, timeout=900)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = _copy_repository(tmp_path_factory.mktemp("copy") / "repo")
    folder = repo / "datapackages" / PACKAGE
    (folder / "data").mkdir(parents=True)
    (folder / "datapackage.json").write_text(json.dumps(DESCRIPTOR, ensure_ascii=False, indent=2), "utf-8")
    codes = [stem + check_char(stem) for stem in STEMS]
    wrong = "0" if codes[2][-1] != "0" else "1"
    codes[2] = codes[2][:-1] + wrong  # the planted error: a check digit that does not match
    (folder / "data" / "visits.csv").write_text(_visits_csv(codes), "utf-8")
    config = repo / "portal.yml"
    config.write_text(configure(config.read_text("utf-8")), "utf-8")
    templates = repo / "site" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "section-inspections.md.j2").write_text(SECTION_TEMPLATE, "utf-8")
    (templates / "inspections-visit.md.j2").write_text(ITEM_TEMPLATE, "utf-8")
    return repo


def test_the_copy_changes_no_python(repo):
    changed = [p.relative_to(repo) for p in repo.rglob("*.py")
               if (ROOT / p.relative_to(repo)).read_bytes() != p.read_bytes()]
    assert changed == []


def test_the_configured_rule_catches_the_planted_error(repo):
    result = _run(repo, "validate", "datapackages")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "uscc-check-digit" in out and "visits" in out and "Traceback" not in out
    assert STEMS[2] in out  # the bad value is named


def test_unbound_the_rule_does_not_run(repo, tmp_path):
    # the same data with the binding removed: Table Schema checks only, so it is valid
    config = tmp_path / "portal.yml"
    config.write_text(configure((ROOT / "portal.yml").read_text("utf-8"), bind=False), "utf-8")
    result = _run(repo, "validate", "datapackages", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def built(repo) -> Path:
    visits = repo / "datapackages" / PACKAGE / "data" / "visits.csv"
    visits.write_text(_visits_csv([stem + check_char(stem) for stem in STEMS]), "utf-8")
    result = _run(repo, "build", "--out", "build/site", "--reference-date", "2026-12-07", "--no-cache")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return repo / "build" / "site"


def test_it_is_exported_in_every_format_and_in_the_database_and_catalogs(built):
    release = built / "data" / PACKAGE / "1.0.0"
    from pipeline.export.formats import CSV, EXCEL_CSV, JSON, PARQUET, XLSX

    for fmt in (CSV, EXCEL_CSV, XLSX, PARQUET, JSON):  # workbooks are named for the portal and package
        name = fmt.filename("visits", PACKAGE)
        assert (release / "data" / name).is_file(), name
    assert any(p.name.endswith(".zip") for p in release.iterdir())
    archive = next(p for p in release.iterdir() if p.name.endswith(".zip"))
    assert any(n.endswith("visits.csv") for n in zipfile.ZipFile(archive).namelist())
    database = next((built / "data").glob("*.sqlite"))
    with sqlite3.connect(database) as db:
        rows = db.execute('SELECT visit_id, hazards_found FROM "workplace_inspections__visits" ORDER BY 1').fetchall()
    assert rows == [("V0001", 0), ("V0002", 1), ("V0003", 2), ("V0004", 3)]
    assert PACKAGE in (built / "data.json").read_text("utf-8")
    assert PACKAGE in (built / "data" / "catalog.jsonld").read_text("utf-8")


def test_it_has_its_pages_section_and_navigation(built):
    package_page = (built / "data" / PACKAGE / "index.html").read_text("utf-8")
    assert "职业卫生现场检查" in package_page and "tables/visits/" in package_page
    table_page = (built / "data" / PACKAGE / "tables" / "visits" / "index.html").read_text("utf-8")
    assert "<code>hazards_found</code>" in table_page and "V0004" in table_page
    section = (built / "inspections" / "index.html").read_text("utf-8")
    assert "职业卫生检查" in section
    for i in range(1, 5):
        item = built / "inspections" / "visits" / f"V{i:04d}" / "index.html"
        assert item.is_file() and f'data-visit="V{i:04d}"' in item.read_text("utf-8")
    # the section is in the navigation every page carries, between accidents and credit
    home = (built / "index.html").read_text("utf-8")
    assert home.index("职业卫生检查") > home.index('href="accidents/"')
    # and the catalogue lists the package
    assert f"data/{PACKAGE}/" in (built / "data" / "index.html").read_text("utf-8") or \
        f"{PACKAGE}/" in (built / "data" / "index.html").read_text("utf-8")
