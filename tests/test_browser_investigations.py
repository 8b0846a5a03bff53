"""Investigation pages in a real Chromium on a phone (390 px): a report page and a district's
list of reports do not widen the page (their tables scroll sideways in their own box), and
the accident list links each published report to its page, relatively."""

from __future__ import annotations

import pytest
from conftest import foreign, open_page

pytestmark = pytest.mark.browser


def _first_published(site) -> str:
    return min(p.parent.name for p in (site.out / "reports").glob("*/index.html"))


@pytest.mark.parametrize("path", ["report", "investigations/", "districts/320402/"])
def test_no_page_is_wider_than_a_phone(browser, site, path):
    if path == "report":
        path = f"reports/{_first_published(site)}/"
    visit = open_page(browser, site, path, "phone")
    try:
        page = visit.page
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        # every data table sits in a box that scrolls sideways
        assert page.locator("table.data-table").count() > 0
        assert page.locator(".data-scroll table.data-table").count() == \
            page.locator("table.data-table").count()
        assert not visit.errors and not foreign(visit.requests, site)
    finally:
        visit.context.close()


def test_the_accident_list_links_a_report_page(browser, site):
    visit = open_page(browser, site, "accidents/list/", "phone")
    try:
        page = visit.page
        page.fill("input[name=q]", "已公布")
        link = page.locator(".accident-table tbody a").first
        link.wait_for()
        href = link.get_attribute("href")
        assert href.startswith("../../reports/")
        page.goto(page.url.split("#")[0] + href)
        assert page.locator("h1").inner_text().startswith("事故调查报告")
        assert not visit.errors
    finally:
        visit.context.close()
