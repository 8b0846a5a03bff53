"""Atomic publishing: whatever stops a build — a failing stage, SIGTERM, Ctrl-C, a full disk —
the published folder keeps every byte (and its inode), and no work folder is left behind.

SIGKILL cannot be handled: its work folders stay until the next build into the same folder
removes them (they carry the dead process's id), which is proved here too.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import small_data

import pipeline.build as build_module
from pipeline.build import Interrupted, build, lock_path
from pipeline.outdir import MARKER, MARKER_TEXT

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
DAY = date(2016, 1, 1)


def fingerprint(out: Path) -> tuple[int, dict[str, tuple[str, int]]]:
    """The folder's inode and, per file, its SHA-256 and modification time."""
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            files[path.relative_to(out).as_posix()] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                       path.stat().st_mtime_ns)
    return out.stat().st_ino, files


@pytest.fixture
def published(tmp_path) -> Path:
    """A published folder with nested files, standing for the last good site."""
    out = tmp_path / "site"
    (out / "data" / "reference").mkdir(parents=True)
    (out / "index.html").write_text("<title>上一版</title>", encoding="utf-8")
    (out / "data" / "reference" / "districts.csv").write_bytes(b"code\n320400\n")
    (out / MARKER).write_text(MARKER_TEXT, encoding="utf-8")  # what every build leaves
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Three small packages of the committed data: a build that is stopped at one of its
    stages goes through the same stages whatever the size of the data, in seconds instead of
    minutes. The real builds killed from outside keep the whole data, so that the signal
    lands while the stage named is still running."""
    return small_data(tmp_path_factory.mktemp("data"))


def leftovers(out: Path) -> list[str]:
    """What sits beside ``out`` apart from it, a build cache and the lock file (kept on purpose)."""
    kept = (out.name, "cache", lock_path(out).name)
    return sorted(p.name for p in out.parent.iterdir() if p.name not in kept)


class StageFailed(Exception):
    pass


def _failing(*args, **kwargs):
    raise StageFailed("injected failure")


STAGES = {  # stage → name in pipeline.build that runs it
    "load": "_load", "validate": "validate_catalog", "derive": "derive", "export": "export",
    "pages": "write_docs", "mkdocs": "run_mkdocs", "csp": "add_csp", "sitecheck": "check_site",
}


@pytest.mark.parametrize("stage", [*STAGES, "swap-before-rename"])
def test_a_failure_at_any_stage_leaves_the_published_site_as_it_was(published, data, monkeypatch, stage):
    before = fingerprint(published)
    if stage == "swap-before-rename":
        real = build_module._rename

        def rename(source: Path, target: Path) -> None:
            if ".new-" in source.name:  # the published folder has been moved aside already
                assert not published.exists()
                raise OSError(errno.EIO, "injected failure")
            real(source, target)

        monkeypatch.setattr(build_module, "_rename", rename)
        expected = OSError
    else:
        monkeypatch.setattr(build_module, STAGES[stage], _failing)
        expected = StageFailed
    with pytest.raises(expected):
        build(data, published, reference_date=DAY)
    assert fingerprint(published) == before
    assert leftovers(published) == []


def test_a_failed_site_check_is_reported_with_its_file_and_nothing_is_published(published, data, monkeypatch):
    from pipeline.sitecheck import SiteCheckError

    real = build_module.add_csp

    def break_a_link(site_dir: Path) -> int:
        page = site_dir / "about" / "index.html"
        page.write_text(page.read_text(encoding="utf-8").replace("</body>", '<a href="gone/">x</a></body>'),
                        encoding="utf-8")
        return real(site_dir)

    monkeypatch.setattr(build_module, "add_csp", break_a_link)
    before = fingerprint(published)
    with pytest.raises(SiteCheckError) as raised:
        build(data, published, reference_date=DAY)
    assert [(p.file, p.what) for p in raised.value.problems] == [("about/index.html", "broken-link")]
    assert "about/index.html" in str(raised.value)
    assert fingerprint(published) == before
    assert leftovers(published) == []


def _signal_self(signum):
    def stage(*args, **kwargs):
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler raises before this ends
        raise AssertionError("the signal was not handled")
    return stage


@pytest.mark.parametrize("stage", ["validate", "export", "mkdocs"])
def test_sigterm_at_a_stage_is_handled_like_ctrl_c(published, data, monkeypatch, stage):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    monkeypatch.setattr(build_module, STAGES[stage], _signal_self(signal.SIGTERM))
    handler = signal.getsignal(signal.SIGTERM)
    before = fingerprint(published)
    with pytest.raises(Interrupted) as raised:
        build(data, published, reference_date=DAY)
    assert raised.value.signum == signal.SIGTERM
    assert isinstance(raised.value, KeyboardInterrupt)
    assert fingerprint(published) == before
    assert leftovers(published) == []
    assert signal.getsignal(signal.SIGTERM) is handler  # the caller's handler is back


def _full_disk(after: int):
    """A writer that fails with ENOSPC once ``after`` calls have succeeded, leaving a partial file."""
    calls = {"n": 0}

    def wrap(real):
        def writer(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] > after:
                target = next((a for a in args if isinstance(a, (str, Path))), None)
                if target is not None:
                    Path(target).parent.mkdir(parents=True, exist_ok=True)
                    Path(target).write_bytes(b"half a fi")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(*args, **kwargs)
        return writer
    return wrap


@pytest.mark.parametrize("where", ["export", "mkdocs"])
def test_a_full_disk_leaves_the_published_site_as_it_was(published, data, monkeypatch, where):
    if where == "export":
        import pipeline.export as export_module

        monkeypatch.setattr(export_module, "write_json", _full_disk(3)(export_module.write_json))
    else:
        import mkdocs.utils

        monkeypatch.setattr(mkdocs.utils, "write_file", _full_disk(20)(mkdocs.utils.write_file))
    before = fingerprint(published)
    with pytest.raises(OSError) as raised:
        build(data, published, reference_date=DAY)
    assert raised.value.errno == errno.ENOSPC
    assert fingerprint(published) == before
    assert leftovers(published) == []


def test_the_command_says_a_full_disk_left_the_site_untouched(published, data, monkeypatch, capsys):
    import pipeline.export as export_module
    from pipeline.cli import main

    monkeypatch.setattr(export_module, "write_json", _full_disk(0)(export_module.write_json))
    assert main(["build", "--data", str(data), "--out", str(published),
                 "--reference-date", "2016-01-01"]) == 1
    assert "站点保持原样" in capsys.readouterr().err


def _start(out: Path) -> subprocess.Popen:
    # Ctrl-C handling restored first: a test runner may start its workers with SIGINT ignored
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from pipeline.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.Popen(
        [sys.executable, "-c", code, "build", "--data", str(DATAPACKAGES), "--out", str(out),
         "--reference-date", "2016-01-01"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(out: Path, process: subprocess.Popen, pattern: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(out.parent.glob(pattern)):
            return
        if process.poll() is not None:
            pytest.fail(f"the build ended before {pattern} appeared: {process.stderr.read().decode()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"{pattern} did not appear")


# kill points: the work folder appears once loading and validation are done (export starts);
# assets in the new site folder mean mkdocs is writing
KILL_POINTS = {"export": ".site.work-*", "mkdocs": ".site.new-*/assets"}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_real_build_killed_by_a_signal_leaves_the_site_and_no_folders(published, point, signum):
    before = fingerprint(published)
    process = _start(published)
    _wait_for(published, process, KILL_POINTS[point])
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr.decode()
    assert "站点保持原样" in stderr.decode()
    assert fingerprint(published) == before
    assert leftovers(published) == []


def test_after_sigkill_the_next_build_removes_the_dead_builds_folders(published, monkeypatch):
    before = fingerprint(published)
    process = _start(published)
    _wait_for(published, process, ".site.work-*")
    process.kill()  # SIGKILL: nothing runs, the folders stay
    process.communicate(timeout=60)
    stale = leftovers(published)
    assert any(name.startswith(f".site.work-{process.pid}-") for name in stale), stale
    assert any(name.startswith(f".site.new-{process.pid}-") for name in stale), stale
    assert fingerprint(published) == before

    # the next build removes them first thing (here it then stops at loading, to stay quick)
    monkeypatch.setattr(build_module, "_load", _failing)
    with pytest.raises(StageFailed):
        build(DATAPACKAGES, published, reference_date=DAY)
    assert leftovers(published) == []
    assert fingerprint(published) == before


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_swap_cut_by_sigkill_is_put_back_and_live_builds_are_left_alone(published):
    before = fingerprint(published)
    dead = _dead_pid()
    moved = published.parent / f".site.old-{dead}-abc"
    published.rename(moved)  # killed between the two renames: only the old copy exists
    (published.parent / f".site.new-{dead}-def").mkdir()
    live = published.parent / f".site.work-{os.getppid()}-ghi"  # a running process's folder
    live.mkdir()
    other = published.parent / f".other.work-{dead}-jkl"  # another site's folder
    other.mkdir()

    build_module._remove_stale(published)

    assert fingerprint(published) == before
    assert leftovers(published) == sorted([live.name, other.name])


def test_a_full_disk_under_the_database_is_a_failed_write_not_a_traceback(published, data, monkeypatch, capsys):
    """SQLite says "database or disk is full" (a national build filled a disk in VACUUM): a
    real SQLITE_FULL, from a page limit on every database the export opens."""
    import sqlite3

    from pipeline.cli import main
    from pipeline.export import sqlitefile

    real = sqlite3.connect

    def small(*args, **kwargs):
        connection = real(*args, **kwargs)
        connection.execute("PRAGMA max_page_count = 8")
        return connection

    monkeypatch.setattr(sqlitefile.sqlite3, "connect", small)
    before = fingerprint(published)
    assert main(["build", "--data", str(data), "--out", str(published),
                 "--reference-date", "2016-01-01", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "站点保持原样" in err and os.strerror(errno.ENOSPC) in err and "Traceback" not in err
    assert fingerprint(published) == before
    assert leftovers(published) == []
