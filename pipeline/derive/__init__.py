"""The derive stage: figures computed from the validated catalog, added as package `derived`.

``derive(catalog, reference_date=...)`` never reads files: it takes the typed tables that
validation produced and adds a ``derived`` package whose every resource carries a full Table
Schema and names the resources it comes from (``x-derivedFrom``). The reference date is an
argument, not "today", so the same inputs and date always give the same tables.
"""

from __future__ import annotations

from datetime import date

from pipeline.derive import accidents, blacklist, credit, hazards, progress, rates
from pipeline.derive.package import NAME, package_descriptor, resource_descriptor
from pipeline.derive.schemas import RESOURCES, conform
from pipeline.model import Catalog, Package, Resource

CITY_CODE = "320400"
# Tables that name an enterprise only while its listing is in force (DOMAIN 6), with the
# key of a listing: the export redacts older releases and keeps row keys out of changelogs,
# and the site check looks for keys that are no longer current.
IDENTITIES = {(NAME, "blacklist_public"): "listing_id"}

__all__ = ["CITY_CODE", "IDENTITIES", "NAME", "derive", "derived_tables", "missing_sources"]


def missing_sources(catalog: Catalog) -> list[str]:
    """The source resources the derived tables need that ``catalog`` does not hold."""
    needed = {src for spec in RESOURCES.values() for src in spec["derivedFrom"]}
    return sorted(f"{package}/{resource}" for package, resource in needed
                  if resource not in getattr(catalog.packages.get(package), "resources", {}))


def derived_tables(catalog: Catalog, *, reference_date: date) -> dict:
    """Every derived table, conformed to its schema, keyed by resource name."""
    for package, resource in {src for spec in RESOURCES.values()
                              for src in spec["derivedFrom"]}:
        if not catalog.resource(package, resource).typed:
            raise ValueError(f"{package}/{resource} is not typed: validate the catalog first")

    def t(package: str, resource: str):
        return catalog.table(package, resource)

    outcomes = t("accident-outcomes", "annual_outcomes")
    benchmarks = t("accident-outcomes", "provincial_benchmarks")
    targets = t("accident-outcomes", "control_targets")
    enterprises = t("enterprise-credit", "enterprises")
    hazard_rows = hazards.hazard_rectification(t("enterprise-credit", "hazards"),
                                               reference_date=reference_date)
    tables = {
        "rates": rates.rates(outcomes, benchmarks),
        "control_targets_attainment": rates.control_targets_attainment(outcomes, targets),
        "accident_statistics": accidents.accident_statistics(t("accident-outcomes", "accidents")),
        "progress_status": progress.progress_table(
            t("indicator-progress", "indicators"), t("indicator-progress", "observations"),
            benchmarks, targets, reference_date=reference_date, city_code=CITY_CODE),
        "credit_grade_distribution": credit.credit_grade_distribution(
            t("enterprise-credit", "credit_ratings"), enterprises,
            t("reference", "credit_grade_scheme")),
        "certificates_status": credit.certificates_status(
            t("enterprise-credit", "certificates"), enterprises, reference_date=reference_date),
        "hazard_rectification": hazard_rows,
        "hazard_summary": hazards.hazard_summary(hazard_rows, reference_date=reference_date),
        "blacklist_public": blacklist.blacklist_public(
            t("enterprise-credit", "blacklist"), enterprises, reference_date=reference_date),
        "blacklist_expired_counts": blacklist.blacklist_expired_counts(
            t("enterprise-credit", "blacklist"), enterprises, reference_date=reference_date),
    }
    return {name: conform(table, name) for name, table in tables.items()}


def derive(catalog: Catalog, *, reference_date: date) -> Catalog:
    """Add (or replace) the ``derived`` package in ``catalog`` and return the catalog."""
    tables = derived_tables(catalog, reference_date=reference_date)
    resources = {name: Resource(package=NAME, name=name, path=None, table=table, typed=True,
                                descriptor=resource_descriptor(catalog, name, reference_date))
                 for name, table in tables.items()}
    descriptor = package_descriptor(catalog, [r.descriptor for r in resources.values()],
                                    reference_date)
    catalog.packages[NAME] = Package(name=NAME, descriptor=descriptor, root=None,
                                     resources=resources, computed=True)
    return catalog
