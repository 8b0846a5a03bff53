"""The data catalogue: an overview page, and for every data package an overview, a page per
table and its validation report.

Every package gets the same pages from the generic templates (``package.md.j2``,
``table.md.j2``); a package or one of its tables can have its own by adding a template
named for it, ``package-<package>.md.j2`` or ``table-<package>.md.j2`` /
``table-<package>-<resource>.md.j2`` (the way Datasette looks for ``table-<db>-<table>.html``
before ``table.html``), in the portal's ``site/templates`` or beside the generic ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from pipeline.export.citation import citation
from pipeline.i18n import catalog, t
from pipeline.pages import release_pages
from pipeline.pages.views import Download, catalog_views, format_label, preview

# Rows of a table page's preview that are written into the HTML; the rest come from the
# table's JSON download when a reader asks for them.
PREVIEW_ROWS = 25
# A JSON download larger than this is not offered for reading in the browser (a phone
# would have to fetch and parse all of it); the files stay downloadable.
BROWSER_BYTES = 20 * 1024 * 1024

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
    for p in packages:
        p.citations.update(_reference_manager_citations(ctx, p.name))
    releases = ctx.manifest.releases if ctx.manifest is not None else []  # each has a page
    sqlite, machine = _portal_files(ctx.manifest, ctx.lang)
    ctx.render("data/index.md", "catalog.md.j2", packages=packages, sqlite=sqlite, machine=machine)
    report = str(escape(t("validation.nav", ctx.lang)))
    section = ["data/index.md"]
    for p in packages:
        _render_first(ctx, f"{p.url}index.md", [f"package-{p.name}.md.j2", "package.md.j2"], p=p,
                      folders={r.folder for r in releases if r.package == p.name})
        for r in p.resources:
            _table_page(ctx, p, r)
        # Not under data/<package>/: the export owns that folder (every sub-folder is a release).
        ctx.render(f"validation/{p.name}.md", "package_validation.md.j2", p=p)
        # mkdocs prints nav titles as HTML, so data in them is escaped here.
        section.append({str(escape(p.title)): [f"{p.url}index.md", {report: f"validation/{p.name}.md"}]})
    section += _withdrawn(ctx)
    # A page in every release folder (not in the navigation): what a citation's address opens.
    release_pages.write_release_pages(ctx)
    # The redaction log is public whether or not anything was re-issued yet.
    entries = ctx.manifest.redactions if ctx.manifest is not None else []
    reasons = {key.removeprefix("redactions.reason.") for key in catalog(ctx.lang)
               if key.startswith("redactions.reason.")}
    ctx.render("redactions/index.md", "redactions.md.j2", entries=entries, reasons=reasons)
    section.append({str(escape(t("redactions.title", ctx.lang))): "redactions/index.md"})
    return [{str(escape(t("nav.catalog", ctx.lang))): section}]


def _reference_manager_citations(ctx, package: str) -> dict[str, str]:
    """BibTeX and RIS of the package's release, in the edition's language, beside the
    GB/T 7714 and APA texts the export wrote into its README."""
    published = ctx.manifest.descriptors.get(package) if ctx.manifest is not None else None
    if not published:
        return {}
    return {style: citation(published, style, ctx.lang) for style in ("bibtex", "ris")}


def _render_first(ctx, relative: str, templates: list[str], **values) -> None:
    """Render the first of ``templates`` that exists (the most specific override first)."""
    ctx.write(relative, ctx.env.select_template(templates).render(**values))


def _table_page(ctx, p, r) -> None:
    """The page of table ``r`` of package ``p``, at ``data/<package>/tables/<resource>/``.

    Not at ``data/<package>/<resource>/``: a release folder is named by a version or
    ``latest``, and a table may be called either."""
    resource = ctx.catalog.packages[p.name].resources[r.name]
    shown = preview(resource, PREVIEW_ROWS) if r.withheld_for is None else None
    json_file = next((d for d in r.downloads if d.format == "json"), None)
    offered = json_file is not None and json_file.size <= BROWSER_BYTES
    # download hrefs are relative to the package page, two folders up
    downloads = [Download(**{**vars(d), "href": f"../../{d.href}"}) for d in r.downloads]
    # templates the script fills in ({first}…), so the catalog's text as it is
    labels = {key: catalog(ctx.lang)[f"table.js.{key}"] for key in ("loading", "failed", "none", "range")}
    _render_first(ctx, f"{p.url}tables/{r.name}.md",
                  [f"table-{p.name}-{r.name}.md.j2", f"table-{p.name}.md.j2", "table.md.j2"],
                  p=p, r=r, preview=shown, downloads=downloads, labels=labels, root="../../../../",
                  json_href=f"../../{json_file.href}" if offered else "",
                  json_bytes=json_file.size if offered else 0)


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
