"""Checks on a built site before it is published (and, weekly, on the published one).

``check_site(site_dir, manifest)`` returns a list of :class:`Problem` (empty: publish):

- every relative link and resource resolves to a file of the site, and every ``#anchor``
  to an element id on the target page;
- every download listed in the manifest exists with its size and SHA-256;
- every release folder (``data/<package>/<version>/`` and ``latest/``) has a page in every
  edition, so the address a citation gives opens one;
- every HTML page has a non-empty ``<title>`` and the language of its edition on ``<html>``
  (``lang="zh…"`` at the root, ``lang="en…"`` under ``en/``: :mod:`pipeline.editions`);
- with more than one edition, every page names its twin in each edition and the root's as
  ``x-default`` (``<link rel="alternate" hreflang>``), and each twin names it back; the
  chart pages meant for embedding (``noindex``) and the 404 page have no twins;
- nothing makes the browser fetch from another origin: no absolute or protocol-relative
  address in a ``src``, ``srcset``, ``<link href>``, ``<meta http-equiv=refresh>``, form
  action, or CSS ``url()``/``@import`` (plain ``<a href>`` links to another site, such as a
  licence's text, are navigation the reader chooses and stay allowed);
- every page carries a Content-Security-Policy ``<meta>`` before anything it governs, that
  allows only its own origin and lists the hash of each inline script and style it has.

Pages are parsed by Lexbor (selectolax), an HTML5 parser: the document tree is the one a
browser builds, and one CSS selector list picks out, in C and in document order, the only
elements the checks read. On well-formed pages this gives what a tokenizer such as the
standard library's ``html.parser`` gave (``tests/sitecheck_reference.py`` keeps that one as
the oracle); on malformed markup HTML5's answer is the right one, since it is what a browser
sees: an ``&notin`` in an attribute value stays text, a ``<title>`` holds text only, a stray
``<image>`` is an ``<img>``, ``<template>`` content is inert, and an element left unclosed is
closed where a browser closes it. Only ``*.html`` files are parsed as HTML and only ``*.css``
files as CSS (lookup shards and other JSON are not read).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import selectolax
from selectolax.lexbor import LexborHTMLParser

from pipeline.editions import edition_of, languages, prefix
from pipeline.i18n import both
from pipeline.pages.csp import META_NAME, digest, is_executable
from pipeline.pages.mkdocs_site import SiteError

# The code that decides what a page yields: a cached parse is valid only for this code (and
# this version of the HTML parser).
_PARSER_CODE = hashlib.sha256(b"".join(
    Path(module).read_bytes() for module in (__file__, Path(__file__).parent / "pages" / "csp.py")
) + selectolax.__version__.encode()).digest()

# Attributes whose address the browser fetches (tag → attributes); "*" applies to any tag.
FETCHED = {"script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
           "iframe": ("src",), "frame": ("src",), "embed": ("src",), "object": ("data",),
           "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "input": ("src",),
           "link": ("href",), "form": ("action",), "image": ("href", "xlink:href"),
           "use": ("href", "xlink:href"), "feimage": ("href", "xlink:href")}
NAVIGATED = {"a": ("href",), "area": ("href",)}
IGNORED_SCHEMES = {"data", "blob", "mailto", "tel"}
_CSS_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<url>.*?)(?P=q)\s*\)|@import\s+(?P<iq>['"])(?P<imp>[^'"]*)(?P=iq)""",
                      re.IGNORECASE | re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_STATE = re.compile(r"[\w-]+=")
_REFRESH = re.compile(r"url\s*=\s*['\"]?(?P<url>[^'\"\s;]+)", re.IGNORECASE)
_UNSAFE_SOURCES = {"*", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'", "data:", "blob:",
                   "http:", "https:", "'wasm-unsafe-eval'"}


