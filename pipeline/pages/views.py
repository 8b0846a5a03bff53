"""Plain view models for the templates: what a page shows, computed from the catalog.

Templates stay free of Data Package details (which key holds the English title, how a
foreign key is declared); every value here is still raw text, escaped only when rendered.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from pipeline.export.formats import CSV, ZIP
from pipeline.export.metadata import licence_title, publisher
from pipeline.export.releases import latest_path
from pipeline.i18n import t, unit_of
from pipeline.model import Catalog, Package, Resource
from pipeline.pages.dates import data_updated, release_record

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
    unit: str = ""  # in the page's language, from the field's x-unit


@dataclass
class Download:
    """One published file: where it is (relative to the page that links it), its size and hash."""
    format: str
    label: str
    href: str
    path: str  # under the site root, as in the manifest
    size: int
    sha256: str


@dataclass
class Preview:
    columns: list[str]
    rows: list[list[str]]  # cells as text ("" for null); escaped when rendered
    total: int


@dataclass
class Check:
    """One check the validator applied to a resource, for the validation report."""
    text: str
    fields: list[str] = field(default_factory=list)


@dataclass
class ResourceView:
    name: str
    anchor: str
    title: str
    description: str
    synthetic: bool
    rows: int | None
    csv_href: str
    csv_size: int | None
    csv_sha256: str | None
    primary_key: list[str]
    fields: list[FieldView]
    downloads: list[Download] = field(default_factory=list)
    withheld_for: list[str] | None = None  # not published row by row; its public forms
    checks: list[Check] = field(default_factory=list)


@dataclass
class Release:
    version: str
    released: str
    data_updated: str | None
    metadata_updated: str | None
    data_changed: bool
    metadata_changes: list[str]
    resources: list[tuple[str, str, int | None, int | None]]  # name, status, rows before, after


@dataclass
class PackageView:
    name: str
    url: str
    title: str
    description: str
    id: str | None
    version: str | None
    created: str | None
    licenses: list[Link]
    sources: list[Link]
    keywords: list[str]
    synthetic: str | None  # "all", "part" or None
    resources: list[ResourceView]
    publisher: str = ""
    temporal: str | None = None
    spatial: str | None = None
    released: str | None = None
    data_updated: str | None = None
    metadata_updated: str | None = None
    archive: Download | None = None
    descriptor_href: str = ""  # relative to the package page
    citations: dict[str, str] = field(default_factory=dict)
    changelog: list[Release] = field(default_factory=list)
    jsonld: str | None = None  # the schema.org Dataset as JSON text (escaped by the theme)


def _links(items, lang: str = "zh") -> list[Link]:
    links = []
    for item in items or []:
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict):
            continue
        text = ((english(item, "title") if lang == "en" else None)
                or item.get("title") or item.get("name") or item.get("path") or "")
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


def _texts(descriptor: dict, name: str, lang: str) -> dict[str, str]:
    """Title and description in the page's language: the descriptor's own (Chinese) ones in
    the Chinese edition, its ``x-en`` ones in the English edition, the Chinese only where no
    English is given. Neither edition shows the other's texts: it is one switch away."""
    zh = {"title": str(descriptor.get("title") or name),
          "description": str(descriptor.get("description") or "")}
    if lang == "en":
        return {key: english(descriptor, key) or zh[key] for key in zh}
    return zh


def _type_label(kind: str, lang: str) -> str:
    try:
        return t(f"type.{kind}", lang)
    except KeyError:  # a type this catalog has no word for is shown by its name
        return kind


def _latest_csv(manifest, resource: Resource):
    """The published canonical CSV of ``resource`` in its package's ``latest`` release."""
    return None if manifest is None else manifest.latest(resource.package, resource.name, CSV.key)


# Order in which a resource's files are offered: the canonical CSV first.
FORMAT_ORDER = ("csv", "csv-excel", "xlsx", "parquet", "json")


def format_label(key: str, lang: str) -> str:
    try:
        return t(f"download.format.{key}", lang)
    except KeyError:  # a format this catalog has no word for is shown by its key
        return key


def _download(entry, base: str, lang: str) -> Download:
    return Download(format=entry.format, label=format_label(entry.format, lang),
                    href=quote(entry.path.removeprefix(base), safe="/"), path=entry.path,
                    size=entry.bytes, sha256=entry.sha256)


