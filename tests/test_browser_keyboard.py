"""Keyboard-only use of the site in a real Chromium: the enterprise lookup and its filters,
the indicator dashboard's filters, a chart's data table and downloads, the accident list's
search and sorting, the theme's skip link, and no keyboard trap.

Every step is a key press (Tab, Shift+Tab, Enter, Space, arrows, typed text) starting from
the top of a freshly loaded page; the mouse is never used. After every press the focused
element must show it has focus (an outline or a box shadow). Expectations come from the
committed data and from the page's own markup, not from constants copied here.
Screenshots of focused states go to build/artifacts/screenshots/keyboard-*.png. The site
(built once from the committed data) and the browser are the shared fixtures of conftest."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import SCREENSHOTS, foreign, open_page
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
# Enough presses to walk the longest of these pages (header, tabs, side navigation, content,
# footer) once over and come back to the top.
CYCLE = 200

# What the focused element is and how its focus is drawn. A function, not an evaluated
# string: the site's Content-Security-Policy does not allow eval.
FOCUSED = """(selector) => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const s = getComputedStyle(e);
  return {
    tag: e.tagName, cls: typeof e.className === 'string' ? e.className : '',
    text: (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 40),
    outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, shadow: s.boxShadow,
    href: e.getAttribute('href'), matches: selector ? e.matches(selector) : false,
    // A control of the page's content is not hidden behind the fixed header (or anything
    // else): it is what is drawn at the middle of its first line box, inside the window.
    // The theme's search overlay does not count: it fades out over 250 ms after the search
    // box loses focus, longer than these key presses take, and is gone for a person.
    covered: !e.closest('.md-content') ? null : (() => {
      const r = e.getClientRects()[0] || e.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 8);
      if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return 'outside the window';
      const top = document.elementFromPoint(x, y);
      if (top && (top === e || e.contains(top) || top.closest('.md-search'))) return null;
      return top ? top.tagName + '.' + top.className : 'nothing';
    })(),
    content: !!e.closest('.md-content'),
  };
}"""


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def visible_focus(info: dict) -> bool:
    if info["covered"]:
        return False
    outlined = info["outline"] not in ("none", "hidden", "") and (
        info["outline"] == "auto" or info["width"] > 0)
    return outlined or info["shadow"] not in ("none", "")


def described(infos: list[dict]) -> list[str]:
    return [f"{i['tag']}.{i['cls']} {i['text']!r}: outline {i['outline']} {i['width']}px, "
            f"shadow {i['shadow']}, covered by {i['covered']}" for i in infos]


class Keys:
    """Key presses on one page; every element that gets focus is recorded and checked."""

    def __init__(self, page):
        self.page = page
        self.seen: list[dict] = []
        self.unmarked: list[dict] = []

    def focused(self, selector: str | None = None) -> dict | None:
        return self.page.evaluate(FOCUSED, selector)

    def press(self, key: str) -> dict | None:
        self.page.keyboard.press(key)
        info = self.focused()
        if info is not None:
            self.seen.append(info)
            if not visible_focus(info):
                self.unmarked.append(info)
        return info

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def start(self) -> None:
        """From the top: nothing focused yet, the next Tab is the page's first stop."""
        assert self.focused() is None, "a freshly loaded page has nothing focused"

    def to(self, selector: str, key: str = "Tab", limit: int = CYCLE) -> dict:
        """Press ``key`` until the focused element matches ``selector``."""
        for _ in range(limit):
            self.press(key)
            info = self.focused(selector)
            if info is not None and info["matches"]:
                return info
        raise AssertionError(f"{key} × {limit} never reached {selector}; last: {self.seen[-3:]}")

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"keyboard-{name}.png")


def lookup_count(page) -> int:
    page.locator(".lookup:not([aria-busy])").wait_for()
    text = page.locator(".lookup-status").inner_text()
    digits = "".join(c for c in text.split("家")[0] if c.isdigit())
    return int(digits) if digits else 0


