"""The mkdocs events through which the search is shaped (named by
``site/overrides/hooks/search.py``; the rules are in :mod:`pipeline.pages.search_index` and
:mod:`pipeline.pages.search_worker`).

The search plugin indexes a page in ``on_page_context``; hooks run after the plugins for
each event. So the plugin is given, in ``on_page_content``, the page without what the index
leaves out, and the page is given back whole in ``on_page_context``, once the plugin has
read it: what is published does not change.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

from pipeline.pages.search_index import (
    boost,
    compact,
    edition_language,
    for_index,
    synthetic_tag,
)
from pipeline.pages.search_worker import WORKERS, WorkerShapeError, corrected_copy

_builds: dict[int, dict] = {}  # per configuration: the worker's copy, the pages' HTML


def _search_enabled(config) -> bool:
    return any(name.endswith("search") for name in config["plugins"])


def on_config(config):
    if not _search_enabled(config):
        return config
    try:
        theme_name, copy_name, data = corrected_copy(config["theme"].dirs)
    except WorkerShapeError as error:
        raise PluginError(str(error)) from error
    _builds[id(config)] = {"worker": (theme_name, copy_name, data), "pages": {}}
    return config


def on_page_content(html, page, config, files):
    build = _builds.get(id(config))
    if build is None or (page.meta.get("search") or {}).get("exclude"):
        # A page the index leaves out (``search: exclude``, the thousands of item pages of
        # a section) is not read by the plugin: its text is not cut, nor is it tagged.
        return html
    lang = edition_language(config)
    indexed, note = for_index(html, lang)
    tag = synthetic_tag(page.meta, note, lang)
    if tag and not page.meta.get("tags"):
        page.meta["tags"] = [tag]
    search = page.meta.get("search") or {}
    weight = boost(page.url)
    if weight is not None and "boost" not in search:
        page.meta["search"] = {**search, "boost": weight}
    build["pages"][page.file.src_uri] = html
    return indexed


def on_page_context(context, page, config, nav):
    build = _builds.get(id(config))
    if build is not None and page.file.src_uri in build["pages"]:
        page.content = build["pages"].pop(page.file.src_uri)
    return context


def on_post_page(output, page, config):
    build = _builds.get(id(config))
    if build is None:
        return output
    theme_name, copy_name, _ = build["worker"]
    return output.replace(f'{WORKERS}/{theme_name}"', f'{WORKERS}/{copy_name}"')


def on_post_build(config):
    build = _builds.pop(id(config), None)
    if build is None:
        return
    theme_name, copy_name, data = build["worker"]
    workers = Path(config["site_dir"]) / WORKERS
    (workers / copy_name).write_bytes(data)
    for unused in (theme_name, theme_name + ".map"):
        (workers / unused).unlink(missing_ok=True)
    compact(config["site_dir"])
