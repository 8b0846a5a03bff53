"""Accident investigations: the generator is deterministic and agrees with the accidents
(dates in order, the deadline rule, published reports only where the accident says so),
the package validates, and every published accident's report_url is a page of the built
site, reached by relative links, naming nobody, in Chinese only on the Chinese edition."""

from __future__ import annotations

import csv
import html
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.synth import DATA_END, generate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "datapackages"
PACKAGE = DATA / "accident-investigations"
END = date.fromisoformat(str(DATA_END))
SEED = 20121030
FILES = ("investigations", "handling", "rectification")


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@pytest.fixture(scope="module")
def tables():
    acc = {r["accident_id"]: r for r in read(DATA / "accident-outcomes" / "data" / "accidents.csv")}
    return {"accidents": acc,
            **{name: read(PACKAGE / "data" / f"{name}.csv") for name in FILES}}


# --- the generator ---------------------------------------------------------------------------

def test_same_seed_same_bytes_and_the_committed_sample(tmp_path):
    generate("sample", SEED, tmp_path / "a", real=DATA)
    generate("sample", SEED, tmp_path / "b", real=DATA)
    generate("sample", SEED + 1, tmp_path / "c", real=DATA)
    for name in FILES:
        a = (tmp_path / "a" / "accident-investigations" / "data" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / "accident-investigations" / "data" / f"{name}.csv").read_bytes()
        assert a == (PACKAGE / "data" / f"{name}.csv").read_bytes(), name
        assert a != (tmp_path / "c" / "accident-investigations" / "data" / f"{name}.csv").read_bytes()


def test_the_investigations_stream_shifts_no_other_table(tmp_path, monkeypatch):
    """A different draw for the investigations leaves every other generated table as it is."""
    import numpy as np

    from pipeline.synth import investigations

    real = investigations.generate
    generate("sample", SEED, tmp_path / "a", real=DATA)
    monkeypatch.setattr(investigations, "generate",
                        lambda rng, acc: real(np.random.default_rng(1), acc))
    generate("sample", SEED, tmp_path / "b", real=DATA)
    for path in sorted((tmp_path / "a").rglob("*.csv")):
        other = tmp_path / "b" / path.relative_to(tmp_path / "a")
        same = path.read_bytes() == other.read_bytes()
        assert same == ("accident-investigations" not in path.parts), path


def test_one_investigation_per_accident_in_its_district_with_its_report(tables):
    acc, inv = tables["accidents"], tables["investigations"]
    assert sorted(r["accident_id"] for r in inv) == sorted(acc)
    for r in inv:
        a = acc[r["accident_id"]]
        assert r["district_code"] == a["district_code"]
        assert r["accident_date"] == a["date"]
        assert r["report_published"] == a["report_published"]
        assert r["report_url"] == a["report_url"]
        assert (r["stage"] == "published") == (a["report_status"] == "published")
        if a["report_status"] == "published":
            assert r["report_url"] == f"/reports/{r['accident_id']}/"


def test_dates_are_in_order_and_the_day_counts_agree(tables):
    for r in tables["investigations"]:
        occurred, submitted = day(r["accident_date"]), day(r["report_submitted"])
        approved, published = day(r["report_approved"]), day(r["report_published"])
        chain = [d for d in (occurred, submitted, approved, published) if d is not None]
        assert chain == sorted(chain) and all(d <= END for d in chain), r
        assert submitted is None or submitted > occurred
        # a later stage never without the earlier ones
        assert (approved is None) or submitted is not None
        assert (published is None) or approved is not None
        assert r["days_to_submission"] == ("" if submitted is None else
                                           str((submitted - occurred).days))
        assert r["days_to_publication"] == ("" if published is None else
                                            str((published - occurred).days))
        stage = ("published" if published else "approved" if approved else
                 "submitted" if submitted else "investigating")
        assert r["stage"] == stage


