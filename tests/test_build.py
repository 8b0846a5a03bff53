"""The build: a page per package, data shown as text and never as markup, the same bytes
for the same inputs, and a failed build that leaves the published folder as it was."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pandas
import pytest
from conftest import REFERENCE_DATE, small_data

from pipeline.build import InvalidData, _replacing, build, lock_path
from pipeline.export.labels import LABEL_OF, MARKS

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
PACKAGES = sorted(p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(site) -> Path:
    """The folder of the site each worker builds once from the committed data for
    2016-01-01 (``conftest.site``): these tests only read it."""
    return site.out


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_a_page_and_its_files(site, package):
    descriptor = json.loads((DATAPACKAGES / package / "datapackage.json").read_text("utf-8"))
    page = (site / "data" / package / "index.html").read_text("utf-8")
    assert descriptor["title"] in page
    for resource in descriptor["resources"]:
        assert f'id="res-{resource["name"]}"' in page
        # the page links the canonical CSV of the package's latest release, which holds
        # the committed table (re-serialised from the typed columns)
        published = site / "data" / package / "latest" / resource["path"]
        if resource.get("x-public", True) is False:  # withheld: no file, no link
            assert not published.exists()
            assert f'href="latest/{resource["path"]}"' not in page
            continue
        assert f'href="latest/{resource["path"]}"' in page
        committed = pandas.read_csv(DATAPACKAGES / package / resource["path"])
        shown = pandas.read_csv(published)
        # the committed columns keep their names and places; the columns the export adds
        # after them (names behind codes, the synthetic mark) are declared as such
        pandas.testing.assert_frame_equal(shown.iloc[:, :len(committed.columns)], committed)
        released = json.loads((site / "data" / package / "latest" / "datapackage.json")
                               .read_text("utf-8"))
        fields = next(r for r in released["resources"] if r["name"] == resource["name"])
        added = {f["name"] for f in fields["schema"]["fields"] if LABEL_OF in f or MARKS in f}
        assert set(shown.columns[len(committed.columns):]) == added
    home = (site / "index.html").read_text("utf-8")
    assert f'href="data/{package}/"' in home


def test_same_inputs_give_the_same_bytes(site, tmp_path):
    again = tmp_path / "again"
    build(DATAPACKAGES, again, reference_date=REFERENCE_DATE)
    assert snapshot(again) == snapshot(site)


def _break_a_primary_key(data: Path) -> None:
    """Repeat the first row of some table that has a primary key: a duplicate-key error."""
    for descriptor_path in sorted(data.glob("*/datapackage.json")):
        descriptor = json.loads(descriptor_path.read_text("utf-8"))
        for resource in descriptor["resources"]:
            if not resource.get("schema", {}).get("primaryKey"):
                continue
            path = descriptor_path.parent / resource["path"]
            lines = path.read_text("utf-8").splitlines(keepends=True)
            if len(lines) >= 2 and len(list(csv.reader(io.StringIO(lines[1])))) == 1:
                path.write_text("".join(lines) + lines[1], encoding="utf-8")
                return
    pytest.fail("no table with a primary key and a one-line first row to break")


def test_invalid_data_leaves_the_last_good_site_untouched(tmp_path):
    out = tmp_path / "site"
    good = small_data(tmp_path / "good")  # what a refused build leaves is the same whatever the data
    build(good, out)
    before, inode = snapshot(out), out.stat().st_ino

    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    _break_a_primary_key(bad)
    with pytest.raises(InvalidData) as raised:
        build(bad, out)

    assert not raised.value.report.valid
    assert out.stat().st_ino == inode
    assert snapshot(out) == before
    # no leftovers (the lock file stays on purpose)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["bad", "good", "site", lock_path(out).name])


def test_the_build_command_exits_1_on_invalid_data_and_2_on_a_missing_folder(tmp_path, capsys):
    from pipeline.cli import main

    bad = tmp_path / "bad"
    shutil.copytree(DATAPACKAGES, bad)
    _break_a_primary_key(bad)
    assert main(["build", "--data", str(bad), "--out", str(tmp_path / "site")]) == 1
    assert "primary-key" in capsys.readouterr().out
    assert main(["build", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "site")]) == 2
    assert not (tmp_path / "site").exists()


def test_the_build_refuses_a_file_over_max_bytes_and_a_limit_that_is_not_positive(tmp_path, capsys):
    """``build --max-bytes`` is the guard ``validate`` has: a larger file is invalid data
    (exit 1, the file, its size and the limit said), nothing is written; 0 is a usage error."""
    from pipeline.cli import main

    out = tmp_path / "site"
    largest = max((p for p in DATAPACKAGES.glob("*/data/*.csv")), key=lambda p: p.stat().st_size)
    limit = largest.stat().st_size - 1
    assert main(["build", "--data", str(DATAPACKAGES), "--out", str(out), "--no-cache",
                 "--max-bytes", str(limit)]) == 1
    said = capsys.readouterr()
    assert largest.name in said.out and str(limit) in said.out and "Traceback" not in said.err
    assert not out.exists()
    assert main(["build", "--data", str(DATAPACKAGES), "--out", str(out), "--max-bytes", "0"]) == 2
    assert "--max-bytes" in capsys.readouterr().err and not out.exists()


def test_a_failing_stage_leaves_out_untouched_and_cleans_up(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("last good", encoding="utf-8")
    with pytest.raises(RuntimeError), _replacing(out) as new:
        (new / "index.html").write_text("half built", encoding="utf-8")
        raise RuntimeError("a stage failed")
    assert snapshot(out) == {"index.html": b"last good"}
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_successful_build_replaces_out_entirely(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "stale.html").write_text("from an older build", encoding="utf-8")
    with _replacing(out) as new:
        (new / "index.html").write_text("new", encoding="utf-8")
    assert snapshot(out) == {"index.html": b"new"}
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


HOSTILE = ('<img src=x onerror=alert(1)><script>alert(2)</script> **粗体** '
           '[链接](javascript:alert(3)) {: onclick="alert(4)" } {{ 7*7 }} {% raw %} '
           '--8<-- "mkdocs.yml" &amp; </title> # 标题')


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text, self.scripts, self.records = [], [], [], [], []
        self._in_script = self._in_record = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        # JSON-LD holds the package's metadata as data (it is not run); kept apart to be parsed
        self._in_record = tag == "script" and ("type", "application/ld+json") in attrs
        self._in_script = tag == "script" and not self._in_record

    def handle_endtag(self, tag):
        self._in_script = self._in_record = False

    def handle_data(self, data):
        if self._in_record:
            self.records.append(data)
        else:
            (self.scripts if self._in_script else self.text).append(data)


def test_data_values_are_shown_as_text_never_as_markup(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES / "reference", data / "reference")
    path = data / "reference" / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    descriptor["title"] = descriptor["description"] = HOSTILE
    descriptor["x-en"] = {"title": HOSTILE, "description": HOSTILE}
    descriptor["keywords"] = [HOSTILE]
    descriptor["sources"] = [{"title": HOSTILE, "path": "javascript:alert(5)"}]
    resource = descriptor["resources"][0]
    resource["title"] = resource["description"] = HOSTILE
    resource["schema"]["fields"][0]["title"] = HOSTILE
    resource["schema"]["fields"][0]["description"] = HOSTILE
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")

    out = tmp_path / "site"
    build(data, out)
    for name in ("index.html", "data/index.html", "data/reference/index.html"):
        page = _Page()
        page.feed((out / name).read_text("utf-8"))
        assert "img" not in page.tags, name
        assert not [a for a, _ in page.attrs if a.startswith("on")], name
        assert not [v for a, v in page.attrs if a == "href" and "javascript" in (v or "")]
        assert not [s for s in page.scripts if "alert" in s], name
        for record in page.records:  # whole, parseable, and with no "<" that could end it
            assert "<" not in record and json.loads(record)["name"] == HOSTILE, name
        text = "".join(page.text)
        assert "**粗体**" in text and "{{ 7*7 }}" in text and "&amp;" in text, name
    package_text = "".join(_text_of(out / "data/reference/index.html"))
    assert package_text.count("[链接](javascript:alert(3))") >= 6  # every place it is shown


def _text_of(path: Path) -> list[str]:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    return page.text


def test_a_relative_out_folder_gets_the_whole_site(tmp_path, monkeypatch):
    data = small_data(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    build(data, Path("build/site"), reference_date=date(2016, 1, 1))
    assert (tmp_path / "build" / "site" / "index.html").is_file()
    assert (tmp_path / "build" / "site" / "data" / "manifest.json").is_file()


def test_changed_rows_without_a_new_version_exit_1_and_keep_the_site(tmp_path, capsys):
    """A published version's address must keep serving the same rows."""
    from pipeline.cli import main

    data = small_data(tmp_path / "data")  # the change is in the reference package
    out = tmp_path / "site"
    args = ["build", "--data", str(data), "--out", str(out), "--reference-date", "2016-01-01",
            "--no-cache"]
    assert main(args) == 0
    # no descriptor gives an e-mail address: the catalogs give the portal's configured contact
    assert "contactPoint" not in capsys.readouterr().err
    pod = json.loads((out / "data.json").read_text("utf-8"))
    assert {d["contactPoint"]["hasEmail"] for d in pod["dataset"]} == \
        {"mailto:opendata@changzhou-work-safety.example"}
    before = snapshot(out)
    categories = data / "reference" / "data" / "accident_categories.csv"
    categories.write_text(categories.read_text("utf-8").replace("物体打击", "物体打击（改）"),
                          encoding="utf-8")
    assert main(args) == 1
    version = json.loads((data / "reference" / "datapackage.json").read_text("utf-8"))["version"]
    assert version in capsys.readouterr().err
    assert snapshot(out) == before


