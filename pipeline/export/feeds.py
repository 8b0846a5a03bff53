"""The Atom feed of releases and the sitemap helper.

Both are built with ElementTree from in-memory records, so the same releases give the
same bytes (attribute order is insertion order, no timestamps from the clock).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pipeline.editions import languages, prefix
from pipeline.export.catalogs import PackageRelease, url
from pipeline.export.metadata import (
    configured_base_url,
    iso_datetime,
    portal_publisher,
    text_or,
)
from pipeline.i18n import t

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _write(root: ET.Element, path: Path) -> Path:
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return path


def _entry_id(package_id: str, version: str) -> str:
    return f"{package_id}:{version}" if package_id.startswith("urn:") else f"{package_id.rstrip('/')}/{version}"


def releases_feed(releases: list[PackageRelease], histories: dict[str, list[dict]], base_url: str,
                  path: Path) -> Path:
    """One entry per package release, newest first; ``histories`` are changelog release lists."""
    ET.register_namespace("", ATOM)
    entries = []
    for release in releases:
        for record in histories.get(release.name, []):
            entries.append((record.get("released") or "", release, record))
    entries.sort(key=lambda item: item[1].name)
    entries.sort(key=lambda item: item[0], reverse=True)  # newest first; stable, so by package within a day

    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh"})
    _sub(feed, f"{{{ATOM}}}id", url(base_url, "data/releases.atom"))
    _sub(feed, f"{{{ATOM}}}title", f"{t('export.feed.title', 'zh')} / {t('export.feed.title', 'en')}")
    _sub(feed, f"{{{ATOM}}}updated", iso_datetime(max((e[0] for e in entries), default="1970-01-01")))
    author = _sub(feed, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", portal_publisher("zh"))
    _sub(feed, f"{{{ATOM}}}link", rel="self", href=url(base_url, "data/releases.atom"))
    for released, release, record in entries:
        version = record.get("version", "")
        entry = _sub(feed, f"{{{ATOM}}}entry")
        _sub(entry, f"{{{ATOM}}}id", _entry_id(release.descriptor.get("id", release.name), version))
        _sub(entry, f"{{{ATOM}}}title", " / ".join(  # the feed serves both editions
            f"{text_or(release.descriptor, 'title', lang)} {version}" for lang in ("zh", "en")))
        updated = max(filter(None, [released, record.get("data_updated"), record.get("metadata_updated")]))
        _sub(entry, f"{{{ATOM}}}updated", iso_datetime(updated))
        _sub(entry, f"{{{ATOM}}}published", iso_datetime(released))
        _sub(entry, f"{{{ATOM}}}link", rel="alternate", href=url(base_url, f"data/{release.name}/{version}/"))
        for lang in languages():  # the package's page in every edition of the site
            _sub(entry, f"{{{ATOM}}}link", rel="alternate", hreflang=lang,
                 href=url(base_url, f"{prefix(lang)}data/{release.name}/"))
        _sub(entry, f"{{{ATOM}}}summary", _summary(record), type="text")
    return _write(feed, path)


def _summary(record: dict) -> str:
    parts = []
    for lang in ("zh", "en"):
        kind = "data_changed" if record.get("data_changed") else (
            "metadata_changed" if record.get("metadata_changed") else "data_unchanged")
        counts = [t("export.feed.resource_counts", lang, resource=name, added=diff["rows"].get("added", 0),
                    removed=diff["rows"].get("removed", 0), changed=diff["rows"].get("changed", 0))
                  for name, diff in sorted(record.get("resources", {}).items()) if diff.get("status") != "unchanged"]
        parts.append(" ".join([t(f"export.changelog.{kind}", lang), *counts]))
    return "\n".join(parts)


def write_sitemap(page_urls: list[str], out: Path, *, base_url: str | None = None,
                  lastmod: str | None = None,
                  alternates: dict[str, list[tuple[str, str]]] | None = None) -> Path:
    """Write ``out/sitemap.xml`` for ``page_urls`` (paths under the site root or absolute URLs);
    ``base_url`` defaults to the configuration's (see ``configured_base_url``). ``alternates``
    gives a page's twins in other languages (``[(hreflang, path), …]``), written as
    ``xhtml:link`` elements, the form search engines read in sitemaps."""
    base_url = configured_base_url() if base_url is None else base_url
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    for page in sorted(set(page_urls)):
        entry = _sub(root, f"{{{SITEMAP}}}url")
        _sub(entry, f"{{{SITEMAP}}}loc", page if "://" in page else url(base_url, page))
        if lastmod:
            _sub(entry, f"{{{SITEMAP}}}lastmod", lastmod)
        for lang, twin in (alternates or {}).get(page, ()):
            _sub(entry, f"{{{XHTML}}}link", rel="alternate", hreflang=lang,
                 href=twin if "://" in twin else url(base_url, twin))
    return _write(root, out / "sitemap.xml")
