"""The stages in order, ending in an atomic swap of the published folder.

Everything is built in fresh folders beside ``out``; ``out`` is replaced only after every
stage succeeded, so invalid data or a failing build leaves the last good site untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pipeline.cache import (
    BuildLog,
    build_key,
    code_digest,
    export_writers,
    record_key,
    up_to_date,
)
from pipeline.config import Config, load_config, use
from pipeline.config import apply as apply_policy
from pipeline.derive import IDENTITIES, NAME, derive
from pipeline.early_scan import scanning
from pipeline.editions import editions_key, prefix
from pipeline.export import export
from pipeline.exposure import LISTINGS, hidden_ids, withheld_signatures
from pipeline.forked import ApartFailed
from pipeline.i18n import both
from pipeline.limits import DEFAULT_MAX_BYTES
from pipeline.load import LoadError, load_catalog
from pipeline.memory import release_freed
from pipeline.model import Catalog
from pipeline.outdir import check_cache, check_out, mark
from pipeline.pages import write_docs
from pipeline.pages.csp import add_csp
from pipeline.pages.editions import link_shared, write_site_map
from pipeline.pages.mkdocs_site import SiteError, run_mkdocs, write_config
from pipeline.pages.sections import item_patterns
from pipeline.sitecheck import SiteCheckError, check_site
from pipeline.validate import report_from_load_error, validate_catalog


class InvalidData(Exception):
    """Loading or validation failed; ``report`` says where. Nothing was written."""

    def __init__(self, report):
        super().__init__("invalid data")
        self.report = report


class BuildLocked(Exception):
    """Another build is writing into the same output folder; this one changed nothing."""

    def __init__(self, out: Path, holder: str):
        super().__init__(f"{out}: {holder}")
        self.out = out
        self.holder = holder  # what the other build wrote into the lock file (its process id)


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) stopped the build; raised like Ctrl-C so every cleanup runs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def build(data: Path, out: Path, *, reference_date: date | None = None,
          previous: Path | None = None,
          cache: Path | None = None, config: Config | None = None,
          max_bytes: int = DEFAULT_MAX_BYTES) -> BuildLog:
    """load → validate → derive → export → pages → site, then swap the site into ``out``.

    The site has one edition per language of the configuration (``site.languages``): the
    first at the root of ``out``, each other in a folder named for its language (``en/``),
    every page at the same path in each (:mod:`pipeline.editions`). The downloads are
    exported once, at the root, and every edition's pages link there.

    Raises :class:`InvalidData` (carrying the report) when loading or validation fails,
    ``SiteError`` when mkdocs refuses the site, ``LoadError`` for usage errors (no such
    folder; an ``out`` the build does not own, see :func:`pipeline.outdir.check_out`,
    refused before anything is written); ``out`` is untouched in every case.
    ``reference_date`` is the day the build speaks for (which blacklist listings are still
    active, which certificates current); it
    defaults to today, and passing it makes the whole output reproducible. ``previous`` is the
    site the public sees now (base of the changelog, source of older releases); it defaults to
    ``out`` itself, and CI passes the deployed site it fetched.

    Before the swap the finished site is checked (:func:`pipeline.sitecheck.check_site`):
    links, anchors, downloads and their checksums, titles, language, other origins, CSP; any
    problem raises ``SiteCheckError`` (a ``SiteError``). SIGTERM is handled like Ctrl-C, so
    an interrupted build also leaves ``out`` as it was. Work folders carry the process id;
    those of a process that no longer runs (killed with SIGKILL, which nothing can handle)
    are removed by the next build into the same folder.

    With a ``cache`` folder the build is incremental (:mod:`pipeline.cache`): nothing is
    done when the inputs, code and options equal those ``out`` was built from and ``out``
    holds exactly what that build wrote; otherwise export files of unchanged tables are
    copied from the cache. The returned :class:`BuildLog` says which stages ran.

    ``config`` is the portal's policy (``portal.yml`` by default): a package it does not
    declare raises ``ConfigError`` before anything is written; what it withholds is never
    published, whatever the descriptors say, and the site check looks for it in every file.

    ``max_bytes`` is the largest data file the build reads (1 GiB by default, as for
    ``validate``): a larger one is refused as invalid data, with its size and the limit.
    """
    config = config if config is not None else load_config()
    day = reference_date or date.today()
    check_out(Path(out), Path(data))  # a folder the build owns, before anything is written
    if cache is not None:
        check_cache(Path(cache), Path(out), Path(data))
    out = Path(out).resolve()  # mkdocs would read a relative site_dir against its config's folder
    if previous is not None and not Path(previous).is_dir():
        raise NotADirectoryError(previous)
    log = BuildLog()
    langs = tuple(config.site.languages)
    # Every stage reads the portal's constants (city, rates, names) from the config in force.
    with use(config), _signals_interrupt(), _exclusive(out):
        _remove_stale(out)
        if previous is not None and Path(previous).resolve() == out:
            previous = None  # the default: ``out`` as it is
        if cache is not None:
            code = code_digest()
            current, log.key = up_to_date(data, out, reference_date=day, lang=editions_key(langs),
                                          previous=previous, code=code, config=config.digest)
            if current:
                log.skipped = True
                return log
        catalog = _load(Path(data), max_bytes)
        apply_policy(catalog, config)
        report = validate_catalog(catalog, config=config)
        release_freed()
        log.stages += ["load", "validate"]
        if not report.valid:
            raise InvalidData(report)
        identities = {}
        derive(catalog, reference_date=day, config=config)  # the tables its sources allow
        release_freed()
        if NAME in catalog.packages:  # a third-party package alone has nothing to derive
            identities = IDENTITIES
            log.stages.append("derive")
        if previous is None and out.is_dir():
            previous = out
        with _replacing(out) as site_dir, tempfile.TemporaryDirectory(
                prefix=f".{out.name}.work-{os.getpid()}-", dir=out.parent) as work:
            work = Path(work)
            # Downloads are written beside the docs, not inside them: mkdocs would copy every
            # file once more, and it empties its site folder before building.
            downloads = work / "downloads"
            manifest = export(catalog, downloads, reference_date=day,
                              previous=Path(previous) if previous is not None else None,
                              through=export_writers(cache, code, log) if cache else None,
                              identities=identities)
            log.warnings += manifest.warnings
            release_freed()
            hidden, withheld = _hidden_listings(catalog, day), withheld_signatures(catalog)
            parsed = Path(cache) / "sitecheck" if cache else None
            with scanning(downloads, ids=hidden, signatures=withheld, memo=parsed) as scanned:
                # The root edition first: mkdocs empties the folder it builds into, and the
                # other editions are folders inside the root one.
                with contextlib.ExitStack() as running:  # work apart stops if anything fails
                    finishes = []
                    for lang in langs:
                        reused, finish = _edition(
                            catalog, work / lang, site_dir, lang, langs, out=out, day=day,
                            manifest=manifest, store=Path(cache) / "pages" / lang if cache else None,
                            code=code if cache else "", running=running)
                        log.reused_pages += reused
                        finishes.append(finish)
                        release_freed()
                    for finish in finishes:
                        finish()
                log.stages += ["export", "pages", "mkdocs"]
                _merge(downloads, site_dir)
                for lang in langs[1:]:
                    link_shared(site_dir, prefix(lang, langs))
                write_site_map(site_dir, langs, lastmod=day.isoformat())
                add_csp(site_dir)
                mark(site_dir)
                problems = check_site(site_dir, manifest, langs=langs, parsed=parsed, hidden=hidden,
                                      withheld=withheld, scanned=scanned())
            log.stages.append("sitecheck")
            if problems:
                raise SiteCheckError(problems)
            # Recorded only if the inputs did not change while they were read (else the key
            # would name bytes this build never saw).
            if cache is not None and log.key == build_key(
                    data, reference_date=day, lang=editions_key(langs),
                    previous=previous if previous != out else None, code=code, config=config.digest):
                record_key(site_dir, log.key)
    return log


def _edition(catalog: Catalog, work: Path, site_dir: Path, lang: str, langs: tuple[str, ...],
             *, out: Path, day: date, manifest, store: Path | None = None, code: str = "",
             running: contextlib.ExitStack) -> tuple[int, Callable[[], None]]:
    """The pages of the edition in ``lang``: its page sources in ``work``, mkdocs' site in its
    folder of ``site_dir``, then the files its scripts fetch (written beside the docs, so
    mkdocs neither copies nor lists them). With a ``store`` (the cache's, one per edition),
    unchanged pages outside the navigation and the search index are taken from it
    (:func:`pipeline.pages.mkdocs_site.run_mkdocs`). Returns how many, and the step that
    waits for the edition's work apart (the lookup index, see ``write_docs``) and moves its
    files into the site: the caller runs it after every edition's mkdocs, so the index is
    written while they run; ``running`` stops that work if anything fails before."""
    root = site_dir / prefix(lang, langs)
    if root != site_dir and root.exists():
        raise SiteError(both("build.edition_folder_taken", path=f"{prefix(lang, langs)}", lang=lang))
    assets = work / "assets"  # fetched by scripts, never read by mkdocs
    published = out / prefix(lang, langs)
    apart: list = []  # the lookup index, still being written while mkdocs runs
    running.callback(lambda: [job.stop() for job in apart])
    nav = write_docs(catalog, work / "docs", lang=lang, manifest=manifest,
                     reference_date=day, assets_dir=assets,
                     reuse_dir=published if published.is_dir() else None, apart=apart)
    reused = run_mkdocs(write_config(work, nav, lang=lang, unlisted=item_patterns()), root,
                        build_date=day, store=store, code=code)
    if root != site_dir:
        # The site's 404 page is the root's (a host serves one for every folder), and its one
        # sitemap lists every edition (write_site_map).
        for name in ("404.html", "sitemap.xml", "sitemap.xml.gz"):
            (root / name).unlink(missing_ok=True)

    def finish() -> None:
        try:
            for job in apart:
                job.wait()
        except ApartFailed as failed:  # killed, most likely for memory: said in both languages
            key = "build.apart_killed" if failed.signal else \
                "build.apart_error" if failed.detail else "build.apart_exit"
            raise SiteError(both(key, signal=failed.signal, code=failed.code,
                                 detail=failed.detail)) from None
        _merge(assets, root)

    return reused, finish


def lock_path(out: Path) -> Path:
    """The lock file of builds into ``out``; it stays beside ``out`` (removing it would race)."""
    return out.parent / f".{out.name}.lock"


@contextlib.contextmanager
def _exclusive(out: Path):
    """Hold the lock of ``out`` for the whole build, or raise :class:`BuildLocked` at once.

    Two builds into one folder would each swap in their own site and the later one would
    silently drop what the earlier published; one build at a time (and one cache user) makes
    the second one fail with a message instead. The lock is the kernel's (``flock``) on a
    file beside ``out``, so it is released when the process ends, however it ends.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(out), "a+", encoding="utf-8") as handle:  # closing releases the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise BuildLocked(out, handle.read().strip() or "?") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def _hidden_listings(catalog: Catalog, day: date) -> set[str]:
    """Ids of the source listings not in force on ``day``, for the site check's own scan."""
    package, resource = LISTINGS
    if resource not in getattr(catalog.packages.get(package), "resources", {}):
        return set()
    table = catalog.table(package, resource)
    columns = [c for c in ("listing_id", "listed", "expires", "removed") if c in table.column_names]
    return hidden_ids(table.select(columns).to_pylist(), day)


