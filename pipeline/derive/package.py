"""The Data Package descriptor of the derived package, built from its sources' metadata, the
schema files of its resources and the portal's configuration (the city's names)."""

from __future__ import annotations

import copy
from datetime import date, datetime

from pipeline.derive import schemas
from pipeline.model import Catalog
from pipeline.versions import calendar_version

NAME = "derived"
# Of the derived tables' columns: bump on any column change. The release version is not
# this: it is computed from the date the statuses are computed for (pipeline.versions).
SCHEMA_VERSION = "1.0.0"
ID = "urn:changzhou-work-safety-portal:datapackage:derived"

SYNTHETIC_NOTE_ZH = "由合成数据派生,仅供演示,不反映真实情况。"
SYNTHETIC_NOTE_EN = "Derived from synthetic data: for demonstration only; describes nothing real."


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
        description = f"{description}{SYNTHETIC_NOTE_ZH}"
        description_en = f"{description_en} {SYNTHETIC_NOTE_EN}"
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
    description = ("由其他数据包计算得到的派生表：" + "、".join(r["title"] for r in resources)
                   + "。每个比率都附有分子和分母，每张表都注明来源表（x-derivedFrom）。")
    description_en = ("Tables computed from the other packages: "
                      + "; ".join(r["x-en"]["title"] for r in resources)
                      + ". Every rate comes with its numerator and denominator; every table "
                      "names the resources it is derived from (x-derivedFrom).")
    if synthetic:
        description += "部分来源为合成数据：" + SYNTHETIC_NOTE_ZH
        description_en += " Some sources are synthetic data. " + SYNTHETIC_NOTE_EN
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": NAME,
        "id": ID,
        "title": f"{city['zh']}安全生产派生数据",
        "description": description,
        "x-en": {"title": f"{city['en']} work-safety derived data", "description": description_en},
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
        "keywords": ["安全生产", city["zh"], "死亡率", "进展状态", "黑名单", "派生数据",
                     "work safety", city["en"], "derived data"],
        "resources": resources,
    }
    if descriptor["created"] is None:  # no source says when it was made: say nothing either
        del descriptor["created"]
    return descriptor
