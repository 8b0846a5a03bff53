"""Every page type at a phone's and a laptop's size: the page body is never wider than the
screen (wide tables scroll in their own box), a screenshot of each is kept for review (CI
keeps the folder as an artefact), and the Chinese pages read in Chinese.

Screenshots go to ``$PORTAL_SCREENSHOTS`` (default ``build/screenshots``), one
``<page type>-<viewport>.png`` each, full page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, page_types

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or ROOT / "build" / "screenshots")

# Page types that the walk of the site's folders (conftest.page_types: each section and its
# first item) does not reach on its own.
NAMED = {
    "accidents-list": "accidents/list/",
    "credit-blacklist": "credit/blacklist/",
    "credit-hazards": "credit/hazards/",
    "credit-certificates": "credit/certificates/",
    "credit-grades": "credit/grades/",
    "package": "data/accident-outcomes/",
    "table": "data/accident-outcomes/tables/accidents/",
    "methodology-rates": "methodology/rates/",
    "methodology-cli": "methodology/cli/",
}


def every_page_type(out: Path) -> dict[str, str]:
    types = page_types(out)
    types.update({name: path for name, path in NAMED.items()
                  if (out / path / "index.html").is_file()})
    plan = out / "plan" / "departments"
    if plan.is_dir():
        first = sorted(p.name for p in plan.iterdir() if (p / "index.html").is_file())
        if first:
            types["plan-department"] = f"plan/departments/{first[0]}/"
    return {name: path for name, path in sorted(types.items())
            if not path.startswith("en/")}  # the English edition is tested on its own


def visit(browser, site, path: str, viewport: str):
    """The page loaded at ``viewport``; requests to other origins are refused, not sent."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN")
    origin = urlsplit(site.url).netloc
    context.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).netloc == origin
                  else r.abort())
    page = context.new_page()
    page.goto(site.url + path, wait_until="networkidle")
    return context, page


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_page_type_is_wider_than_the_screen(browser, site, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    types = every_page_type(site.out)
    assert {"home", "indicators", "indicators-item", "accidents", "accidents-list", "plan",
            "plan-department", "districts", "districts-item", "data", "package", "table",
            "methodology", "about", "benchmark", "scale"} <= set(types)
    too_wide = {}
    for name, path in types.items():
        context, page = visit(browser, site, path, viewport)
        try:
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > page.evaluate("innerWidth"):
                too_wide[name] = width
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport}.png"), full_page=True)
        finally:
            context.close()
    assert too_wide == {}, f"wider than {VIEWPORTS[viewport]['width']} px: {too_wide}"


# The visible text of the page's main content outside code, form fields, and elements
# marked as another language or as not to be translated (machine codes of the data).
VISIBLE_TEXT = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.querySelector(".md-content"), NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (el.closest("code, pre, kbd, samp, textarea, script, style, [translate=no], [lang]:not([lang|=zh])")) continue;
    if (!el.checkVisibility()) continue;
    out.push(n.textContent);
  }
  return out.join(" ");
}"""
# A Latin word: two letters or more, not part of a code, number, file name or address.
WORD = re.compile(r"(?<![\w./:@-])[A-Za-z]{2,}(?![\w./:@-])")
# What a Chinese page writes in Latin letters anyway: units, file formats, standards.
EXEMPT = {"GDP", "CSV", "JSON", "XLSX", "Excel", "ZIP", "PNG", "SVG", "SQLite", "Parquet",
          "KB", "MB", "GB", "APA", "BibTeX", "RIS"}
# The public sections (the about-the-portal tab describes software and is not yet covered).
PUBLIC = ("home", "indicators", "indicators-item", "accidents", "accidents-list",
          "investigations", "investigations-item", "reports-item", "credit", "credit-blacklist",
          "credit-hazards", "credit-certificates", "credit-grades", "plan", "plan-department",
          "districts", "districts-item")


def english_words(text: str) -> list[str]:
    return sorted({w for w in WORD.findall(text) if w not in EXEMPT})


def test_the_word_finder_sees_english_and_lets_codes_and_formats_pass():
    assert english_words("下载 CSV 或 GDP（亿元），见 data.json 与 A202600082") == []
    assert english_words("事故编号 320402XQ0 与 https://example.org/a") == []
    assert english_words("Number of accidents 事故") == ["Number", "accidents", "of"]


def test_chinese_pages_show_no_english(browser, site):
    types = every_page_type(site.out)
    found = {}
    for name in PUBLIC:
        if name not in types:
            continue
        context, page = visit(browser, site, types[name], "desktop")
        try:
            words = english_words(page.evaluate(VISIBLE_TEXT))
        finally:
            context.close()
        if words:
            found[name] = words
    assert found == {}
