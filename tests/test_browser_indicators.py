"""The indicator pages in a real Chromium: the dashboard filter works, an indicator page
loads cleanly and stays on its own origin, and the chart's PNG download is a PNG."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SCREENSHOTS, VIEWPORTS, foreign, open_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"




def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_dashboard_filter_by_measure_and_district(browser, site):
    visit = open_page(browser, site, "indicators/", "phone")
    try:
        page = visit.page
        cards = page.locator(".portal-indicator-card")
        total = cards.count()
        assert total > 10 and page.locator(".portal-indicator-card:visible").count() == total
        page.select_option("#indicator-filter select[name=measure]", "m09")
        visible = page.locator(".portal-indicator-card:visible")
        assert 0 < visible.count() < total
        for i in range(visible.count()):
            assert visible.nth(i).get_attribute("data-measure") == "m09"
        page.select_option("#indicator-filter select[name=measure]", "")
        page.select_option("#indicator-filter select[name=district]", "320413")
        visible = page.locator(".portal-indicator-card:visible")
        assert 0 < visible.count() < total
        for i in range(visible.count()):
            assert "320413" in visible.nth(i).get_attribute("data-districts").split()
            status = visible.nth(i).locator(".portal-indicator-card__status:visible")
            assert status.count() == 1 and status.get_attribute("data-for") == "320413"
        shot(page, "indicators-filtered-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert visit.errors == []
    finally:
        visit.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", ["", "indicators/", "indicators/goal-gdp-death-rate/",
                                  "indicators/m03-above-scale-baseline/", "plan/",
                                  "plan/departments/work_safety/"])
def test_pages_load_cleanly_on_their_own_origin(browser, site, path, viewport):
    visit = open_page(browser, site, path, viewport)
    try:
        page = visit.page
        shot(page, f"s1-{path.strip('/').replace('/', '-') or 'home'}-{viewport}")
        assert visit.errors == []
        assert visit.requests
        assert foreign(visit.requests, site) == []
        width = VIEWPORTS[viewport]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        visit.context.close()


def test_png_download_is_a_png(browser, site, tmp_path):
    visit = open_page(browser, site, "indicators/goal-deaths/")
    try:
        page = visit.page
        button = page.locator(".portal-chart-png").first
        assert button.is_visible()
        with page.expect_download() as info:
            button.click()
        download = info.value
        assert download.suggested_filename.endswith(".png")
        assert urlsplit(download.url).scheme in ("blob", "data")
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        assert target.read_bytes()[:8] == PNG_SIGNATURE
        assert visit.errors == []
    finally:
        visit.context.close()


def test_embed_code_points_at_the_chart_page(browser, site):
    visit = open_page(browser, site, "indicators/goal-deaths/")
    try:
        code = visit.page.locator(".portal-embed-code").first.input_value()
        # the public address (site.canonical_url): an embed lives on another site
        from pipeline.config import current

        assert f'src="{current().site.canonical_url}charts/indicator-goal-deaths/"' in code
        chart = open_page(browser, site, "charts/indicator-goal-deaths/", "phone")
        try:
            assert chart.page.locator("svg[role=img]:visible").count() == 1
            assert chart.errors == [] and foreign(chart.requests, site) == []
        finally:
            chart.context.close()
    finally:
        visit.context.close()
