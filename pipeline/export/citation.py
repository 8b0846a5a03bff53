"""How to cite a package release, an indicator page or a chart: GB/T 7714-2015, APA (7th
edition), BibTeX and RIS.

A citation leaves the site, so its address is absolute: the configured public address
(``site.canonical_url``), or ``site.base_url`` when that is absolute. Links inside the
site stay relative whatever is configured. The year and update date come from the release
record, never from the clock; the access date is the reader's, so it is only filled in
when given.
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.config import current
from pipeline.export.metadata import publisher, text_or
from pipeline.i18n import t

STYLES = ("gbt7714", "apa", "bibtex", "ris")


def public_url() -> str:
    """The site's absolute public address, ending in "/" (see the module's docstring)."""
    site = current().site
    for address in (site.canonical_url, site.base_url):
        if address and address.lower().startswith("https://"):
            return address.rstrip("/") + "/"
    raise ValueError("portal.yml sets no absolute address for citations (site.canonical_url)")


def absolute(path: str, base_url: str | None = None) -> str:
    """``path`` (under the site root) as an absolute address: under ``base_url`` when that
    is absolute, else under :func:`public_url`."""
    base = base_url if base_url and "://" in base_url else public_url()
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def release_url(base_url: str | None, package: str, version: str) -> str:
    return absolute(f"data/{package}/{version}/", base_url)


def citation(descriptor: dict, style: str = "gbt7714", lang: str = "zh", *, base_url: str | None = None,
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
        "modified": str(modified)[:10],
        "place": t("export.citation.place", lang),
        "url": release_url(base_url, descriptor["name"], descriptor.get("version", "")),
        "accessed": accessed.isoformat() if accessed else "",
    }
    return _format(style, lang, values, kind="dataset", key=f"{descriptor['name']}-{values['version']}")


def page_citations(*, title: str, path: str, lang: str, author: str, modified: str,
                   kind: str = "page", key: str) -> dict[str, str]:
    """Every style's citation of a page of the site (an indicator, a chart) at ``path``
    (under the site root); ``modified`` is the ISO date its data last changed; ``kind`` is
    "page" or "chart"; ``key`` an ASCII name for the BibTeX key."""
    values = {"author": author, "title": title, "version": "", "year": str(modified)[:4],
              "modified": str(modified)[:10], "place": t("export.citation.place", lang),
              "url": absolute(path), "accessed": ""}
    return {style: _format(style, lang, values, kind=kind, key=key) for style in STYLES}


def _format(style: str, lang: str, values: dict, *, kind: str, key: str) -> str:
    if style == "bibtex":
        return _bibtex(values, lang, kind, key)
    if style == "ris":
        return _ris(values, lang, kind)
    suffix = "" if kind == "dataset" else f"_{kind}"
    name = f"export.citation.{style}{suffix}" + ("_accessed" if values["accessed"] else "")
    return t(name, lang, **values, kind_label=t(f"export.citation.kind.{kind}", lang))


def _bib(text: str) -> str:
    """A BibTeX field value: the characters TeX reads as commands, escaped."""
    return re.sub(r"([\\{}%&#_$^~])", r"\\\1", text)


def _bibtex(values: dict, lang: str, kind: str, key: str) -> str:
    fields = [("author", "{" + _bib(values["author"]) + "}"), ("title", "{" + _bib(values["title"]) + "}"),
              ("year", values["year"])]
    if values["version"]:
        fields.append(("version", values["version"]))
    fields += [("date", values["modified"]), ("publisher", _bib(values["author"])),
               ("address", _bib(values["place"])),
               ("howpublished", "\\url{" + values["url"] + "}"), ("url", values["url"]),
               ("note", _bib(t(f"export.citation.kind.{kind}", lang))),
               ("language", "chinese" if lang == "zh" else "english")]
    if values["accessed"]:
        fields.append(("urldate", values["accessed"]))
    entry = "dataset" if kind == "dataset" else "online"
    ident = re.sub(r"[^A-Za-z0-9-]+", "-", key).strip("-")
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry}{{{ident},\n{body}\n}}"


def _ris(values: dict, lang: str, kind: str) -> str:
    kinds = {"dataset": "DATA", "chart": "FIGURE", "page": "ELEC"}
    lines = [("TY", kinds[kind]), ("AU", values["author"]), ("TI", values["title"]),
             ("PY", values["year"]), ("DA", values["modified"].replace("-", "/"))]
    if values["version"]:
        lines.append(("ET", values["version"]))
    lines += [("PB", values["author"]), ("CY", values["place"]), ("UR", values["url"]),
              ("LA", "zh" if lang == "zh" else "en")]
    if values["accessed"]:
        lines.append(("Y2", values["accessed"].replace("-", "/")))
    lines.append(("ER", ""))
    # RIS: a two-letter tag, two spaces, a hyphen, a space; one field per line.
    return "\n".join(f"{tag}  - {value}" for tag, value in lines)
