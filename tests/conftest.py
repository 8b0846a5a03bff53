"""Shared test set-up: where the repository is, and the hypothesis profiles."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
SEED_PLAN = ROOT / "sources" / "changzhou-safety-plan-2012.txt"

# "ci" keeps the suite within minutes on two shared cores; "long" is `nox -s slow`.
settings.register_profile("ci", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``first`` run first. With two workers, a long test handed out last runs
    alone at the end while the other worker idles; handed out first, it runs beside the rest."""
    first = [item for item in items if item.get_closest_marker("first")]
    items[:] = first + [item for item in items if not item.get_closest_marker("first")]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def datapackages_dir() -> Path:
    return DATAPACKAGES


SMALL_PACKAGES = ("reference", "indicator-progress", "published-statistics")


def small_data(folder: Path) -> Path:
    """A copy of three small packages of the committed data in ``folder``: for tests of what a
    build does whatever the data (stop, refuse, publish atomically), a build in seconds."""
    import shutil

    for name in SMALL_PACKAGES:
        shutil.copytree(DATAPACKAGES / name, Path(folder) / name)
    return Path(folder)


def one_edition():
    """``portal.yml`` with its first edition only. For tests of the build's mechanics (the
    cache, publishing, the output folder), which every edition goes through alike: each
    build then makes half the pages, and CI stays well inside its time."""
    from dataclasses import replace

    from pipeline.config import load_config

    config = load_config()
    return replace(config, site=replace(config.site, languages=config.site.languages[:1]))


def one_edition_file(folder: Path) -> Path:
    """:func:`one_edition` as a file in ``folder``, for the command line's ``--config``."""
    import yaml

    spec = yaml.safe_load((ROOT / "portal.yml").read_text(encoding="utf-8"))
    spec["site"]["languages"] = spec["site"]["languages"][:1]
    path = Path(folder) / "one-edition.yml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- the browser tests -----------------------------------------------------------------
# One Chromium per test worker: Playwright's sync API cannot run twice in one process, so
# every browser module shares this fixture instead of starting its own.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REFERENCE_DATE = date(2016, 1, 1)  # the sample's listings are active then, not today


SCREENSHOTS = ROOT / "build" / "artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def skip_or_fail(message: str):
    """Something a browser test needs is missing: in CI a failure, never a skip."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: install chromium and fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site built once per worker from the committed data and served on localhost, in
    every edition portal.yml names (Chinese at the root, English under en/); a module that
    needs other data defines its own ``site``."""
    from pipeline.build import build
    from pipeline.serve import make_server, url

    out = tmp_path_factory.mktemp("served") / "site"
    build(DATAPACKAGES, out, reference_date=REFERENCE_DATE)
    server = make_server(out, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SimpleNamespace(out=out, url=url(server))
    server.shutdown()
    server.server_close()


NOT_PAGES = {"assets", "search", "data.json"}


def page_types(out: Path, lang: str | None = None) -> dict[str, str]:
    """name → site-relative URL: the home page, each top-level section, and the first item
    page below each section (sorted, so the choice is stable): new sections are covered by
    every test that walks page types without being listed anywhere. ``lang`` chooses the
    edition (default: the root one); the other editions' folders are not sections."""
    from pipeline.config import load_config
    from pipeline.editions import prefix

    langs = load_config().site.languages
    edition = prefix(lang or langs[0], langs)
    root = out / edition
    others = {p.rstrip("/") for p in (prefix(other, langs) for other in langs) if p}
    types = {"home": edition}
    for folder in sorted(p for p in root.iterdir()
                         if p.is_dir() and p.name not in NOT_PAGES and p.name not in others):
        if (folder / "index.html").is_file():
            types[folder.name] = f"{edition}{folder.name}/"
        items = sorted(p for p in folder.iterdir() if p.is_dir() and (p / "index.html").is_file())
        if items:
            types[f"{folder.name}-item"] = f"{edition}{folder.name}/{items[0].name}/"
    return types


class Visit(SimpleNamespace):
    """A page opened in a fresh browser context, with what it did: every request (those to
    other origins are recorded and aborted, never sent), console messages, script errors,
    dialogs (dismissed) and responses."""

    def close(self) -> None:
        self.context.close()


def open_page(browser, site, path: str, viewport: str = "desktop", *,
              init_script: str | None = None) -> Visit:
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  accept_downloads=True)
    if init_script:
        context.add_init_script(init_script)
    visit = Visit(context=context, requests=[], errors=[], console=[], dialogs=[], responses=[])
    origin = urlsplit(site.url).netloc

    def route(r):
        visit.requests.append(r.request.url)
        if urlsplit(r.request.url).netloc == origin:
            r.continue_()
        else:  # never leave the machine, whatever the page asks for
            r.abort()

    context.route("**/*", route)
    page = context.new_page()

    def console(message):
        visit.console.append(message.text)
        if message.type == "error":
            visit.errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
    page.on("response", lambda r: visit.responses.append(r))
    page.goto(site.url + path, wait_until="networkidle")
    visit.page = page
    return visit


def foreign(requests: list[str], site) -> list[str]:
    """The requests that left the site's origin (data: and blob: URLs stay in the page)."""
    origin = urlsplit(site.url).netloc
    return [u for u in requests
            if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != origin]
