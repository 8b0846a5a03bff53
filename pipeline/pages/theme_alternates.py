"""The theme's script bundle without its own handling of language alternates.

mkdocs-material reads every ``<link rel="alternate">`` of a page, fetches a ``sitemap.xml``
beside each address, and from then on takes every click on a link below an alternate's
address for a language switch: it sends the reader to that alternate instead of the link's
target. That was made for alternates naming each edition's home page. This site's alternates
name each page's own twin, as search engines ask, so the theme would fetch a ``sitemap.xml``
beside every page (a 404 each) and, on an English page, turn a click on a download below the
Chinese twin's folder (``data/<package>/latest/…``) into a visit to the Chinese page. The
portal's switch is a plain link and needs none of it, so the theme's handling is switched
off: its setup function returns at once.

The bundle is copied under a name of its own (``bundle.<digest>.min.js`` beside the theme's)
and the pages name the copy; the function is found by the shape of the minified code, and a
theme whose bundle does not have exactly that shape stops the build with a message rather
than publish pages whose download links lead elsewhere.

Used through the mkdocs hook ``site/overrides/hooks/editions.py``, which the build names
when the site has more than one edition (:func:`pipeline.pages.mkdocs_site.write_config`).
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

from pipeline.pages.theme_files import corrected_file, theme_file, without_source_map

SCRIPTS = "assets/javascripts"
THEME_BUNDLE = re.compile(r"bundle\.[0-9a-f]{8}\.min\.js")

# function ui({document$:e}){let t=new Map;e.pipe(b(()=>M("link[rel=alternate]")) …
_SETUP = re.compile(r"function \w+\(\{document\$:(?P<doc>\w+)\}\)\{(?=let \w+=new Map;(?P=doc)\.pipe\("
                    r"\w+\(\(\)=>\w+\(\"link\[rel=alternate\]\"\)\))")


class BundleShapeError(PluginError):
    """The installed theme's bundle is not the one this change was written for."""


def without_alternates(source: str) -> str:
    """The bundle's code with the setup of its alternate handling returning at once."""
    found = list(_SETUP.finditer(source))
    if len(found) != 1:
        raise BundleShapeError(
            f"主题的脚本中找到 {len(found)} 处处理语言替代链接的代码（应为 1 处）；请检查 "
            f"mkdocs-material 的版本 / the theme's bundle has {len(found)} places matching "
            f"{_SETUP.pattern!r} (expected 1): check the mkdocs-material version")
    end = found[0].end()
    return without_source_map(source[:end] + "return;" + source[end:])


def theme_bundle(theme_dirs) -> Path:
    """The theme's bundle among the theme's folders."""
    return theme_file(theme_dirs, SCRIPTS, THEME_BUNDLE, BundleShapeError(
        "主题中没有唯一的 bundle.*.min.js / the theme has no single bundle.*.min.js"))


def corrected_copy(theme_dirs) -> tuple[str, str, bytes]:
    """(the theme's bundle name, the copy's name, the copy's bytes)."""
    return corrected_file(theme_bundle(theme_dirs), without_alternates, "bundle")


_builds: dict[int, tuple[str, str, bytes]] = {}  # per configuration: the bundle's copy


def on_config(config):
    _builds[id(config)] = corrected_copy(config["theme"].dirs)
    return config


def _named(output: str, config) -> str:
    copy = _builds.get(id(config))
    if copy is None:
        return output
    theme_name, copy_name, _ = copy
    return output.replace(f'{SCRIPTS}/{theme_name}"', f'{SCRIPTS}/{copy_name}"')


def on_post_page(output, page, config):
    return _named(output, config)


def on_post_template(output_content, template_name, config):
    return _named(output_content, config)  # the 404 page


def on_post_build(config):
    copy = _builds.pop(id(config), None)
    if copy is None:
        return
    theme_name, copy_name, data = copy
    scripts = Path(config["site_dir"]) / SCRIPTS
    (scripts / copy_name).write_bytes(data)
    for unused in (theme_name, theme_name + ".map"):
        (scripts / unused).unlink(missing_ok=True)