def test_the_deadline_is_60_days_extended_by_at_most_60(tables):
    extended = 0
    for r in tables["investigations"]:
        ext, deadline = int(r["extension_days"]), int(r["deadline_days"])
        assert 0 <= ext <= 60 and deadline == 60 + ext
        extended += ext > 0
        submitted = day(r["report_submitted"])
        if submitted is not None:
            on_time = (submitted - day(r["accident_date"])).days <= deadline
            assert r["within_deadline"] == ("true" if on_time else "false"), r
        elif day(r["accident_date"]) + timedelta(days=deadline) < END:
            assert r["within_deadline"] == "false", r  # overdue at the data's end
        else:
            assert r["within_deadline"] == "", r  # the deadline still runs
    within = [r["within_deadline"] for r in tables["investigations"]]
    assert extended and "true" in within and "false" in within  # every case occurs


def test_the_body_follows_the_grade(tables):
    acc = tables["accidents"]
    for r in tables["investigations"]:
        grade = acc[r["accident_id"]]["stated_grade"]
        body = r["investigating_body"]
        if grade == "larger":
            assert body == "city_government"
        elif grade in ("major", "particularly_serious"):
            assert body == "provincial_government"
        else:
            assert body not in ("city_government", "provincial_government")


def test_causes_handling_and_measures_only_once_there_is_a_report(tables):
    acc = tables["accidents"]
    inv = {r["accident_id"]: r for r in tables["investigations"]}
    for r in inv.values():
        assert bool(r["direct_cause"]) == bool(r["report_submitted"])
        liable = acc[r["accident_id"]]["liability"] == "liability"
        assert bool(r["indirect_cause"]) == (liable and bool(r["report_submitted"]))
    kinds = set()
    for h in tables["handling"]:
        r = inv[h["accident_id"]]
        assert r["report_approved"] and acc[h["accident_id"]]["liability"] == "liability"
        assert int(h["subjects"]) >= 1
        kinds.add(h["handling"])
        fined = h["handling"] in ("unit_fine", "personal_fine")
        assert bool(h["amount_10k_yuan"]) == fined
        if h["handling"] == "unit_fine":
            assert h["subjects"] == "1" and 20 <= float(h["amount_10k_yuan"]) <= 2000
    assert kinds == {"criminal_referral", "party_government_sanction", "unit_fine",
                     "personal_fine"}
    statuses = set()
    for m in tables["rectification"]:
        r = inv[m["accident_id"]]
        assert r["report_approved"] and day(m["due_date"]) > day(r["report_approved"])
        statuses.add(m["status"])
        completed, checked = day(m["completed_on"]), day(m["checked_on"])
        assert (m["status"] == "completed") == (completed is not None)
        if completed:
            assert day(r["report_approved"]) < completed == checked <= END
        else:
            assert checked <= END
            assert (m["status"] == "overdue") == (day(m["due_date"]) < END)
    assert statuses == {"completed", "in_progress", "overdue"}


def test_nothing_names_a_person(tables):
    import json

    descriptor = json.loads((PACKAGE / "datapackage.json").read_text("utf-8"))
    for res in descriptor["resources"]:
        for field in res["schema"]["fields"]:
            assert not re.search(r"name|person_id|id_card|phone", field["name"]), field["name"]
    assert descriptor["synthetic"] is True
    assert all(res["synthetic"] is True for res in descriptor["resources"])


def test_the_package_validates(capsys):
    from pipeline.cli import main

    assert main(["validate", str(DATA)]) == 0, capsys.readouterr()


# --- the pages -----------------------------------------------------------------------------

def _context(catalog, lang="zh"):
    from pipeline.pages.context import SiteContext
    from pipeline.pages.render import environment

    return SiteContext(catalog=catalog, docs_dir=Path("unused"), env=environment(lang), lang=lang)


def test_report_links_are_relative_and_only_to_pages_the_site_writes(catalog, tables):
    from pipeline.pages.sections import linked_page

    ctx = _context(catalog)
    inv = tables["investigations"]
    published = next(r["accident_id"] for r in inv if r["stage"] == "published")
    pending = next(r["accident_id"] for r in inv if r["stage"] != "published")
    assert linked_page(ctx, f"/reports/{published}/") == f"reports/{published}/"
    # the where: filter decides: no page for an unpublished report, so no link
    assert linked_page(ctx, f"/reports/{pending}/") is None
    for bad in (None, "", "/reports/../x/", f"https://example.org/reports/{published}/",
                f"/reports/{published}/x/", f"/reports/{published}", f"reports/{published}/"):
        assert linked_page(ctx, bad) is None, bad


