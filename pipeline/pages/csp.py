"""A Content-Security-Policy for every page of the built site, as a ``<meta>`` in its head.

The site is static and may be hosted where no response header can be set (GitHub Pages),
so the policy travels inside each page. It allows the site's own origin only. The theme
writes small inline scripts (its base URL and palette, the anchor fix), and the chart-only
pages an inline ``<style>``: instead of ``'unsafe-inline'`` each page lists the SHA-256 of
exactly the inline scripts and styles it carries, so an injected script or style (say, a
data value that escaped its escaping) does not run. ``style`` attributes cannot be allowed
by a hash without ``'unsafe-hashes'``; a page that has some gets ``style-src-attr
'unsafe-hashes'`` with the hashes of those exact attribute values, so no page needs
``'unsafe-inline'``.

Data blocks (``<script type="application/json">``, ``application/ld+json``) are not
executed, so script-src does not apply to them and they need no hash.

Not expressible in a ``<meta>`` policy (the standard ignores them there): ``frame-ancestors``
(chart pages are meant to be embedded elsewhere anyway), ``report-uri``/``report-to`` and
``sandbox``; a host that can set headers should send ``frame-ancestors`` for the other pages.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

# Script types a browser executes (the HTML standard's JavaScript MIME types, plus module).
EXECUTABLE_TYPES = {"", "module", "text/javascript", "application/javascript",
                    "application/ecmascript", "text/ecmascript", "application/x-javascript",
                    "text/jscript", "text/livescript", "text/x-javascript", "text/x-ecmascript",
                    "application/x-ecmascript", "text/javascript1.0", "text/javascript1.1",
                    "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
                    "text/javascript1.5"}

# img-src: the chart PNG download draws the SVG from a data: URL onto a canvas and saves
# a blob:/data: URL; the theme's icons are data: URLs in its CSS.
BASE_POLICY = ("default-src 'self'", "img-src 'self' data: blob:", "font-src 'self'",
               "connect-src 'self'", "worker-src 'self'", "object-src 'none'",
               "base-uri 'self'", "form-action 'self'")

META_NAME = "Content-Security-Policy"

_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<style\b(?P<attrs>[^>]*)>(?P<body>.*?)</style\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[a-zA-Z][^\s/>]*(?:\s[^>]*)?>", re.DOTALL)
_STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(?:"(?P<d>[^"]*)"|'(?P<s>[^']*)'|(?P<u>[^\s>]+))""", re.IGNORECASE)
_STYLE_NAME = re.compile(r"\sstyle\s*=", re.IGNORECASE)  # where a style attribute may start
_ATTR = re.compile(r"""(?P<name>[^\s=/>]+)(?:\s*=\s*(?:"(?P<d>[^"]*)"|'(?P<s>[^']*)'|(?P<u>[^\s>]+)))?""")
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_CHARSET = re.compile(r"\s*<meta\s+charset\s*=\s*[\"']?[\w-]+[\"']?\s*/?>", re.IGNORECASE)
_EXISTING = re.compile(r"<meta\s+http-equiv=\"Content-Security-Policy\"[^>]*>\s*", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def attributes(text: str) -> dict[str, str]:
    """Attributes of a start tag's attribute text (names lower-cased, values unescaped)."""
    found = {}
    for match in _ATTR.finditer(text):
        value = match["d"] if match["d"] is not None else match["s"] if match["s"] is not None \
            else match["u"] or ""
        found.setdefault(match["name"].lower(), html.unescape(value))
    return found


def digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def is_executable(attrs: dict[str, str]) -> bool:
    return "src" not in attrs and attrs.get("type", "").strip().lower() in EXECUTABLE_TYPES


def inline_hashes(page: str) -> tuple[list[str], list[str], list[str]]:
    """Hashes of the inline scripts, ``<style>`` elements and ``style`` attributes of ``page``."""
    without_comments = _COMMENT.sub("", page)
    scripts = [digest(m["body"]) for m in _SCRIPT.finditer(without_comments)
               if is_executable(attributes(m["attrs"]))]
    styles = [digest(m["body"]) for m in _STYLE.finditer(without_comments)]
    # style attributes: only in markup, not inside scripts or styles
    markup = _STYLE.sub("", _SCRIPT.sub("", without_comments))
    style_attrs = []
    for tag in styled_tags(markup):
        for match in _STYLE_ATTR.finditer(tag):
            value = next(v for v in (match["d"], match["s"], match["u"]) if v is not None)
            style_attrs.append(digest(html.unescape(value)))
    return _unique(scripts), _unique(styles), _unique(style_attrs)


def styled_tags(markup: str) -> list[str]:
    """The tags of ``markup`` (as ``_TAG.finditer`` divides it) in which ``style=`` is written,
    in order.

    A page has tens of thousands of tags and a handful of ``style`` attributes, so instead of
    going through every tag this starts from each place `` style=`` is written and finds the
    tag around it. A tag ends at its first ``>``, so the tag holding a place starts after the
    last ``>`` before it, at the first ``<`` there that begins a tag (a scan of every tag
    would be free there too, every earlier tag having ended); a place outside every tag is
    text. The tests hold this to the scan of every tag."""
    found, last = [], -1
    for at in _style_places(markup):
        if at < last:
            continue  # inside the tag just found
        start = markup.rfind(">", 0, at) + 1
        while (start := markup.find("<", start, at)) != -1:
            tag = _TAG.match(markup, start)
            if tag is not None:
                found.append(tag.group(0))
                last = tag.end()
                break
            start += 1
    return found


def _style_places(markup: str) -> list[int]:
    """Where ``_STYLE_NAME`` matches in ``markup``, in order.

    Python's regular expressions scan a case-insensitive pattern that starts with a class
    character by character (about 2 s over a city site's pages); ``str.find`` on the lower-cased
    text is a fast substring search, and each place it finds is checked with the pattern
    itself. The only letters the pattern takes for ``style`` are those whose lower case is
    ``s``, ``t``, ``y``, ``l``, ``e`` or ``ſ`` (checked over every code point in the tests),
    so both spellings are looked for. Where lower-casing changes the text's length (an
    ``İ``), positions would not line up and the pattern scans the text itself."""
    low = markup.lower()
    if len(low) != len(markup):
        return [m.start() for m in _STYLE_NAME.finditer(markup)]
    places = set()
    for word in ("style", "\u017ftyle"):
        at = low.find(word, 1)
        while at != -1:
            if _STYLE_NAME.match(markup, at - 1):
                places.add(at - 1)
            at = low.find(word, at + 1)
    return sorted(places)


def policy(page: str) -> str:
    scripts, styles, style_attrs = inline_hashes(page)
    parts = [*BASE_POLICY[:1], " ".join(["script-src 'self'", *scripts]),
             " ".join(["style-src 'self'", *styles])]
    if style_attrs:
        parts.append(" ".join(["style-src-attr 'unsafe-hashes'", *style_attrs]))
    parts.extend(BASE_POLICY[1:])
    return "; ".join(parts)


def with_policy(page: str) -> str:
    """``page`` with its policy as the first element of ``<head>`` (after the charset, which
    must stay within the first 1024 bytes); a policy written by an earlier run is replaced."""
    page = _EXISTING.sub("", page)
    content = html.escape(policy(page), quote=False).replace('"', "&quot;")  # keep ' readable
    meta = f'<meta http-equiv="{META_NAME}" content="{content}">'
    head = _HEAD.search(page)
    if head is None:
        raise ValueError("no <head> element")
    charset = _CHARSET.match(page, head.end())
    at = charset.end() if charset else head.end()
    return page[:at] + meta + page[at:]


def add_csp(site_dir: Path) -> int:
    """Add the policy to every HTML page under ``site_dir``; return how many pages."""
    count = 0
    for path in sorted(Path(site_dir).rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        path.write_text(with_policy(text), encoding="utf-8")
        count += 1
    return count


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
