"""The Content-Security-Policy every page carries, in a real Chromium: no page type trips it,
and the interactive parts (credit lookup, indicator filter, chart PNG download, search) work
with it on. A control proves the listener sees a violation when one happens.

Page types are discovered from the built site's folders, as in test_browser_a11y.
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import foreign, page_types
from conftest import open_page as open_shared
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Recorded before any page script runs, so a violation during loading is seen too.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} `
    + `in ${e.sourceFile}:${e.lineNumber} ${e.sample || ''}`);
});
"""


def open_page(browser, site, path: str):
    """A page with the violation listener installed before any of its scripts runs."""
    return open_shared(browser, site, path, init_script=RECORD_VIOLATIONS)


def _until(page, expression: str, seconds: float = 10.0) -> None:
    """Poll ``expression`` with ``page.evaluate``. Not ``wait_for_function``: when its first
    check is false it keeps polling with ``eval`` inside the page, which the policy forbids."""
    for _ in range(int(seconds / 0.05)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def violations(visit) -> list[str]:
    """What the listener caught, and what Chromium reported on the console about the policy."""
    return visit.page.evaluate("window.__cspViolations") + [
        m for m in visit.console if "Content Security Policy" in m or "Content-Security-Policy" in m]


def test_every_page_type_carries_the_policy_and_trips_none_of_it(browser, site):
    types = {**page_types(site.out), "404": "404.html"}
    assert {"home", "credit", "indicators", "indicators-item", "charts-item", "data-item"} <= set(types)
    found = {}
    for name, path in types.items():
        visit = open_page(browser, site, path)
        try:
            policy = visit.page.evaluate(
                "document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')?.content")
            assert policy and "default-src 'self'" in policy, name
            assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, name
            problems = violations(visit) + [f"outside request {u}"
                                            for u in foreign(visit.requests, site)]
            if problems:
                found[path or "/"] = problems
        finally:
            visit.close()
    assert found == {}


def test_the_listener_sees_a_violation(browser, site):
    """Control: a script injected into the page (as an escaped-data bug would) is blocked."""
    visit = open_page(browser, site, "")
    try:
        visit.page.evaluate("""() => {
            const s = document.createElement('script');
            s.textContent = 'window.__injected = true;';
            document.body.appendChild(s);
        }""")
        _until(visit.page, "window.__cspViolations.length > 0")
        assert visit.page.evaluate("window.__injected") is None
        assert any("script-src" in v for v in violations(visit))
    finally:
        visit.close()


def test_the_credit_lookup_works_under_the_policy(browser, site):
    with (DATAPACKAGES / "enterprise-credit" / "data" / "enterprises.csv").open(encoding="utf-8") as f:
        enterprise = next(csv.DictReader(f))
    visit = open_page(browser, site, "credit/")
    try:
        page = visit.page
        page.fill("input[name=q]", enterprise["uscc"])
        page.click(".lookup-form button[type=submit]")
        # locator and expect waits need no eval in the page, which the policy forbids
        expect(page.locator(".lookup")).to_contain_text(enterprise["name"])
        page.locator(".lookup:not([aria-busy])").wait_for()
        page.wait_for_load_state("networkidle")
        assert violations(visit) == [] and foreign(visit.requests, site) == []
    finally:
        visit.close()


def test_the_indicator_filter_works_under_the_policy(browser, site):
    visit = open_page(browser, site, "indicators/")
    try:
        page = visit.page
        total = page.locator(".portal-indicator-card").count()
        page.select_option("#indicator-filter select[name=measure]", "m09")
        assert 0 < page.locator(".portal-indicator-card:visible").count() < total
        assert violations(visit) == [] and foreign(visit.requests, site) == []
    finally:
        visit.close()


def test_the_chart_png_download_works_under_the_policy(browser, site, tmp_path):
    visit = open_page(browser, site, "indicators/goal-deaths/")
    try:
        page = visit.page
        with page.expect_download() as info:
            page.locator(".portal-chart-png").first.click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        assert target.read_bytes()[:8] == PNG_SIGNATURE
        assert violations(visit) == [] and foreign(visit.requests, site) == []
    finally:
        visit.close()


def test_search_works_under_the_policy(browser, site):
    # the search runs in a worker loaded from the site (worker-src 'self')
    visit = open_page(browser, site, f"?q={quote('黑名单')}")
    try:
        results = visit.page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=15000)
        assert results.count() > 0
        assert violations(visit) == [] and foreign(visit.requests, site) == []
    finally:
        visit.close()
