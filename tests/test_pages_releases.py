"""A release folder's address is what a dataset citation gives: every release folder of a
built site has a page (in every edition) listing its files, and every address a citation
on the site gives opens a page of the built site. Checked on the site built from the
committed data and on the next build, which publishes a new version of one package and
keeps the earlier one."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import DATAPACKAGES, REFERENCE_DATE

from pipeline.build import build
from pipeline.config import load_config
from pipeline.editions import prefix
from pipeline.i18n import t
from pipeline.versions import is_version, version_key

PACKAGE = "accident-outcomes"  # the package the second build publishes a new version of
CANONICAL = load_config().site.canonical_url.rstrip("/") + "/"
LANGS = tuple(load_config().site.languages)
_CITATION = re.compile(r'<(pre|p) id="([^"]+)" class="portal-citation__text"[^>]*>(.*?)</\1>', re.DOTALL)
_ADDRESS = re.compile(r"https?://[^\s{}<>\"]+")


def _bumped(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


@pytest.fixture(scope="module")
def sites(site, tmp_path_factory) -> dict[str, Path]:
    """The site of the committed data (``first``), and the next build (``second``): the same
    data, one package released again under a new version, the earlier one kept."""
    data = tmp_path_factory.mktemp("release-data") / "datapackages"
    shutil.copytree(DATAPACKAGES, data)
    path = data / PACKAGE / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    old = descriptor["version"]
    descriptor["version"] = _bumped(old)
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    second = tmp_path_factory.mktemp("release-site") / "site"
    build(data, second, reference_date=REFERENCE_DATE, previous=site.out)
    return {"first": site.out, "second": second, "old": old, "new": descriptor["version"]}


def _release_folders(out: Path) -> list[Path]:
    return sorted(folder for folder in (out / "data").glob("*/*")
                  if folder.is_dir() and (is_version(folder.name) or folder.name == "latest"))


def _pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def _citations(page: Path) -> list[tuple[str, str]]:
    """(element id, text) of every citation on a page."""
    return [(ident, html.unescape(text)) for _, ident, text in _CITATION.findall(page.read_text(encoding="utf-8"))]


def _resolves(out: Path, address: str) -> bool:
    path = address.removeprefix(CANONICAL).split("#", 1)[0]
    target = out / path
    return (target / "index.html").is_file() if path == "" or path.endswith("/") else target.is_file()


@pytest.mark.parametrize("which", ["first", "second"])
def test_every_release_folder_has_a_page_in_every_edition_that_lists_its_files(sites, which):
    out = sites[which]
    folders = _release_folders(out)
    assert {f"{PACKAGE}/{sites['old']}", f"{PACKAGE}/latest"} <= {f"{f.parent.name}/{f.name}" for f in folders}
    for folder in folders:
        relative = folder.relative_to(out).as_posix()
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / "index.html")
        assert files, relative
        for lang in LANGS:
            page = out / prefix(lang, LANGS) / relative / "index.html"
            assert page.is_file(), page
            text = page.read_text(encoding="utf-8").replace("<wbr>", "")  # break opportunities
            rows = re.findall(r'<a class="portal-file" href="([^"]+)" download><code>([^<]+)</code></a>.*?'
                              r'<code class="portal-sha">([0-9a-f]{64})</code>', text, re.DOTALL)
            listed = {name: (href, digest) for href, name, digest in rows}
            assert sorted(listed) == sorted(file.relative_to(folder).as_posix() for file in files), page
            for file in files:
                href, digest = listed[file.relative_to(folder).as_posix()]
                assert (page.parent / href).resolve() == file.resolve(), (page, href)
                assert digest == hashlib.sha256(file.read_bytes()).hexdigest(), (page, href)


def test_an_earlier_release_kept_says_a_newer_version_exists_and_links_it(sites):
    out, old, new = sites["second"], sites["old"], sites["new"]
    assert (out / "data" / PACKAGE / old / "datapackage.json").is_file()  # carried forward
    old_page = (out / "data" / PACKAGE / old / "index.html").read_text(encoding="utf-8")
    new_page = (out / "data" / PACKAGE / new / "index.html").read_text(encoding="utf-8")
    assert "portal-release-newer" in old_page and f'href="../{new}/"' in old_page
    assert "portal-release-newer" not in new_page and "portal-release-current" in new_page
    latest = (out / "data" / PACKAGE / "latest" / "index.html").read_text(encoding="utf-8")
    assert f'href="../{new}/"' in latest and "portal-release-newer" not in latest
    # the same in the English edition, in English
    english = (out / "en" / "data" / PACKAGE / old / "index.html").read_text(encoding="utf-8")
    assert "A newer version exists" in english and f'href="../{new}/"' in english
    # each page cites its own version, the synthetic data said on both
    assert any(f"{CANONICAL}data/{PACKAGE}/{old}/" in text for _, text in _citations(out / "data" / PACKAGE / old
                                                                                     / "index.html"))
    assert all(f"data/{PACKAGE}/{new}/" in text for _, text in _citations(out / "data" / PACKAGE / new
                                                                          / "index.html"))
    for text in (old_page, new_page):
        assert "portal-badge--synthetic" in text and "synthetic-banner" in text


def test_the_old_release_page_gives_its_own_dates_and_changelog(sites):
    out, old, new = sites["second"], sites["old"], sites["new"]
    for version in (old, new):
        page = (out / "data" / PACKAGE / version / "index.html").read_text(encoding="utf-8")
        descriptor = json.loads((out / "data" / PACKAGE / version / "datapackage.json").read_text(encoding="utf-8"))
        released = descriptor["x-release"]["released"]
        assert f'<time datetime="{released}">' in page
        changes = page.split('id="changes"', 1)[1].split('id="cite"', 1)[0]
        assert t("changelog.release", "zh", version=version, date=released) in html.unescape(changes)


@pytest.mark.parametrize("which", ["first", "second"])
def test_the_cited_address_of_every_citation_on_the_site_resolves(sites, which):
    out = sites[which]
    cited = {}
    for page in _pages(out):
        for ident, text in _citations(page):
            addresses = [a.rstrip(".,;)") for a in _ADDRESS.findall(text)]
            assert addresses, (page, ident, text)
            for address in addresses:
                assert address.startswith(CANONICAL), (page, ident, address)
                cited.setdefault(address, page)
    kinds = {re.sub(r"^([a-z]+)/.*", r"\1", a.removeprefix(CANONICAL)) for a in cited}
    assert {"data", "indicators"} <= kinds, kinds  # releases, indicator pages and charts are cited
    unresolved = {a: str(p.relative_to(out)) for a, p in cited.items() if not _resolves(out, a)}
    assert unresolved == {}


def test_the_reuse_panel_of_an_indicator_page_cites_it_in_four_styles_with_its_absolute_address(sites):
    out = sites["first"]
    pages = sorted((out / "indicators").glob("*/index.html"))
    assert pages
    for page in pages:
        slug = page.parent.name
        text = page.read_text(encoding="utf-8")
        panel = text.split('id="reuse"', 1)[1]
        citations = dict(_citations_in(panel))
        assert set(citations) == {f"reuse-cite-{s}" for s in ("gbt7714", "apa", "bibtex", "ris")}, page
        address = f"{CANONICAL}indicators/{slug}/"
        for ident, cited in citations.items():
            assert address in cited, (page, ident)
        assert citations["reuse-cite-bibtex"].startswith("@online{") and \
            f"url = {{{address}}}" in citations["reuse-cite-bibtex"]
        assert f"UR  - {address}" in citations["reuse-cite-ris"].splitlines()
        # the panel leads to the downloads on the page and to the packages' pages and releases
        links = re.findall(r'href="([^"]+)"', panel.split("</article>", 1)[0])
        assert "#downloads" in links and 'id="downloads"' in text
        releases = [link for link in links if re.fullmatch(r"\.\./\.\./data/[a-z-]+/[0-9.]+/", link)]
        assert any("indicator-progress" in link for link in releases), links
        for link in releases:
            assert (page.parent / link / "index.html").resolve().is_file(), link


def _citations_in(fragment: str) -> list[tuple[str, str]]:
    return [(ident, html.unescape(text)) for _, ident, text in _CITATION.findall(fragment)]


def test_a_package_page_cites_its_release_in_four_styles_and_links_the_release_page(sites):
    out = sites["second"]
    text = (out / "data" / PACKAGE / "index.html").read_text(encoding="utf-8")
    citations = dict(_citations_in(text))
    assert {"cite-gbt7714_zh", "cite-apa_zh", "cite-bibtex", "cite-ris"} <= set(citations)
    address = f"{CANONICAL}data/{PACKAGE}/{sites['new']}/"
    assert all(address in cited for cited in citations.values())
    assert citations["cite-bibtex"].startswith("@dataset{")
    # every version in the changelog links its release page
    for version in (sites["old"], sites["new"]):
        assert f'href="{version}/"' in text
    versions = sorted((f.name for f in (out / "data" / PACKAGE).iterdir() if is_version(f.name)), key=version_key)
    assert versions == [sites["old"], sites["new"]]