def test_merge_moves_new_folders_whole_merges_shared_ones_and_refuses_a_clash(tmp_path):
    from pipeline.build import _merge

    source, target = tmp_path / "assets", tmp_path / "site"
    (source / "credit" / "index" / "r").mkdir(parents=True)
    (source / "credit" / "index" / "r" / "1.json").write_text("{}", encoding="utf-8")
    (source / "accidents" / "accidents.json").parent.mkdir(parents=True)
    (source / "accidents" / "accidents.json").write_text("[]", encoding="utf-8")
    (target / "credit").mkdir(parents=True)
    (target / "credit" / "index.html").write_text("page", encoding="utf-8")
    _merge(tmp_path / "never-made", target)  # an edition whose scripts fetch nothing
    _merge(source, target)
    assert (target / "credit" / "index" / "r" / "1.json").read_text(encoding="utf-8") == "{}"
    assert (target / "accidents" / "accidents.json").is_file() and (target / "credit" / "index.html").is_file()
    assert not any(p.is_file() for p in source.rglob("*"))
    (source / "credit").mkdir(parents=True, exist_ok=True)
    (source / "credit" / "index.html").write_text("other", encoding="utf-8")
    with pytest.raises(FileExistsError):
        _merge(source, target)
    assert (target / "credit" / "index.html").read_text(encoding="utf-8") == "page"


