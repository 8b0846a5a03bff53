"""The publishing gate against hostile and careless pull requests, end to end.

A site is published from a copy of the committed data. Then each pull request below is
applied to a fresh copy of that data (or to the options and configuration a pull request
could change) and the publisher's command is run on it, as CI would. Each one must be
refused with a message (exit 1 or 2, never a traceback), leave every file of the published
site as it was, and write nothing outside the build's own folders. A few careless but
legitimate changes (a raised version with a correction, a calendar version) must publish.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import one_edition_file

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
DAY = "2026-12-07"


# -- editing a copy of the data, the way a pull request does ---------------------------------

def descriptor(data: Path, package: str) -> dict:
    return json.loads((data / package / "datapackage.json").read_text("utf-8"))


def write_descriptor(data: Path, package: str, value: dict | str) -> None:
    path = data / package / "datapackage.json"
    path.unlink()  # a hard link into the shared copy: replace, never write through it
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
    path.write_text(text, "utf-8", errors="surrogatepass")


def edit(package: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        d = descriptor(data, package)
        change(d)
        write_descriptor(data, package, d)
    return apply


def resource(d: dict, name: str) -> dict:
    return next(r for r in d["resources"] if r["name"] == name)


def field(d: dict, res: str, name: str) -> dict:
    return next(f for f in resource(d, res)["schema"]["fields"] if f["name"] == name)


def replace_text(package: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        text = (data / package / "datapackage.json").read_text("utf-8")
        assert old in text, old
        write_descriptor(data, package, text.replace(old, new, 1))
    return apply


def cell(package: str, res: str, column: str, value: str, row: int = 1) -> Callable[[Path], None]:
    """Set one cell of a CSV (row 1 is the first data row); bumps the package's version so
    the change is not refused for that reason alone."""
    def apply(data: Path) -> None:
        path = data / package / "data" / f"{res}.csv"
        lines = path.read_text("utf-8").splitlines(keepends=True)
        header = lines[0].rstrip("\r\n").split(",")
        cells = lines[row].rstrip("\r\n").split(",")
        cells[header.index(column)] = value
        lines[row] = ",".join(cells) + "\n"
        path.unlink()
        path.write_text("".join(lines), "utf-8")
        bump(package)(data)
    return apply


def bump(package: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        d = descriptor(data, package)
        major, minor = (d["version"].split(".") + ["0", "0"])[:2]
        d["version"] = f"{major}.{int(minor) + 1}.0"
        write_descriptor(data, package, d)
    return apply


def both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        for change in changes:
            change(data)
    return apply


def rename_folder(old: str, new: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        (data / old).rename(data / new)
    return apply


def nested(depth: int) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        text = (data / "reference" / "datapackage.json").read_text("utf-8")
        deep = "[" * depth + "]" * depth
        write_descriptor(data, "reference", text.replace('"name": "reference"', f'"x-deep": {deep}, "name": "reference"', 1))
    return apply


def many_columns(count: int) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        d = descriptor(data, "reference")
        sectors = resource(d, "sectors")
        sectors["schema"]["fields"] += [{"name": f"c{i}", "type": "integer"} for i in range(count)]
        write_descriptor(data, "reference", d)
        path = data / "reference" / "data" / "sectors.csv"
        lines = path.read_text("utf-8").splitlines()
        lines = [lines[0] + "".join(f",c{i}" for i in range(count))] + \
                [line + ",1" * count for line in lines[1:]]
        path.unlink()
        path.write_text("\n".join(lines) + "\n", "utf-8")
    return apply


def duplicate_resource(name: str, new: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        d = descriptor(data, "reference")
        copy = json.loads(json.dumps(resource(d, name)))
        copy["name"] = new
        d["resources"].append(copy)
        write_descriptor(data, "reference", d)
    return apply


def extra_package(name: str, folder: str | None = None) -> Callable[[Path], None]:
    """A second copy of ``reference`` under another name (and folder)."""
    def apply(data: Path) -> None:
        target = data / (folder or name)
        shutil.copytree(data / "reference", target)
        d = descriptor(data, folder or name)
        if name:
            d["name"] = name
        else:
            del d["name"]
        d.pop("id", None)
        write_descriptor(data, folder or name, d)
    return apply


def unlink_csv(package: str, res: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        (data / package / "data" / f"{res}.csv").unlink()
    return apply


def symlink_csv(package: str, res: str, target: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        path = data / package / "data" / f"{res}.csv"
        path.unlink()
        path.symlink_to(target)
    return apply


# -- the hostile and careless pull requests ----------------------------------------------------

BLACKLIST = "enterprise-credit"
CASES: dict[str, Callable[[Path], None]] = {
    # paths out of the output folder
    "version-dot-dot": edit("reference", lambda d: d.update(version="../../../x")),
    "version-absolute": edit("reference", lambda d: d.update(version="/tmp/x")),
    "version-full-width": edit("reference", lambda d: d.update(version="１.０.０")),
    "resource-name-dot-dot": edit("reference", lambda d: resource(d, "sectors").update(name="../sectors")),
    "package-name-dot-dot": edit("reference", lambda d: d.update(name="../reference")),
    "folder-with-space-no-name": extra_package("", "my package"),
    "resource-path-absolute": edit("reference", lambda d: resource(d, "sectors").update(path="/etc/passwd")),
    "resource-path-up": edit("reference", lambda d: resource(d, "sectors").update(path="../../../etc/hosts")),
    "resource-path-remote": edit("reference", lambda d: resource(d, "sectors").update(path="https://example.org/x.csv")),
    "csv-symlink-outside": symlink_csv("reference", "sectors", "/etc/hostname"),
    # names that collide after an export's transformation
    "package-underscore-twin": extra_package("accident_outcomes"),
    "resources-a_b-and-a-b": both(duplicate_resource("sectors", "a_b"), duplicate_resource("sectors", "a-b")),
    "resource-uppercase": edit("reference", lambda d: resource(d, "sectors").update(name="Sectors")),
    # slow patterns and broken schemas
    "redos-pattern": edit("reference", lambda d: field(d, "sectors", "name_en").setdefault(
        "constraints", {}).update(pattern="(?!z)(a+)+b")),
    "invalid-regex": edit("reference", lambda d: field(d, "sectors", "name_en").setdefault(
        "constraints", {}).update(pattern="([")),
    "enum-not-a-list": edit("reference", lambda d: field(d, "sectors", "code").setdefault(
        "constraints", {}).update(enum="commerce")),
    "fields-as-strings": edit("reference", lambda d: resource(d, "sectors")["schema"].update(fields=["code", "name"])),
    "primary-key-number": edit("reference", lambda d: resource(d, "sectors")["schema"].update(primaryKey=7)),
    "primary-key-unknown-field": edit("reference", lambda d: resource(d, "sectors")["schema"].update(primaryKey=["nope"])),
    "schema-null": edit("reference", lambda d: resource(d, "sectors").update(schema=None)),
    "type-int": edit("reference", lambda d: field(d, "sectors", "code").update(type="int")),
    "constraint-unsupported-by-type": edit("reference", lambda d: field(d, "sectors", "industrial").setdefault(
        "constraints", {}).update(minLength=2)),
    "dialect-comment-char": edit("reference", lambda d: resource(d, "sectors").update(dialect={"commentChar": "#"})),
    "dialect-header-rows": edit("reference", lambda d: resource(d, "sectors").update(dialect={"headerRows": [1, 2]})),
    "format-txt": edit("reference", lambda d: resource(d, "sectors").update(format="txt")),
    "nested-10000": nested(10_000),
    "nan-in-descriptor": replace_text("reference", '"version": ', '"x-n": NaN, "version": '),
    "huge-number": replace_text("reference", '"version": ', '"x-n": 1e400, "version": '),
    "lone-surrogate": replace_text("reference", '"version": ', '"x-n": "\\ud800", "version": '),
    "duplicate-key-version": replace_text("reference", '"version": ', '"version": "9.9.9", "version": '),
    "bidi-in-title": edit("reference", lambda d: resource(d, "sectors").update(title="行业\u202e分类")),
    "control-char-in-description": edit("reference", lambda d: d.update(description="说明\x1b[31m")),
    "too-many-columns": many_columns(2_100),
    "missing-csv": unlink_csv("reference", "sectors"),
    # personal data and deceptive text in cells
    "phone-in-integer-column": cell("accident-outcomes", "accidents", "direct_loss_yuan", "13812345678"),
    "phone-full-width": cell("reference", "sectors", "name_en", "１３８１２３４５６７８"),
    "phone-with-dots": cell("reference", "sectors", "name_en", "138.1234.5678"),
    "id-number-spaced": cell("reference", "sectors", "name_en", "3204 0219 8001 0112 35"),
    "bidi-in-cell": cell("reference", "sectors", "name_en", "Commerce\u202etxt.exe"),
    "zero-width-in-cell": cell("reference", "sectors", "name", "商\u200b贸"),
    # versions over time
    "changed-data-same-version": lambda data: (
        (data / "reference" / "data" / "sectors.csv").unlink(),
        (data / "reference" / "data" / "sectors.csv").write_text(
            (DATAPACKAGES / "reference" / "data" / "sectors.csv").read_text("utf-8").replace(
                "Commerce and trade", "Trade and commerce"), "utf-8")),
    "version-lowered": edit("reference", lambda d: d.update(version="0.9.0")),
    # policy: an undeclared package
    "undeclared-package": extra_package("new-codes"),
}

# Pull requests that try to publish what the configuration withholds: refused, or built
# without a row of the withheld table anywhere (the build's own check looks in every file).
WITHHELD_CASES: dict[str, Callable[[Path], None]] = {
    "x-public-deleted": edit(BLACKLIST, lambda d: resource(d, "blacklist").pop("x-public")),
    "x-public-true": edit(BLACKLIST, lambda d: resource(d, "blacklist").update({"x-public": True})),
    "x-public-duplicate-key": replace_text(BLACKLIST, '"x-public": false', '"x-public": false, "x-public": true'),
}

# Options a pull request (a workflow change) could pass: refused before anything is written.
OPTION_CASES: dict[str, Callable[[Path, Path], list[str]]] = {
    "out-dot": lambda data, site: ["--out", "."],
    "out-datapackages": lambda data, site: ["--out", str(data)],
    "out-inside-datapackages": lambda data, site: ["--out", str(data / "reference")],
    "out-holding-git": lambda data, site: ["--out", str(_with_git(site.parent / "repo-like"))],
    "out-foreign-non-empty": lambda data, site: ["--out", str(_foreign(site.parent / "photos"))],
    "cache-is-datapackages": lambda data, site: ["--out", str(site), "--cache", str(data)],
    "cache-is-the-site": lambda data, site: ["--out", str(site), "--cache", str(site)],
    "previous-missing": lambda data, site: ["--out", str(site), "--previous", str(site.parent / "nope")],
    "reference-date-garbage": lambda data, site: ["--out", str(site), "--reference-date", "2026-02-30"],
    "config-duplicate-key": lambda data, site: ["--out", str(site), "--config", str(_config(
        site.parent / "dup.yml", "packages:\n  reference: {}\n  reference: {}\n"))],
    "config-missing": lambda data, site: ["--out", str(site), "--config", str(site.parent / "none.yml")],
}


def _with_git(folder: Path) -> Path:
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    return folder


def _foreign(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8not a site")
    return folder


def _config(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


# -- running the publisher's command and looking at what it left -------------------------------

def run(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's way to refuse an option: usage and message
            code = exit.code
    return code, out.getvalue() + err.getvalue()


def state(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``folder`` with its size, inode and modification time: a file
    rewritten, replaced or touched shows as a change."""
    out = {}
    for path in folder.rglob("*"):
        info = path.lstat()
        out[str(path.relative_to(folder))] = (info.st_size, info.st_ino, info.st_mtime_ns)
    return out


