"""The portal's configuration (``portal.yml``): policy that a data pull request cannot change.

What is withheld, which packages may be published and which domain checks run where (with
which parameters) are decided here, not in the descriptors a publisher edits: deleting ``"x-public": false`` from
a descriptor, or adding ``"x-public": true`` after it, must not publish the full blacklist.
A descriptor may only *add* a restriction (withhold a resource the configuration does not).
The file is owned by the portal's maintainers (``.github/CODEOWNERS``), read by this module
alone and validated against its JSON Schema (``config.schema.json``); an error names the key
path. YAML duplicate keys are refused: PyYAML would silently keep the last one, and a
reviewer reads the first.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from pipeline.i18n import both

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "portal.yml"
SCHEMA = Path(__file__).with_name("config.schema.json")


class ConfigError(Exception):
    """``portal.yml`` cannot be used; the message names the key path, in Chinese and English."""


@dataclass(frozen=True)
class Site:
    """The portal's identity (``site:``): every page, catalog and file name takes it from here."""

    name: dict[str, str]  # per language
    city_code: str  # GB/T 2260 code of the whole city: its row in every per-district table
    city_name: dict[str, str]
    publisher: dict[str, str]  # name per language
    email: str
    languages: tuple[str, ...]  # the first is the default edition
    sqlite: str  # file name (without suffix) of the database of every table
    base_url: str = "/"
    publisher_url: str | None = None
    # The public address for what leaves the site (citations, embed codes, exported charts);
    # None: base_url if absolute, else such addresses stay site-relative.
    canonical_url: str | None = None
    # code -> (column, row) of the district's tile on the schematic district map
    tile_map: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (prefixes, suffixes) people leave out of an enterprise's name when they type it
    name_affixes: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


@dataclass(frozen=True)
class Item:
    """A page per row of ``table`` (``package/resource``), at ``path`` filled from the row;
    only the rows whose fields equal every value of ``where`` (``(field, value)`` pairs);
    listed in the navigation under the section when ``nav``."""

    table: str
    path: str
    template: str
    where: tuple[tuple[str, str | int | bool], ...] = ()
    nav: bool = False


@dataclass(frozen=True)
class DistrictPart:
    """What a section adds to every district page: ``template`` rendered with the rows of
    ``table`` whose ``field`` is the district's code."""

    table: str
    field: str
    template: str


@dataclass(frozen=True)
class Section:
    """A section made of templates only (see :mod:`pipeline.pages.sections`)."""

    name: str
    title: dict[str, str]
    needs: tuple[str, ...]
    items: tuple[Item, ...] = ()
    districts: DistrictPart | None = None


@dataclass(frozen=True)
class CheckBinding:
    """One entry of ``checks:``: a domain check (:mod:`pipeline.validate.rules`), the
    ``package/resource`` patterns it runs on and its parameters."""

    check: str
    resources: tuple[str, ...]
    params: dict  # every key of the entry but check and resources
    path: str = ""  # "checks[3]": where it is written, for messages

    def binds(self, package: str, resource: str) -> bool:
        return any(fnmatch.fnmatchcase(f"{package}/{resource}", p) for p in self.resources)


DERIVED = "derived"  # the package the derive stage makes (pipeline.derive.package.NAME)
# "about" is no module: it starts the about-the-portal tab (pipeline.pages.write_docs)
BUILT_IN_SECTIONS = ("home", "indicators", "accidents", "credit", "plan", "districts", "catalog",
                     "about", "methodology", "benchmark")


@dataclass(frozen=True)
class Config:
    path: Path | None
    digest: str  # of the file's text: part of the build key (the policy decides what is published)
    site: Site
    rates: tuple[str, ...]  # indicator ids of the target death rates, in page order
    # rate id → numerator, denominator (columns of annual_outcomes), scale, decimals, unit:
    # the one definition of how each target rate is computed (derive, checks, generator)
    rate_formulas: dict[str, dict] = field(default_factory=dict)
    # navigation order: names of built-in sections (modules of pipeline.pages) and Sections
    sections: tuple[str | Section, ...] = BUILT_IN_SECTIONS
    packages: dict[str, frozenset[str]] = field(default_factory=dict)  # package → withheld resources
    checks: tuple[CheckBinding, ...] = ()  # the domain checks, in the order they run
    # the derived steps that run (pipeline/derive/steps), None: every one found
    derived: tuple[str, ...] | None = None
    # the benchmark's budgets (benchmark.budgets) and flat-across-tiers limits (spreads)
    budgets: tuple[dict, ...] = ()
    spreads: tuple[dict, ...] = ()

    def declared(self, package: str) -> bool:
        return package in self.packages

    def withheld(self, package: str, resource: str) -> bool:
        return resource in self.packages.get(package, frozenset())


