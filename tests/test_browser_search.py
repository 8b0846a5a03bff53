"""The site's search in a real Chromium, as a reader uses it.

A page loads no search index and no search worker: the index (the heaviest file of the
site's pages) is fetched when the search is first used, so the home page stays within its
weight budget (every byte of every response, uncompressed, until the network is idle).
Focusing the search box and typing loads it; a title outweighs body text and the query's
words are all searched (死亡率 finds the indicator pages titled with it first, 事故调查 the
investigation pages); no snippet repeats the synthetic-data notice; the keyboard works
(the theme's "/" key, arrows, Enter, Escape) and the words found are highlighted on the
page a result leads to. Each edition (the English one under en/) holds its own index back
and searches it. Screenshots go to build/artifacts/screenshots/search-*.png."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from conftest import SCREENSHOTS, VIEWPORTS, foreign, open_page

from pipeline.editions import languages, prefix
from pipeline.i18n import t

pytestmark = pytest.mark.browser

# Bytes (uncompressed) of everything the home page loads before any search: the page, its
# stylesheets, scripts, images. The budget is 400 KB.
HOME_BUDGET = 400_000
INDEX = "/search/search_index.json"
WORKERS = "/assets/javascripts/workers/"
# The notices that say a page's data are synthetic: said once on the page, not in results.
NOTICES = ("indicator.synthetic_body", "datapage.synthetic_body", "banner.synthetic_all",
           "banner.synthetic_part")


def _search_files(urls: list[str]) -> list[str]:
    return [u for u in urls if urlsplit(u).path.endswith(INDEX) or WORKERS in urlsplit(u).path]


def _bytes(visit) -> list[tuple[int, str]]:
    """(bytes, path) of every response the page received."""
    loaded = []
    for response in visit.responses:
        try:
            body = response.body()
        except Exception:  # a redirect has no body of its own  # noqa: BLE001
            body = b""
        loaded.append((len(body), urlsplit(response.url).path))
    return loaded


def _type_in_search(page, text: str):
    """Focus the search box as a reader does (a click), type, and wait for results."""
    page.locator("[data-md-component=search-query]").click()
    page.keyboard.type(text)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=30000)
    return results


def _title(item) -> str:
    return item.locator("h1, h2").first.inner_text().replace("\u200b", "")


def _path(page, item) -> str:
    return urlsplit(urljoin(page.url, item.locator("a").first.get_attribute("href"))).path


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_home_page_loads_no_search_index_and_stays_within_budget(browser, site, viewport):
    visit = open_page(browser, site, "", viewport)
    try:
        assert _search_files(visit.requests) == []
        loaded = _bytes(visit)
        total = sum(size for size, _ in loaded)
        assert total <= HOME_BUDGET, sorted(loaded, reverse=True)[:8]
        assert visit.errors == []
    finally:
        visit.close()


def test_an_indicator_page_loads_no_search_index(browser, site):
    visit = open_page(browser, site, "indicators/goal-deaths/")
    try:
        assert _search_files(visit.requests) == []
    finally:
        visit.close()


def test_typing_loads_the_index_and_finds_the_indicators_titled_with_the_word(browser, site):
    visit = open_page(browser, site, "")
    try:
        page = visit.page
        assert _search_files(visit.requests) == []
        results = _type_in_search(page, "死亡率")
        assert [u for u in visit.requests if urlsplit(u).path.endswith(INDEX)]
        first = results.first
        assert _path(page, first).startswith("/indicators/"), [_title(r) for r in results.all()]
        assert "死亡率" in _title(first)
        # the figures of an indicator page are partly synthetic: the result says so by its tag
        assert first.locator(".md-tag").first.inner_text() == t("package.partly_synthetic_badge")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "search-results-desktop.png")
        assert visit.errors == [] and foreign(visit.requests, site) == []
    finally:
        visit.close()


@pytest.mark.parametrize("query", ["死亡率", "黑名单", "事故调查"])
def test_no_result_repeats_the_synthetic_notice(browser, site, query):
    visit = open_page(browser, site, "")
    try:
        page = visit.page
        results = _type_in_search(page, query)
        # the results beyond each page's best sections are folded: open them all
        for more in page.locator(".md-search-result__more").all():
            more.evaluate("details => { details.open = true; }")
        text = " ".join(r.inner_text() for r in results.all()).replace("\u200b", "")
        assert text
        assert not [key for key in NOTICES if t(key) in text]
    finally:
        visit.close()


def test_every_word_of_a_query_is_searched(browser, site):
    # 事故调查 is two words of the index; the theme searched the first alone (事故)
    visit = open_page(browser, site, "")
    try:
        page = visit.page
        results = _type_in_search(page, "事故调查")
        assert "调查" in _title(results.first), [_title(r) for r in results.all()[:5]]
    finally:
        visit.close()


def test_search_opens_and_closes_by_keyboard(browser, site):
    visit = open_page(browser, site, "")
    try:
        page = visit.page
        page.keyboard.press("/")  # the theme's key for the search
        assert page.evaluate("() => document.activeElement.dataset.mdComponent") == "search-query"
        page.keyboard.type("黑名单")
        page.locator(".md-search-result__item").first.wait_for(timeout=30000)
        assert _search_files(visit.requests)
        page.keyboard.press("Escape")
        assert not page.locator("#__search").is_checked()
        assert page.evaluate("() => document.activeElement.dataset.mdComponent") != "search-query"
    finally:
        visit.close()


def test_a_result_chosen_by_keyboard_shows_the_words_found(browser, site):
    visit = open_page(browser, site, "")
    try:
        page = visit.page
        page.keyboard.press("/")
        page.keyboard.type("死亡率")
        first = page.locator(".md-search-result__item").first
        first.wait_for(timeout=30000)
        target = _path(page, first)
        page.keyboard.press("ArrowDown")
        assert page.evaluate("() => document.activeElement.closest('.md-search-result__item')"
                             " !== null")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert urlsplit(page.url).path == target
        assert parse_qs(urlsplit(page.url).query).get("h") == ["死亡率"]
        # the page the result leads to loads the index to highlight the words found
        mark = page.locator(".md-content mark").first
        mark.wait_for(timeout=30000)
        assert "死亡率" in mark.inner_text()
    finally:
        visit.close()


@pytest.mark.parametrize("lang", languages()[1:])
def test_an_edition_below_the_root_searches_its_own_index_on_first_use(browser, site, lang):
    root = prefix(lang)
    visit = open_page(browser, site, root)
    try:
        page = visit.page
        assert _search_files(visit.requests) == []
        word = t("indicators.title", lang).split()[0]  # a word of a section's title
        results = _type_in_search(page, word)
        assert [u for u in visit.requests if urlsplit(u).path == f"/{root}{INDEX[1:]}"]
        assert not [u for u in visit.requests if urlsplit(u).path == INDEX]
        assert _path(page, results.first).startswith(f"/{root}")
    finally:
        visit.close()