@dataclass(frozen=True)
class Problem:
    file: str  # site-relative, "/" separators
    what: str  # a key: broken-link, missing-anchor, download, title, lang, other-origin, csp
    detail: str  # the offending value
    expected: str  # what would have been right (English; the key's message says it in Chinese)

    def __str__(self) -> str:
        return f"{self.file}: {both('sitecheck.' + self.what)} — {self.detail} " \
               f"({both('sitecheck.expected')} {self.expected})"


class SiteCheckError(SiteError):
    """The built site failed its checks; ``problems`` lists each with its file."""

    MAX_SHOWN = 50

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:self.MAX_SHOWN])
        more = len(problems) - self.MAX_SHOWN
        tail = f"\n  … {both('sitecheck.more', count=more)}" if more > 0 else ""
        super().__init__(f"{both('sitecheck.failed', count=len(problems))}\n{shown}{tail}")


@dataclass
class _Page:
    lang: str | None = None
    title: str | None = None
    ids: set[str] = field(default_factory=set)
    refs: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attribute, value)
    csp: list[tuple[str, bool]] = field(default_factory=list)  # (policy, came before content)
    scripts: list[str] = field(default_factory=list)  # hashes of executed inline scripts
    styles: list[str] = field(default_factory=list)  # hashes of <style> elements
    style_attrs: list[str] = field(default_factory=list)  # hashes of style="" values
    css: list[str] = field(default_factory=list)  # inline CSS text, for url()
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (hreflang, href)
    noindex: bool = False  # <meta name="robots" content="noindex">: not a page of its own


def _selector() -> str:
    """One CSS selector list for every element a page's record needs, so Lexbor finds them
    in C and only those are visited in Python. An element matching several parts is reported
    once (``:is``), in document order. Attributes with a prefix (``xlink:href``) cannot be
    named in a selector, so such tags are selected whole."""
    parts = []
    for tag, attributes in (*FETCHED.items(), *NAVIGATED.items()):
        if any(":" in attribute for attribute in attributes):
            parts.append(tag)
        else:
            parts += [f"{tag}[{attribute}]" for attribute in attributes]
    parts += ["[id]", "a[name]", "[style]", "script", "style", "link", "meta", "html", "title"]
    return f":is({', '.join(dict.fromkeys(parts))})"


_SELECTOR = _selector()


def _parse_text(text: str) -> _Page:
    page = _Page()
    governed_seen = False  # a script, style or stylesheet came before the CSP meta
    title_seen = False
    for node in LexborHTMLParser(text).root.css(_SELECTOR):
        tag = node.tag.lower()  # SVG keeps its case (feImage); the tables are lower case
        values = {name: value or "" for name, value in node.attributes.items()}
        if tag == "html":
            page.lang = values.get("lang")
        elif tag == "title" and not title_seen:
            title_seen = True
            page.title = node.text().strip()
        elif tag == "meta":
            equiv = values.get("http-equiv", "").lower()
            if equiv == META_NAME.lower():
                page.csp.append((values.get("content", ""), not governed_seen))
            elif equiv == "refresh":
                match = _REFRESH.search(values.get("content", ""))
                if match:
                    page.refs.append(("meta", "http-equiv=refresh", match["url"]))
            if values.get("name", "").lower() == "robots" and "noindex" in values.get("content", "").lower():
                page.noindex = True
        elif tag == "link" and values.get("rel", "").lower() == "alternate" and values.get("hreflang"):
            page.alternates.append((values["hreflang"], values.get("href", "")))
        if tag in ("script", "style") or (tag == "link" and "href" in values):
            governed_seen = True
        if values.get("id"):
            page.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            page.ids.add(values["name"])
        if "style" in values:
            page.style_attrs.append(digest(values["style"]))
            page.css.append(values["style"])
        for attribute in FETCHED.get(tag, ()) + NAVIGATED.get(tag, ()):
            if attribute in values:
                page.refs.append((tag, attribute, values[attribute]))
        if tag == "script":
            if is_executable(values):
                page.scripts.append(digest(node.text()))
        elif tag == "style":
            text = node.text()
            page.styles.append(digest(text))
            page.css.append(text)
    return page