def test_a_download_changed_after_the_early_scan_is_read_again_by_the_site_check(tmp_path, monkeypatch):
    """The downloads are scanned while the pages are written (``pipeline.early_scan``); the
    site check takes that scan for every download unchanged since, and reads again one
    written after it: a hidden listing put into a download then still stops the build."""
    import pipeline.build as build_module
    from pipeline.exposure import stamp
    from pipeline.sitecheck import SiteCheckError

    real = build_module.check_site
    seen = {}

    def leaking(site_dir, manifest, **options):
        downloads = [p for p in sorted((site_dir / "data").rglob("*"))
                     if p.is_file() and p.suffix in {".csv", ".parquet", ".zip", ".sqlite", ".xlsx"}]
        seen.update(options, covered=all(stamp(p.stat()) in options["scanned"] for p in downloads))
        target = next(p for p in downloads if p.suffix == ".csv")
        with target.open("a", encoding="utf-8") as handle:
            handle.write(min(options["hidden"]) + "\n")
        seen["names"] = [p.relative_to(site_dir).as_posix() for p in downloads if p.samefile(target)]
        return real(site_dir, manifest, **options)

    monkeypatch.setattr(build_module, "check_site", leaking)
    with pytest.raises(SiteCheckError) as failed:
        build(DATAPACKAGES, tmp_path / "site", reference_date=REFERENCE_DATE)
    assert seen["hidden"] and seen["covered"]  # every download was scanned early
    exposed = [p for p in failed.value.problems if p.what == "exposed"]
    assert sorted(p.file for p in exposed) == sorted(seen["names"])  # the file, under each of its names


