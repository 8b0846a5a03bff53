"""Plain view models for the templates: what a page shows, computed from the catalog.

Templates stay free of Data Package details (which key holds the English title, how a
foreign key is declared); every value here is still raw text, escaped only when rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from pipeline.i18n import t
from pipeline.model import Catalog, Package, Resource

_CONSTRAINT_ORDER = ("required", "unique", "minimum", "exclusiveMinimum", "maximum",
                     "exclusiveMaximum", "minLength", "maxLength")
_WEB = re.compile(r"^https?://", re.IGNORECASE)


def anchor(resource_name: str) -> str:
    """A stable HTML id for a resource heading (ids cannot come from Chinese titles)."""
    return "res-" + re.sub(r"[^a-z0-9_-]+", "-", resource_name.lower())


def package_url(name: str) -> str:
    """Where a package page lives, relative to the site root."""
    return f"data/{name}/"


def english(descriptor: dict, key: str) -> str | None:
    """The English ``title``/``description``: ``x-en`` first, then ``x-<key>-en``."""
    en = descriptor.get("x-en")
    if isinstance(en, dict) and en.get(key):
        return str(en[key])
    value = descriptor.get(f"x-{key}-en")
    return str(value) if value else None


@dataclass
class Link:
    text: str
    href: str | None = None  # only web links are made clickable; anything else stays text


@dataclass
class Constraint:
    text: str
    code: list[str] = field(default_factory=list)  # values shown verbatim in <code>
    href: str | None = None


@dataclass
class FieldView:
    name: str
    title: str
    type: str
    type_label: str
    constraints: list[Constraint]
    description: str


@dataclass
class ResourceView:
    name: str
    anchor: str
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    synthetic: bool
    rows: int | None
    csv_href: str
    csv_size: int | None
    csv_sha256: str | None
    primary_key: list[str]
    fields: list[FieldView]


@dataclass
class PackageView:
    name: str
    url: str
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    id: str | None
    version: str | None
    created: str | None
    licenses: list[Link]
    sources: list[Link]
    keywords: list[str]
    synthetic: str | None  # "all", "part" or None
    resources: list[ResourceView]


def _links(items) -> list[Link]:
    links = []
    for item in items or []:
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict):
            continue
        text = item.get("title") or item.get("name") or item.get("path") or ""
        path = item.get("path")
        href = path if isinstance(path, str) and _WEB.match(path) else None
        links.append(Link(str(text), href))
    return links


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _foreign_keys(resource: Resource) -> dict[str, tuple[str, str]]:
    """field name → (what it references, link to it), for same- and cross-package keys."""
    result = {}
    declared = [(fk, False) for fk in resource.schema.get("foreignKeys", []) or []]
    declared += [(fk, True) for fk in resource.descriptor.get("x-foreignKeys", []) or []]
    for fk, cross in declared:
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            continue
        ref = fk["reference"]
        package = str(ref.get("package") or resource.package) if cross else resource.package
        target = str(ref.get("resource") or resource.name)
        target_fields = _as_list(ref.get("fields"))
        label = f"{package}/{target}.{','.join(target_fields)}"
        href = (f"#{anchor(target)}" if package == resource.package
                else f"../{package}/#{anchor(target)}")
        for name in _as_list(fk.get("fields")):
            result[name] = (label, href)
    return result


def _constraints(spec: dict, is_key: bool, reference, lang: str) -> list[Constraint]:
    out = []
    if is_key:
        out.append(Constraint(t("constraint.primary_key", lang)))
    given = spec.get("constraints") or {}
    for key in _CONSTRAINT_ORDER:
        if key not in given:
            continue
        value = given[key]
        if key in ("required", "unique"):
            if value is True:
                out.append(Constraint(t(f"constraint.{key}", lang)))
        else:
            out.append(Constraint(t(f"constraint.{key}", lang, value=value)))
    if "pattern" in given:
        out.append(Constraint(t("constraint.pattern", lang), [str(given["pattern"])]))
    if "enum" in given:
        out.append(Constraint(t("constraint.enum", lang), _as_list(given["enum"])))
    if reference:
        label, href = reference
        out.append(Constraint(t("constraint.foreign_key", lang), [label], href))
    return out


def _texts(descriptor: dict, name: str) -> dict[str, str | None]:
    """Title and description in Chinese, with their English versions if given."""
    return {"title": str(descriptor.get("title") or name),
            "title_en": english(descriptor, "title"),
            "description": str(descriptor.get("description") or ""),
            "description_en": english(descriptor, "description")}


def _type_label(kind: str, lang: str) -> str:
    try:
        return t(f"type.{kind}", lang)
    except KeyError:  # a type this catalog has no word for is shown by its name
        return kind


def _latest_csv(manifest, resource: Resource):
    """The published canonical CSV of ``resource`` in its package's ``latest`` release."""
    if manifest is None:
        return None
    path = f"data/{resource.package}/latest/data/{resource.name}.csv"
    return next((entry for entry in manifest.files if entry.path == path), None)


