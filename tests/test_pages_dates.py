"""The dates pages state, and the indicators' judging year on the pages.

A site is built here with a fixed reference date from a copy of the committed data, changed
in two ways so the checks mean something whatever the data hold on the day: every
descriptor's ``created`` is set to a day that is neither the build date nor a release date
(the home page once showed it as the update date), and one indicator not achieved in its
target year gets observations after that year which would meet its target if they were
judged. Expectations are read from the built site (its downloads and records), never
pinned to figures of the sample.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.i18n import catalog, t

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
REFERENCE_DATE = date(2026, 12, 6)
REF = REFERENCE_DATE.isoformat()
CREATED = "2011-03-04T00:00:00Z"
CITY = "320400"
LATIN = re.compile(r"[A-Za-z]")


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _pick_indicator(indicators: list[dict], observations: list[dict]) -> dict:
    """A percent indicator, higher is better, with a known target that its city value in the
    target year does not meet."""
    by_key = {(o["indicator_id"], o["district_code"], o["year"]): o for o in observations}
    for ind in indicators:
        if (ind["target_kind"], ind["direction"], ind["unit"]) != ("value", "higher", "percent"):
            continue
        target = _number(ind["target_value"])
        row = by_key.get((ind["id"], CITY, ind["target_year"]))
        if target is None or row is None or _number(row["value"]) is None:
            continue
        if _number(row["value"]) < target <= 100:
            return ind
    raise AssertionError("no indicator to test the judging year with in the committed data")


def _allow_years(descriptor: Path, last: int) -> None:
    """Let the observations' schema accept years up to ``last`` (the committed schema may
    stop at the year its data stop)."""
    d = json.loads(descriptor.read_text(encoding="utf-8"))
    for resource in d["resources"]:
        if resource["name"] != "observations":
            continue
        for field in resource["schema"]["fields"]:
            limits = field.get("constraints") or {}
            if field["name"] == "year" and limits.get("maximum", last) < last:
                limits["maximum"] = last
    descriptor.write_text(json.dumps(d, ensure_ascii=False, indent=2) + "\n", "utf-8")


def after_years(fixture) -> list[int]:
    """The years after the tested indicator's target year with a city observation."""
    ind = fixture["indicator"]
    return sorted(int(o["year"]) for o in read_csv(
        fixture["data"] / "indicator-progress" / "data" / "observations.csv")
        if o["indicator_id"] == ind["id"] and o["district_code"] == CITY and o["value"]
        and int(o["year"]) > int(ind["target_year"]))


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    data = tmp_path_factory.mktemp("dates") / "datapackages"
    shutil.copytree(DATAPACKAGES, data)
    for descriptor in data.glob("*/datapackage.json"):
        d = json.loads(descriptor.read_text(encoding="utf-8"))
        if "created" in d:
            d["created"] = CREATED
        descriptor.write_text(json.dumps(d, ensure_ascii=False, indent=2) + "\n", "utf-8")
    folder = data / "indicator-progress" / "data"
    indicators = read_csv(folder / "indicators.csv")
    path = folder / "observations.csv"
    observations = read_csv(path)
    fields = list(observations[0])
    ind = _pick_indicator(indicators, observations)
    target_year = int(ind["target_year"])
    present = {int(o["year"]) for o in observations
               if o["indicator_id"] == ind["id"] and o["district_code"] == CITY}
    for year in range(target_year + 1, target_year + 6):
        if year not in present:  # meets the target: would be "achieved" if it were judged
            observations.append({**{f: "" for f in fields}, "indicator_id": ind["id"],
                                 "district_code": CITY, "year": str(year),
                                 "value": ind["target_value"]})
    write_csv(path, observations, fields)
    _allow_years(data / "indicator-progress" / "datapackage.json", target_year + 5)
    out = data.parent / "site"
    build(data, out, reference_date=REFERENCE_DATE)
    return {"site": out, "indicator": ind, "data": data}


@pytest.fixture(scope="module")
def site(fixture) -> Path:
    return fixture["site"]


class _Stamps(HTMLParser):
    """The ``portal-asof`` paragraphs of a page: their attributes and text."""

    def __init__(self):
        super().__init__()
        self.found: list[dict] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._depth:
            self._depth += tag == "p"
        elif tag == "p" and "portal-asof" in (attrs.get("class") or "").split():
            self.found.append({**attrs, "text": ""})
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth and tag == "p":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.found[-1]["text"] += data


def stamps(page: Path) -> list[dict]:
    parser = _Stamps()
    parser.feed(page.read_text(encoding="utf-8"))
    for s in parser.found:
        s["text"] = " ".join(s["text"].split())
    return parser.found


def coverage_record(site: Path, package: str) -> str:
    return json.loads((site / "data" / package / "dataset.jsonld").read_text("utf-8"))[
        "temporalCoverage"]


