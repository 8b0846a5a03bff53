"""The portal over a year of weekly rebuilds, as the publishing workflow runs it.

One incremental build a week for 52 weeks (plus a second build on one day), the date moving
and the data changing between some of them: a correction to a package the derived figures
read, a new enterprise, a package added with calendar versions and later withdrawn. After
every build, checked with code of this test's own (not the pipeline's):

- the build published (a weekly rebuild of unchanged sources is never refused);
- no file of the site names a blacklist listing that is not in force on that day — every
  file read whole: ZIP and XLSX members, Parquet columns, SQLite rows;
- every release file ever listed in a manifest is still there with its checksum, or the
  redaction log says it was re-issued (with the checksum it had) and what it became;
- the redaction log names no listing, enterprise or USCC;
- changelogs list exactly the rows that changed.

Two builds into one folder at once: exactly one publishes, the other says why.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipeline.build import BuildLocked, InvalidData, _exclusive, build, lock_path
from pipeline.config import DEFAULT, parse
from pipeline.uscc import is_valid, make_codes
from pipeline.versions import calendar_version

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
WEEKS = 52


# --- this test's own reading of the data and of the site ------------------------------


def _release_folders(package: Path) -> list[str]:
    """The release folders of a published package (its versions and latest), without the
    folder of its table pages."""
    return sorted(p.name for p in package.iterdir() if p.is_dir() and p.name != "tables")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def listings(data: Path) -> list[dict]:
    return read_csv(data / "enterprise-credit" / "data" / "blacklist.csv")


def active_on(listing: dict, day: dt.date) -> bool:
    """DOMAIN 6: public from the day it is listed until it expires or is removed."""
    listed = dt.date.fromisoformat(listing["listed"])
    expires = dt.date.fromisoformat(listing["expires"])
    removed = dt.date.fromisoformat(listing["removed"]) if listing["removed"] else None
    return listed <= day < expires and (removed is None or day < removed)


def texts_of(path: Path, content: bytes | None = None):
    """Every piece of text a file holds, unpacking what a reader's program would unpack."""
    name = path.name.lower()
    content = path.read_bytes() if content is None else content
    if name.endswith((".zip", ".xlsx")):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in archive.namelist():
                yield from texts_of(Path(member), archive.read(member))
    elif name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(content))
        yield "\n".join(str(v) for column in table.itercolumns() for v in column.to_pylist())
        yield json.dumps(str(table.schema.metadata))
    elif name.endswith(".sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "copy.sqlite"
            copy.write_bytes(content)
            connection = sqlite3.connect(copy)
            yield "\n".join(connection.iterdump())
            connection.close()
    else:
        yield content.decode("utf-8", errors="replace")


class Scanner:
    """Which listing ids each file holds, remembered by the file's digest (most files are
    carried unchanged from week to week, so each is read once)."""

    def __init__(self, universe: set[str]):
        self.universe = universe
        self.seen: dict[str, set[str]] = {}

    def ids_in(self, path: Path) -> set[str]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in self.seen:
            text = "\n".join(texts_of(path))
            self.seen[digest] = {i for i in self.universe if i in text}
        return self.seen[digest]

    def exposed(self, site: Path, hidden: set[str]) -> list[tuple[str, str]]:
        return [(p.relative_to(site).as_posix(), i) for p in sorted(site.rglob("*")) if p.is_file()
                for i in sorted(self.ids_in(p) & hidden)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_files(site: Path) -> dict[str, str]:
    """path → sha256 of every file of a versioned release folder the manifest lists."""
    manifest = json.loads((site / "data" / "manifest.json").read_text(encoding="utf-8"))
    return {e["path"]: e["sha256"] for e in manifest["files"]
            if e.get("version") and e["path"].split("/")[2] != "latest"}


def bump(data: Path, package: str, part: int) -> str:
    path = data / package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    numbers = [int(n) for n in descriptor["version"].split(".")]
    numbers[part] += 1
    numbers[part + 1:] = [0] * len(numbers[part + 1:])
    descriptor["version"] = ".".join(map(str, numbers))
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return descriptor["version"]


def changelog(site: Path, package: str) -> dict:
    return json.loads((site / "data" / package / "latest" / "changelog.json").read_text(encoding="utf-8"))


# --- the events -------------------------------------------------------------------------

def correct_a_benchmark(data: Path) -> dict:
    """One provincial benchmark corrected: the accident-outcomes package, read by derived rates."""
    path = data / "accident-outcomes" / "data" / "provincial_benchmarks.csv"
    rows = read_csv(path)
    row = rows[-1]
    row["gdp_death_rate"] = f"{float(row['gdp_death_rate']) + 0.001:.3f}"
    write_csv(path, rows)
    bump(data, "accident-outcomes", 2)
    return {"year": int(row["year"])}


def add_an_enterprise(data: Path) -> str:
    path = data / "enterprise-credit" / "data" / "enterprises.csv"
    rows = read_csv(path)
    taken = {r["uscc"] for r in rows}
    code = next(c for c in (make_codes(np.array([320402]), np.array([99_000_000 + i]))[0].decode()
                            for i in range(100)) if c not in taken)
    assert is_valid(code)
    rows.append({**rows[0], "uscc": code, "name": "常州示例新增企业有限公司",
                 **({"closed": ""} if "closed" in rows[0] else {})})
    write_csv(path, rows)
    bump(data, "enterprise-credit", 1)
    return code


def add_extra_package(data: Path, version: str) -> None:
    """A fifth package with calendar versions: a copy of the reference code lists."""
    target = data / "extra-codes"
    if not target.exists():
        shutil.copytree(data / "reference", target)
    path = target / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor.update(name="extra-codes", id="urn:test:extra-codes", title="附加代码表", version=version)
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")


def rename_a_sector(data: Path) -> str:
    path = data / "extra-codes" / "data" / "sectors.csv"
    rows = read_csv(path)
    rows[0]["name"] += "（修订）"
    write_csv(path, rows)
    return rows[0]["code"]


# --- the simulation --------------------------------------------------------------------

def _simulation_config():
    """The repository's configuration with one more package declared (the data come and go),
    and without the sections that write a page per row of a table (2,800 report pages): what
    this test follows is the releases, and 52 builds of those pages would take most of an
    hour of CI without telling it anything more. For the same reason one edition: the
    releases are the same files whatever the languages of the pages."""
    import yaml

    config = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    config["packages"]["extra-codes"] = {}
    config["sections"] = [s for s in config["sections"] if isinstance(s, str) or not s.get("items")]
    config["site"]["languages"] = config["site"]["languages"][:1]
    return parse(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))


CONFIG = _simulation_config()


def _window(data: Path) -> list[dt.date]:
    """52 Mondays over the last year of listings, so that listings start and end inside it."""
    listed = max(dt.date.fromisoformat(r["listed"]) for r in listings(data))
    start = listed - dt.timedelta(days=300)
    start -= dt.timedelta(days=start.weekday())
    return [start + dt.timedelta(weeks=i) for i in range(WEEKS)]


@pytest.mark.first  # 53 builds: the longest test of the suite
def test_a_year_of_weekly_builds_publishes_every_week_and_never_exposes_an_expired_listing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES, data)
    out, cache = tmp_path / "site", tmp_path / "cache"
    days = _window(data)
    universe = {r["listing_id"] for r in listings(data)}
    # The window must hold what the test is about: a listing ending between two builds.
    ending = [r for r in listings(data) if active_on(r, days[0]) != active_on(r, days[-1])
              or any(active_on(r, a) and not active_on(r, b) for a, b in itertools.pairwise(days))]
    assert ending, "no listing ends inside the simulated year: the sample data changed"

    scanner = Scanner(universe)
    ever: dict[str, str] = {}  # every versioned release file ever listed → its last checksum
    logged: list[dict] = []  # the redaction log as the last build left it
    events = {3: "correction", 6: "enterprise", 9: "package-added", 12: "calendar-version",
              15: "same-day-correction", 20: "package-withdrawn"}
    for week, day in enumerate(days):
        event = events.get(week)
        expected = {}
        if event == "correction":
            expected["benchmark"] = correct_a_benchmark(data)
        elif event == "enterprise":
            expected["uscc"] = add_an_enterprise(data)
        elif event == "package-added":
            add_extra_package(data, "2024.06")
        elif event == "calendar-version":
            add_extra_package(data, "2024.07")
            expected["sector"] = rename_a_sector(data)
        elif event == "package-withdrawn":
            shutil.rmtree(data / "extra-codes")

        log = build(data, out, reference_date=day, cache=cache, config=CONFIG)
        assert not log.skipped and log.ran("sitecheck"), f"week {week}: the rebuild did not publish"
        derived = json.loads((out / "data/derived/latest/datapackage.json").read_text(encoding="utf-8"))
        assert derived["version"] == calendar_version(day)

        if event == "same-day-correction":  # a second publication the same day, sources corrected
            correct_a_benchmark(data)
            log = build(data, out, reference_date=day, cache=cache, config=CONFIG)
            assert not log.skipped
            derived = json.loads((out / "data/derived/latest/datapackage.json").read_text(encoding="utf-8"))
            assert derived["version"] == calendar_version(day, 2)
            assert (out / "data/derived" / calendar_version(day) / "derived.zip").is_file()

        # 1. nothing names a listing that is not in force today
        hidden = {r["listing_id"] for r in listings(data) if not active_on(r, day)}
        assert scanner.exposed(out, hidden) == [], f"week {week} ({day})"
        shown = {r["listing_id"] for r in listings(data) if active_on(r, day)}
        public = read_csv(out / "data/derived/latest/data/blacklist_public.csv")
        assert {r["listing_id"] for r in public} == shown

        # 2. every release file ever listed is there with its checksum, or was re-issued
        log_entries = json.loads((out / "data/redactions.json").read_text(encoding="utf-8"))["entries"]
        assert log_entries[:len(logged)] == logged, f"week {week}: the redaction log lost or changed an entry"
        new_entries = log_entries[len(logged):]
        reissued = {f["path"]: f for e in new_entries for f in e["files"]}
        for path, sha in ever.items():
            assert (out / path).is_file(), f"week {week}: {path} is gone"
            now = digest(out / path)
            if now != sha:
                assert path in reissued, f"week {week}: {path} changed without a redaction record"
                assert reissued[path]["sha256_before"] == sha and reissued[path]["sha256_after"] == now
        for entry in new_entries:
            assert entry["date"] == day.isoformat() and entry["rows"] >= 0
        logged = log_entries
        ever.update(release_files(out))

        # 3. the redaction log (file and page) never names a listing or an enterprise
        everything = set(universe) | {r["uscc"] for r in listings(data)}
        for text in ((out / "data/redactions.json").read_text(encoding="utf-8"),
                     (out / "redactions/index.html").read_text(encoding="utf-8")):
            assert not [i for i in everything if i in text]

        # 4. changelogs list exactly the changed rows
        if event == "correction":
            entry = changelog(out, "accident-outcomes")["releases"][0]
            diff = entry["resources"]["provincial_benchmarks"]
            assert diff["rows"]["changed"] == 1 and diff["rows"]["added"] == diff["rows"]["removed"] == 0
            assert [c["key"] for c in diff["changed"]] == [expected["benchmark"]]
            assert {n for n, d in entry["resources"].items() if d["status"] != "unchanged"} == \
                {"provincial_benchmarks"}
        if event == "enterprise":
            diff = changelog(out, "enterprise-credit")["releases"][0]["resources"]["enterprises"]
            assert diff["added"] == [{"uscc": expected["uscc"]}] and diff["rows"]["changed"] == 0
        if event == "calendar-version":
            entry = changelog(out, "extra-codes")["releases"][0]
            assert (entry["version"], entry["previous_version"]) == ("2024.07", "2024.06")
            assert [c["key"] for c in entry["resources"]["sectors"]["changed"]] == [{"code": expected["sector"]}]
        for document in (changelog(out, "derived"),):
            for release in document["releases"]:
                assert set(release["resources"]["blacklist_public"]) & {"added", "removed", "changed"} == set()

        # 5. a withdrawn package keeps its releases and says so
        if week >= 20:
            withdrawn = json.loads((out / "data/withdrawn.json").read_text(encoding="utf-8"))["packages"]
            assert [(w["name"], w["versions"], w["withdrawn"]) for w in withdrawn] == \
                [("extra-codes", ["2024.06", "2024.07"], days[20].isoformat())]
            page = (out / "data/extra-codes/index.html").read_text(encoding="utf-8")
            assert days[20].isoformat() in page and 'href="2024.06/extra-codes.zip"' in page
            assert (out / "data/extra-codes/latest/datapackage.json").is_file()
        elif week >= 9:
            assert _release_folders(out / "data/extra-codes") == \
                (["2024.06", "latest"] if week < 12 else ["2024.06", "2024.07", "latest"])

    assert logged, "no release was ever re-issued: the simulation tested nothing"
    derived_versions = [name for name in _release_folders(out / "data/derived") if name != "latest"]
    assert len(derived_versions) == WEEKS + 1  # one a week, and the second one of that day