def resource_view(resource: Resource, lang: str, manifest=None) -> ResourceView:
    d = resource.descriptor
    primary = _as_list(resource.schema.get("primaryKey"))
    refs = _foreign_keys(resource)
    fields = []
    for spec in resource.fields:
        name = str(spec.get("name", ""))
        kind = str(spec.get("type", "any"))
        fields.append(FieldView(
            name=name,
            title=str(spec.get("title") or ""),
            type=kind,
            type_label=_type_label(kind, lang),
            constraints=_constraints(spec, name in primary, refs.get(name), lang),
            description=str(spec.get("description") or ""),
        ))
    published = _latest_csv(manifest, resource)
    if published is not None:  # the page sits at data/<package>/, the release below it
        path, size, digest = f"latest/data/{resource.name}.csv", published.bytes, published.sha256
    else:
        path = str(d.get("path", f"data/{resource.name}.csv"))
        size = resource.path.stat().st_size if resource.path and resource.path.is_file() else None
        digest = None
    return ResourceView(
        name=resource.name,
        anchor=anchor(resource.name),
        **_texts(d, resource.name),
        synthetic=bool(d.get("synthetic")),
        rows=resource.table.num_rows if resource.table is not None else None,
        csv_href=quote(path, safe="/"),  # a path inside the package, never a scheme
        csv_size=size,
        csv_sha256=digest,
        primary_key=primary,
        fields=fields,
    )


def package_view(package: Package, lang: str, manifest=None) -> PackageView:
    d = package.descriptor
    resources = [resource_view(r, lang, manifest) for r in package.resources.values()]
    if package.synthetic or (resources and all(r.synthetic for r in resources)):
        synthetic = "all"
    elif any(r.synthetic for r in resources):
        synthetic = "part"
    else:
        synthetic = None
    return PackageView(
        name=package.name,
        url=package_url(package.name),
        **_texts(d, package.name),
        id=str(d["id"]) if d.get("id") else None,
        version=str(d["version"]) if d.get("version") else None,
        created=str(d["created"]) if d.get("created") else None,
        licenses=_links(d.get("licenses")),
        sources=_links(d.get("sources")),
        keywords=_as_list(d.get("keywords")),
        synthetic=synthetic,
        resources=resources,
    )


def catalog_views(catalog: Catalog, lang: str, manifest=None) -> list[PackageView]:
    return [package_view(catalog.packages[name], lang, manifest) for name in sorted(catalog.packages)]


def human_size(size: int | None, lang: str) -> str:
    if size is None:
        return ""
    if size < 1024:
        return t("size.bytes", lang, value=size)
    if size < 1024 * 1024:
        return t("size.kb", lang, value=f"{size / 1024:.1f}")
    return t("size.mb", lang, value=f"{size / 1024 / 1024:.1f}")