def resource_downloads(manifest, package: str, resource: str, lang: str) -> list[Download]:
    """Every format of ``resource`` in the ``latest`` release, linked from its package page."""
    if manifest is None:
        return []
    entries = [manifest.latest(package, resource, key) for key in FORMAT_ORDER]
    return [_download(entry, package_url(package), lang) for entry in entries if entry is not None]


def cell_text(value) -> str:
    """A cell as the CSV download writes it: ISO dates, true/false, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def preview(resource: Resource, rows: int) -> Preview | None:
    table = resource.table
    if table is None:
        return None
    primary = _as_list(resource.schema.get("primaryKey"))
    if primary and all(k in table.column_names for k in primary):
        table = table.sort_by([(k, "ascending") for k in primary])  # the order of the downloads
    head = table.slice(0, rows).to_pylist()
    return Preview(columns=list(table.column_names),
                   rows=[[cell_text(row[c]) for c in table.column_names] for row in head],
                   total=table.num_rows)


def checks(resource: Resource, lang: str) -> list[Check]:
    """What the validator checked in ``resource``, read from its schema (the same schema
    the validator read): header, types, each kind of constraint, keys."""
    fields = resource.fields
    names = [str(f.get("name", "")) for f in fields]
    out = [Check(t("check.header", lang, count=len(names))),
           Check(t("check.types", lang, count=len(names)))]
    for key in ("required", "unique", "pattern", "enum", "minimum", "maximum",
                "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"):
        having = [str(f.get("name")) for f in fields
                  if key in (f.get("constraints") or {}) and (f["constraints"][key] is not False)]
        if having:
            out.append(Check(t(f"check.constraint.{key}", lang), having))
    primary = _as_list(resource.schema.get("primaryKey"))
    if primary:
        out.append(Check(t("check.primary_key", lang), primary))
    for name, (label, _href) in sorted(_foreign_keys(resource).items()):
        out.append(Check(t("check.foreign_key", lang, reference=label), [name]))
    if resource.descriptor.get("bytes") is not None or resource.descriptor.get("hash"):
        out.append(Check(t("check.stats", lang)))
    return out


def release_history(changelog: dict | None) -> list[Release]:
    out = []
    for entry in (changelog or {}).get("releases", []):
        resources = []
        for name, diff in sorted((entry.get("resources") or {}).items()):
            rows = diff.get("rows") or {}
            resources.append((name, str(diff.get("status", "")), rows.get("before"), rows.get("after")))
        out.append(Release(version=str(entry.get("version", "")), released=str(entry.get("released", "")),
                           data_updated=entry.get("data_updated"), metadata_updated=entry.get("metadata_updated"),
                           data_changed=bool(entry.get("data_changed")),
                           metadata_changes=[str(c) for c in entry.get("metadata_changes") or []],
                           resources=resources))
    return out


def _place(dataset: dict, lang: str) -> str | None:
    place = dataset.get("spatialCoverage")
    if isinstance(place, dict):
        name = place.get("alternateName") if lang == "en" and place.get("alternateName") else place.get("name")
        code = place.get("identifier")
        return f"{name}（{code}）" if name and code and lang == "zh" else (f"{name} ({code})" if name and code else name)
    return str(place) if place else None


def resource_view(resource: Resource, lang: str, manifest=None) -> ResourceView:
    d = resource.descriptor
    primary = _as_list(resource.schema.get("primaryKey"))
    refs = _foreign_keys(resource)
    fields = []
    for spec in resource.fields:
        name = str(spec.get("name", ""))
        kind = str(spec.get("type", "any"))
        # the English edition names a column by its English title (x-en), where there is one
        texts = _texts(spec, name, lang)
        fields.append(FieldView(
            name=name,
            title=texts["title"],
            type=kind,
            type_label=_type_label(kind, lang),
            constraints=_constraints(spec, name in primary, refs.get(name), lang),
            description=texts["description"],
            unit=unit_of(spec, lang),
        ))
    published = _latest_csv(manifest, resource)
    if published is not None:  # the page sits at data/<package>/, the release below it
        path = published.path.removeprefix(package_url(resource.package))
        size, digest = published.bytes, published.sha256
    else:
        path = str(d.get("path", f"data/{resource.name}.csv"))
        size = resource.path.stat().st_size if resource.path and resource.path.is_file() else None
        digest = None
    return ResourceView(
        name=resource.name,
        anchor=anchor(resource.name),
        **_texts(d, resource.name, lang),
        synthetic=bool(d.get("synthetic")),
        rows=resource.table.num_rows if resource.table is not None else None,
        csv_href=quote(path, safe="/"),  # a path inside the package, never a scheme
        csv_size=size,
        csv_sha256=digest,
        primary_key=primary,
        fields=fields,
        # a withheld table (x-public: false) shows its dictionary, never its rows
        downloads=resource_downloads(manifest, resource.package, resource.name, lang)
        if resource.public else [],
        checks=checks(resource, lang),
        withheld_for=None if resource.public else _as_list(d.get("x-publishedAs")),
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
    extra = {}
    if manifest is not None and package.name in manifest.descriptors:
        release = release_record(manifest, package.name)
        dataset = manifest.datasets.get(package.name) or {}
        archive = manifest.latest(package.name, None, ZIP.key)
        extra = {
            "released": release.get("released"), "data_updated": data_updated(manifest, package.name),
            "metadata_updated": release.get("metadata_updated"),
            "temporal": str(dataset["temporalCoverage"]) if dataset.get("temporalCoverage") else None,
            "spatial": _place(dataset, lang),
            "archive": _download(archive, package_url(package.name), lang) if archive else None,
            "citations": dict(manifest.citations.get(package.name) or {}),
            "changelog": release_history(manifest.changelogs.get(package.name)),
            "jsonld": json.dumps(dataset, ensure_ascii=False, sort_keys=True) if dataset else None,
        }
    return PackageView(
        name=package.name,
        url=package_url(package.name),
        **_texts(d, package.name, lang),
        id=str(d["id"]) if d.get("id") else None,
        version=str(d["version"]) if d.get("version") else None,
        created=str(d["created"]) if d.get("created") else None,
        licenses=_links([{"title": licence_title(x, lang), "path": x.get("path")}
                         for x in d.get("licenses") or [] if isinstance(x, dict)], lang),
        sources=_links(d.get("sources"), lang),
        keywords=_as_list(d.get("keywords")),
        synthetic=synthetic,
        resources=resources,
        publisher=publisher(d, lang),
        descriptor_href=_descriptor_href(manifest, package.name),
        **extra,
    )


def _descriptor_href(manifest, package: str) -> str:
    """The published ``datapackage.json`` of the latest release, relative to the package page
    (where the export puts it when the pages are rendered without an export)."""
    entry = manifest.latest(package, None, "datapackage") if manifest is not None else None
    path = entry.path if entry is not None else latest_path(package, None, "datapackage")
    return quote(path.removeprefix(package_url(package)), safe="/")


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



# The synthetic-data banner is drawn by the theme (site/overrides/main.html) for every page
# whose front matter says ``synthetic: all`` or ``synthetic: part``. Theme templates cannot
# reach the message catalogs, so its text is this function's output, committed as a partial
# and compared with the catalogs by a test; regenerate with ``python -m pipeline.pages.views``.
BANNER_PARTIAL = "partials/synthetic-banner.html"


def synthetic_banner_partial() -> str:
    from markupsafe import escape

    from pipeline.i18n import LANGS

    def text(lang: str, key: str) -> str:
        # escaped for HTML, and braces as references so Jinja cannot read them as syntax
        return str(escape(t(key, lang))).replace("{", "&#123;").replace("}", "&#125;")

    out = ["{#- Generated from pipeline/i18n by python -m pipeline.pages.views: do not edit. -#}"]
    for i, lang in enumerate(LANGS):
        keyword = "if" if i == 0 else "elif"
        condition = f'config.theme.language == "{lang}"' if i < len(LANGS) - 1 else ""
        out.append(f"{{% {keyword} {condition} %}}" if condition else "{% else %}")
        out.append(f'<div class="admonition warning portal-synthetic-banner" role="note" lang="{lang}">')
        out.append(f'<p class="admonition-title">{text(lang, "banner.synthetic_title")}</p>')
        out.append('{% if page.meta.synthetic == "part" %}'
                   f'<p>{text(lang, "banner.synthetic_part")}</p>'
                   f'{{% else %}}<p>{text(lang, "banner.synthetic_all")}</p>{{% endif %}}')
        out.append("</div>")
    out.append("{% endif %}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "site" / "overrides" / BANNER_PARTIAL
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(synthetic_banner_partial(), encoding="utf-8")
