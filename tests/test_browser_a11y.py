"""Accessibility of every page type, with axe-core in a real Chromium, at phone and desktop size.

Page types are discovered from the built site's folders (one page per top-level section
and, for sections with item pages, one item), so a new section is audited without editing
this file. axe-core comes from the npm registry (``npm pack``) into build/vendor/ once and
is injected from that file: the pages themselves load nothing from outside.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import SCREENSHOTS, VIEWPORTS, page_types, skip_or_fail

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
VENDOR = ROOT / "build" / "vendor"
A11Y_SCREENSHOTS = SCREENSHOTS / "a11y"
AXE_VERSION = "4"
BLOCKING = {"serious", "critical"}
# Folders of the built site that are not pages.


@pytest.fixture(scope="session")
def axe_script() -> Path:
    script = VENDOR / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail("npm is needed once to fetch axe-core")
    VENDOR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"], check=False, cwd=VENDOR,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        skip_or_fail(f"npm pack axe-core failed: {done.stderr.strip()}")
    archive = VENDOR / done.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        member = tar.getmember("package/axe.min.js")
        with tar.extractfile(member) as source:
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_bytes(source.read())
    return script






def _audit(page, axe_script: Path) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return result


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_no_serious_or_critical_axe_violations_on_any_page_type(site, browser, axe_script, viewport):
    A11Y_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{page.url}: {r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: errors.append(f"{page.url}: outside request {r.url}")
            if not r.url.startswith(site.url) and not r.url.startswith(("data:", "blob:")) else None)
    failures = {}
    types = page_types(site.out)
    assert {"home", "data", "data-item", "methodology"} <= set(types)
    for name, relative in types.items():
        page.goto(site.url + relative)
        page.wait_for_load_state("load")
        page.screenshot(path=str(A11Y_SCREENSHOTS / f"{name}-{viewport}.png"), full_page=False)
        blocking = [v for v in _audit(page, axe_script) if v["impact"] in BLOCKING]
        if blocking:
            failures[relative or "/"] = blocking
    (A11Y_SCREENSHOTS / f"axe-{viewport}.json").write_text(json.dumps(failures, ensure_ascii=False, indent=2))
    context.close()
    assert not errors, errors
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=2)


def test_focus_is_visible_on_the_download_links_when_tabbing(site, browser):
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(site.url + "data/reference/")
    seen = 0
    for _ in range(400):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const e = document.activeElement;
            if (!e || !e.matches('a[download]')) return null;
            const s = getComputedStyle(e);
            return {href: e.getAttribute('href'), style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    shadow: s.boxShadow};
        }""")
        if info is None:
            continue
        seen += 1
        visible = (info["style"] not in ("none", "") and info["width"] >= 2) or info["shadow"] not in ("none", "")
        assert visible, info
        if seen >= 8:
            break
    context.close()
    assert seen >= 8, "the download links are reachable with the keyboard"