# libyaml's parser when PyYAML was built with it (ten times faster: reading portal.yml was a
# tenth of a small validation's time), with the same safe constructors
class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(both("config.duplicate_key", name=key, line=key_node.start_mark.line + 1))
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _path(error) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path]
    return "".join(parts).lstrip(".") or "(root)"


def parse(text: str, path: Path | None = None) -> Config:
    # jsonschema-rs: Rust, imported in about a tenth of the time of the pure-Python
    # jsonschema (70 ms), which every command that reads the configuration paid at start
    import jsonschema_rs

    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError(both("config.yaml", detail=str(error).replace("\n", " "))) from error
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        # every problem at once (up to five), each with its key path: a fix-one-rerun loop
        # is slow for a maintainer editing the file
        detail = "; ".join(f"{_path(e)}: {e.message}" for e in errors[:5])
        raise ConfigError(both("config.invalid", path=_path(errors[0]), detail=detail))
    packages = {name: frozenset((spec or {}).get("withheld", [])) for name, spec in data["packages"].items()}
    formulas = {rate: dict(spec) for rate, spec in (data.get("indicators") or {}).get("rates", {}).items()}
    rates = tuple(formulas)
    for entry in data.get("checks") or []:
        # the rate check reads the formulas of indicators.rates unless given its own
        if entry.get("check") == "rate-mismatch" and "rates" not in entry:
            entry["rates"] = {rate: {k: spec[k] for k in ("numerator", "denominator", "scale", "decimals")}
                              for rate, spec in formulas.items()}
    checks = _checks(data.get("checks") or [], schema, packages, rates)
    spec = data["site"]
    site = Site(name=dict(spec["name"]), city_code=spec["city"]["code"], city_name=dict(spec["city"]["name"]),
                publisher=dict(spec["publisher"]["name"]), email=spec["publisher"]["email"],
                publisher_url=spec["publisher"].get("url"), languages=tuple(spec["languages"]),
                sqlite=spec["sqlite"], base_url=spec.get("base_url", "/"),
                canonical_url=spec.get("canonical_url"),
                tile_map={code: tuple(cell) for code, cell in (spec.get("tile_map") or {}).items()},
                name_affixes=tuple(tuple((spec.get("name_affixes") or {}).get(end, ()))
                                   for end in ("prefixes", "suffixes")))
    sections = tuple(_section(entry) for entry in data.get("sections", BUILT_IN_SECTIONS))
    names = [s if isinstance(s, str) else s.name for s in sections]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(both("config.section_repeated", name=", ".join(repeated)))
    for section in sections:
        refs = [] if isinstance(section, str) else [
            *section.needs, *(i.table for i in section.items),
            *([section.districts.table] if section.districts else [])]
        for ref in refs:  # a package of portal.yml, or the tables the pipeline derives
            if ref.split("/", 1)[0] not in packages and ref.split("/", 1)[0] != DERIVED:
                raise ConfigError(both("config.unknown_package", path=f"sections.{section.name}",
                                       package=ref.split("/", 1)[0]))
    return Config(path=path, digest=hashlib.sha256(text.encode("utf-8")).hexdigest(), site=site,
                  sections=sections,
                  rates=rates, rate_formulas=formulas, packages=packages, checks=checks,
                  derived=tuple(data["derived"]) if "derived" in data else None,
                  budgets=tuple((data.get("benchmark") or {}).get("budgets", ())),
                  spreads=tuple((data.get("benchmark") or {}).get("spreads", ())))


