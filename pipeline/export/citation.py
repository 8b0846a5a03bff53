"""How to cite a package release: GB/T 7714-2015 and APA (7th edition) forms.

Pages call :func:`citation` directly; the README of each ZIP carries both forms. The year
and update date come from the release record, never from the clock; the access date is
the reader's, so it is only filled in when given.
"""

from __future__ import annotations

import datetime as dt

from pipeline.export.metadata import publisher, text_or
from pipeline.i18n import t

STYLES = ("gbt7714", "apa")


def release_url(base_url: str, package: str, version: str) -> str:
    return f"{base_url.rstrip('/')}/data/{package}/{version}/"


def citation(descriptor: dict, style: str = "gbt7714", lang: str = "zh", *, base_url: str = "/",
             released: str | dt.date | None = None, accessed: dt.date | None = None) -> str:
    """The citation of ``descriptor``'s release (its ``version``) in ``style`` and ``lang``.

    ``released`` is the release date (ISO); it defaults to the package's ``x-release``
    record or, failing that, its ``created`` date.
    """
    if style not in STYLES:
        raise ValueError(f"unknown citation style {style!r}; expected one of {STYLES}")
    record = descriptor.get("x-release") or {}
    released = released or record.get("data_updated") or record.get("released") or descriptor.get("created") or ""
    released = released.isoformat() if isinstance(released, dt.date) else str(released)[:10]
    modified = max(filter(None, [record.get("data_updated"), record.get("metadata_updated")]), default=released)
    values = {
        "author": publisher(descriptor, lang),
        "title": text_or(descriptor, "title", lang),
        "version": descriptor.get("version", ""),
        "year": released[:4],
        "modified": modified,
        "place": t("export.citation.place", lang),
        "url": release_url(base_url, descriptor["name"], descriptor.get("version", "")),
        "accessed": accessed.isoformat() if accessed else "",
    }
    key = f"export.citation.{style}" + ("_accessed" if accessed else "")
    return t(key, lang, **values)