def _section(**item) -> str:
    import yaml

    from pipeline.config import DEFAULT

    config = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    section = next(s for s in config["sections"] if isinstance(s, dict) and s["name"] == "investigations")
    section["items"][1].update(item)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def test_the_where_filter_is_validated(catalog):
    from pipeline.config import ConfigError, parse
    from pipeline.pages.mkdocs_site import SiteError
    from pipeline.pages.sections import SectionData

    for bad in ({"where": {}}, {"where": {"stage": ["published"]}}, {"where": {"Stage!": "x"}}):
        with pytest.raises(ConfigError):
            parse(_section(**bad))
    config = parse(_section(where={"stag": "published"}))
    item = next(s for s in config.sections if not isinstance(s, str)).items[1]
    with pytest.raises(SiteError, match="stag"):  # a misspelt field writes no page silently
        SectionData(_context(catalog)).item_rows(item)


def test_the_district_part_is_validated(catalog):
    import yaml

    from pipeline.config import DEFAULT, ConfigError, parse, use
    from pipeline.pages.mkdocs_site import SiteError
    from pipeline.pages.sections import district_parts

    config = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    section = next(s for s in config["sections"] if isinstance(s, dict) and s["name"] == "investigations")
    part = section["districts"]
    for key, bad in (("field", "District code"), ("template", "../x.md.j2"), ("table", "nowhere")):
        section["districts"] = {**part, key: bad}
        with pytest.raises(ConfigError):
            parse(yaml.safe_dump(config, allow_unicode=True))
    section["districts"] = {**part, "field": "district"}
    with use(parse(yaml.safe_dump(config, allow_unicode=True))), pytest.raises(SiteError, match="district"):
        district_parts(_context(catalog), "320402", "天宁区")
    section["districts"] = part
    with use(parse(yaml.safe_dump(config, allow_unicode=True))):
        parts = district_parts(_context(catalog), "320402", "天宁区")
    assert len(parts) == 1 and 'id="reports"' not in parts[0] and "{ #reports }" in parts[0]
    assert "../../reports/A20" in parts[0]


def test_an_item_path_value_must_be_a_plain_name(catalog):
    from pipeline.config import parse
    from pipeline.pages.mkdocs_site import SiteError
    from pipeline.pages.sections import SectionData

    # district_code is a plain name; the accident date (2010-01-03) is too; a report_url is not
    config = parse(_section(path="reports/{report_url}"))
    item = next(s for s in config.sections if not isinstance(s, str)).items[1]
    with pytest.raises(SiteError, match="report_url"):
        SectionData(_context(catalog)).item_rows(item)


