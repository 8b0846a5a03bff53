"""The data catalogue: an overview page, one page per data package and its validation report."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from pipeline.i18n import catalog, t
from pipeline.pages.views import catalog_views, format_label

# Portal-wide files the export writes, linked from the catalogue page (data/).
MACHINE_FILES = (("../data.json", "data.json", "pod"), ("catalog.jsonld", "data/catalog.jsonld", "dcat"),
                 ("releases.atom", "data/releases.atom", "atom"), ("manifest.json", None, "manifest"))


@dataclass
class Linked:
    label: str
    href: str
    size: int | None = None
    sha256: str | None = None


def _portal_files(manifest, lang: str) -> tuple[Linked | None, list[Linked]]:
    if manifest is None:
        return None, []
    sqlite = next((e for e in manifest.files if e.format == "sqlite"), None)
    sqlite_link = Linked(format_label("sqlite", lang), sqlite.path.removeprefix("data/"),
                         sqlite.bytes, sqlite.sha256) if sqlite else None
    sizes = {e.path: e.bytes for e in manifest.files}
    machine = [Linked(t(f"catalog.file.{key}", lang, name=href.rsplit("/", 1)[-1]), href,
                      sizes.get(path) if path else None)
               for href, path, key in MACHINE_FILES]
    return sqlite_link, machine


def write(ctx) -> list:
    packages = catalog_views(ctx.catalog, ctx.lang, ctx.manifest)
    sqlite, machine = _portal_files(ctx.manifest, ctx.lang)
    ctx.render("data/index.md", "catalog.md.j2", packages=packages, sqlite=sqlite, machine=machine)
    report = str(escape(t("validation.nav", ctx.lang)))
    section = ["data/index.md"]
    for p in packages:
        ctx.render(f"{p.url}index.md", "package.md.j2", p=p)
        # Not under data/<package>/: the export owns that folder (every sub-folder is a release).
        ctx.render(f"validation/{p.name}.md", "package_validation.md.j2", p=p)
        # mkdocs prints nav titles as HTML, so data in them is escaped here.
        section.append({str(escape(p.title)): [f"{p.url}index.md", {report: f"validation/{p.name}.md"}]})
    section += _withdrawn(ctx)
    # The redaction log is public whether or not anything was re-issued yet.
    entries = ctx.manifest.redactions if ctx.manifest is not None else []
    reasons = {key.removeprefix("redactions.reason.") for key in catalog(ctx.lang)
               if key.startswith("redactions.reason.")}
    ctx.render("redactions/index.md", "redactions.md.j2", entries=entries, reasons=reasons)
    section.append({str(escape(t("redactions.title", ctx.lang))): "redactions/index.md"})
    return [{str(escape(t("nav.catalog", ctx.lang))): section}]


def _withdrawn(ctx) -> list:
    """A page for each package no longer in the catalog, at the address its page had."""
    withdrawn = ctx.manifest.withdrawn if ctx.manifest is not None else []
    pages = []
    for entry in withdrawn:
        title = (entry.get("title") if ctx.lang == "zh" else (entry.get("x-en") or {}).get("title")) \
            or entry["name"]
        ctx.render(f"data/{entry['name']}/index.md", "package_withdrawn.md.j2", w={**entry, "title": title})
        pages.append({str(escape(title)): f"data/{entry['name']}/index.md"})
    return [{str(escape(t("withdrawn.nav", ctx.lang))): pages}] if pages else []
