"""The Data Package descriptor of the derived package, built from its sources' metadata, the
schema files of its resources and the portal's configuration (the city's names)."""

from __future__ import annotations

import copy
from datetime import date, datetime

from pipeline.derive import schemas
from pipeline.i18n import t
from pipeline.model import Catalog
from pipeline.versions import calendar_version

NAME = "derived"
# Of the derived tables' columns: bump on any column change. The release version is not
# this: it is computed from the date the statuses are computed for (pipeline.versions).
SCHEMA_VERSION = "1.0.0"
ID = "urn:changzhou-work-safety-portal:datapackage:derived"
# The package's and resources' texts are the catalogs' (derived.*): Chinese in ``title`` and
# ``description``, English in ``x-en``, as every descriptor has them.


def _source_synthetic(catalog: Catalog, package: str, resource: str) -> bool:
    descriptor = catalog.resource(package, resource).descriptor
    if "synthetic" in descriptor:
        return bool(descriptor["synthetic"])
    return catalog.packages[package].synthetic


def resource_descriptor(catalog: Catalog, name: str, reference_date: date, *,
                        sources: tuple[tuple[str, str], ...], config=None) -> dict:
    """The descriptor of derived resource ``name``, made from ``sources`` (the inputs of its
    step): texts and schema from its schema file, synthetic if any source is."""
    spec = schemas.spec(name)
    synthetic = any(_source_synthetic(catalog, p, r) for p, r in sources)
    description, description_en = spec["description"], spec["x-en"]["description"]
    if synthetic:
        description = t("derived.resource_synthetic", "zh", description=description,
                        note=t("derived.synthetic_note", "zh"))
        description_en = t("derived.resource_synthetic", "en", description=description_en,
                           note=t("derived.synthetic_note", "en"))
    schema = schemas.table_schema(name, config)
    descriptor = {
        "name": name,
        "path": f"data/{name}.csv",
        "type": "table",
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": spec["title"],
        "description": description,
        "x-en": {"title": spec["x-en"]["title"], "description": description_en},
        "synthetic": synthetic,
        "x-derivedFrom": [{"package": p, "resource": r} for p, r in sources],
        "schema": schema,
    }
    if any(f["name"] == "as_of" for f in schema["fields"]):
        descriptor["x-referenceDate"] = reference_date.isoformat()
    if spec.get("x-foreignKeys"):
        descriptor["x-foreignKeys"] = spec["x-foreignKeys"]
    return descriptor


def _dedupe(items: list[dict], key: str) -> list[dict]:
    seen, out = set(), []
    for item in items:
        if item.get(key) not in seen:
            seen.add(item.get(key))
            out.append(copy.deepcopy(item))
    return out


def package_descriptor(catalog: Catalog, resources: list[dict], reference_date: date,
                       config=None) -> dict:
    """The derived package holding ``resources`` (descriptors), with the licences, contributors
    and newest creation date of the packages they come from."""
    if config is None:
        from pipeline.config import current

        config = current()
    city = config.site.city_name
    sources = sorted({s["package"] for r in resources for s in r["x-derivedFrom"]})
    packages = [catalog.packages[p] for p in sources]
    synthetic = any(r["synthetic"] for r in resources)
    # Fixed, never "now": the derived data is as new as the newest package it comes from.
    created = [p.descriptor["created"] for p in packages if p.descriptor.get("created")]
    description, description_en = (
        t("derived.description", lang, tables=t("derived.table_separator", lang).join(titles))
        for lang, titles in (("zh", [r["title"] for r in resources]),
                             ("en", [r["x-en"]["title"] for r in resources])))
    if synthetic:
        description, description_en = (
            t("derived.package_synthetic", lang, description=text, note=t("derived.synthetic_note", lang))
            for lang, text in (("zh", description), ("en", description_en)))
    title, title_en = t("derived.title", "zh", city=city["zh"]), t("derived.title", "en", city=city["en"])
    keywords = (t("derived.keywords", "zh", city=city["zh"]).split("|")
                + t("derived.keywords", "en", city=city["en"]).split("|"))
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": NAME,
        "id": ID,
        "title": title,
        "description": description,
        "x-en": {"title": title_en, "description": description_en},
        "version": calendar_version(reference_date),  # the export adds a serial if the day has one
        "x-schemaVersion": SCHEMA_VERSION,
        "created": max(created, key=lambda s: datetime.fromisoformat(s)) if created else None,
        "x-referenceDate": reference_date.isoformat(),
        "synthetic": synthetic,
        "licenses": _dedupe([lic for p in packages for lic in p.descriptor.get("licenses", [])],
                            "name"),
        "sources": [{"title": p.descriptor.get("title", p.name),
                     "x-en": {"title": p.descriptor.get("x-en", {}).get("title", p.name)},
                     "x-package": p.name,
                     "x-version": p.descriptor.get("version")} for p in packages],
        "contributors": _dedupe([c for p in packages
                                 for c in p.descriptor.get("contributors", [])], "title"),
        "keywords": keywords,
        "resources": resources,
    }
    if descriptor["created"] is None:  # no source says when it was made: say nothing either
        del descriptor["created"]
    return descriptor