def _merge(source: Path, target: Path) -> None:
    """Move every file of ``source`` into ``target`` (same file system: renames, no copies).

    A folder that ``target`` does not have yet is moved whole, in one rename: the lookup
    index alone is hundreds of thousands of files at national scale. A ``source`` that was
    never made (an edition whose scripts fetch nothing) moves nothing."""
    if not source.is_dir():
        return
    for path in sorted(source.iterdir()):
        destination = target / path.name
        if path.is_dir() and not path.is_symlink():
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                path.rename(destination)
            else:
                _merge(path, destination)
            continue
        if destination.exists():
            raise FileExistsError(f"{destination} was written by both the site and the export")
        destination.parent.mkdir(parents=True, exist_ok=True)
        path.rename(destination)


def _load(data: Path, max_bytes: int) -> Catalog:
    try:
        return load_catalog([data], max_bytes=max_bytes)
    except LoadError as error:
        if error.type == "usage-error":  # no such folder, no packages: not a data error
            raise
        raise InvalidData(report_from_load_error(error)) from error


@contextlib.contextmanager
def _replacing(out: Path):
    """Yield a fresh folder beside ``out``; if the block succeeds, it becomes ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
    try:
        yield new
        os.chmod(new, 0o755)  # mkdtemp makes it private; a published folder is readable
        _swap(new, out)
    finally:
        shutil.rmtree(new, ignore_errors=True)  # gone already after a successful swap


def _rename(source: Path, target: Path) -> None:
    source.rename(target)


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` in place of ``out`` with renames (same file system, so each is atomic).

    Between the two renames ``out`` does not exist; signals wait until both are done (or
    the first is undone), so an interrupt never leaves the published folder missing.
    """
    if not out.exists():
        with _signals_deferred():
            _rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    old.rmdir()  # only the unique name is wanted
    try:
        with _signals_deferred():
            _rename(out, old)
            try:
                _rename(new, out)
            except BaseException:
                _rename(old, out)
                raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


