"""The editions of the site without a browser: where each lives, the links of an edition below
the root to the shared downloads, the one sitemap with every page's twins, and the mkdocs
settings of each edition (language, search, switch)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from pipeline.config import load_config
from pipeline.editions import edition_of, prefix
from pipeline.pages.editions import link_shared, pages, write_site_map
from pipeline.pages.mkdocs_site import write_config

LANGS = ("zh", "en")


def test_the_first_language_is_at_the_root_and_the_others_in_their_folder():
    assert [prefix(lang, LANGS) for lang in LANGS] == ["", "en/"]
    assert edition_of("en/data/x/", LANGS) == ("en", "data/x/")
    assert edition_of("english/", LANGS) == ("zh", "english/")  # a folder, not the edition
    with pytest.raises(ValueError):
        prefix("fr", LANGS)


def _write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def site(tmp_path) -> Path:
    site = tmp_path / "site"
    _write(site / "data" / "p" / "index.html")  # the package page, in each edition
    _write(site / "data" / "p" / "latest" / "data" / "t.csv")  # a download: the root's only
    _write(site / "data.json")
    _write(site / "en" / "data" / "p" / "index.html", '<a href="latest/data/t.csv#x">csv</a>'
                                                       '<a href="../../../data.json">json</a>'
                                                       '<a href="./">self</a>'
                                                       '<div data-src="latest/data/t.csv?v=1"></div>'
                                                       '<a href="../../data.json">catalog</a>'
                                                       '<a href="https://example.org/latest/">out</a>')
    _write(site / "en" / "index.html", '<a href="data/p/">p</a><a href="data.json">d</a>')
    return site


def test_links_to_files_only_the_root_has_climb_out_of_the_edition(site, tmp_path):
    published = tmp_path / "published.html"  # the page as a hard link to a published file
    page = site / "en" / "data" / "p" / "index.html"
    published.write_bytes(page.read_bytes())
    page.unlink()
    page.hardlink_to(published)
    assert link_shared(site, "en/") == 2
    assert "../../../data/p/" not in published.read_text(encoding="utf-8")  # left as it was
    page = (site / "en" / "data" / "p" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../../data/p/latest/data/t.csv#x"' in page
    assert 'data-src="../../../data/p/latest/data/t.csv?v=1"' in page
    assert 'href="../../../data.json"' in page  # already at the root: unchanged
    assert 'href="./"' in page  # the edition's own page
    assert 'href="https://example.org/latest/"' in page
    assert 'href="../../../data.json">catalog' in page  # was ../../data.json, en/data.json
    home = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert home == '<a href="data/p/">p</a><a href="../data.json">d</a>'
    for target in ("data/p/latest/data/t.csv", "data.json"):
        assert (site / target).is_file()


def test_the_sitemap_lists_every_page_of_every_edition_with_its_twins(tmp_path):
    site = tmp_path / "site"
    for page in ("index.html", "about/index.html", "en/index.html", "en/about/index.html",
                 "only/index.html"):
        _write(site / page, "<html><head></head></html>")
    _write(site / "en" / "charts" / "c" / "index.html",
           '<html><head><meta name="robots" content="noindex"></head></html>')
    assert sorted(pages(site, "en", LANGS)) == ["", "about/"]
    root = ET.parse(write_site_map(site, LANGS, lastmod="2016-01-01")).getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    entries = {u.find("s:loc", ns).text: {link.get("hreflang"): link.get("href")
                                          for link in u.findall("x:link", ns)}
               for u in root.findall("s:url", ns)}
    assert sorted(entries) == ["/", "/about/", "/en/", "/en/about/", "/only/"]
    assert entries["/en/about/"] == {"zh": "/about/", "en": "/en/about/", "x-default": "/about/"}
    assert entries["/"] == entries["/en/"]
    assert entries["/only/"] == {}  # no twin, no alternates


@pytest.mark.parametrize("lang", LANGS)
def test_each_edition_has_its_language_its_search_and_a_way_to_the_others(tmp_path, lang):
    path = write_config(tmp_path, [], lang=lang)
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert settings["theme"]["language"] == lang
    search = next(p["search"] for p in settings["plugins"] if isinstance(p, dict) and "search" in p)
    assert search["lang"] == lang
    if lang == "en":  # English words are found by their stem ("rates" finds "rate")
        assert "stemmer" in search["pipeline"]
    assert settings["site_name"] == load_config().site.name[lang]
    editions = settings["extra"]["editions"]
    assert [e["lang"] for e in editions] == list(load_config().site.languages)
    here = next(e for e in editions if e["lang"] == lang)
    assert here["path"] == ""
    others = [e for e in editions if e["lang"] != lang]
    assert others and all(e["path"] and e["name"] for e in others)
    assert settings["extra"]["alternate"] is True  # the theme's header then shows the switch


def test_the_themes_handling_of_alternates_is_switched_off_in_its_bundle():
    import material

    from pipeline.pages.theme_alternates import (
        BundleShapeError,
        corrected_copy,
        theme_bundle,
        without_alternates,
    )

    theme = Path(material.__file__).parent / "templates"
    source = theme_bundle([theme]).read_text(encoding="utf-8")
    patched = without_alternates(source)
    assert len(patched) == len(source.rsplit("\n//# sourceMappingURL=", 1)[0]) + len("return;") + 1
    setup = patched.index('"link[rel=alternate]"')
    assert patched.rfind("return;", 0, setup) > patched.rfind("function ", 0, setup)
    name, copy, data = corrected_copy([theme])
    assert copy != name and copy.startswith("bundle.") and data.decode("utf-8") == patched
    with pytest.raises(BundleShapeError):
        without_alternates(source.replace("link[rel=alternate]", "link[rel=prev]"))
