"""Reading bilingual metadata out of Data Package descriptors.

Descriptors keep Chinese in ``title``/``description`` and English in ``x-en``; older
spellings ``x-title-en``/``x-description-en`` are read too. The portal's own identity (the
default publisher, its contact address, the site's address) comes from the configuration
(``portal.yml``, :func:`pipeline.config.current`); other portal-wide wording (the catalog's
title) from the message catalogs.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import current

DEFAULT_BASE_URL = "/"


def configured_base_url() -> str:
    """The prefix of addresses in catalogs, citations, feeds and sitemaps: ``site.base_url``
    of the configuration when it is an absolute https address, else ``/`` (site-relative)."""
    configured = current().site.base_url
    return configured if configured.lower().startswith("https://") else DEFAULT_BASE_URL


def text(descriptor: dict, key: str, lang: str) -> str | None:
    if lang == "zh":
        return descriptor.get(key)
    return (descriptor.get("x-en") or {}).get(key) or descriptor.get(f"x-{key}-en")


def text_or(descriptor: dict, key: str, lang: str) -> str:
    """The text in ``lang``, falling back to the other language rather than to nothing."""
    return text(descriptor, key, lang) or text(descriptor, key, "zh" if lang == "en" else "en") or ""


def licence_title(licence: dict, lang: str) -> str:
    """A licence's name in the reader's language: the catalog's for a licence it knows by its
    SPDX-style ``name`` (a Chinese page does not say "Creative Commons Attribution"), else
    the descriptor's own title, name or path."""
    from pipeline.i18n import catalog

    known = catalog(lang).get(f"licence.{licence.get('name')}")
    return known or str(licence.get("title") or licence.get("name") or licence.get("path") or "")


def publisher(descriptor: dict, lang: str) -> str:
    """The contributor with role publisher, else author, else the portal's own publisher
    (``site.publisher`` of the configuration)."""
    contributors = descriptor.get("contributors") or []
    for role in ("publisher", "author", "creator"):
        for contributor in contributors:
            roles = contributor.get("roles") or [contributor.get("role")]
            if role in roles:
                return text_or(contributor, "title", lang)
    return portal_publisher(lang)


def portal_publisher(lang: str) -> str:
    """The portal's publisher in ``lang`` (the configured name, else its first language's)."""
    names = current().site.publisher
    return names.get(lang) or next(iter(names.values()))


def contact(descriptor: dict, lang: str = "zh") -> tuple[str, str]:
    """(name, e-mail) to write to about a package: its first contributor with an e-mail,
    else the portal's configured contact (``site.publisher`` and ``site.email``)."""
    for contributor in descriptor.get("contributors") or []:
        if contributor.get("email"):
            return publisher(descriptor, lang), contributor["email"]
    return portal_publisher(lang), current().site.email


def licences(descriptor: dict) -> list[dict]:
    return list(descriptor.get("licenses") or [])


def licence_url(descriptor: dict) -> str | None:
    for licence in licences(descriptor):
        if licence.get("path"):
            return licence["path"]
    return None


def licence_name(descriptor: dict) -> str | None:
    for licence in licences(descriptor):
        return licence.get("title") or licence.get("name")
    return None


def created(descriptor: dict) -> str | None:
    value = descriptor.get("created")
    return value[:10] if isinstance(value, str) else None


def temporal_coverage(descriptor: dict, tables: dict[str, pa.Table]) -> tuple[str, str] | None:
    """The period the data cover: declared (``x-temporal``) or the range of dates and years."""
    declared = descriptor.get("x-temporal") or descriptor.get("temporal")
    if isinstance(declared, dict) and declared.get("start") and declared.get("end"):
        return str(declared["start"]), str(declared["end"])
    starts, ends = [], []
    for table in tables.values():
        for field in table.schema:
            column = table.column(field.name)
            if column.null_count == len(column) or len(column) == 0:
                continue
            if pa.types.is_date(field.type):
                bounds = pc.min_max(column).as_py()
                starts.append(bounds["min"].isoformat())
                ends.append(bounds["max"].isoformat())
            elif field.name == "year" and pa.types.is_integer(field.type):
                bounds = pc.min_max(column).as_py()
                starts.append(f"{bounds['min']:04d}")
                ends.append(f"{bounds['max']:04d}")
    if not starts:
        return None
    return min(starts), max(ends)


def iso_datetime(day: str | dt.date) -> str:
    day = day if isinstance(day, str) else day.isoformat()
    return f"{day[:10]}T00:00:00Z"