def one_edition_options(root: Path) -> list[str]:
    """The Chinese edition only (the file ``world`` writes): what a pull request may or may
    not publish is the same in every edition, and each build then makes half the pages."""
    return ["--config", str(root / "one-edition.yml")]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    committed = root / "committed"
    shutil.copytree(DATAPACKAGES, committed)
    site = root / "site"
    one_edition_file(root)
    code, message = run("build", "--data", str(committed), "--out", str(site), "--reference-date", DAY,
                        "--no-cache", *one_edition_options(root))
    assert code == 0, message
    return root, committed, site


def _fresh(root: Path, name: str) -> Path:
    data = root / "cases" / name / "datapackages"
    shutil.copytree(root / "committed", data, copy_function=os.link)
    return data


def _outside(root: Path, keep: Path) -> dict:
    """Every file under ``root`` except the site, its lock and the case's own data copy."""
    return {k: v for k, v in state(root).items()
            if not k.startswith(("site", str(keep.relative_to(root))))
            and k != ".site.lock"}  # the build's lock beside its site: its own, rewritten each run


def _refused(code: int, message: str) -> None:
    assert code in (1, 2), (code, message[-3000:])
    assert "Traceback" not in message and message.strip()
    # the message is given in Chinese and in English
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message[-2000:]
    assert any(ch.isascii() and ch.isalpha() for ch in message)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_or_careless_pull_request_is_refused_and_changes_nothing(world, name):
    root, _, site = world
    data = _fresh(root, name)
    CASES[name](data)
    before_site, before_outside = state(site), _outside(root, data.parent)
    code, message = run("build", "--data", str(data), "--out", str(site), "--reference-date", DAY,
                        "--no-cache", *one_edition_options(root))
    _refused(code, message)
    assert state(site) == before_site
    assert _outside(root, data.parent) == before_outside


