"""The lookup, the accident list and a hostile enterprise name in a real Chromium.

Built once from a copy of the committed data in which one actively blacklisted enterprise
is named ``<img src=x onerror=alert(1)>``. Bytes per query are the sum of the response
bodies of the requests one query makes (a functional size bound, not a timing)."""

from __future__ import annotations

import csv
import json
import shutil
import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from conftest import SCREENSHOTS, VIEWPORTS, Visit, foreign, open_page
from playwright.sync_api import expect

from pipeline.build import build
from pipeline.serve import make_server, url

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
HOSTILE = "常州示例<img src=x onerror=alert(1)>有限公司"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-credit")
    data = root / "data"
    shutil.copytree(DATAPACKAGES, data)
    credit = data / "enterprise-credit"
    listings = _rows(credit / "data" / "blacklist.csv")
    ref = "2016-01-01"
    hostile = next(r["uscc"] for r in listings if r["listed"] <= ref < r["expires"]
                   and not (r["removed"] and r["removed"] <= ref))
    enterprises = _rows(credit / "data" / "enterprises.csv")
    for row in enterprises:
        if row["uscc"] == hostile:
            row["name"] = HOSTILE
    with (credit / "data" / "enterprises.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(enterprises[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(enterprises)
    package = json.loads((credit / "datapackage.json").read_text("utf-8"))
    for resource in package["resources"]:
        resource.pop("hash", None)
        resource.pop("bytes", None)
    (credit / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False),
                                             encoding="utf-8")
    out = root / "site"
    build(data, out, reference_date=date(2016, 1, 1))
    server = make_server(out, 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sample = next(e for e in enterprises if e["uscc"] != hostile and e["sector_code"] == "machinery")
    yield SimpleNamespace(out=out, url=url(server), hostile=hostile, sample=sample)
    server.shutdown()
    server.server_close()


def query_bytes(v: Visit, since: int) -> int:
    return sum(len(r.body()) for r in v.responses[since:] if "/credit/index/" in r.url)


def search(v: Visit, text: str) -> int:
    """Type a query, submit, wait for the result; return the bytes this query fetched."""
    since = len(v.responses)
    page = v.page
    page.fill("input[name=q]", text)
    page.click(".lookup-form button[type=submit]")
    page.locator(".lookup:not([aria-busy])").wait_for()
    page.wait_for_load_state("networkidle")
    return query_bytes(v, since)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lookup_by_name_fragment_and_by_code(browser, site, viewport):
    v = open_page(browser, site, "credit/", viewport)
    try:
        name, uscc = site.sample["name"], site.sample["uscc"]
        fragment = name.removeprefix("常州").removesuffix("有限公司")
        spent = search(v, fragment)
        page = v.page
        assert page.locator(".lookup-name", has_text=name).count() == 1
        assert spent < 150_000, spent
        page.locator(".lookup-name", has_text=name).first.click()
        detail = page.locator(".lookup-detail")
        assert uscc in detail.inner_text()
        ratings = [r for r in _rows(DATAPACKAGES / "enterprise-credit" / "data" /
                                    "credit_ratings.csv") if r["uscc"] == uscc]
        for r in ratings:
            assert r["rated_on"] in detail.inner_text()

        spent = search(v, uscc)
        assert spent < 150_000, spent
        assert page.locator(".lookup-detail h3").inner_text() == name
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"credit-lookup-{viewport}.png", full_page=True)
        assert v.errors == [] and v.dialogs == []
        assert foreign(v.requests, site) == []
    finally:
        v.context.close()


def test_the_english_lookup_reads_the_root_edition_index(browser, site):
    """The English page has no index of its own: it fetches the root edition's copy."""
    v = open_page(browser, site, "en/credit/")
    try:
        name, uscc = site.sample["name"], site.sample["uscc"]
        search(v, uscc)
        assert v.page.locator(".lookup-detail h3").inner_text() == name
        fetched = [r.url for r in v.responses if "/credit/index/" in r.url]
        assert fetched and not [u for u in fetched if "/en/credit/index/" in u]
        assert v.errors == [] and foreign(v.requests, site) == []
    finally:
        v.context.close()


