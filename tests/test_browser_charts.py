"""Charts in a real Chromium at a 390 px phone and a 1366 px screen: text at a readable size,
values on hover and keyboard focus, the view's state in the address, exports that describe
themselves, embeds that are not cut off, and citations with absolute addresses."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

import pytest

from pipeline.config import current
from pipeline.i18n import t

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "wide": {"width": 1366, "height": 900}}
PAGES = ["indicators/goal-deaths/", "accidents/"]

# The drawn size of every text of every chart shown, in CSS px.
TEXT_SIZES = """() => {
  const out = [];
  document.querySelectorAll('svg.portal-chart, svg.portal-map').forEach(svg => {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) return;
    const scale = box.width / svg.viewBox.baseVal.width;
    svg.querySelectorAll('text').forEach(node => {
      if (node.textContent.trim()) out.push(parseFloat(getComputedStyle(node).fontSize) * scale);
    });
  });
  return out;
}"""


def _open(browser, site, path, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site.url + path, wait_until="networkidle")
    return context, page, errors


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", PAGES)
def test_chart_text_is_11_to_18_px_and_every_chart_is_complete(browser, site, path, viewport):
    context, page, errors = _open(browser, site, path, viewport)
    try:
        sizes = page.evaluate(TEXT_SIZES)
        assert sizes, "no chart text shown"
        assert 11 <= min(sizes) and max(sizes) <= 18, (min(sizes), max(sizes))
        blocks = page.locator(".portal-chart-block")
        assert blocks.count() >= 1
        for i in range(blocks.count()):
            block = blocks.nth(i)
            assert block.locator("figcaption").first.inner_text().strip()
            shown = block.locator("svg.portal-chart:visible")
            assert shown.count() == 1  # one layout at a time, with a title and an accessible name
            assert shown.locator("title").first.text_content().strip()
            labelled = shown.get_attribute("aria-labelledby").split()
            assert all(page.locator(f"[id='{x}']").count() == 1 for x in labelled)
            assert block.locator(".portal-chart-data table tbody tr").count() > 0
            for cls in ("portal-chart-svg-link", "portal-chart-png", "portal-chart-csv"):
                assert block.locator(f".{cls}").is_visible(), cls
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_values_on_hover_and_keyboard_focus(browser, site, viewport):
    context, page, errors = _open(browser, site, "indicators/goal-deaths/", viewport)
    try:
        block = page.locator(".portal-chart-block").first
        area = block.locator(".portal-chart-svg")
        tip = block.locator(".portal-chart-tooltip")
        assert tip.is_hidden()
        area.scroll_into_view_if_needed()
        box = block.locator("svg.portal-chart:visible").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
        assert tip.is_visible()
        hovered = tip.inner_text()
        years = [c.inner_text() for c in block.locator(".portal-chart-data tbody th").all()]
        assert any(y in hovered for y in years)
        page.mouse.move(0, 0)
        area.focus()
        assert tip.is_visible() and any(y in tip.inner_text() for y in years)
        page.keyboard.press("End")
        assert years[-1] in tip.inner_text()
        page.keyboard.press("ArrowLeft")
        assert years[-2] in tip.inner_text()
        page.keyboard.press("Home")
        assert years[0] in tip.inner_text()
        assert errors == []
    finally:
        context.close()


def test_the_views_state_is_in_the_address_and_a_link_reproduces_it(browser, site):
    context, page, errors = _open(browser, site, "accidents/", "wide")
    try:
        block = page.locator(".portal-chart-block:has(.portal-chart-map)").first
        slug = block.get_attribute("data-chart")
        block.locator("[role=tab][data-view=map]").click()
        select = block.locator(".portal-chart-year select")
        years = select.locator("option").all_inner_texts()
        select.select_option(years[0])
        block.locator("[role=tab][data-view=chart]").click()
        box = block.locator(".portal-chart-districts input").first
        code = box.get_attribute("value")
        box.check()
        block.locator("[role=tab][data-view=map]").click()
        address = page.url
        assert f"{slug}=map" in address and f"{slug}.year={years[0]}" in address and code in address
        # the same address in a fresh page shows the same view
        other = context.new_page()
        other.goto(address, wait_until="networkidle")
        again = other.locator(f".portal-chart-block[data-chart='{slug}']")
        assert again.locator("[role=tab][data-view=map]").get_attribute("aria-selected") == "true"
        assert again.locator(".portal-chart-view[data-view=map]").is_visible()
        assert again.locator(".portal-chart-year select").input_value() == years[0]
        assert again.locator(f".portal-chart-districts input[value='{code}']").is_checked()
        assert again.locator("svg.portal-map").locator("title").first.text_content().count(years[0]) == 1
        again.locator("[role=tab][data-view=chart]").click()
        assert again.locator("svg.portal-chart:visible .portal-districts path").count() == 1
        assert errors == []
    finally:
        context.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_exports_carry_source_licence_and_synthetic_note(browser, site, tmp_path):
    context, page, errors = _open(browser, site, "indicators/goal-deaths/", "phone")
    try:
        block = page.locator(".portal-chart-block").first
        slug = block.get_attribute("data-chart")
        exported = (site.out / "charts" / f"{slug}.svg").read_text(encoding="utf-8")
        root = ET.fromstring(exported.split("?>", 1)[1])
        texts = " ".join("".join(n.itertext()) for n in root.iter(f"{SVG}text"))
        assert t("indicator.chart_source") in texts.replace(" ", "") or "来源" in texts
        assert t("chart.synthetic_notice")[:12] in texts
        assert "CC" in texts and current().site.canonical_url in texts
        # The PNG is the exported SVG drawn on a canvas at twice its size: what goes in is that file.
        drawn = []
        page.expose_function("recordImage", lambda src: drawn.append(src))
        page.evaluate("""() => { const set = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src').set;
            Object.defineProperty(HTMLImageElement.prototype, 'src', {set(v) { if (v.startsWith('data:image/svg')) window.recordImage(v); set.call(this, v); }}); }""")
        with page.expect_download() as info:
            block.locator(".portal-chart-png").click()
        path = tmp_path / "chart.png"
        info.value.save_as(path)
        width, height = _png_size(path.read_bytes())
        assert (width, height) == (2 * int(root.get("width")), 2 * int(root.get("height")))
        assert drawn and t("chart.synthetic_notice")[:12] in unquote(drawn[0])
        # The CSV is the lines shown, with the unit in the headers and the synthetic note.
        with page.expect_download() as info:
            block.locator(".portal-chart-csv").click()
        text = info.value.path().read_text(encoding="utf-8-sig")
        header, *rows = text.strip().splitlines()
        assert len(rows) == block.locator(".portal-chart-data tbody tr").count()
        assert t("unit_axis.deaths") in header and t("chart.csv_note") in header
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_embedded_chart_is_not_cut_off_and_links_back(browser, site, viewport):
    context, page, errors = _open(browser, site, "indicators/goal-deaths/", viewport)
    try:
        code = page.locator(".portal-embed-code").first.input_value()
        # what a reader pastes, pointed at this test's server instead of the public address
        code = code.replace(current().site.canonical_url, site.url)
        host = context.new_page()
        host.goto(site.url + "404.html")  # any page of the same origin as the test server
        host.set_content(f"<!doctype html><html><body style='margin:0'>{code}</body></html>")
        host.wait_for_timeout(1500)
        frame_box = host.locator("iframe").bounding_box()
        inner = host.frames[1]
        content = inner.evaluate("document.documentElement.scrollHeight")
        assert content <= frame_box["height"] + 1, (content, frame_box["height"])
        back = inner.locator("a[target=_blank]")
        assert urlsplit(back.get_attribute("href")).path.endswith("/indicators/goal-deaths/")
        assert errors == []
    finally:
        context.close()


def test_citations_hold_absolute_addresses(site):
    page = (site.out / "indicators" / "goal-deaths" / "index.html").read_text(encoding="utf-8")
    base = current().site.canonical_url
    for style in ("gbt7714", "apa", "bibtex", "ris"):
        assert f'-cite-{style}"' in page
    assert f"{base}indicators/goal-deaths/" in page
    assert "UR  - " + base in page and "url = {" + base in page