@pytest.mark.parametrize("name", sorted(WITHHELD_CASES))
def test_no_descriptor_edit_publishes_the_withheld_blacklist(world, name):
    root = world[0]
    data = _fresh(root, name)
    WITHHELD_CASES[name](data)
    out = root / "cases" / name / "site"
    code, message = run("build", "--data", str(data), "--out", str(out), "--reference-date", DAY,
                        "--no-cache", *one_edition_options(root))
    assert "Traceback" not in message
    if code == 0:  # built: the policy held, so the full table is nowhere
        assert not list(out.glob("data/enterprise-credit/*/data/blacklist.*")), message
        assert "enterprise_credit__blacklist" not in "".join(
            p.name for p in out.rglob("*"))
    else:
        _refused(code, message)


@pytest.mark.parametrize("name", sorted(OPTION_CASES))
def test_hostile_options_are_refused_before_anything_is_written(world, name):
    root, _, site = world
    data = _fresh(root, name)
    args = OPTION_CASES[name](data, site)
    before_site, before_data = state(site), state(data)
    before_outside = _outside(root, data.parent)
    code, message = run("build", "--data", str(data), "--reference-date", DAY, *args)
    _refused(code, message)
    assert state(site) == before_site
    assert state(data) == before_data
    assert _outside(root, data.parent) == before_outside


