"""Table pages in a real Chromium: every published table has one, with the first rows in the
HTML; asking for more reads the table's own JSON download (same origin, only then), and the
filter and pages agree with the committed CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import foreign, open_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"


def _csv_rows(package: str, resource: str) -> list[dict]:
    with (DATAPACKAGES / package / "data" / f"{resource}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_table_of_every_package_has_its_page(site):
    for descriptor_path in DATAPACKAGES.glob("*/datapackage.json"):
        descriptor = json.loads(descriptor_path.read_text("utf-8"))
        for resource in descriptor["resources"]:
            page = site.out / "data" / descriptor["name"] / "tables" / resource["name"] / "index.html"
            assert page.is_file(), page
            html = page.read_text("utf-8")
            # the data dictionary names every field
            for field in resource["schema"]["fields"]:
                assert f"<code>{field['name']}</code>" in html


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_preview_reads_the_rest_on_demand_and_filters_and_pages(browser, site, viewport):
    rows = _csv_rows("accident-outcomes", "accidents")
    visit = open_page(browser, site, "data/accident-outcomes/tables/accidents/", viewport)
    try:
        page = visit.page
        body = page.locator(".portal-table tbody tr")
        assert body.count() == 25
        assert body.first.locator("td").first.inner_text() == rows[0]["accident_id"]
        # nothing but the page and its assets yet: the JSON file is read when asked for
        assert not any(u.endswith("accidents.json") for u in visit.requests)
        page.click(".portal-table__load")
        page.wait_for_selector(".portal-table form:not([hidden])")
        assert any(u.endswith("/latest/data/accidents.json") for u in visit.requests)
        district = "320402"
        page.select_option(".portal-table select[name=column]", label="district_code")
        page.fill(".portal-table input[name=q]", district)
        status = page.locator(".portal-table__status")
        matching = [r["accident_id"] for r in rows if r["district_code"] == district]
        assert f"{len(matching):,}" in status.inner_text()
        shown = [c.inner_text() for c in page.locator(".portal-table tbody tr td:first-child").all()]
        assert shown == matching[:25]
        page.click(".portal-table__pager [data-step='1']")
        shown = [c.inner_text() for c in page.locator(".portal-table tbody tr td:first-child").all()]
        assert shown == matching[25:50]
        page.fill(".portal-table input[name=q]", "no-such-value-anywhere")
        assert page.locator(".portal-table tbody tr").count() == 0
        assert visit.errors == [] and foreign(visit.requests, site) == []
        if viewport == "phone":  # the table scrolls in its own box; the page does not
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
    finally:
        visit.close()


def test_a_withheld_table_has_its_dictionary_and_no_rows(site):
    html = (site.out / "data/enterprise-credit/tables/blacklist/index.html").read_text("utf-8")
    assert "portal-withheld" in html and "portal-table" not in html
    assert "<code>uscc</code>" in html
    assert "blacklist.json" not in html and "blacklist.csv" not in html
