"""The accidents and districts sections: pages from the committed data, every rate with its
numerator and denominator, the 2015 boundary change stated, the accident list as a
same-origin JSON asset whose first rows are in the HTML, district pages out of the nav."""

from __future__ import annotations

import csv
import json
from html import unescape as html_text
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
ACCIDENTS = DATAPACKAGES / "accident-outcomes" / "data" / "accidents.csv"
UNITS = ("320402", "320404", "320405", "320411", "320412", "320413", "320481", "320482")


@pytest.fixture(scope="module")
def site(site) -> Path:
    """The folder of the site each worker builds once from the committed data for
    2016-01-01 (``conftest.site``): these tests only read it."""
    return site.out


def test_accident_pages_exist_with_a_synthetic_banner(site):
    for page in ("accidents", "accidents/list"):
        html = (site / page / "index.html").read_text("utf-8")
        assert "合成数据" in html


def test_every_rate_is_shown_with_its_numerator_and_denominator(site):
    html = (site / "accidents" / "index.html").read_text("utf-8")
    with (DATAPACKAGES / "accident-outcomes" / "data" / "annual_outcomes.csv").open(
            encoding="utf-8") as f:
        city = [r for r in csv.DictReader(f) if r["district_code"] == "320400"]
    for row in city:
        # GDP in 亿元 with two decimals, employees and vehicles with separators
        assert f"{float(row['gdp_100m_yuan']):,.2f}" in html
        assert f"{int(row['industrial_employees']):,}" in html
        assert f"{int(row['motor_vehicles']):,}" in html
        assert row["gdp_death_rate"] in html
    for word in ("死亡人数", "GDP（亿元）", "工矿商贸就业人员", "机动车保有量（辆）", "全省平均"):
        assert word in html


def test_the_2015_boundary_change_is_stated(site):
    html = (site / "accidents" / "index.html").read_text("utf-8")
    assert "2015-04-27" in html and "戚墅堰区" in html and "武进区" in html
    page = html_text((site / "districts" / "320405" / "index.html").read_text("utf-8"))
    assert "有效至 2015-04-27" in page and "武进区" in page


def test_the_accident_list_is_a_json_asset_with_its_first_rows_in_the_html(site):
    with ACCIDENTS.open(encoding="utf-8") as f:
        source = list(csv.DictReader(f))
    data = json.loads((site / "accidents" / "accidents.json").read_text("utf-8"))
    assert len(data["rows"]) == len(source)
    assert {r[0] for r in data["rows"]} == {r["accident_id"] for r in source}
    dates = [r[1] for r in data["rows"]]
    assert dates == sorted(dates, reverse=True)
    html = (site / "accidents" / "list" / "index.html").read_text("utf-8")
    for row in data["rows"][:50]:
        assert f"<td>{row[0]}</td>" in html
    assert data["rows"][60][0] not in html
    # nothing personal: the columns are the ones the page promises
    assert data["columns"] == ["id", "date", "district", "sector", "category", "grade",
                               "deaths", "serious_injuries", "loss", "report",
                               "report_published", "report_page"]


def test_a_page_per_district_kept_out_of_the_navigation(site):
    index = (site / "districts" / "index.html").read_text("utf-8")
    for code in UNITS:
        page = site / "districts" / code / "index.html"
        assert page.is_file()
        assert f'href="{code}/"' in index
    other = (site / "accidents" / "index.html").read_text("utf-8")
    assert "districts/320402/" not in other


def test_district_page_has_its_sections(site):
    html = (site / "districts" / "320402" / "index.html").read_text("utf-8")
    for heading in ("三项死亡率", "事故控制指标完成情况", "规划指标进展", "企业信用等级分布",
                    "安全生产黑名单", "未整改的挂牌督办隐患"):
        assert heading in html
    assert "个辖市（区）中由低到高排第" in html