def test_enterprise_lookup_and_its_filters_by_keyboard(browser, site):
    enterprises = _rows(DATAPACKAGES / "enterprise-credit" / "data" / "enterprises.csv")
    ratings = _rows(DATAPACKAGES / "enterprise-credit" / "data" / "credit_ratings.csv")
    rated = {r["uscc"] for r in ratings}
    # A fragment a handful of names contain (so one Tab does not land on the only result,
    # which opens by itself): a rated machinery enterprise's sector word and the first
    # digits of its number.
    fragment, matching = None, set()
    for sample in (e for e in enterprises if e["sector_code"] == "machinery" and e["uscc"] in rated):
        number = sample["name"].split("机械")[1]
        for digits in range(len(number), 1, -1):
            candidate = "机械" + number[:digits]
            found = {e["uscc"] for e in enterprises if candidate in e["name"]}
            if 2 <= len(found) <= 10:
                fragment, matching = candidate, found
                break
        if fragment:
            break
    assert fragment, "the committed data has a fragment a handful of names contain"

    visit = open_page(browser, site, "credit/")
    keys = Keys(visit.page)
    page = visit.page
    try:
        keys.start()
        keys.to(".lookup input[name=q]")
        keys.shot("lookup-query")
        keys.type(fragment)
        keys.press("Enter")
        assert lookup_count(page) == len(matching)
        first = keys.to(".lookup-results .lookup-name")
        assert first["text"], "the first result is a named button"
        uscc = page.locator(".lookup-results .lookup-facts").first.inner_text().split(" · ")[0]
        assert uscc in matching
        keys.press("Enter")
        detail = page.locator(".lookup-detail")
        expect(detail).to_be_visible()
        assert keys.focused(".lookup-detail")["matches"], "focus moves to the opened details"
        assert uscc in detail.inner_text()
        for r in ratings:
            if r["uscc"] == uscc:
                assert r["rated_on"] in detail.inner_text()
        keys.shot("lookup-detail")

        # The other results open with Space too.
        if len(matching) > 1:
            keys.to(".lookup-results .lookup-result:nth-child(2) .lookup-name", key="Shift+Tab")
            second = page.locator(".lookup-results .lookup-facts").nth(1).inner_text().split(" · ")[0]
            keys.press("Space")
            expect(detail).to_contain_text(second)

        # Back to the search box, a broader query, then the filters with arrow keys.
        keys.to(".lookup input[name=q]", key="Shift+Tab")
        keys.press("Control+A")
        keys.type("机械03")  # the first result's district holds some of these names, not all
        keys.press("Enter")
        everything = lookup_count(page)
        assert everything > 10
        # ArrowDown through the districts to the first result's own, so the filter keeps some.
        district = page.locator(".lookup-facts").first.inner_text().split(" · ")[1]
        select = page.locator(".lookup select[name=district]")
        keys.to(".lookup select[name=district]")
        for _ in range(select.locator("option").count()):
            keys.press("ArrowDown")
            if select.locator("option:checked").inner_text() == district:
                break
        assert select.locator("option:checked").inner_text() == district
        # the filter re-draws the results after the key press: wait for it, not for a moment
        expect(page.locator(".lookup-facts").filter(has_not_text=district)).to_have_count(0)
        in_district = lookup_count(page)
        assert 0 < in_district < everything
        for facts in page.locator(".lookup-facts").all_inner_texts():
            assert district in facts
        keys.to(".lookup select[name=year]")
        keys.press("ArrowDown")
        year = page.locator(".lookup select[name=year]").input_value()
        assert year, "ArrowDown chose a year"
        expect(page).to_have_url(re.compile(f"year={year}"))
        in_year = lookup_count(page)
        assert 0 < in_year <= in_district
        for facts in page.locator(".lookup-facts").all_inner_texts():
            assert district in facts
        assert f"year={year}" in page.url
        keys.shot("lookup-filter")
        assert keys.unmarked == [], described(keys.unmarked)
        assert visit.errors == [] and foreign(visit.requests, site) == []
    finally:
        visit.context.close()