def _checks(entries: list, schema: dict, packages: dict, rates: tuple[str, ...]) -> tuple[CheckBinding, ...]:
    """The bindings of ``checks:`` (already valid against the schema), each pattern and role
    in a declared package; a rate of ``rate-mismatch`` is one of ``indicators.rates``."""
    roles = {name.removeprefix("check."): [p for p, spec in d["properties"].items()
                                            if spec is not True and spec.get("$ref") == "#/$defs/resource"]
             for name, d in schema["$defs"].items() if name.startswith("check.")}
    out = []
    for i, entry in enumerate(entries):
        binding = CheckBinding(check=entry["check"], resources=tuple(entry["resources"]),
                               params={k: v for k, v in entry.items() if k not in ("check", "resources")},
                               path=f"checks[{i}]")
        named = [(f"{binding.path}.resources", p) for p in binding.resources]
        named += [(f"{binding.path}.{r}", binding.params[r]) for r in roles[binding.check] if r in binding.params]
        for where, pattern in named:
            package = pattern.split("/", 1)[0]
            if package != "*" and package not in packages:
                raise ConfigError(both("config.unknown_package", path=where, package=package))
        for rate in binding.params.get("rates", {}) if binding.check == "rate-mismatch" else ():
            if rate not in rates:  # the rate columns are the target rates' ids
                raise ConfigError(both("config.check_unknown_rate", path=f"{binding.path}.rates.{rate}",
                                       rate=rate, rates=", ".join(rates)))
        out.append(binding)
    return tuple(out)


def _section(entry) -> str | Section:
    if isinstance(entry, str):
        return entry
    items = tuple(Item(table=item["table"], path=item["path"], template=item["template"],
                       where=tuple((item.get("where") or {}).items()), nav=item.get("nav", False))
                  for item in entry.get("items", []))
    part = entry.get("districts")
    return Section(name=entry["name"], title=dict(entry["title"]), needs=tuple(entry["needs"]),
                   items=items, districts=DistrictPart(**part) if part else None)


def apply(catalog, config: Config) -> None:
    """Withhold what the configuration withholds; refuse a package it does not declare.

    Raises :class:`ConfigError` for an undeclared package: publishing a new dataset is the
    maintainers' decision, made in ``portal.yml``, not a side effect of adding a folder.
    """
    undeclared = sorted(name for name in catalog.packages if not config.declared(name))
    if undeclared:
        raise ConfigError(both("config.undeclared", package=", ".join(undeclared)))
    for package in catalog.packages.values():
        for resource in package.resources.values():
            resource.withheld = config.withheld(package.name, resource.name)


def load_config(path: Path | None = None) -> Config:
    path = Path(path) if path is not None else DEFAULT
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(both("config.unreadable", path=path, detail=error.strerror or error)) from error
    config = _cached(str(path.resolve()), text)
    _check_beside(config, path.resolve().parent / "datapackages")
    return config


def _check_beside(config: Config, root: Path) -> None:
    """Refuse bindings of ``checks:`` that name a resource, field or role column the packages
    beside the configuration (the repository's ``datapackages/``) do not have: a misspelt
    name would otherwise check nothing. Other data folders get a warning in the report."""
    if not config.checks or not root.is_dir():
        return
    files = sorted(root.glob("*/datapackage.json"))
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    key = (config.digest, stamp)
    if key not in _BESIDE:
        _BESIDE[key] = _problems_beside(config, stamp)
    problems = _BESIDE[key]
    if problems:
        raise ConfigError(" ; ".join(problems[:5]))


_BESIDE: dict[tuple, list[str]] = {}


def _problems_beside(config: Config, stamp: tuple) -> list[str]:
    from pipeline.validate.rules import binding_problems

    schemas = {}
    for file, _, _ in stamp:
        try:
            descriptor = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # the loader reports it
        package = descriptor.get("name") if isinstance(descriptor, dict) else None
        for resource in descriptor.get("resources", []) if isinstance(package, str) else []:
            schema = resource.get("schema") if isinstance(resource, dict) else None
            if isinstance(schema, dict) and isinstance(resource.get("name"), str):
                schemas[package, resource["name"]] = [f.get("name") for f in schema.get("fields", [])
                                                      if isinstance(f, dict)]
    return binding_problems(config, schemas)


@cache
def _cached(path: str, text: str) -> Config:
    return parse(text, Path(path))


_current: list[Config] = []


def current() -> Config:
    """The configuration of the build (or command) in progress: what :func:`use` set, else
    ``portal.yml``. Constants that every stage needs (the city code, the rate ids, the site's
    names) are read from here, so that they are defined once and a ``--config`` file changes
    them everywhere."""
    return _current[-1] if _current else load_config()


@contextmanager
def use(config: Config):
    """Make ``config`` the :func:`current` one for the duration of a ``with`` block."""
    _current.append(config)
    try:
        yield config
    finally:
        _current.pop()
