"""The data catalogue: an overview page and one page per data package."""

from __future__ import annotations

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.views import catalog_views


def write(ctx) -> list:
    packages = catalog_views(ctx.catalog, ctx.lang, ctx.manifest)
    ctx.render("data/index.md", "catalog.md.j2", packages=packages)
    for p in packages:
        ctx.render(f"{p.url}index.md", "package.md.j2", p=p)
    # mkdocs prints nav titles as HTML, so data in them is escaped here.
    section = ["data/index.md"] + [{str(escape(p.title)): f"{p.url}index.md"} for p in packages]
    return [{str(escape(t("nav.catalog", ctx.lang))): section}]