def status_pages(site: Path) -> dict[str, list[str]]:
    """Each page that shows a status → the packages whose coverage its stamps give, in
    page order."""
    progress, credit = "indicator-progress", "enterprise-credit"
    pages = {"index.html": ["accident-outcomes", progress, credit],
             "indicators/index.html": [progress],
             "credit/index.html": [credit], "credit/blacklist/index.html": [credit],
             "credit/hazards/index.html": [credit], "credit/certificates/index.html": [credit]}
    for page in sorted(site.glob("indicators/*/index.html")):
        pages[page.relative_to(site).as_posix()] = [progress]
    for page in sorted(site.glob("districts/*/index.html")):
        pages[page.relative_to(site).as_posix()] = [progress, credit, credit]
    return pages


def test_every_status_page_states_the_reference_date_and_the_coverage(site):
    pages = status_pages(site)
    assert sum(p.startswith("districts/") for p in pages) >= 7
    assert sum(p.startswith("indicators/") for p in pages) >= 10
    status_label, coverage_label = t("dates.status_as_of"), t("dates.coverage")
    for page, packages in pages.items():
        found = stamps(site / page)
        assert len(found) == len(packages), page
        for s, package in zip(found, packages, strict=True):
            assert s["data-as-of"] == REF, page
            start, end = coverage_record(site, package).split("/")
            assert s["data-coverage"] == f"{start}/{end}", (page, package)
            assert s["text"] == f"{status_label} {REF} · {coverage_label} {start}–{end}", page


def test_the_dates_agree_with_the_downloads_and_the_pages_text(site):
    # Every status-bearing derived download says the same day in its as_of column.
    derived = site / "data" / "derived" / "latest"
    descriptor = json.loads((derived / "datapackage.json").read_text("utf-8"))
    with_as_of = [r["name"] for r in descriptor["resources"]
                  if any(f["name"] == "as_of" for f in r["schema"]["fields"])]
    assert "progress_status" in with_as_of
    for name in with_as_of:
        rows = read_csv(derived / "data" / f"{name}.csv")
        assert {r["as_of"] for r in rows} <= {REF}, name
    # Sentences that name the day name the same one.
    home = (site / "index.html").read_text("utf-8")
    blacklist = (site / "credit" / "blacklist" / "index.html").read_text("utf-8")
    assert t("home.blacklist_count", date=REF, count=0).split("，")[0] in home
    assert t("credit.blacklist_intro", date=REF)[:15] in blacklist
    meta = json.loads((site / "credit" / "index" / "meta.json").read_text("utf-8"))
    assert meta["as_of"] == REF  # what the lookup's results say


def test_every_table_that_depends_on_the_reference_date_carries_as_of(fixture):
    from pipeline.derive import derived_tables
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    cat = load_catalog([fixture["data"]])
    assert validate_catalog(cat).valid
    early = derived_tables(cat, reference_date=date(2013, 6, 30))
    late = derived_tables(cat, reference_date=REFERENCE_DATE)
    moved = {name for name in early
             if early[name].drop_columns([c for c in ("as_of",)
                                          if c in early[name].column_names])
             != late[name].drop_columns([c for c in ("as_of",)
                                         if c in late[name].column_names])}
    assert {"progress_status", "blacklist_public", "hazard_rectification"} <= moved
    for name in moved:
        assert "as_of" in late[name].column_names, name


def test_home_and_package_pages_give_the_same_update_date(site):
    home = (site / "index.html").read_text("utf-8")
    section = home[home.index('id="updates"'):home.index('id="downloads"')]
    rows = re.findall(r'<tr><th scope="row"><a href="data/([^/"]+)/">.*?</a></th><td>[^<]*</td>'
                      r'<td>(?:<time datetime="([0-9-]+)">)?', section)
    packages = sorted(p.parent.name for p in (site / "data").glob("*/dataset.jsonld"))
    assert sorted(name for name, _ in rows) == packages
    label = t("package.data_updated")
    for name, shown in rows:
        record = json.loads((site / "data" / name / "latest" / "datapackage.json")
                            .read_text("utf-8"))["x-release"]["data_updated"]
        page = (site / "data" / name / "index.html").read_text("utf-8")
        on_page = re.search(rf'<th scope="row">{label}</th><td><time datetime="([0-9-]+)">',
                            page)
        assert on_page, name
        assert shown == on_page.group(1) == record, name
        assert shown != CREATED[:10]  # the descriptor's creation day is not an update


def test_stamps_and_after_plan_texts_on_chinese_pages_have_no_english(site, fixture):
    for page in status_pages(site):
        for s in stamps(site / page):
            assert not LATIN.search(s["text"]), (page, s["text"])
    for key in ("dates.status_as_of", "dates.coverage", "indicator.after_period",
                "indicator.in_period", "indicator.series_after", "indicator.after_note",
                "indicator.after_latest", "indicator.judged_at", "indicator.judged_target",
                "indicator.judged_reference", "indicator.districts_caption",
                "indicator.in.judged_year", "home.progress_judged", "districts.judged_year",
                "methodology.progress.step_judged", "credit.certificates_title", "credit.certificates_intro",
                "credit.certificates_by_level", "credit.certificates_by_district",
                "credit.cert.level", "credit.cert.current", "credit.cert.expired",
                "credit.cert.total", "credit.cert.enterprises", "credit.certificates_source"):
        zh, en = catalog("zh")[key], catalog("en")[key]
        assert not LATIN.search(re.sub(r"\{[a-z_]+\}", "", zh)), key
        assert LATIN.search(en), key
    assert set(catalog("zh")) == set(catalog("en"))