def test_a_correction_with_a_raised_version_and_a_calendar_version_publish(world):
    root, committed, site = world
    published = root / "cases" / "corrections" / "site"
    shutil.copytree(site, published, copy_function=os.link)
    data = _fresh(root, "corrections")
    # a correction of one cell, with the version raised
    path = data / "reference" / "data" / "sectors.csv"
    text = path.read_text("utf-8").replace("Commerce and trade", "Trade and commerce")
    path.unlink()
    path.write_text(text, "utf-8")
    bump("reference")(data)
    code, message = run("build", "--data", str(data), "--out", str(published), "--reference-date", DAY,
                        "--no-cache", *one_edition_options(root))
    assert code == 0, message[-3000:]
    version = descriptor(data, "reference")["version"]
    assert (published / "data" / "reference" / version / "data" / "sectors.csv").is_file()
    old = descriptor(committed, "reference")["version"]
    assert (published / "data" / "reference" / old / "data" / "sectors.csv").is_file()  # kept
    # then a calendar version, newer than the semantic one by the portal's ordering
    edit("reference", lambda d: d.update(version="2026.12"))(data)
    code, message = run("build", "--data", str(data), "--out", str(published), "--reference-date", DAY,
                        "--no-cache", *one_edition_options(root))
    assert code == 0, message[-3000:]
    assert (published / "data" / "reference" / "2026.12" / "datapackage.json").is_file()
