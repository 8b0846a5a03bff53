"""The derive stage: figures computed from the validated catalog, added as package `derived`.

``derive(catalog, reference_date=...)`` never reads data files: it takes the typed tables that
validation produced and adds a ``derived`` package whose every resource carries a full Table
Schema and names the resources it comes from (``x-derivedFrom``). The reference date is an
argument, not "today", so the same inputs and date always give the same tables.

The figures are steps (:mod:`pipeline.derive.steps`, one module each, found by discovery),
each declaring its inputs and outputs; every output has a JSON Table Schema
(:mod:`pipeline.derive.schemas`). A step runs when the catalog holds its own inputs, so a
catalog without one source package still gets every table that does not need it.
"""

from __future__ import annotations

from datetime import date

from pipeline.derive import schemas
from pipeline.derive.package import NAME, package_descriptor, resource_descriptor
from pipeline.derive.steps import Step, discover
from pipeline.i18n import both
from pipeline.model import Catalog, Package, Resource

# Tables that name an enterprise only while its listing is in force (DOMAIN 6), with the
# key of a listing (``x-identity`` of their schema): the export redacts older releases and
# keeps row keys out of changelogs, and the site check looks for keys no longer current.
IDENTITIES = {(NAME, name): schemas.spec(name)["x-identity"]
              for step in discover() for name in step.outputs
              if "x-identity" in schemas.spec(name)}

__all__ = ["IDENTITIES", "NAME", "derive", "derived_tables", "missing_sources", "runnable"]


def configured(config=None) -> tuple[Step, ...]:
    """The steps ``portal.yml`` turns on (``derived:``; every step found when it says
    nothing), in the order their tables are listed. A name that is no step is refused."""
    from pipeline.config import ConfigError

    config = _config(config)
    steps = discover()
    if config.derived is None:
        return steps
    known = {step.name for step in steps}
    unknown = [name for name in config.derived if name not in known]
    if unknown:
        raise ConfigError(both("config.unknown_step", step=", ".join(unknown), known=", ".join(sorted(known))))
    return tuple(step for step in steps if step.name in config.derived)


def missing_sources(catalog: Catalog, config=None) -> dict[str, list[str]]:
    """Step name → the inputs it needs that ``catalog`` does not hold (``package/resource``),
    for every configured step that cannot run; empty when every one can."""
    return {step.name: missing for step in configured(config) if (missing := step.missing(catalog))}


def runnable(catalog: Catalog, config=None) -> tuple[Step, ...]:
    """The configured steps whose inputs ``catalog`` holds, in the order their tables are listed."""
    return tuple(step for step in configured(config) if not step.missing(catalog))


def _run(catalog: Catalog, reference_date: date, config) -> list[tuple[Step, dict]]:
    steps = runnable(catalog, config)
    for step in steps:
        for package, resource in step.inputs:
            if not catalog.resource(package, resource).typed:
                raise ValueError(f"{package}/{resource} is not typed: validate the catalog first")
    done = []
    for step in steps:
        inputs = {(package, resource): catalog.table(package, resource)
                  for package, resource in step.inputs}
        tables = step.run(inputs, reference_date=reference_date, config=config)
        if set(tables) != set(step.outputs):
            raise ValueError(f"step {step.name} made {sorted(tables)}, "
                             f"declares {sorted(step.outputs)}")
        done.append((step, {name: schemas.conform(tables[name], name) for name in step.outputs}))
    return done


def _config(config):
    if config is None:
        from pipeline.config import current

        config = current()
    return config


def derived_tables(catalog: Catalog, *, reference_date: date, config=None) -> dict:
    """Every table the catalog's sources allow, conformed to its schema, keyed by resource
    name (``config``: the portal's configuration, default the one in force)."""
    return {name: table for _, tables in _run(catalog, reference_date, _config(config))
            for name, table in tables.items()}


def derive(catalog: Catalog, *, reference_date: date, config=None) -> Catalog:
    """Add (or replace) the ``derived`` package in ``catalog`` and return the catalog.

    The package holds the tables of every step whose inputs the catalog holds; when no step
    can run (a third-party package alone) there is no derived package.
    """
    config = _config(config)
    resources = {}
    for step, tables in _run(catalog, reference_date, config):
        for name, table in tables.items():
            resources[name] = Resource(
                package=NAME, name=name, path=None, table=table, typed=True,
                descriptor=resource_descriptor(catalog, name, reference_date,
                                               sources=step.inputs, config=config))
    if not resources:
        catalog.packages.pop(NAME, None)
        return catalog
    descriptor = package_descriptor(catalog, [r.descriptor for r in resources.values()],
                                    reference_date, config)
    catalog.packages[NAME] = Package(name=NAME, descriptor=descriptor, root=None,
                                     resources=resources, computed=True)
    return catalog
