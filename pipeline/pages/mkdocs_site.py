"""Run mkdocs-material on a work folder, with a config generated from the root mkdocs.yml.

The root ``mkdocs.yml`` is the configuration people read and edit; the build copies it
into the work folder, pointing it at the generated ``docs_dir`` and adding what only the
data can tell (the navigation), the site's name from the portal's configuration
(``site.name`` of ``portal.yml``, in the edition's language), the interface text of the
message catalog, and the edition's language: the theme's (``<html lang>``), the search
index's (word stems for English, jieba's segmentation for Chinese) and where the other
editions are (the language switch and the ``hreflang`` alternates, see
``site/overrides/partials/alternate.html``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import jieba
import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.plugins import BasePlugin
from mkdocs.utils.meta import get_data

from pipeline.config import ROOT, current
from pipeline.editions import languages, prefix
from pipeline.i18n import t
from pipeline.pages.sources import SITE_SOURCES

CONFIG = ROOT / "mkdocs.yml"


def write_config(work: Path, nav: list, *, lang: str = "zh", sources: Path = SITE_SOURCES,
                 config: Path = CONFIG, unlisted: list[str] | tuple[str, ...] = ()) -> Path:
    """Write ``work/mkdocs.yml`` for the docs in ``work/docs``; copy the theme overrides.

    ``unlisted`` are more ``not_in_nav`` patterns (the item pages of the template sections,
    :func:`pipeline.pages.sections.item_patterns`)."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    names = current().site.name
    settings["site_name"] = names.get(lang) or names[current().site.languages[0]]
    settings["docs_dir"] = "docs"
    settings["nav"] = nav
    # item pages of the template sections (a page per row) are listed on their section's page
    settings["not_in_nav"] = (settings.get("not_in_nav") or "") + "".join(
        f"/{pattern}\n" for pattern in unlisted)
    settings["site_description"] = t("site.description", lang)
    settings["copyright"] = str(t("site.copyright", lang))
    theme = settings.setdefault("theme", {})
    theme["language"] = lang
    _search_in(settings, lang)
    _editions(settings, lang)
    overrides = sources / "overrides"
    if overrides.is_dir():
        shutil.copytree(overrides, work / "overrides", dirs_exist_ok=True)
        theme["custom_dir"] = "overrides"
    else:
        theme.pop("custom_dir", None)
    path = work / "mkdocs.yml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


# The search functions each edition's index keeps (lunr's), where the theme's default for the
# language is not wanted: for English the theme keeps the stop-word filter alone, so "rates"
# would not find "rate"; lunr's English stemmer is put back (for the words indexed and those
# searched for alike).
SEARCH_PIPELINE = {"en": ["trimmer", "stopWordFilter", "stemmer"]}


def _search_in(settings: dict, lang: str) -> None:
    """Each edition gets its own index, in its own language: ``lang: en`` with word stems,
    ``lang: zh`` with Chinese segmented by jieba."""
    plugins = settings.get("plugins") or []
    for index, plugin in enumerate(plugins):
        if plugin == "search" or (isinstance(plugin, dict) and "search" in plugin):
            options = dict((plugin.get("search") if isinstance(plugin, dict) else None) or {})
            options["lang"] = lang
            if lang in SEARCH_PIPELINE:
                options["pipeline"] = SEARCH_PIPELINE[lang]
            plugins[index] = {"search": options}


def _editions(settings: dict, lang: str) -> None:
    """Where this page's twin in every edition is, for the theme's templates.

    ``extra.editions`` lists every edition (this one too) with its language, its name in its
    own language and the path from this edition's root to that edition's root. With more than
    one edition ``extra.alternate`` is set to true: the theme then draws its language selector
    (``partials/alternate.html``, overridden by the switch that leads to the same page);
    a list there would also make the theme write alternates to each edition's home page,
    while each page's alternates must name its own twin (``main.html`` writes them). The
    theme's script would take those for links to edition homes and claim every link below
    them: the hook ``overrides/hooks/editions.py`` switches that off
    (:mod:`pipeline.pages.theme_alternates`).
    """
    langs = languages()
    up = "../" * prefix(lang, langs).count("/")
    extra = settings.setdefault("extra", {})
    extra["editions"] = [{"lang": other, "name": t("language.name", other),
                          "path": "" if other == lang else up + prefix(other, langs)}
                         for other in langs]
    if len(langs) > 1:
        extra["alternate"] = True
        # the theme's script would take the pages' alternates for links to edition homes
        settings["hooks"] = [*(settings.get("hooks") or []), "overrides/hooks/editions.py"]
    else:
        extra.pop("alternate", None)