def _parse(path: Path, parsed: Path | None = None) -> _Page:
    """What the checks need of one page. With a ``parsed`` folder, the result is stored
    there keyed by a digest of the page's bytes and of the parsing code, so a page whose
    bytes did not change since an earlier build is not parsed again (most pages of a
    one-row rebuild); any unreadable entry means parsing afresh."""
    data = path.read_bytes()
    if parsed is None:
        return _parse_text(data.decode("utf-8"))
    key = hashlib.sha256(_PARSER_CODE + data).hexdigest()
    entry = parsed / key[:2] / f"{key}.json"
    try:
        return _page_from_json(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    page = _parse_text(data.decode("utf-8"))
    entry.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a unique name, then renamed: a reader never sees half an entry.
    work = entry.with_name(f".{entry.name}.{os.getpid()}.{threading.get_ident()}")
    work.write_text(json.dumps(asdict(page), default=sorted, ensure_ascii=False), encoding="utf-8")
    work.replace(entry)
    return page


def _page_from_json(value: dict) -> _Page:
    return _Page(lang=value["lang"], title=value["title"], ids=set(value["ids"]),
                 refs=[tuple(r) for r in value["refs"]], csp=[tuple(c) for c in value["csp"]],
                 scripts=value["scripts"], styles=value["styles"],
                 style_attrs=value["style_attrs"], css=value["css"],
                 alternates=[tuple(a) for a in value["alternates"]], noindex=value["noindex"])


def check_site(site_dir: Path, manifest=None, *, langs: tuple[str, ...] | None = None,
               parsed: Path | None = None, hidden: set[str] | None = None,
               withheld: dict[str, list[str]] | None = None,
               scanned: dict[tuple, tuple] | None = None) -> list[Problem]:
    """Every problem of the site in ``site_dir`` (see the module docstring); [] is publishable.

    ``langs`` are the site's editions, the root's first (the build passes the
    configuration's); each must have its home page. By default the root edition is the
    configuration's first language, and the other editions are those whose folder the site has.

    ``manifest`` is the export's :class:`pipeline.export.Manifest` (or its JSON form); by
    default the site's own ``data/manifest.json`` is read. ``parsed`` is a folder where what
    was read from each page is kept by the page's content digest (the build cache passes
    one); every page is still checked, only the parsing of unchanged bytes is skipped.
    ``hidden`` are the ids of blacklist listings not in force on the site's date
    (:func:`pipeline.exposure.hidden_ids`): none may appear in any file. ``withheld`` maps
    each withheld table (``package/resource``) to its columns: no copy of it may be published.
    ``scanned`` is what an earlier scan for the same ``hidden`` and ``withheld`` found in
    files since moved into the site (:mod:`pipeline.early_scan`): those unchanged since are
    not read again.
    """
    from pipeline.exposure import scan_site, site_files

    site = Path(site_dir)
    listed = site_files(site)
    files = set(listed)
    pages = {name: _parse(site / name, parsed) for name in listed if name.endswith(".html")}
    problems: list[Problem] = []
    if langs is None:
        configured = languages()
        langs = (configured[0],) + tuple(lang for lang in configured[1:]
                                         if f"{prefix(lang, configured)}index.html" in files)
    else:
        langs = tuple(langs)
        problems += [Problem(f"{prefix(lang, langs)}index.html", "edition", "missing",
                             f"the home page of the edition in {lang}")
                     for lang in langs if f"{prefix(lang, langs)}index.html" not in files]
    for name, page in pages.items():
        lang, inside = edition_of(name, langs)
        problems += _check_page(name, page, lang)
        if len(langs) > 1 and not page.noindex and inside != "404.html":
            problems += _check_twins(name, page, lang, langs, pages)
        for tag, attribute, value in page.refs:
            problems += _check_ref(name, tag, attribute, value, files, pages)
        for css in page.css:
            problems += _check_css(name, name, css, files)
    for name in sorted(f for f in files if f.endswith(".css")):
        problems += _check_css(name, name, (site / name).read_text(encoding="utf-8"), files)
    if manifest is None and (site / "data" / "manifest.json").is_file():
        manifest = json.loads((site / "data" / "manifest.json").read_text(encoding="utf-8"))
    # One pass over every file: the downloads' checksums and both exposure scans (each of
    # the three read all 17 GB of a national site on its own).
    scan = scan_site(site, ids=hidden or set(), signatures=withheld or {},
                     manifest=manifest if withheld else None, memo=parsed, files=listed,
                     earlier=scanned) \
        if hidden or withheld else None
    problems += _check_downloads(site, manifest, scan.digests if scan is not None else {})
    problems += _check_release_pages(files, langs)
    if scan is not None:
        problems += [Problem(name, "exposed", found, "no listing that is not in force")
                     for name, found in scan.exposed]
        problems += [Problem(name, "withheld", found, "no copy of a withheld table")
                     for name, found in scan.withheld]
    return problems


def _check_twins(name: str, page: _Page, lang: str, langs: tuple[str, ...],
                 pages: dict[str, _Page]) -> list[Problem]:
    """The page names its twin in every edition (and x-default, the root's), each twin is a
    page in the language it is named for, and names this page back as its own twin."""
    problems = []
    named = dict(page.alternates)
    for hreflang in (*langs, "x-default"):
        expected = langs[0] if hreflang == "x-default" else hreflang
        if hreflang not in named:
            problems.append(Problem(name, "hreflang", f"no hreflang=\"{hreflang}\"",
                                    f"the address of this page in the edition in {expected}"))
            continue
        href = named[hreflang]
        target = _resolve(name, unquote(urlsplit(href).path))
        found = _existing(target, pages.keys()) if target is not None else None
        if found is None or edition_of(found, langs)[0] != expected:
            problems.append(Problem(name, "hreflang", f'hreflang="{hreflang}" href="{href}"',
                                    f"a page of the edition in {expected}"))
            continue
        back = dict(pages[found].alternates).get(lang)
        back_target = _resolve(found, unquote(urlsplit(back).path)) if back is not None else None
        if back_target is None or _existing(back_target, pages.keys()) != name:
            problems.append(Problem(name, "hreflang", f'{found} names "{back or ""}" for {lang}',
                                    f"{found} naming this page as its twin in {lang}"))
    return problems


def _check_page(name: str, page: _Page, lang: str) -> list[Problem]:
    problems = []
    if not page.title:
        problems.append(Problem(name, "title", "<title>", "a non-empty <title>"))
    if not (page.lang or "").lower().startswith(lang):
        problems.append(Problem(name, "lang", f'lang="{page.lang or ""}"', f'<html lang="{lang}…">'))
    if not page.csp:
        problems.append(Problem(name, "csp", "no <meta http-equiv=Content-Security-Policy>",
                                "a policy allowing only the page's own origin"))
        return problems
    policy, first = page.csp[0]
    if not first:
        problems.append(Problem(name, "csp", "policy after a script, style or stylesheet",
                                "the policy first in <head>"))
    problems += [Problem(name, "csp", detail, expected) for detail, expected in _policy_faults(policy, page)]
    return problems


def parse_policy(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    return directives


def _policy_faults(policy: str, page: _Page) -> list[tuple[str, str]]:
    directives = parse_policy(policy)
    faults = []
    if directives.get("default-src") != ["'self'"]:
        faults.append((f"default-src {' '.join(directives.get('default-src', []))}", "default-src 'self'"))
    if directives.get("object-src") != ["'none'"]:
        faults.append(("object-src", "object-src 'none'"))
    for directive, sources in directives.items():
        if directive in ("img-src",):  # data:/blob: images are the chart download and the icons
            allowed_extra = {"data:", "blob:"}
        else:
            allowed_extra = set()
        for source in sources:
            lowered = source.lower()
            if lowered in ("'self'", "'none'", "'unsafe-hashes'") or lowered.startswith("'sha256-"):
                continue
            if lowered in allowed_extra:
                continue
            if lowered in _UNSAFE_SOURCES or "." in lowered or ":" in lowered or lowered.startswith("'nonce-"):
                faults.append((f"{directive} {source}", "only 'self', 'none' and hashes"))
    for needed, directive in ((page.scripts, "script-src"), (page.styles, "style-src"),
                              (page.style_attrs, "style-src-attr")):
        listed = set(directives.get(directive, []))
        for value in dict.fromkeys(needed):
            if value not in listed:
                faults.append((f"{directive} lacks {value}", "the hash of every inline script and style"))
    return faults


def _check_ref(name: str, tag: str, attribute: str, value: str, files: set[str],
               pages: dict[str, _Page]) -> list[Problem]:
    urls = [part.strip().split()[0] for part in value.split(",") if part.strip()] \
        if attribute == "srcset" else [value.strip()]
    problems = []
    for url in urls:
        if not url:
            continue
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in IGNORED_SCHEMES:
            continue
        if scheme or parts.netloc or url.startswith("//"):
            if tag in NAVIGATED and scheme in ("http", "https"):
                continue  # a link to another site: the reader chooses to go there
            problems.append(Problem(name, "other-origin", f"<{tag} {attribute}=\"{url}\">",
                                    "an address on this site (relative)"))
            continue
        target = _resolve(name, unquote(parts.path))
        if target is None:
            problems.append(Problem(name, "broken-link", url, "a path inside the site"))
            continue
        found = _existing(target, files)
        if found is None:
            problems.append(Problem(name, "broken-link", url, f"a file {target or '/'}"))
            continue
        fragment = unquote(parts.fragment)
        if _STATE.match(fragment):
            continue  # "#q=…": state read by the page's script (the lookups), not an element
        if fragment and found in pages and fragment not in pages[found].ids:
            problems.append(Problem(name, "missing-anchor", url, f'id="{fragment}" in {found}'))
    return problems


def _resolve(name: str, path: str) -> str | None:
    """Site-relative path of ``path`` as linked from page ``name``; None if it leaves the site."""
    if path.startswith("/"):
        joined = path  # root-relative (mkdocs' 404 page): resolved against the site root
    elif not path:
        return name
    else:
        joined = posixpath.join("/" + posixpath.dirname(name), path)
    normal = posixpath.normpath(joined)
    if normal.startswith("//") or not normal.startswith("/"):
        return None
    if ".." in normal.split("/"):
        return None
    result = normal.lstrip("/")
    if path.endswith("/") and result:
        result += "/"
    return "" if result == "." else result


def _existing(target: str, files: set[str]) -> str | None:
    if target == "" or target.endswith("/"):
        candidate = f"{target}index.html"
        return candidate if candidate in files else None
    if target in files:
        return target
    candidate = f"{target}/index.html"  # a folder linked without its slash
    return candidate if candidate in files else None


def _check_css(name: str, base: str, css: str, files: set[str]) -> list[Problem]:
    problems = []
    for match in _CSS_URL.finditer(_CSS_COMMENT.sub("", css)):
        url = (match["url"] if match["url"] is not None else match["imp"]).strip()
        if not url or url.startswith("#"):
            continue
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in IGNORED_SCHEMES:
            continue
        if scheme or parts.netloc or url.startswith("//"):
            problems.append(Problem(name, "other-origin", f"url({url})", "an address on this site (relative)"))
            continue
        target = _resolve(base, unquote(parts.path))
        if target is None or _existing(target, files) is None:
            problems.append(Problem(name, "broken-link", f"url({url})", f"a file {target}"))
    return problems


def _check_downloads(site: Path, manifest, digests: dict[str, str]) -> list[Problem]:
    """Every download of the manifest is there with its size and SHA-256. ``digests`` are
    those the exposure scan took (site-relative path → hex); a file it did not read is read
    here, and a file with several names (a release's and ``latest/``) once."""
    if manifest is None:
        return [Problem("data/manifest.json", "download", "missing", "the list of downloads")]
    entries = manifest["files"] if isinstance(manifest, dict) else manifest.files
    problems = []
    linked: dict[tuple[int, int], str] = {}
    for entry in entries:
        path, size, sha = (entry["path"], entry["bytes"], entry["sha256"]) if isinstance(entry, dict) \
            else (entry.path, entry.bytes, entry.sha256)
        file = site / path
        if not file.is_file():
            problems.append(Problem(path, "download", "missing", f"{size} bytes, SHA-256 {sha}"))
            continue
        status = file.stat()
        if status.st_size != size:
            problems.append(Problem(path, "download", f"{status.st_size} bytes", f"{size} bytes"))
            continue
        digest_ = digests.get(path)
        if digest_ is None:
            inode = (status.st_dev, status.st_ino)
            digest_ = linked.get(inode) or _sha256(file)
            linked[inode] = digest_
        if digest_ != sha:
            problems.append(Problem(path, "download", f"SHA-256 {digest_}", f"SHA-256 {sha}"))
    return problems


def _check_release_pages(files: set[str], langs: tuple[str, ...]) -> list[Problem]:
    from pipeline.export.releases import LATEST
    from pipeline.versions import is_version

    folders = {"/".join(parts[:3]) + "/" for parts in (name.split("/") for name in files)
               if len(parts) > 3 and parts[0] == "data" and (is_version(parts[2]) or parts[2] == LATEST)}
    return [Problem(f"{prefix(lang, langs)}{folder}", "release-page", "no index.html",
                    "a page for the release folder")
            for folder in sorted(folders) for lang in langs
            if f"{prefix(lang, langs)}{folder}index.html" not in files]


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def site_date(site: Path):
    """The day a built site speaks for, from its derived package (None if it has none)."""
    import datetime as dt

    path = Path(site) / "data" / "derived" / "latest" / "datapackage.json"
    try:
        return dt.date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["x-referenceDate"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _hidden(site: Path, data: Path) -> set[str] | None:
    from pipeline.exposure import LISTINGS, hidden_ids, read_listings

    day = site_date(site)
    if day is None or not (data / LISTINGS[0] / "datapackage.json").is_file():
        return None
    return hidden_ids(read_listings(data), day)


def _withheld(data: Path, config_path: Path | None) -> dict[str, list[str]]:
    """Field names of every withheld table, from the configuration and the source descriptors."""
    from pipeline.config import load_config

    config = load_config(config_path)
    signatures = {}
    for package, resources in config.packages.items():
        path = data / package / "datapackage.json"
        if not resources or not path.is_file():
            continue
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        for resource in descriptor.get("resources", []):
            if resource.get("name") in resources:
                signatures[f"{package}/{resource['name']}"] = [
                    f.get("name", "") for f in (resource.get("schema") or {}).get("fields", [])]
    return signatures


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.sitecheck [SITE_DIR]``: exit 0 when the site passes, 1 otherwise."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m pipeline.sitecheck",
                                     description="check a built site / 检查已生成的站点")
    parser.add_argument("site", nargs="?", type=Path, default=Path("build/site"))
    parser.add_argument("--config", type=Path, default=None,
                        help="the portal's configuration (default: portal.yml of the repository); "
                             "its languages are the editions the site must have")
    parser.add_argument("--data", type=Path, default=Path("datapackages"),
                        help="the packages the site was built from: listings not in force on the "
                             "site's date must appear nowhere / 站点所依据的数据包")
    args = parser.parse_args(argv)
    if not args.site.is_dir():
        print(both("sitecheck.no_site", path=args.site), file=sys.stderr)
        return 2
    from pipeline.config import load_config

    langs = load_config(args.config).site.languages
    problems = check_site(args.site, langs=langs, hidden=_hidden(args.site, args.data),
                          withheld=_withheld(args.data, args.config))
    if problems:
        print(SiteCheckError(problems), file=sys.stderr)
        return 1
    print(both("sitecheck.ok", path=args.site))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
