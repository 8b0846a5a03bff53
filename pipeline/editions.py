"""The site's editions: one per language of the portal's configuration (``site.languages``).

The first language is the root edition (its pages at ``/``); every other one lives under a
folder named for its language (``/en/``), with the same paths below it, so a page's twin in
another edition is found by swapping the prefix. Downloads are not part of an edition: they
are written once, at the site root, and every edition links there.
"""

from __future__ import annotations

from pipeline.config import current


def languages() -> tuple[str, ...]:
    """The editions' languages, the root edition's first."""
    return tuple(current().site.languages)


def prefix(lang: str, langs: tuple[str, ...] | None = None) -> str:
    """Where the edition in ``lang`` lives under the site root: ``""`` for the root edition,
    else its language and a slash (``"en/"``)."""
    langs = langs or languages()
    if lang not in langs:
        raise ValueError(f"{lang!r} is not an edition of this site ({', '.join(langs)})")
    return "" if lang == langs[0] else f"{lang}/"


def edition_of(path: str, langs: tuple[str, ...] | None = None) -> tuple[str, str]:
    """(language, path inside that edition) of a site-relative path (``"en/about/"`` →
    ``("en", "about/")``); a path in no other edition's folder belongs to the root edition."""
    langs = langs or languages()
    for lang in langs[1:]:
        if path == lang or path.startswith(f"{lang}/"):
            return lang, path[len(lang) + 1:]
    return langs[0], path


def editions_key(langs: tuple[str, ...]) -> str:
    """The editions as the build key names them (``zh,en``): another set is another site."""
    return ",".join(langs)
