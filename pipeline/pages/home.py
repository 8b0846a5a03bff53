"""The home page."""

from __future__ import annotations

from markupsafe import escape

from pipeline.i18n import t
from pipeline.pages.views import catalog_views


def write(ctx) -> list:
    packages = catalog_views(ctx.catalog, ctx.lang, ctx.manifest)
    ctx.render("index.md", "home.md.j2", packages=packages)
    return [{str(escape(t("nav.home", ctx.lang))): "index.md"}]