def test_indicator_dashboard_filters_by_keyboard(browser, site):
    visit = open_page(browser, site, "indicators/")
    keys = Keys(visit.page)
    page = visit.page
    cards = page.locator(".portal-indicator-card")

    def shown() -> list[str]:
        return [c.get_attribute("href") for c in
                page.locator(".portal-indicator-card:visible .portal-indicator-card__title").all()]

    def expected(measure: str, district: str) -> list[str]:
        out = []
        for card in cards.all():
            districts = (card.get_attribute("data-districts") or "").split()
            if (not measure or card.get_attribute("data-measure") == measure) and (
                    not district or district in districts):
                out.append(card.locator(".portal-indicator-card__title").get_attribute("href"))
        return out

    try:
        everything = shown()
        assert len(everything) == cards.count() > 1
        keys.start()
        keys.to("#indicator-filter select[name=measure]")
        keys.press("ArrowDown")
        measure = page.locator("#indicator-filter select[name=measure]").input_value()
        assert measure, "ArrowDown chose a measure"
        assert shown() == expected(measure, "") and 0 < len(shown()) < len(everything)
        keys.shot("indicators-measure")
        keys.press("ArrowUp")  # back to every measure
        assert shown() == everything
        keys.to("#indicator-filter select[name=district]")
        keys.press("ArrowDown")
        district = page.locator("#indicator-filter select[name=district]").input_value()
        assert district, "ArrowDown chose a district"
        assert shown() == expected("", district) and 0 < len(shown()) < len(everything)
        # Each card left shows that district's status, not the city's.
        for card in page.locator(".portal-indicator-card:visible").all():
            statuses = card.locator(".portal-indicator-card__status:visible")
            assert statuses.count() == 1
            assert statuses.first.get_attribute("data-for") == district
        keys.to("#indicator-filter select[name=measure]", key="Shift+Tab")
        keys.press("ArrowDown")
        measure = page.locator("#indicator-filter select[name=measure]").input_value()
        assert shown() == expected(measure, district)
        keys.shot("indicators-district")
        assert keys.unmarked == [], described(keys.unmarked)
        assert visit.errors == []
    finally:
        visit.context.close()


def first_chart_page(out: Path) -> str:
    for page in sorted((out / "indicators").glob("*/index.html")):
        if 'class="portal-chart-data"' in page.read_text(encoding="utf-8"):
            return f"indicators/{page.parent.name}/"
    raise AssertionError("no indicator page has a chart")


def test_a_charts_data_table_and_downloads_by_keyboard(browser, site):
    visit = open_page(browser, site, first_chart_page(site.out))
    keys = Keys(visit.page)
    page = visit.page
    try:
        block = page.locator(".portal-chart-block").first
        table = block.locator(".portal-chart-data table")
        expect(table).to_be_hidden()
        keys.start()
        # The views are tabs: one stop in the tab order (the view shown), arrows choose another.
        keys.to(".portal-chart-tabs [role=tab][aria-selected=true]")
        keys.press("ArrowRight")
        assert keys.focused(".portal-chart-tabs [role=tab][data-view=table]")["matches"]
        expect(block.locator("[role=tab][data-view=table]")).to_have_attribute("aria-selected", "true")
        expect(block.locator(".portal-chart-data")).to_have_attribute("open", "")
        expect(table).to_be_visible()
        assert table.locator("tbody tr").count() > 0
        keys.shot("chart-table")
        svg = keys.to(".portal-chart-svg-link")
        assert svg["text"]
        png = keys.to(".portal-chart-png")
        assert png["text"]
        keys.shot("chart-png")
        keys.to(".portal-chart-data summary", key="Shift+Tab")
        keys.press("Space")  # closes again
        expect(table).to_be_hidden()
        assert keys.unmarked == [], described(keys.unmarked)
        assert visit.errors == []
    finally:
        visit.context.close()