_HANDLED = (signal.SIGTERM, signal.SIGINT)
_deferring: list[int] | None = None  # signals received while a swap must not be cut short


def _on_signal(signum, frame):
    if _deferring is not None:
        _deferring.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_interrupt():
    """While building, SIGTERM (and SIGINT, unless the caller ignores it) raise Interrupted.

    Handlers can only be set from the main thread; elsewhere the caller's handling applies.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {}
    for signum in _HANDLED:
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN:  # e.g. started with nohup: respect it
            continue
        saved[signum] = current
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _signals_deferred():
    global _deferring
    if _deferring is not None:  # nested: the outer block raises
        yield
        return
    _deferring = []
    try:
        yield
    finally:
        pending, _deferring = _deferring, None
        if pending:
            raise Interrupted(pending[0])


_WORK = re.compile(r"\.(?P<name>.+)\.(?P<kind>new|work|old)-(?P<pid>\d+)-[^/]*")


def _remove_stale(out: Path) -> None:
    """Remove the work folders of earlier builds into ``out`` whose process is gone.

    A build killed with SIGKILL cannot clean up after itself. If it was killed between the
    two renames of the swap, ``out`` is missing and its last good content sits in an
    ``.old-`` folder: that folder is put back first.
    """
    if not out.parent.is_dir():
        return
    stale = []
    for path in out.parent.iterdir():
        match = _WORK.fullmatch(path.name)
        if match and match["name"] == out.name and not _running(int(match["pid"])):
            stale.append((match["kind"], path))
    if not out.exists():
        olds = sorted((p for kind, p in stale if kind == "old"), key=lambda p: p.stat().st_mtime)
        if olds:
            _rename(olds[-1], out)
            stale = [(kind, p) for kind, p in stale if p != olds[-1]]
    for _, path in stale:
        shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier build of this process: it has finished
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
