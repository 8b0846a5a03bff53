"""Page sources for the static site, rendered from the catalog with Jinja2.

``write_docs`` fills a fresh mkdocs ``docs_dir`` with the hand-written pages of ``site/``
and the generated ones, and returns the navigation; ``mkdocs_site`` turns that into a
site; ``downloads`` puts the package files beside their pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from markupsafe import escape

from pipeline.i18n import t
from pipeline.model import Catalog
from pipeline.pages.render import environment
from pipeline.pages.views import catalog_views

ROOT = Path(__file__).resolve().parents[2]
SITE_SOURCES = ROOT / "site"


def write_docs(catalog: Catalog, docs_dir: Path, *, lang: str = "zh",
               sources: Path = SITE_SOURCES, manifest=None) -> list:
    """Write every page source into ``docs_dir``; return the mkdocs ``nav``."""
    handwritten = sources / "docs"
    if handwritten.is_dir():
        shutil.copytree(handwritten, docs_dir, dirs_exist_ok=True)
    docs_dir.mkdir(parents=True, exist_ok=True)

    env = environment(lang)
    packages = catalog_views(catalog, lang, manifest)
    pages = {Path("index.md"): env.get_template("home.md.j2").render(packages=packages),
             Path("data/index.md"): env.get_template("catalog.md.j2").render(packages=packages)}
    package_template = env.get_template("package.md.j2")
    for p in packages:
        pages[Path(p.url) / "index.md"] = package_template.render(p=p)
    for relative, text in pages.items():
        target = docs_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    # mkdocs prints nav titles as HTML, so data in them is escaped here.
    catalog_section = ["data/index.md"] + [
        {str(escape(p.title)): f"{p.url}index.md"} for p in packages]
    nav = [{str(escape(t("nav.home", lang))): "index.md"},
           {str(escape(t("nav.catalog", lang))): catalog_section}]
    nav += sorted(str(path.relative_to(handwritten)) for path in handwritten.glob("*.md")
                  if path.name != "index.md") if handwritten.is_dir() else []
    return nav
