"""The built site in a real Chromium: every page type loads cleanly, in Chinese, without a
single request outside its own origin; downloads are the committed bytes; search finds
Chinese words. Screenshots go to build/artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
from conftest import SCREENSHOTS, VIEWPORTS, foreign, open_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
PACKAGES = sorted(p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json"))
PAGES = {"home": "", "catalog": "data/", "about": "about/",
         **{f"package-{name}": f"data/{name}/" for name in PACKAGES},
         # a table page of each package (its first table)
         **{f"table-{name}": "data/{}/tables/{}/".format(name, json.loads(
             (DATAPACKAGES / name / "datapackage.json").read_text("utf-8"))["resources"][0]["name"])
            for name in PACKAGES}}
# A word each package page carries (in a table title or description), to search for; one the
# plan and indicator pages do not also use, or they outrank the package page.
SEARCH_WORDS = {"enterprise-credit": "黑名单", "accident-outcomes": "年度指标",
                "indicator-progress": "responsibilities", "reference": "行政区划"}




@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_in_chinese_with_no_outside_request(browser, site, name, viewport):
    visit = open_page(browser, site, PAGES[name], viewport)
    try:
        page = visit.page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport}.png", full_page=True)
        assert page.locator("html").get_attribute("lang").startswith("zh")
        assert page.title().strip()
        assert page.locator("article h1").count() == 1
        assert visit.errors == []
        assert visit.requests, "the recorder saw nothing: the test would prove nothing"
        assert foreign(visit.requests, site) == []
    finally:
        visit.context.close()


def test_a_browser_without_resize_observer_still_stays_on_this_site(browser, site):
    # The theme would fetch a polyfill from a CDN for such browsers (older Safari).
    visit = open_page(browser, site, "data/", "phone",
                      init_script="delete window.ResizeObserver")
    try:
        assert foreign(visit.requests, site) == []
        assert visit.page.evaluate("typeof window.ResizeObserver") == "function"
        assert visit.errors == []
    finally:
        visit.context.close()


@pytest.mark.parametrize("package", PACKAGES)
def test_package_page_shows_its_tables_and_downloads_match_their_checksums(
        browser, site, package):
    import hashlib
    import json

    descriptor = json.loads((DATAPACKAGES / package / "datapackage.json").read_text("utf-8"))
    manifest = {entry["path"]: entry for entry in json.loads(
        (site.out / "data" / "manifest.json").read_text("utf-8"))["files"]}
    visit = open_page(browser, site, f"data/{package}/")
    try:
        page = visit.page
        assert descriptor["title"] in page.title()
        # every format of every table, each with the SHA-256 shown beside it
        links = page.locator("a.portal-file")
        # a withheld table (x-public: false, e.g. the full blacklist) has no downloads
        published = [r for r in descriptor["resources"] if r.get("x-public", True) is not False]
        assert links.count() == 5 * len(published)
        for link in links.all():
            href = link.get_attribute("href")
            response = page.request.get(urljoin(page.url, href))
            assert response.ok, href
            digest = hashlib.sha256(response.body()).hexdigest()
            assert digest == manifest[f"data/{package}/{href}"]["sha256"]
            shown = link.locator("xpath=ancestor::tr//code[contains(@class, 'portal-sha')]").inner_text()
            assert shown.replace("\u200b", "").strip() == digest
        hrefs = [link.get_attribute("href") for link in links.all()]
        for resource in descriptor["resources"]:
            assert (quote(f"latest/{resource['path']}") in hrefs) == (resource in published)
            assert page.locator(f"#res-{resource['name']}").count() == 1
        archive = page.locator("a.portal-download[href$='.zip']")
        assert archive.count() == 1
        assert page.request.get(urljoin(page.url, archive.get_attribute("href"))).ok
        response = page.request.get(urljoin(page.url, "latest/datapackage.json"))
        assert json.loads(response.body())["name"] == descriptor["name"]
        synthetic = descriptor.get("synthetic") or any(
            r.get("synthetic") for r in descriptor["resources"])
        assert (page.locator(".admonition.warning").count() == 1) == bool(synthetic)
    finally:
        visit.context.close()


@pytest.mark.parametrize("package", [p for p in PACKAGES if p in SEARCH_WORDS])
def test_chinese_search_finds_the_package_page(browser, site, package):
    visit = open_page(browser, site, f"?q={quote(SEARCH_WORDS[package])}")
    try:
        page = visit.page
        results = page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=15000)
        hrefs = [urlsplit(urljoin(page.url, a.get_attribute("href"))).path
                 for a in results.all()]
        # the package's page or one of its table pages (data/<package>/tables/…), which
        # carry the same words in their titles and dictionaries
        assert any(h.startswith(f"/data/{package}/") for h in hrefs), hrefs
        assert visit.errors == []
    finally:
        visit.context.close()