def test_a_correction_that_lowers_or_garbles_a_version_is_refused(tmp_path):
    from pipeline.export import ExportError

    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES, data)
    out = tmp_path / "site"
    day = dt.date(2016, 1, 4)
    # CONFIG (one edition, no report pages): what is refused is the version, in any edition
    build(data, out, reference_date=day, config=CONFIG)
    bump(data, "reference", 0)  # 2.0.0
    build(data, out, reference_date=day + dt.timedelta(days=7), config=CONFIG)
    before = {p.relative_to(out).as_posix(): digest(p) for p in out.rglob("*") if p.is_file()}
    # A lowered version is found when the published releases are compared (the export); a
    # version that is not one is refused with the descriptor, before any data is read.
    for version, message in (("1.5.0", "低于已发布的最新版本 2.0.0"), ("../../x", '版本号 "../../x" 不予接受')):
        path = data / "reference" / "datapackage.json"
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        descriptor["version"] = version
        path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
        with pytest.raises((ExportError, InvalidData)) as refused:
            build(data, out, reference_date=day + dt.timedelta(days=14), config=CONFIG)
        said = str(refused.value) if isinstance(refused.value, ExportError) else \
            "\n".join(e.message("zh") for e in refused.value.report.errors)
        assert message in said, said
        assert {p.relative_to(out).as_posix(): digest(p) for p in out.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "x").exists() and not any(p.name == "x" for p in tmp_path.rglob("x"))


