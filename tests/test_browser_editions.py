"""The English edition in a real Chromium: every page type (found in the built site's en/
folder, as the other browser tests find the Chinese ones) at phone and desktop size declares
English, has no console error, no serious or critical axe finding and no horizontal
overflow; Chinese text appears only inside elements marked lang="zh" (enterprise names, the
plan's clauses); the language switch leads from every page type to its twin and back; the
English search finds the indicator pages by English words."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SCREENSHOTS, page_types
from test_browser_a11y import BLOCKING, _audit, axe_script  # noqa: F401 (axe_script: a fixture)

from pipeline.config import load_config

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = SCREENSHOTS / "editions"
LANGS = load_config().site.languages
OTHER = LANGS[1]  # the edition under its own folder (en)

# Text nodes and the attributes a screen reader speaks that hold Chinese characters, with no
# ancestor (or the element itself) marked as Chinese: what a reader of the English page would
# hear read out in the wrong language.
UNMARKED_CJK = """() => {
  const CJK = /[\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff01-\\uff60]/;
  const chinese = el => { const m = el && el.closest('[lang]');
                          return !!m && m.getAttribute('lang').toLowerCase().startsWith('zh'); };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!CJK.test(node.data) || !el || el.closest('script, style, template') || chinese(el)) continue;
    const where = el.closest('[id], [class]');
    found.push(`${el.tagName.toLowerCase()}${where ? ' in ' + (where.id ? '#' + where.id
               : '.' + String(where.className.baseVal ?? where.className).split(' ')[0]) : ''}: `
               + node.data.trim().slice(0, 40));
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [alt], [placeholder]')) {
    for (const name of ['title', 'aria-label', 'alt', 'placeholder']) {
      const value = el.getAttribute(name);
      if (value && CJK.test(value) && !chinese(el)) found.push(`${el.tagName.toLowerCase()}[${name}]: ${value.slice(0, 40)}`);
    }
  }
  if (CJK.test(document.title)) found.push(`<title>: ${document.title.slice(0, 40)}`);
  return found;
}"""


def _english_types(site) -> dict[str, str]:
    types = page_types(site.out, OTHER)
    assert {"home", "data", "data-item", "indicators", "indicators-item", "methodology",
            "about"} <= set(types), types
    return types


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_english_page_type_is_english_accessible_and_fits(site, browser, axe_script, viewport):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="en-GB",
                                  bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.on("response", lambda r: errors.append(f"{page.url}: {r.status} {r.url}") if r.status >= 400 else None)
    problems: dict[str, dict] = {}
    for name, relative in _english_types(site).items():
        page.goto(site.url + relative)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"{OTHER}-{name}-{viewport}.png"), full_page=False)
        found = {}
        lang = page.evaluate("document.documentElement.lang")
        if not lang.lower().startswith(OTHER):
            found["lang"] = lang
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            found["overflow_px"] = overflow
        blocking = [v for v in _audit(page, axe_script) if v["impact"] in BLOCKING]
        if blocking:
            found["axe"] = blocking
        if found:
            problems[relative] = found
    context.close()
    assert not errors, errors
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=2)


def test_chinese_on_english_pages_is_marked_as_chinese(site, browser):
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-GB")
    page = context.new_page()
    offenders = {}
    for relative in _english_types(site).values():
        page.goto(site.url + relative)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(UNMARKED_CJK)
        if found:
            offenders[relative] = sorted(set(found))[:15]
    context.close()
    assert not offenders, json.dumps(offenders, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_switch_leads_from_every_page_type_to_its_twin_and_back(site, browser, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    for relative in page_types(site.out).values():
        start = site.url + relative
        page.goto(start)
        if page.locator('meta[name="robots"][content*="noindex"]').count():
            continue  # a chart made for embedding elsewhere: no header, no switch, no twin to name
        page.locator(f'a.portal-lang-switch__link[hreflang="{OTHER}"]').click()
        page.wait_for_load_state("load")
        assert page.url == f"{site.url}{OTHER}/{relative}", relative
        assert page.evaluate("document.documentElement.lang").startswith(OTHER)
        page.locator(f'a.portal-lang-switch__link[hreflang="{LANGS[0]}"]').click()
        page.wait_for_load_state("load")
        assert page.url == start, relative
        assert page.evaluate("document.documentElement.lang").startswith(LANGS[0])
    context.close()


def test_english_search_finds_the_death_rate_indicators(site, browser):
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-GB")
    page = context.new_page()
    page.goto(f"{site.url}{OTHER}/")
    page.locator("label.md-header__button[for='__search']").first.click() \
        if page.locator("input.md-search__input").is_hidden() else None
    page.locator("input.md-search__input").fill("death rate")
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=30000)
    hrefs = [a.get_attribute("href") for a in results.all()[:10]]
    context.close()
    pattern = re.compile(rf"(^|/){OTHER}/indicators/goal-[a-z-]*death-rate/")
    assert [h for h in hrefs[:5] if pattern.search(h or "")], hrefs


def test_a_download_on_an_english_page_downloads_the_shared_file(site, browser):
    """The English pages link the root's downloads; a click fetches the file and stays on the
    English page (the theme once took such links for language switches)."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"], accept_downloads=True)
    page = context.new_page()
    page.goto(f"{site.url}{OTHER}/data/reference/")
    link = page.locator('a[download][href*="latest/data/"]').first
    href = link.get_attribute("href")
    assert href.startswith("../../../data/reference/latest/"), href
    with page.expect_download() as download:
        link.click()
    assert download.value.url == f"{site.url}data/reference/{href.split('data/reference/', 1)[1]}"
    assert page.url == f"{site.url}{OTHER}/data/reference/"
    context.close()