@contextlib.contextmanager
def _source_date(day: date | None):
    """Pin the build date mkdocs writes (sitemap, gzip header) so equal inputs give equal bytes."""
    if day is None or "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


class SiteError(Exception):
    """mkdocs refused the site (in strict mode, any warning does)."""


@contextlib.contextmanager
def _warnings_to_stderr():
    """Show mkdocs' warnings: strict mode counts them, and a count alone says nothing."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("mkdocs %(levelname)s: %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def run_mkdocs(config_file: Path, site_dir: Path, *, build_date: date | None = None,
               store: Path | None = None, code: str = "") -> int:
    """Build the site into ``site_dir``; any mkdocs warning fails the build (strict).

    With a ``store`` folder (the build cache's), the pages that are neither in the
    navigation nor in the search index (the thousands of report pages) are kept there as
    mkdocs wrote them, and a later build takes a page from there instead of rendering it
    when nothing it is made of changed (:class:`_StoredPages`); ``code`` is the digest of
    the code and libraries (:func:`pipeline.cache.code_digest`). Returns how many pages
    were taken from the store."""
    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not news
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=True)
        stored = None
        if store is not None:
            dated = _dated(config["theme"].dirs)
            stored = _StoredPages(Path(store), _shell(config_file, code, build_date if dated else None))
            config.plugins["portal-stored-pages"] = stored  # after the hooks: it sees their output
        with _source_date(build_date), _warnings_to_stderr():
            mkdocs_build(config)
    except MkDocsException as error:
        raise SiteError(str(error)) from error
    return len(stored.taken) if stored is not None else 0


def _dated(theme_dirs: list[str]) -> bool:
    """Whether a template of the theme can write the build date (mkdocs offers it to every
    template as ``build_date_utc``); none does today, so a week later the pages of unchanged
    sources are the same bytes. The templates are read on every build: one that starts
    writing the date puts the date into the pages' key from then on."""
    return any("build_date" in path.read_text(encoding="utf-8", errors="replace")
               for folder in theme_dirs for path in Path(folder).rglob("*.html"))


def _shell(config_file: Path, code: str, build_date: date | None) -> bytes:
    """What every page is made of besides its own source: the generated configuration (the
    navigation, the site's name, the editions, the theme's options), the code, the theme and
    the libraries (``code``), and the build date if a template can write it."""
    return hashlib.sha256(b"\0".join([Path(config_file).read_bytes(), code.encode(),
                                       str(build_date).encode()])).digest()


class _StoredPages(BasePlugin):
    """Pages taken from a store instead of rendered, when their source and the shell are
    the bytes they were rendered from.

    Only pages outside the navigation and the search index qualify: such a page's HTML is
    a function of its own source and of the shell (:func:`_shell`) alone, while a page in
    the navigation appears in its neighbours' footers and one in the index feeds the
    search plugin, which must see every indexed page rendered. A page taken from the store
    is left out of the files mkdocs renders and copied into the site after the build; the
    site check then checks it like any other page. Entries this build neither took nor
    wrote are removed at its end, so the store holds one build's pages."""

    def __init__(self, store: Path, shell: bytes):
        super().__init__()
        self.store, self.shell = store, shell
        self.taken: dict[str, Path] = {}  # destination in the site → stored page
        self.keys: dict[str, str] = {}  # source of a page rendered now → its key

    def _key(self, file, content: bytes) -> str:
        return hashlib.sha256(self.shell + file.src_uri.encode() + b"\0" + content).hexdigest()

    def _path(self, key: str) -> Path:
        return self.store / key[:2] / f"{key}.html"

    def on_files(self, files, config):
        for file in list(files.documentation_pages()):
            if not file.inclusion.is_not_in_nav():
                continue
            content = file.content_bytes  # read once: for the front matter and the key
            _, meta = get_data(content.decode("utf-8-sig"))
            if not (meta.get("search") or {}).get("exclude"):
                continue
            key = self._key(file, content)
            if self._path(key).is_file():
                files.remove(file)
                self.taken[file.dest_uri] = self._path(key)
            else:
                self.keys[file.src_uri] = key
        return files

    def on_post_page(self, output, page, config):
        key = self.keys.get(page.file.src_uri)
        if key is not None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            work = path.with_name(f".{path.name}.{os.getpid()}")
            work.write_text(output, encoding="utf-8")
            work.replace(path)  # whole or not at all
        return output

    def on_post_build(self, config):
        site = Path(config["site_dir"])
        for destination, stored in self.taken.items():
            target = site / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stored, target)
        kept = set(self.taken.values()) | {self._path(key) for key in self.keys.values()}
        for entry in self.store.glob("*/*.html"):
            if entry not in kept:
                entry.unlink(missing_ok=True)