def test_a_redaction_rewrites_its_own_copy_never_the_site_it_was_carried_from(tmp_path):
    """Carried releases are hard links into the previous site: a re-issue must not write
    through them (the site the public sees now must stay as it is until the swap)."""
    data = tmp_path / "data"
    shutil.copytree(DATAPACKAGES, data)
    days = _window(data)
    first = tmp_path / "first"
    build(data, first, reference_date=days[0], config=CONFIG)
    before = {p.relative_to(first).as_posix(): digest(p) for p in first.rglob("*") if p.is_file()}
    out = tmp_path / "next"
    build(data, out, reference_date=days[-1], previous=first, config=CONFIG)
    assert {p.relative_to(first).as_posix(): digest(p) for p in first.rglob("*") if p.is_file()} == before
    entries = json.loads((out / "data/redactions.json").read_text(encoding="utf-8"))["entries"]
    assert [e["version"] for e in entries] == [calendar_version(days[0])]


def test_while_one_build_holds_the_folder_another_changes_nothing_and_says_why(tmp_path, capsys):
    from pipeline.cli import main

    out = tmp_path / "site"
    with _exclusive(out.resolve()):
        with pytest.raises(BuildLocked):
            build(DATAPACKAGES, out, reference_date=dt.date(2016, 1, 4))
        code = main(["build", "--data", str(DATAPACKAGES), "--out", str(out), "--no-cache",
                     "--reference-date", "2016-01-04"])
    assert code == 1 and not out.exists()
    error = capsys.readouterr().err
    assert "另一个构建" in error and "another build" in error and str(os.getpid()) in error


def test_two_builds_started_together_into_one_folder_publish_exactly_once(tmp_path):
    out = tmp_path / "site"
    command = [sys.executable, "-m", "pipeline", "build", "--data", str(DATAPACKAGES), "--out", str(out),
               "--no-cache"]
    first = subprocess.Popen([*command, "--reference-date", "2016-01-04"], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and str(first.pid) not in _read(lock_path(out)):
        time.sleep(0.05)  # until the first build holds the lock
    second = subprocess.run([*command, "--reference-date", "2016-01-11"], cwd=ROOT, text=True,
                            capture_output=True, timeout=300, check=False)
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 1
    assert "另一个构建" in second.stderr and "another build" in second.stderr and "Traceback" not in second.stderr
    derived = json.loads((out / "data/derived/latest/datapackage.json").read_text(encoding="utf-8"))
    assert derived["version"] == "2016.01.04"
    assert _release_folders(out / "data/derived") == ["2016.01.04", "latest"]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