def test_a_filter_narrows_the_results(browser, site):
    v = open_page(browser, site, "credit/")

    def count(page) -> int:
        page.locator(".lookup:not([aria-busy])").wait_for()
        text = page.locator(".lookup-status").inner_text()
        digits = "".join(c for c in text.split("家")[0] if c.isdigit())
        return int(digits) if digits else 0

    try:
        page = v.page
        # names 常州示例机械03xxx: the first result's district holds some of them, not all
        search(v, "机械03")
        everything = count(page)
        assert everything > 10
        district = page.locator(".lookup-facts").first.inner_text().split(" · ")[1]
        page.select_option("select[name=district]", label=district)
        in_district = count(page)
        assert 0 < in_district <= everything
        for facts in page.locator(".lookup-facts").all_inner_texts():
            assert district in facts
        page.select_option("select[name=grade]", "C")
        page.select_option("select[name=year]", "2015")
        narrowed = count(page)
        assert 0 < narrowed < in_district
        for facts in page.locator(".lookup-facts").all_inner_texts():
            assert "2015年 C级" in facts
        assert "grade=C" in page.url and "year=2015" in page.url
    finally:
        v.context.close()


def test_a_hostile_name_shows_literally_and_runs_nothing(browser, site):
    v = open_page(browser, site, "credit/#q=" + quote(site.hostile))
    try:
        page = v.page
        page.wait_for_selector(".lookup-detail h3")
        assert page.locator(".lookup-detail h3").inner_text() == HOSTILE
        assert page.locator(".lookup img").count() == 0
        black = open_page(browser, site, "credit/blacklist/")
        try:
            assert black.page.get_by_text(HOSTILE).count() >= 1
            assert black.page.locator("article img").count() == 0
            assert black.dialogs == [] and black.errors == []
        finally:
            black.context.close()
        assert v.dialogs == [] and v.errors == []
    finally:
        v.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_accident_list_search_and_sort(browser, site, viewport):
    v = open_page(browser, site, "accidents/list/", viewport)
    try:
        page = v.page
        page.locator("th[data-key] button:not([disabled])").first.wait_for()
        accidents = _rows(DATAPACKAGES / "accident-outcomes" / "data" / "accidents.csv")
        target = accidents[len(accidents) // 2]["accident_id"]
        page.fill("input[name=q]", target)
        expect(page.locator(".accident-table tbody tr")).to_have_count(1)
        assert page.locator(".accident-table tbody td").first.inner_text() == target
        assert target in page.url
        page.fill("input[name=q]", "")
        # the deaths column, wherever the table shows it (data-key 6 of accidents.json)
        column = 1 + page.locator(".accident-table thead th").evaluate_all(
            "(ths, key) => ths.findIndex(th => th.dataset.key === key)", "6")
        deaths_td = f".accident-table tbody tr td:nth-child({column})"
        page.locator("th[data-key='6'] button").click()  # deaths, most first
        deaths = [int(x) for x in page.locator(deaths_td).all_inner_texts()]
        assert deaths == sorted(deaths, reverse=True) and deaths[0] == max(
            int(a["deaths"]) for a in accidents)
        page.locator("th[data-key='6'] button").click()
        deaths = [int(x) for x in page.locator(deaths_td).all_inner_texts()]
        assert deaths == sorted(deaths)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"accidents-list-{viewport}.png", full_page=True)
        assert v.errors == [] and foreign(v.requests, site) == []
    finally:
        v.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", ["accidents/", "credit/blacklist/", "credit/hazards/",
                                  "credit/grades/", "districts/", "districts/320405/"])
def test_section_pages_load_cleanly(browser, site, path, viewport):
    v = open_page(browser, site, path, viewport)
    try:
        page = v.page
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport}.png", full_page=True)
        assert v.errors == [] and v.dialogs == [] and foreign(v.requests, site) == []
    finally:
        v.context.close()