def test_accident_list_search_and_sort_by_keyboard(browser, site):
    accidents = _rows(DATAPACKAGES / "accident-outcomes" / "data" / "accidents.csv")
    visit = open_page(browser, site, "accidents/list/")
    keys = Keys(visit.page)
    page = visit.page
    rows = page.locator(".accident-table tbody tr")
    try:
        page.locator("th[data-key] button:not([disabled])").first.wait_for()
        keys.start()
        keys.to(".accident-list input[name=q]")
        target = accidents[len(accidents) // 3]["accident_id"]
        keys.type(target)
        expect(rows).to_have_count(1)
        assert page.locator(".accident-table tbody td").first.inner_text() == target
        keys.shot("accidents-search")
        keys.press("Control+A")
        keys.press("Backspace")
        expect(rows).not_to_have_count(1)
        # the deaths column, wherever the table shows it (data-key 6 of accidents.json)
        deaths_at = 1 + page.locator(".accident-table thead th").evaluate_all(
            "(ths, key) => ths.findIndex(th => th.dataset.key === key)", "6")
        deaths_td = f".accident-table tbody tr td:nth-child({deaths_at})"
        keys.to("th[data-key='6'] button")  # deaths
        keys.press("Enter")
        header = page.locator("th[data-key='6']")
        expect(header).to_have_attribute("aria-sort", "descending")
        deaths = [int(x) for x in page.locator(deaths_td).all_inner_texts()]
        assert deaths == sorted(deaths, reverse=True)
        assert deaths[0] == max(int(a["deaths"]) for a in accidents)
        keys.shot("accidents-sorted")
        keys.press("Space")
        expect(header).to_have_attribute("aria-sort", "ascending")
        deaths = [int(x) for x in page.locator(deaths_td).all_inner_texts()]
        assert deaths == sorted(deaths)
        assert keys.unmarked == [], described(keys.unmarked)
        assert visit.errors == []
    finally:
        visit.context.close()


CYCLED = ["credit/", "indicators/", "accidents/list/", "indicators/{chart}"]


@pytest.mark.parametrize("path", CYCLED)
def test_tab_walks_every_page_to_the_footer_and_round_again(browser, site, path):
    path = path.format(chart=first_chart_page(site.out).removeprefix("indicators/"))
    visit = open_page(browser, site, path)
    keys = Keys(visit.page)
    try:
        if path == "accidents/list/":
            visit.page.locator("th[data-key] button:not([disabled])").first.wait_for()
        keys.start()
        for _ in range(CYCLE):
            keys.press("Tab")
        assert keys.seen, "Tab focused nothing"
        # The footer's links where the page has them (pages in the navigation); item pages
        # have none, so there the last link of the content is the end of the walk.
        page = visit.page
        links = page.locator(".md-footer a[href]")
        last = (links if links.count() else page.locator("article a[href]")).last
        end = (last.get_attribute("href"), last.inner_text().strip()[:40])
        reached = [i for i, info in enumerate(keys.seen) if (info["href"], info["text"]) == end]
        assert reached, f"Tab reaches {end}"
        top = keys.seen[0]
        again = [info for info in keys.seen[reached[0]:] if info == top]
        assert again, "after the end, Tab comes round to the top again (no trap)"
        assert any(info["content"] for info in keys.seen), "Tab reaches the page's content"
        assert keys.unmarked == [], described(keys.unmarked)
    finally:
        visit.context.close()


# The theme links its skip link to the first entry of the table of contents, so every page
# template starts with an explicit heading; these pages once had none.
@pytest.mark.parametrize("path", ["indicators/", "indicators/{chart}", "", "credit/",
                                  "accidents/list/", "methodology/"])
def test_the_skip_link_is_the_first_stop_and_moves_to_the_content(browser, site, path):
    path = path.format(chart=first_chart_page(site.out).removeprefix("indicators/"))
    visit = open_page(browser, site, path)
    keys = Keys(visit.page)
    page = visit.page
    try:
        keys.start()
        first = keys.press("Tab")
        assert first is not None and "md-skip" in first["cls"], first
        link = page.locator("a.md-skip")
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0, "shown on focus"
        if path == "":
            keys.shot("skip-link")
        href = link.get_attribute("href")
        keys.press("Enter")
        assert page.url.endswith(href)
        nxt = keys.press("Tab")
        assert nxt is not None and nxt["content"], f"the next Tab lands in the content: {nxt}"
        assert keys.unmarked == [], described(keys.unmarked)
    finally:
        visit.context.close()