def test_the_english_stamp_is_in_english():
    from pipeline.pages.dates import Stamp
    from pipeline.pages.render import environment

    template = environment("en").from_string(
        '{% from "_macros.j2" import as_of_line %}{{ as_of_line(s) }}')
    html = template.render(s=Stamp(as_of=REF, start="2010", end="2026-06-30"))
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert text == f"Status as of {REF} · Data cover 2010–2026-06-30"


# --- the year a status is judged at, on the pages ---------------------------------------

def test_the_status_is_judged_at_the_target_year_not_on_later_observations(fixture, site):
    ind = fixture["indicator"]
    target_year = int(ind["target_year"])
    rows = {(r["indicator_id"], r["district_code"]): r for r in
            read_csv(site / "data" / "derived" / "latest" / "data" / "progress_status.csv")}
    row = rows[(ind["id"], CITY)]
    observed = {int(o["year"]): float(o["value"]) for o in read_csv(
        fixture["data"] / "indicator-progress" / "data" / "observations.csv")
        if o["indicator_id"] == ind["id"] and o["district_code"] == CITY and o["value"]}
    assert int(row["judged_year"]) == int(row["latest_year"]) == target_year
    assert float(row["latest_value"]) == observed[target_year]
    assert float(row["target_value"]) == float(ind["target_value"])
    assert row["status"] != "target_achieved"  # later years meet the target; not judged
    assert max(observed) > target_year
    # Every status row is judged at its indicator's target year (the build is later).
    targets = {i["id"]: i["target_year"] for i in read_csv(
        fixture["data"] / "indicator-progress" / "data" / "indicators.csv")}
    for (indicator, _), r in rows.items():
        if targets[indicator]:
            assert r["judged_year"] == targets[indicator], indicator
            assert not r["latest_year"] or int(r["latest_year"]) <= int(targets[indicator])


def test_the_indicator_page_marks_the_years_after_the_plan_period(fixture, site):
    ind = fixture["indicator"]
    target_year = int(ind["target_year"])
    page = (site / "indicators" / ind["id"] / "index.html").read_text("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert f"{t('indicator.in.judged_year')} {t('indicator.judged_target', year=target_year)}" \
        in text
    later = after_years(fixture)
    assert later[:5] == list(range(target_year + 1, target_year + 6))
    note = t("indicator.after_note", first=later[0], last=later[-1], year=target_year)
    assert note in text
    # The chart's table marks each year; the chart draws the later years as their own series.
    after = t("indicator.after_period")
    for year in (target_year - 1, target_year, *later):
        period = after if year > target_year else t("indicator.in_period")
        assert re.search(rf'<th scope="row">{year}</th>(<td>[^<]*</td>)*<td>{period}</td></tr>',
                         page), year
    svg = (site / "charts" / f"indicator-{ind['id']}.svg").read_text("utf-8")
    series = re.search(rf'<g class="series" data-series="{re.escape(t("indicator.series_after"))}">'
                       r'(.*?)</g>', svg, re.DOTALL)
    assert series and len(re.findall(r"<circle", series.group(1))) == len(later)
    band = re.search(r'<g class="after-period"><rect x="([0-9.]+)"', svg)
    target = re.search(r'<g class="target"><line x1="[0-9.]+" x2="([0-9.]+)"', svg)
    assert band and target
    assert float(target.group(1)) <= float(band.group(1))  # no target after the plan period
    # The embeddable chart says so too.
    alone = (site / "charts" / f"indicator-{ind['id']}" / "index.html").read_text("utf-8")
    assert note in alone


def test_status_tables_say_the_year_judged(fixture, site):
    ind = fixture["indicator"]
    rows = read_csv(site / "data" / "derived" / "latest" / "data" / "progress_status.csv")
    judged = {r["indicator_id"]: r["judged_year"] for r in rows}
    for page in sorted(site.glob("indicators/*/index.html")):
        body = page.read_text("utf-8")
        if '<table class="portal-district-status">' in body:
            assert t("indicator.districts_caption", year=judged[page.parent.name]) in body
    district = next(code for code in sorted({r["district_code"] for r in rows} - {CITY})
                    if (site / "districts" / code / "index.html").is_file())
    body = (site / "districts" / district / "index.html").read_text("utf-8")
    assert f'<th scope="col">{t("districts.judged_year")}</th>' in body
    index = (site / "indicators" / "index.html").read_text("utf-8")
    assert t("indicator.judged_at", year=ind["target_year"]) in index