def _download(page, button: str) -> tuple[str, list[dict]]:
    """Click ``button`` and read the CSV it saves: (file name, rows as dicts)."""
    with page.expect_download() as download:
        page.click(button)
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads the Chinese"
    text = raw.decode("utf-8-sig")
    return download.value.suggested_filename, list(csv.DictReader(text.splitlines()))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_common_two_character_fragment_returns_ranked_pages(browser, site, viewport):
    names = [e["name"] for e in _rows(site.out.parent / "data" / "enterprise-credit" / "data" /
                                      "enterprises.csv") if "化工" in e["name"]]
    assert len(names) > 500, "化工 must be a common fragment (more names than the cap)"
    v = open_page(browser, site, "credit/", viewport)
    try:
        page = v.page
        spent = search(v, "化工")
        assert spent < 150_000, spent
        shown = page.locator(".lookup-name").all_inner_texts()
        assert len(shown) == 10 and all("化工" in n for n in shown)
        assert f"{len(names)}" in page.inner_text(".lookup-status")
        # best first: the fragment as early in the name as anywhere, then the shortest names
        position = [n.index("化工") for n in shown]
        assert position[0] == min(n.index("化工") for n in names)
        page.click(".lookup-more")
        expect(page.locator(".lookup-name")).to_have_count(20)
        shown = page.locator(".lookup-name").all_inner_texts()
        assert len(set(shown)) == 20

        name, rows = _download(page, ".rows-download")
        assert name == "changzhou-work-safety_enterprise-lookup.csv"
        assert [r["企业名称"] for r in rows] == shown
        assert all("化工" in r["筛选条件"] and "合成数据" in r["数据说明"] for r in rows)
        assert all("/credit/" in r["来源"] for r in rows)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"credit-lookup-common-{viewport}.png", full_page=True)
        assert foreign(v.requests, site) == []
    finally:
        v.context.close()


def test_filters_alone_list_the_enterprises_and_a_filter_narrows_a_common_fragment(browser, site):
    enterprises = _rows(site.out.parent / "data" / "enterprise-credit" / "data" / "enterprises.csv")
    district = "320481"
    in_district = [e for e in enterprises if e["district_code"] == district]
    v = open_page(browser, site, "credit/")
    try:
        page = v.page
        page.select_option("select[name=district]", district)
        page.locator(".lookup:not([aria-busy])").wait_for()
        expect(page.locator(".lookup-name")).to_have_count(10)
        status = page.inner_text(".lookup-status")
        assert f"{len(in_district)}" in status, status
        label = page.locator("select[name=district] option:checked").inner_text()
        assert all(label in f for f in page.locator(".lookup-facts").all_inner_texts())

        search(v, "化工")
        expect(page.locator(".lookup-name")).to_have_count(10)
        assert all(label in f for f in page.locator(".lookup-facts").all_inner_texts())
        _, rows = _download(page, ".rows-download")
        assert len(rows) == 10 and all(label in r["筛选条件"] and "化工" in r["筛选条件"] for r in rows)
    finally:
        v.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_accident_list_downloads_exactly_the_rows_shown(browser, site, viewport):
    v = open_page(browser, site, "accidents/list/", viewport)
    try:
        page = v.page
        district = page.locator("select[name=district] option").nth(1).inner_text()
        page.select_option("select[name=district]", district)
        expect(page.locator(".rows-download")).to_be_visible()
        ids = page.locator(".accident-table tbody tr td:first-child").all_inner_texts()
        name, rows = _download(page, ".rows-download")
        assert name == "changzhou-work-safety_accident-list.csv"
        assert [r["事故编号"] for r in rows] == ids and ids
        assert all(district in r["筛选条件"] and "合成数据" in r["数据说明"] for r in rows)
        assert all(r["地区"] == district for r in rows)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"accident-list-download-{viewport}.png")
    finally:
        v.context.close()
