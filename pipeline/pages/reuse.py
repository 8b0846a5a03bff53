"""The "cite and reuse" panel of a page (an indicator's, a package's): the page's citation
in every style, with the public address (``site.canonical_url``), and the data packages its
figures come from, each with its page (downloads in every format, checksums, licence) and
the page of the release folder that the package's own citation names."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.editions import prefix
from pipeline.export.citation import STYLES, page_citations
from pipeline.export.metadata import licence_title, portal_publisher, text_or
from pipeline.pages.dates import data_updated

# The label of each citation style, as the chart blocks show them.
STYLE_LABELS = {"gbt7714": "cite.gbt7714", "apa": "cite.apa", "bibtex": "cite.bibtex", "ris": "cite.ris"}


def edition_path(lang: str, path: str) -> str:
    """``path`` (inside an edition) under the site root, in the edition of ``lang``: a page of
    the English edition is cited at its own address (``en/...``), not at its Chinese twin's."""
    try:
        return prefix(lang) + path
    except ValueError:  # pages rendered in a language the configuration has no edition for
        return path


@dataclass
class Source:
    title: str
    href: str  # the package's page
    version: str
    release_href: str  # the page of the release folder its citation gives
    licences: list[str]


@dataclass
class Reuse:
    citations: list[tuple[str, str, str]]  # (element id, label key, text)
    sources: list[Source] = field(default_factory=list)


def page_reuse(ctx, *, title: str, path: str, key: str, packages: list[str], base: str) -> Reuse:
    """The panel of the page at ``path`` (inside the edition) titled ``title``, whose figures
    come from ``packages``; ``base`` leads from the page back to the edition's root and
    ``key`` is an ASCII name for the BibTeX key. The page was last modified when the newest
    of its packages' data changed."""
    lang = ctx.lang
    modified = max((data_updated(ctx.manifest, name) or "" for name in packages), default="")
    cited = page_citations(title=title, path=edition_path(lang, path), lang=lang, author=portal_publisher(lang),
                           modified=modified, kind="page", key=key)
    descriptors = getattr(ctx.manifest, "descriptors", {}) if ctx.manifest is not None else {}
    sources = []
    for name in packages:
        descriptor = descriptors.get(name)
        if not descriptor or not descriptor.get("version"):
            continue  # not published by this build: no page to link
        version = str(descriptor["version"])
        sources.append(Source(
            title=text_or(descriptor, "title", lang) or name, href=f"{base}data/{name}/", version=version,
            release_href=f"{base}data/{name}/{version}/",
            licences=[licence_title(x, lang) for x in descriptor.get("licenses") or []
                      if isinstance(x, dict)]))
    return Reuse([(f"reuse-cite-{style}", STYLE_LABELS[style], cited[style]) for style in STYLES], sources)
