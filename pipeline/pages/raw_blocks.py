"""Raw HTML blocks the templates mark, handed to Python-Markdown without parsing them.

Python-Markdown finds the raw HTML blocks of a page by running the standard library's
``html.parser`` over all of it, and mkdocs runs it once more to collect the ids the blocks
hold (for its anchor validation). Most of a data page's source is such HTML (its tables and
charts), so these two parses were a fifth of a whole build.

A template marks a block it writes whole, with nothing Markdown should read inside it::

    <!-- portal:html -->
    <div class="data-scroll" …><table>…</table></div>
    <!-- /portal:html -->

each marker alone on its line, at its start. This extension (listed in ``mkdocs.yml``) puts
every marked block into Markdown's stash before the HTML parsers run, exactly as they would
have stored it (with the newline they keep when a blank line follows), so the published page
is byte for byte the same; the ids in the blocks (``id``, ``name``) are added to those mkdocs
collects for its anchor validation. A marker without its pair is left in
the page as the comment it is, and the block is parsed as before.

Data cannot forge a marker: values in raw HTML are escaped (``<`` becomes ``&lt;``) and in
Markdown text every punctuation character is a character reference
(:mod:`pipeline.pages.render`).
"""

from __future__ import annotations

import html
import re

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

OPEN = "<!-- portal:html -->"
CLOSE = "<!-- /portal:html -->"
# Attributes that name an anchor; over-collecting is harmless (the site check tests every
# anchor of the published pages), a missed id would make mkdocs warn about a valid link.
_ANCHOR = re.compile(r"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


class _MarkedBlocks(Preprocessor):
    def __init__(self, md: Markdown):
        super().__init__(md)
        self.anchor_ids: set[str] = set()

    def run(self, lines: list[str]) -> list[str]:
        self.anchor_ids = set()
        if OPEN not in lines:  # most pages of text have none
            return lines
        out: list[str] = []
        at, n = 0, len(lines)
        while at < n:
            line = lines[at]
            if line == OPEN:
                try:
                    end = lines.index(CLOSE, at + 1)
                except ValueError:
                    end = -1
                if end != -1 and out and out[-1].strip() and not out[-1].startswith("<"):
                    # Right after a line of text, Markdown reads the HTML as part of that
                    # paragraph: so it does here (the markers dropped), the page unchanged.
                    out += lines[at + 1:end]
                    at = end + 1
                    continue
                if end != -1 and OPEN not in lines[at + 1:end]:
                    block = "\n".join(lines[at + 1:end])
                    blank_after = end + 1 < n and not lines[end + 1].strip()
                    if blank_after:
                        block += "\n"  # what Markdown's own parser keeps before a blank line
                    self.anchor_ids |= {html.unescape(next(v for v in m.groups() if v is not None))
                                        for m in _ANCHOR.finditer(block)}
                    out.append(self.md.htmlStash.store(block))
                    if not blank_after and end + 1 < n:
                        out.append("")  # text right after the block is a paragraph of its own
                    at = end + 1
                    continue
            out.append(line)
            at += 1
        return out


class _AnchorIds(Preprocessor):
    """Adds the marked blocks' ids to those mkdocs collects from the raw HTML it still sees
    (its collector, registered by mkdocs for each page, runs just before)."""

    def __init__(self, md: Markdown, marked: _MarkedBlocks):
        super().__init__(md)
        self.marked = marked

    def run(self, lines: list[str]) -> list[str]:
        if self.marked.anchor_ids and _MKDOCS_IDS in self.md.preprocessors:
            self.md.preprocessors[_MKDOCS_IDS].present_anchor_ids |= self.marked.anchor_ids
        return lines


_MKDOCS_IDS = "mkdocs_raw_html"  # mkdocs' collector of ids in raw HTML (priority 21)


class RawBlocks(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        marked = _MarkedBlocks(md)
        # after the whitespace is normalised (30), before mkdocs' id collector (21) and
        # Markdown's HTML blocks (20)
        md.preprocessors.register(marked, "portal_marked_html", 25)
        md.preprocessors.register(_AnchorIds(md, marked), "portal_marked_ids", 20.5)


def makeExtension(**kwargs) -> RawBlocks:  # the name Python-Markdown loads an extension by
    return RawBlocks(**kwargs)
