"""Indicator, plan and home pages built from the committed data: every indicator has a page
with its clause, status and the inputs of that status; every measure and department has its
place; charts are well-formed SVG with their target line; data is shown as text."""

from __future__ import annotations

import csv
import html
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.i18n import t

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
DATA = DATAPACKAGES / "indicator-progress" / "data"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> *强调* {: onclick="y"} &amp; [链接](javascript:z)'


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


INDICATORS = _csv(DATA / "indicators.csv")
MEASURES = _csv(DATA / "measures.csv")
RESPONSIBILITIES = _csv(DATA / "responsibilities.csv")


@pytest.fixture(scope="module")
def site(site) -> Path:
    """The folder of the site each worker builds once from the committed data for
    2016-01-01 (``conftest.site``): these tests only read it."""
    return site.out


def _text(page: Path) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    body = page.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_every_indicator_has_a_page_with_clause_status_and_inputs(site):
    for ind in INDICATORS:
        page = site / "indicators" / ind["id"] / "index.html"
        assert page.is_file(), ind["id"]
        text = _squash(_text(page))
        assert _squash(ind["clause"]) in text, ind["id"]
        assert ind["title"] in text
        assert any(t(f"progress.status.{s}") in text for s in
                   ("target_achieved", "on_track", "acceleration_needed", "limited_progress",
                    "deterioration", "not_available"))
        for key in ("base", "latest", "cagr_actual", "cagr_needed", "ratio"):
            assert t(f"indicator.in.{key}") in text, (ind["id"], key)
        assert t("indicator.synthetic_title") in text


def test_unknown_targets_say_so_with_their_provenance(site):
    unknown = [i for i in INDICATORS if i["target_status"] == "unknown"]
    assert unknown
    for ind in unknown:
        text = _squash(_text(site / "indicators" / ind["id"] / "index.html"))
        assert t("indicator.target_unknown_title") in text
        assert _squash(ind["provenance"]) in text


def test_status_inputs_match_progress_status(site):
    rows = {(r["indicator_id"], r["district_code"]): r for r in
            _csv(site / "data" / "derived" / "latest" / "data" / "progress_status.csv")}
    row = rows[("m02-supervision-teams", "320400")]
    text = _text(site / "indicators" / "m02-supervision-teams" / "index.html")
    assert t(f"progress.status.{row['status']}") in text
    assert f"{float(row['ratio']):.3f}" in text
    assert f"{row['base_year']} · {float(row['base_value']):.0f}" in text


def test_dashboard_lists_every_indicator_grouped_by_measure(site):
    page = (site / "indicators" / "index.html").read_text(encoding="utf-8")
    for ind in INDICATORS:
        assert f'href="{ind["id"]}/"' in page
    for measure in {i["measure_id"] for i in INDICATORS}:
        assert f'data-measure="{measure}"' in page
    assert 'id="indicator-filter"' in page


def test_plan_has_every_measure_and_every_department_a_page(site):
    plan = site / "plan" / "index.html"
    body = plan.read_text(encoding="utf-8")
    text = _squash(_text(plan))
    for m in MEASURES:
        assert f'id="{m["id"]}"' in body
        assert _squash(m["text"])[:40] in text
    for code in {r["department_code"] for r in RESPONSIBILITIES}:
        page = site / "plan" / "departments" / code / "index.html"
        assert page.is_file(), code
        measures = {r["measure_id"] for r in RESPONSIBILITIES if r["department_code"] == code}
        department_page = page.read_text(encoding="utf-8")
        for measure in measures:
            assert f'href="../../#{measure}"' in department_page
        for ind in INDICATORS:
            if ind["measure_id"] in measures:
                assert f'indicators/{ind["id"]}/' in department_page


def test_item_pages_stay_out_of_the_navigation(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    navigation = home[home.index("md-sidebar--primary"):home.index("md-sidebar--secondary")]
    assert "indicators/goal-deaths/" not in navigation
    assert "plan/departments/work_safety/" not in navigation
    # the key facts link their indicator pages from the page itself
    assert 'href="indicators/goal-deaths/"' in home


@pytest.mark.parametrize("indicator, kind", [("goal-gdp-death-rate", "benchmark"),
                                             ("goal-deaths", "control"),
                                             ("m09-training-rate", "value")])
def test_chart_svg_parses_and_has_its_target_or_benchmark(site, indicator, kind):
    path = site / "charts" / f"indicator-{indicator}.svg"
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    groups = {g.get("class") for g in root.iter(f"{SVG}g")}
    if kind == "benchmark":
        names = [g.get("data-series") for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
        assert t("indicator.series_province") in names
    else:
        assert "target" in groups
    # The same chart is inline on the page and has a chart-only page for embedding.
    page = (site / "indicators" / indicator / "index.html").read_text(encoding="utf-8")
    assert f'id="chart-indicator-{indicator}"' in page
    assert (site / "charts" / f"indicator-{indicator}" / "index.html").is_file()


def test_home_shows_rates_with_numerator_and_denominator(site):
    text = _squash(_text(site / "index.html"))
    for rate in ("gdp_death_rate", "industrial_death_rate", "road_death_rate"):
        assert t(f"rate.{rate}") in text
    city = [r for r in _csv(site / "data" / "derived" / "latest" / "data" / "rates.csv")
            if r["district_code"] == "320400" and r["rate"]]
    latest = max(int(r["year"]) for r in city)  # the key facts show the latest year
    rates = [r for r in city if int(r["year"]) == latest]
    assert rates
    for r in rates:
        # in the rate tables' words, counts grouped and whole ("1,856,101", not "1856101.00")
        denominator = float(r["denominator"])
        shown = f"{denominator:,.0f}" if r["rate_id"] != "gdp_death_rate" else f"{denominator:,.2f}"
        assert (f"{t('accidents.numerator.' + r['rate_id'])} {int(r['numerator']):,} ÷ "
                f"{t('accidents.denominator.' + r['rate_id'])} {shown}") in text, r["rate_id"]
    assert not re.search(r"× 1(?![\d,])", text)  # a scale of 1 is not written out
    assert t("home.next_unknown") in text
    assert "changzhou-work-safety.sqlite" in (site / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("hostile") / "datapackages"
    shutil.copytree(DATAPACKAGES, data)
    path = data / "indicator-progress" / "data" / "indicators.csv"
    rows = _csv(path)
    rows[0]["title"] = HOSTILE
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = data.parent / "site"
    build(data, out, reference_date=date(2016, 1, 1))
    return out / "indicators" / rows[0]["id"]


def test_hostile_title_is_shown_literally(hostile_site):
    page = (hostile_site / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert 'onclick="y"' not in page and "<em>强调</em>" not in page
    assert HOSTILE in html.unescape(re.sub(r"<[^>]+>", "", page))
    svg = hostile_site.parent.parent / "charts" / f"indicator-{hostile_site.name}.svg"
    root = ET.parse(svg).getroot()  # still well-formed: the title is escaped in it too
    assert root.find(f"{SVG}title").text == HOSTILE
