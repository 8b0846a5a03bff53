"""Page sources for the static site, rendered from the catalog with Jinja2.

``write_docs`` fills a fresh mkdocs ``docs_dir`` with the hand-written pages of the
edition's language (``site/docs/<lang>/``, one file per language; the rest of ``site/docs``
is shared) and the pages of every section ``portal.yml`` lists (``sections:``: a module
here with ``write(ctx) -> nav entries``, see ``context``, or a section of templates, see
``sections``), and returns the navigation; ``mkdocs_site`` turns that into a site.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from markupsafe import escape

from pipeline.model import Catalog
from pipeline.pages.sources import SITE_SOURCES

ABOUT = "about"  # in portal.yml's sections: the about-the-portal tab starts here
ABOUT_PAGE = "about.md"  # the hand-written page that opens it


def write_docs(catalog: Catalog, docs_dir: Path, *, lang: str = "zh",
               sources: Path = SITE_SOURCES, manifest=None, reference_date=None,
               assets_dir: Path | None = None, reuse_dir: Path | None = None,
               apart: list | None = None) -> list:
    """Write every page source into ``docs_dir``; return the mkdocs ``nav``.

    Work a section does apart (``apart(ctx)`` in its module: the lookup index) starts
    before the pages, in a forked process (:class:`pipeline.forked.Apart`). Without an
    ``apart`` list it is waited for before this returns; with one, each job is added to
    it as it starts and the caller waits for it and stops it (also when this raises), so
    that it may go on while mkdocs runs: its files go to ``assets_dir``, which nothing
    reads until then.

    Files that only scripts fetch go to ``assets_dir`` when given (see
    ``SiteContext.publish``); the caller moves them into the built site. Those equal to
    their namesakes in ``reuse_dir`` (the site being replaced) are hard-linked from there.

    The hand-written pages of the edition are those of ``site/docs/<lang>/``; the other
    files of ``site/docs`` (scripts, stylesheets) are copied into every edition, and the
    folders of the other languages into none.
    """
    from pipeline.config import current
    from pipeline.i18n import LANGS, t
    from pipeline.pages.context import SiteContext
    from pipeline.pages.render import environment
    from pipeline.pages.sections import TemplateSection

    shared = sources / "docs"
    handwritten = shared / lang
    if shared.is_dir():
        shutil.copytree(shared, docs_dir, dirs_exist_ok=True,
                        ignore=lambda folder, names: [n for n in names if Path(folder) == shared
                                                      and n in LANGS])
    if handwritten.is_dir():
        shutil.copytree(handwritten, docs_dir, dirs_exist_ok=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    ctx = SiteContext(catalog=catalog, docs_dir=docs_dir, env=environment(lang), lang=lang,
                      manifest=manifest, reference_date=reference_date,
                      assets_dir=assets_dir, reuse_dir=reuse_dir)
    modules = {section: importlib.import_module(f"pipeline.pages.{section}")
               for section in current().sections if isinstance(section, str) and section != ABOUT}
    # Started first: the work apart runs on the other core while this one writes the pages.
    jobs = [] if apart is None else apart
    try:
        for module in modules.values():
            job = module.apart(ctx) if hasattr(module, "apart") else None
            if job is not None:
                jobs.append(job)
        nav, about = [], None
        for section in current().sections:  # portal.yml's order
            if section == ABOUT:  # the sections after it go into the about-the-portal tab
                about = []
            elif isinstance(section, str):
                (nav if about is None else about).extend(modules[section].write(ctx))
            else:
                (nav if about is None else about).extend(TemplateSection(section).write(ctx))
        if apart is None:
            for job in jobs:
                job.wait()
    finally:
        if apart is None:  # a page failed, or Ctrl-C: the work apart ends with this
            for job in jobs:
                job.stop()
    pages = sorted(str(path.relative_to(handwritten)) for path in handwritten.glob("*.md")
                   if path.name != "index.md") if handwritten.is_dir() else []
    if about is None:
        return nav + pages
    # 关于本站: the page about the portal first, then methodology, benchmark and the other
    # hand-written pages, so that the public sections stand alone in the tabs
    first = [p for p in pages if p == ABOUT_PAGE]
    tab = [*first, *about, *(p for p in pages if p != ABOUT_PAGE)]
    return nav + [{str(escape(t("nav.about", lang))): tab}] if tab else nav
