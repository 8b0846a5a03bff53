"""The Data Package descriptor of the derived package, built from its sources' metadata."""

from __future__ import annotations

import copy
from datetime import date, datetime

from pipeline.derive.schemas import RESOURCES, SYNTHETIC_NOTE_EN, SYNTHETIC_NOTE_ZH
from pipeline.model import Catalog
from pipeline.versions import calendar_version

NAME = "derived"
# Of the derived tables' columns: bump on any column change. The release version is not
# this: it is computed from the date the statuses are computed for (pipeline.versions).
SCHEMA_VERSION = "1.0.0"
ID = "urn:changzhou-work-safety-portal:datapackage:derived"


def _source_synthetic(catalog: Catalog, package: str, resource: str) -> bool:
    descriptor = catalog.resource(package, resource).descriptor
    if "synthetic" in descriptor:
        return bool(descriptor["synthetic"])
    return catalog.packages[package].synthetic


def resource_descriptor(catalog: Catalog, name: str, reference_date: date) -> dict:
    spec = RESOURCES[name]
    synthetic = any(_source_synthetic(catalog, p, r) for p, r in spec["derivedFrom"])
    title_en, description_en = spec["en"]
    description, description_en_full = spec["description"], description_en
    if synthetic:
        description = f"{description}{SYNTHETIC_NOTE_ZH}"
        description_en_full = f"{description_en} {SYNTHETIC_NOTE_EN}"
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
        "x-en": {"title": title_en, "description": description_en_full},
        "synthetic": synthetic,
        "x-derivedFrom": [{"package": p, "resource": r} for p, r in spec["derivedFrom"]],
        "schema": {"fields": copy.deepcopy(spec["fields"]),
                   "primaryKey": list(spec["primaryKey"])},
    }
    if any(f["name"] == "as_of" for f in spec["fields"]):
        descriptor["x-referenceDate"] = reference_date.isoformat()
    if spec.get("x-foreignKeys"):
        descriptor["x-foreignKeys"] = copy.deepcopy(spec["x-foreignKeys"])
    return descriptor


def _dedupe(items: list[dict], key: str) -> list[dict]:
    seen, out = set(), []
    for item in items:
        if item.get(key) not in seen:
            seen.add(item.get(key))
            out.append(copy.deepcopy(item))
    return out


def package_descriptor(catalog: Catalog, resources: list[dict], reference_date: date) -> dict:
    sources = sorted({p for spec in RESOURCES.values() for p, _ in spec["derivedFrom"]})
    packages = [catalog.packages[p] for p in sources]
    synthetic = any(r["synthetic"] for r in resources)
    # Fixed, never "now": the derived data is as new as the newest package it comes from.
    created = [p.descriptor["created"] for p in packages if p.descriptor.get("created")]
    description = ("由其他数据包计算得到的派生表：三项死亡率及与全省平均比较、"
                   "事故控制指标完成情况、"
                   "事故统计、指标进展状态、信用等级分布、标准化证书有效情况、隐患整改情况和"
                   "黑名单公示。每个比率都附有分子和分母，每张表都注明来源表（x-derivedFrom）。")
    description_en = ("Tables computed from the other packages: the three death rates against "
                      "the provincial average, control-target attainment, accident statistics, "
                      "indicator progress status, credit grade distribution, certificates in "
                      "force, hazard rectification and the public blacklist. Every rate comes "
                      "with its numerator and denominator; every table names the resources it "
                      "is derived from (x-derivedFrom).")
    if synthetic:
        description += "部分来源为合成数据：" + SYNTHETIC_NOTE_ZH
        description_en += " Some sources are synthetic data. " + SYNTHETIC_NOTE_EN
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": NAME,
        "id": ID,
        "title": "常州安全生产派生数据",
        "description": description,
        "x-en": {"title": "Changzhou work-safety derived data", "description": description_en},
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
        "keywords": ["安全生产", "常州", "死亡率", "进展状态", "黑名单", "派生数据",
                     "work safety", "Changzhou", "derived data"],
        "resources": resources,
    }
    if descriptor["created"] is None:  # no source says when it was made: say nothing either
        del descriptor["created"]
    return descriptor