def test_the_lookup_index_is_made_while_mkdocs_runs_and_stopped_if_the_build_fails(tmp_path, monkeypatch):
    """The index is written by a forked process (``pipeline.forked``) that the build waits
    for only after every edition's mkdocs; when the English edition's mkdocs fails, that
    process is ended with the build, nothing of the index reaches ``out`` and no process
    is left behind."""
    import os
    import time

    import pipeline.build as build_module
    from pipeline.pages import credit
    from pipeline.pages.mkdocs_site import SiteError

    made_by = tmp_path / "made-by"
    original = credit._index_files

    def slow_index(ctx, ref, params=None):
        made_by.write_text(str(os.getpid()))
        time.sleep(120)  # still making it when the build fails
        return original(ctx, ref, params)

    real_mkdocs = build_module.run_mkdocs
    runs = []

    def mkdocs(config, root, **options):
        runs.append(root)
        if len(runs) == 2:  # the English edition's
            assert made_by.is_file()  # the index's process had started (before the zh pages)
            raise SiteError("mkdocs refused the English edition")
        return real_mkdocs(config, root, **options)

    monkeypatch.setattr(credit, "_index_files", slow_index)
    monkeypatch.setattr(build_module, "run_mkdocs", mkdocs)
    out = tmp_path / "site"
    started = time.monotonic()
    with pytest.raises(SiteError, match="English edition"):
        build(DATAPACKAGES, out, reference_date=REFERENCE_DATE)
    assert time.monotonic() - started < 100  # not waited for: ended
    pid = int(made_by.read_text())
    assert pid != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "made-by"]  # no work folder


def test_a_lookup_index_process_killed_for_memory_is_said_in_both_languages(tmp_path, monkeypatch, capsys):
    """The out-of-memory killer ends the biggest process: at the national tier that may be
    the one writing the index. The build command says so in Chinese and English, exits 1
    and writes nothing where the site goes."""
    import os
    import signal

    from pipeline.cli import main
    from pipeline.pages import credit

    def killed(ctx, ref, params=None):
        os.kill(os.getpid(), signal.SIGKILL)

    out = tmp_path / "site"
    monkeypatch.setattr(credit, "_index_files", killed)
    code = main(["build", "--data", str(DATAPACKAGES), "--out", str(out), "--no-cache",
                 "--reference-date", REFERENCE_DATE.isoformat()])
    err = capsys.readouterr().err
    assert code == 1
    assert "写出企业查询索引的进程被信号 SIGKILL 终止" in err
    assert "the process writing the enterprise lookup index was ended by SIGKILL" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock_path(out).name]  # no site, no work folder
