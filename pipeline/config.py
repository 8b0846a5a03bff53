"""The portal's configuration (``portal.yml``): policy that a data pull request cannot change.

What is withheld, which packages may be published and which domain rules apply where are
decided here, not in the descriptors a publisher edits: deleting ``"x-public": false`` from
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


@dataclass(frozen=True)
class Item:
    """A page per row of ``table`` (``package/resource``), at ``path`` filled from the row."""

    table: str
    path: str
    template: str


@dataclass(frozen=True)
class Section:
    """A section made of templates only (see :mod:`pipeline.pages.sections`)."""

    name: str
    title: dict[str, str]
    needs: tuple[str, ...]
    items: tuple[Item, ...] = ()


BUILT_IN_SECTIONS = ("home", "indicators", "accidents", "investigations", "credit", "plan",
                     "districts", "catalog", "methodology", "benchmark")


@dataclass(frozen=True)
class Config:
    path: Path | None
    digest: str  # of the file's text: part of the build key (the policy decides what is published)
    site: Site
    rates: tuple[str, ...]  # indicator ids of the target death rates, in page order
    # navigation order: names of built-in sections (modules of pipeline.pages) and Sections
    sections: tuple[str | Section, ...] = BUILT_IN_SECTIONS
    packages: dict[str, frozenset[str]] = field(default_factory=dict)  # package → withheld resources
    rules: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule group → "package/resource" globs

    def declared(self, package: str) -> bool:
        return package in self.packages

    def withheld(self, package: str, resource: str) -> bool:
        return resource in self.packages.get(package, frozenset())

    def applies(self, group: str, package: str, resource: str) -> bool:
        """Whether the domain rule ``group`` checks ``package/resource``: only where bound,
        and only in declared packages (a third-party package gets the Table Schema checks)."""
        if not self.declared(package):
            return False
        return any(fnmatch.fnmatchcase(f"{package}/{resource}", scope) for scope in self.rules.get(group, ()))


class _UniqueKeyLoader(yaml.SafeLoader):
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
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "".join(parts).lstrip(".") or "(root)"


def parse(text: str, path: Path | None = None) -> Config:
    import jsonschema

    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError(both("config.yaml", detail=str(error).replace("\n", " "))) from error
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        # every problem at once (up to five), each with its key path: a fix-one-rerun loop
        # is slow for a maintainer editing the file
        detail = "; ".join(f"{_path(e)}: {e.message}" for e in errors[:5])
        raise ConfigError(both("config.invalid", path=_path(errors[0]), detail=detail))
    packages = {name: frozenset((spec or {}).get("withheld", [])) for name, spec in data["packages"].items()}
    rules = {group: tuple(scopes) for group, scopes in (data.get("rules") or {}).items()}
    for group, scopes in rules.items():
        for scope in scopes:
            package = scope.split("/", 1)[0]
            if package != "*" and package not in packages:
                raise ConfigError(both("config.unknown_package", path=f"rules.{group}", package=package))
    spec = data["site"]
    site = Site(name=dict(spec["name"]), city_code=spec["city"]["code"], city_name=dict(spec["city"]["name"]),
                publisher=dict(spec["publisher"]["name"]), email=spec["publisher"]["email"],
                publisher_url=spec["publisher"].get("url"), languages=tuple(spec["languages"]),
                sqlite=spec["sqlite"], base_url=spec.get("base_url", "/"))
    sections = tuple(_section(entry) for entry in data.get("sections", BUILT_IN_SECTIONS))
    names = [s if isinstance(s, str) else s.name for s in sections]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(both("config.section_repeated", name=", ".join(repeated)))
    for section in sections:
        for ref in ([] if isinstance(section, str) else [*section.needs, *(i.table for i in section.items)]):
            if ref.split("/", 1)[0] not in packages:
                raise ConfigError(both("config.unknown_package", path=f"sections.{section.name}",
                                       package=ref.split("/", 1)[0]))
    return Config(path=path, digest=hashlib.sha256(text.encode("utf-8")).hexdigest(), site=site,
                  sections=sections,
                  rates=tuple(data.get("indicators", {}).get("rates", ())), packages=packages, rules=rules)


def _section(entry) -> str | Section:
    if isinstance(entry, str):
        return entry
    return Section(name=entry["name"], title=dict(entry["title"]), needs=tuple(entry["needs"]),
                   items=tuple(Item(**item) for item in entry.get("items", [])))


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
    return _cached(str(path.resolve()), text)


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