def _article(page: Path) -> str:
    text = page.read_text("utf-8")
    body = text[text.index("<article"):text.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _links(page: Path) -> list[str]:
    return re.findall(r'href="([^"#]*reports/[^"#]*)"', page.read_text("utf-8"))


def _resolves(page: Path, href: str, root: Path) -> bool:
    target = (page.parent / href).resolve()
    return target.is_relative_to(root.resolve()) and (target / "index.html").is_file()


def test_every_published_report_url_is_a_page_of_the_site(site, tables):
    out = site.out
    published = [a for a in tables["accidents"].values() if a["report_status"] == "published"]
    assert published
    for a in published:
        url = a["report_url"]
        assert url.startswith("/reports/") and (out / url.strip("/") / "index.html").is_file(), url
    # and nothing else: one page per published report
    assert len(list((out / "reports").glob("*/index.html"))) == len(published)


def test_pages_link_the_reports_relatively(site, tables):
    out = site.out
    year = min(day(a["date"]).year for a in tables["accidents"].values())
    district = next(a["district_code"] for a in tables["accidents"].values()
                    if a["report_status"] == "published")
    for page in (out / "investigations" / str(year) / "index.html",
                 out / "districts" / district / "index.html",
                 out / "accidents" / "list" / "index.html"):
        links = _links(page)
        assert links, page
        for href in links:
            assert not href.startswith("/") and "://" not in href, (page, href)
            assert _resolves(page, href, out), (page, href)


def test_a_report_page_shows_the_investigation_in_chinese_without_a_name(site, tables):
    out = site.out
    handled = {h["accident_id"] for h in tables["handling"]}
    r = next(r for r in tables["investigations"]
             if r["stage"] == "published" and r["accident_id"] in handled)
    page = out / "reports" / r["accident_id"] / "index.html"
    text = _article(page)
    for expected in (r["accident_id"], r["accident_date"], r["report_published"],
                     "合成数据", "调查机关", "提交报告期限", "直接原因", "责任追究", "整改措施"):
        assert expected in text, expected
    assert "姓名" not in text or "不公布任何人员的姓名" in text
    assert not re.search(r"[A-Za-z]{2,}", text), re.findall(r"[A-Za-z]{2,}", text)[:5]
    raw = page.read_text("utf-8")
    assert '<html lang="zh"' in raw or "lang=\"zh" in raw
    assert "data-scroll" in raw  # tables scroll sideways on a phone
    for href in re.findall(r'<a [^>]*href="([^"#]+)"', raw[raw.index("<article"):]):
        if "://" not in href and not href.startswith(("data:", "mailto:")):
            assert not href.startswith("/"), href


def test_the_section_summarises_timeliness_and_penalties(site, tables):
    out = site.out
    text = _article(out / "investigations" / "index.html")
    inv = tables["investigations"]
    due = [r for r in inv if r["within_deadline"]]
    within = sum(r["within_deadline"] == "true" for r in due)
    assert f"{len(inv):,}" in text and f"{within / len(due) * 100:.1f}%" in text
    assert "合成数据" in text and "移送司法机关" in text
    # the derived table behind the figures is published
    rows = read(out / "data" / "derived" / "latest" / "data" / "investigation_timeliness.csv")
    city = [r for r in rows if r["district_code"] == "320400"]
    assert sum(int(r["investigations"]) for r in city) == len(inv)
    assert sum(int(r["within_deadline"]) for r in city) == within


REFERENCE = date(2026, 12, 7)


@pytest.fixture(scope="module")
def catalog():
    from pipeline.derive import derive
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    catalog = load_catalog([DATA])
    assert validate_catalog(catalog).valid
    derive(catalog, reference_date=REFERENCE)
    return catalog


@pytest.fixture(scope="module")
def english(catalog, tmp_path_factory):
    """The English edition's page sources (no mkdocs run)."""
    from pipeline.pages import write_docs

    docs = tmp_path_factory.mktemp("en") / "docs"
    write_docs(catalog, docs, lang="en", reference_date=REFERENCE)
    return docs


def test_without_the_section_no_page_links_a_report(catalog, tmp_path):
    """A site whose portal.yml leaves the investigations section out has no report pages,
    so the district pages and the accident list must not link to them."""
    import json

    import yaml

    from pipeline.config import DEFAULT, parse, use
    from pipeline.pages import write_docs

    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    kept = [s for s in data["sections"] if not (isinstance(s, dict) and s["name"] == "investigations")]
    assert len(kept) == len(data["sections"]) - 1
    config = parse(yaml.safe_dump({**data, "sections": kept}, allow_unicode=True), DEFAULT)
    with use(config):
        write_docs(catalog, tmp_path / "docs", reference_date=REFERENCE,
                   assets_dir=tmp_path / "assets")
    assert not (tmp_path / "docs" / "reports").exists()
    assert not (tmp_path / "docs" / "investigations").exists()
    for page in sorted((tmp_path / "docs" / "districts").glob("*/index.md")):
        assert "reports/" not in page.read_text("utf-8"), page
    listing = json.loads((tmp_path / "assets" / "accidents" / "accidents.json").read_text("utf-8"))
    assert not any(row[11] for row in listing["rows"])
    assert "reports/" not in (tmp_path / "docs" / "accidents" / "list" / "index.md").read_text("utf-8")


def test_the_english_edition_has_the_reports_in_english(english, tables):
    r = next(r for r in tables["investigations"] if r["stage"] == "published")
    source = (english / "reports" / r["accident_id"] / "index.md").read_text("utf-8")
    for expected in ("Investigation report", "Investigating body", "Deadline for the report",
                     "Rectification measures", "synthetic"):
        assert expected in source, expected
    index = (english / "investigations" / "index.md").read_text("utf-8")
    timeliness = index.split("Timeliness of the reports")[1].split("## ")[0]
    assert "Share within deadline" in timeliness
    assert not re.search(r"[\u4e00-\u9fff]", timeliness)  # district names in English too


def test_timeliness_counts_shares_and_median():
    import pyarrow as pa

    from pipeline.derive.steps.investigation_timeliness import investigation_timeliness

    d = date.fromisoformat
    table = pa.table({
        "accident_date": pa.array([d("2020-01-05"), d("2020-03-01"), d("2020-06-01"),
                                   d("2021-02-01")], pa.date32()),
        "district_code": ["320402", "320402", "320404", "320402"],
        "within_deadline": pa.array([True, False, None, None], pa.bool_()),
        "report_published": pa.array([d("2020-05-01"), d("2020-09-01"), None, None], pa.date32()),
        "days_to_publication": pa.array([117, 184, None, None], pa.int64()),
    })
    out = {(r["year"], r["district_code"]): r
           for r in investigation_timeliness(table, "320400").to_pylist()}
    city = out[(2020, "320400")]
    assert (city["investigations"], city["reports_due"], city["within_deadline"],
            city["published"]) == (3, 2, 1, 2)
    assert city["within_deadline_pct"] == 50.0 and city["published_pct"] == 66.7
    assert city["median_days_to_publication"] == 150.5
    later = out[(2021, "320402")]
    assert later["reports_due"] == 0 and later["within_deadline_pct"] is None
    assert later["median_days_to_publication"] is None
    assert out[(2020, "320404")]["published_pct"] == 0.0


def test_the_results_table_counts_handling_and_measures_per_year(catalog, tables):
    """derived/investigation_results, the section's penalties and rectification tables: per
    year of the accident, the handling rows' subjects and fines and the measures by status."""
    from collections import Counter, defaultdict

    year = {r["accident_id"]: int(r["accident_date"][:4]) for r in tables["investigations"]}
    subjects, fines = defaultdict(Counter), defaultdict(Counter)
    for h in tables["handling"]:
        subjects[year[h["accident_id"]]][h["handling"]] += int(h["subjects"])
        fines[year[h["accident_id"]]][h["handling"]] += float(h["amount_10k_yuan"] or 0)
    measures = defaultdict(Counter)
    for m in tables["rectification"]:
        measures[year[m["accident_id"]]][m["status"]] += 1
    rows = catalog.table("derived", "investigation_results").to_pylist()
    assert [r["year"] for r in rows] == sorted(set(year.values()))
    assert sum(r["investigations"] for r in rows) == len(year)
    for r in rows:
        y = r["year"]
        assert (r["referred_persons"], r["sanctioned_persons"], r["fined_persons"], r["fined_units"]) == (
            subjects[y]["criminal_referral"], subjects[y]["party_government_sanction"],
            subjects[y]["personal_fine"], subjects[y]["unit_fine"])
        assert r["personal_fines_10k_yuan"] == pytest.approx(fines[y]["personal_fine"], abs=0.051)
        assert r["unit_fines_10k_yuan"] == pytest.approx(fines[y]["unit_fine"], abs=0.051)
        assert (r["measures_completed"], r["measures_in_progress"], r["measures_overdue"]) == (
            measures[y]["completed"], measures[y]["in_progress"], measures[y]["overdue"])
        assert r["measures"] == sum(measures[y].values())
    assert sum(r["referred_persons"] for r in rows) > 0 and sum(r["measures_overdue"] for r in rows) > 0


def test_the_district_pages_name_no_section():
    """The district pages render what a section of portal.yml declares (districts:), so the
    module knows nothing of investigations or reports."""
    source = (ROOT / "pipeline" / "pages" / "districts.py").read_text("utf-8")
    assert not re.search(r"investigat|report", source, re.IGNORECASE)
