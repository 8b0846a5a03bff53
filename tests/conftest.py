"""Shared test set-up: where the repository is, and the hypothesis profiles."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace

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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def datapackages_dir() -> Path:
    return DATAPACKAGES


# --- the browser tests -----------------------------------------------------------------
# One Chromium per test worker: Playwright's sync API cannot run twice in one process, so
# every browser module shares this fixture instead of starting its own.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REFERENCE_DATE = date(2016, 1, 1)  # the sample's listings are active then, not today


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install chromium and fonts-noto-cjk"
        if os.environ.get("CI"):  # in CI a missing browser is a failure, never a skip
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site built once per worker from the committed data and served on localhost; a
    module that needs other data defines its own ``site``."""
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


def page_types(out: Path) -> dict[str, str]:
    """name → site-relative URL: the home page, each top-level section, and the first item
    page below each section (sorted, so the choice is stable): new sections are covered by
    every test that walks page types without being listed anywhere."""
    types = {"home": ""}
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and p.name not in NOT_PAGES):
        if (folder / "index.html").is_file():
            types[folder.name] = f"{folder.name}/"
        items = sorted(p for p in folder.iterdir() if p.is_dir() and (p / "index.html").is_file())
        if items:
            types[f"{folder.name}-item"] = f"{folder.name}/{items[0].name}/"
    return types
