"""What joins the editions of a built site: links to the shared downloads, and the sitemap.

Each edition's pages are written as if the edition were the whole site: a package page links
``latest/data/x.csv`` next to itself. The downloads exist once, at the site root (they are the
same files in every language), so in an edition below the root such a link is turned into one
that climbs out of the edition's folder to the root's file. Which links are meant is decided by
what exists: a link whose target the edition lacks while the root has it at the same path.
Links that already leave the edition, or name a page or asset of its own, are not touched.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.editions import prefix
from pipeline.export.feeds import write_sitemap

# The attributes that hold the address of a download: links, images, and the data the
# tables' scripts fetch. Every page is written by mkdocs and the templates, which quote
# attribute values with double quotes.
_LINK = re.compile(r'(?P<lead>\s(?:href|src|data-src)=")(?P<url>[^"]*)"')
_NOINDEX = re.compile(rb'<meta\s+name="robots"\s+content="[^"]*noindex', re.IGNORECASE)


def link_shared(site_dir: Path, edition: str) -> int:
    """Point the links of the pages under ``site_dir/edition`` that name a file only the root
    has (a download) at the root's file; return how many pages changed."""
    site_dir = Path(site_dir)
    files = {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()}
    root = site_dir / edition
    changed = 0
    for page in sorted(root.rglob("*.html")):
        name = page.relative_to(root).as_posix()
        text = page.read_text(encoding="utf-8")
        new = _LINK.sub(lambda m, name=name: m["lead"] + _shared(m["url"], name, edition, files) + '"',
                        text)
        if new != text:
            # a new file in its place: the page may be a hard link into the published site
            # (SiteContext.publish), which must not change before the swap
            work = page.with_name(f".{page.name}.shared")
            work.write_text(new, encoding="utf-8")
            work.replace(page)
            changed += 1
    return changed


def _shared(url: str, page: str, edition: str, files: set[str]) -> str:
    """``url`` as written on ``page`` (a path inside the edition), or the way to the root's
    file when only the root has its target."""
    parts = urlsplit(url)
    if not parts.path or parts.scheme or parts.netloc or url.startswith(("/", "#")):
        return url
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
    if target == ".." or target.startswith("../"):
        return url  # already leaves the edition
    plain = unquote(target)
    if _exists(edition + plain, files) or not _exists(plain, files):
        return url
    depth = page.count("/") + edition.count("/")
    address = "../" * depth + target + ("/" if parts.path.endswith("/") else "")
    return address + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")


def _exists(path: str, files: set[str]) -> bool:
    return path in files or f"{path}/index.html" in files


def pages(site_dir: Path, lang: str, langs: tuple[str, ...]) -> list[str]:
    """The addresses (inside the edition, ``""`` for its home) of the edition's pages that
    search engines may list: every ``index.html`` but those marked ``noindex`` (the chart
    pages meant for embedding), none of another edition's folder."""
    root = Path(site_dir) / prefix(lang, langs)
    others = {f"{other}/" for other in langs if other != lang and prefix(other, langs)}
    found = []
    for page in sorted(root.rglob("index.html")):
        name = page.relative_to(root).as_posix()
        if any(name.startswith(other) for other in others):
            continue
        head = page.read_bytes().split(b"</head>", 1)[0]
        if not _NOINDEX.search(head):
            found.append(name[:-len("index.html")])
    return found


def write_site_map(site_dir: Path, langs: tuple[str, ...], *, lastmod: str | None = None) -> Path:
    """The site's one ``sitemap.xml``: every page of every edition, each with the addresses of
    its twins (``hreflang``, and ``x-default`` for the root edition's); it replaces the empty
    map mkdocs writes without a ``site_url``."""
    site_dir = Path(site_dir)
    (site_dir / "sitemap.xml.gz").unlink(missing_ok=True)
    listed = {lang: set(pages(site_dir, lang, langs)) for lang in langs}
    urls, alternates = [], {}
    for lang in langs:
        for page in sorted(listed[lang]):
            address = prefix(lang, langs) + page
            urls.append(address)
            twins = [(other, prefix(other, langs) + page) for other in langs
                     if page in listed[other]]
            if len(twins) > 1 and page in listed[langs[0]]:
                alternates[address] = [*twins, ("x-default", page)]
    return write_sitemap(urls, site_dir, lastmod=lastmod, alternates=alternates)
