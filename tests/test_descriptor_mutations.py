"""Mutated descriptors never crash the gate: ``validate`` refuses them with a message (exit 1
or 2, no traceback) or accepts them, and what it accepts builds.

The committed descriptors are mutated the way a careless or hostile pull request would:
keys deleted or replaced, values of the wrong type, deep nesting, huge numbers, NaN,
unpaired surrogates, and duplicate keys written as raw JSON text. Every accepted mutation is
also a valid Data Package descriptor to frictionless (the reference implementation of the
v2 profile): the portal's profile is the stricter one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import warnings
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
PACKAGES = sorted(p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json"))
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
DAY = date(2016, 1, 1)


class Raw:
    """A value written into the JSON text as it is (NaN, 1e400, a 5,000-digit integer …)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self):
        return f"Raw({self.text[:40]!r})"


class Twice(dict):
    """An object that writes some keys a second time (``extra``), as raw JSON text can."""

    extra: list


def dumps(value) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        pairs = [(k, v) for k, v in value.items()] + list(getattr(value, "extra", []))
        return "{" + ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def at(node, path):
    for part in path:
        node = node[part]
    return node


NASTY_TEXT = ["../../x", "a-b", "a_b", "int", "integer", "", " ", "derived", "accident_outcomes", "../t",
              "data/../../x.csv", "/etc/passwd", "http://example.org/x.csv", "txt", "tsv", "\ud800", "#",
              "[0-9", "(a+)+$", "NaN", "2015-13-45", "1.0.0/../x", "false", "null", "甲", "x" * 300]
RAW = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "123456789012345678901234567890", "9" * 5000,
       '"\\ud800"', '"\\udfff\\ud800"', "1E+999"]


def values():
    leaf = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 1, 2**63, 1.5, 1e300]),
        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.sampled_from(NASTY_TEXT),
        st.sampled_from(RAW).map(Raw))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["name", "type", "x", "title", "fields"]),
                                                     inner, max_size=3)), max_leaves=6)


ADDED_KEYS = ["x-public", "x-release", "x-downloads", "commentChar", "headerRows", "format", "mediatype",
              "name", "$schema", "schema", "dialect", "constraints", "primaryKey", "foreignKeys",
              "x-foreignKeys", "enum", "pattern", "missingValues", "version", "licenses", "data", "path",
              "scheme", "encoding", "bytes", "hash", "type", "fields", "x-en", "contributors", "sources"]


@st.composite
def mutation(draw, document, benign: bool = False):
    """Apply one to three mutations to ``document`` (a fresh copy) and return its JSON text."""
    doc = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        ops = ["delete", "replace"] if benign else \
            ["delete", "replace", "retype", "nest", "add", "duplicate", "raw"]
        op = draw(st.sampled_from(ops))
        if op == "duplicate":  # a key written twice in one object, as raw text can
            objects = [p for p in paths(doc) if isinstance(at(doc, p), dict) and at(doc, p)]
            path = draw(st.sampled_from(objects))
            target = at(doc, path)
            twice = Twice(target)
            key = draw(st.sampled_from(sorted(target)))
            twice.extra = [(key, draw(st.one_of(values(), st.just(target[key]))))]
            if path:
                at(doc, path[:-1])[path[-1]] = twice
            else:
                doc = twice
            continue
        candidates = [p for p in paths(doc) if p and not isinstance(at(doc, p[:-1]), Raw)]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent, last = at(doc, path[:-1]), path[-1]
        current = parent[last]
        if op == "delete":
            del parent[last]
        elif op == "replace":
            if benign and isinstance(current, str):
                parent[last] = draw(st.one_of(st.text(max_size=12), st.sampled_from(NASTY_TEXT)))
            elif benign and isinstance(current, bool):
                parent[last] = not current
            elif benign and isinstance(current, (int, float)):
                parent[last] = draw(st.one_of(st.integers(-1000, 10**6), st.floats(-1e6, 1e6)))
            elif benign:
                del parent[last]
            else:
                parent[last] = draw(values())
        elif op == "retype":
            parent[last] = draw(st.sampled_from([[current], {"value": current}, dumps(current), None, True, 0]))
        elif op == "nest":
            depth = draw(st.sampled_from([2, 10, 63, 64, 65, 1000, 10_000]))
            parent[last] = Raw("[" * depth + "1" + "]" * depth)
        elif op == "add":
            target = current if isinstance(current, dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(ADDED_KEYS))] = draw(values())
        elif op == "raw":
            parent[last] = Raw(draw(st.sampled_from(RAW)))
    return dumps(doc)


def json_path(parts) -> str:
    out = ""
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else (f"{out}.{part}" if out else part)
    return out


def _committed(name: str) -> dict:
    return json.loads((DATAPACKAGES / name / "datapackage.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A copy of the committed packages; each example hard-links its data files from it."""
    root = tmp_path_factory.mktemp("mutations")
    shutil.copytree(DATAPACKAGES, root / "committed", ignore=shutil.ignore_patterns(".*"))
    return root


def _packages(base: Path, mutated: str, text: str, only: list[str] | None = None) -> Path:
    folder = Path(tempfile.mkdtemp(dir=base))
    for name in only or PACKAGES:
        shutil.copytree(base / "committed" / name, folder / name, copy_function=os.link)
    descriptor = folder / mutated / "datapackage.json"
    descriptor.unlink()  # a hard link to the shared copy: replace it, never write through it
    descriptor.write_text(text, encoding="utf-8", errors="surrogatepass")
    return folder


def _validate(root: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", "--format", "text", "--lang", "en", str(root)])
    return code, out.getvalue(), err.getvalue()


def _frictionless_accepts(text: str) -> None:
    frictionless = pytest.importorskip("frictionless")
    descriptor = json.loads(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.Package.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["type", "note"])


@settings(max_examples=600 if LONG else 150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_validate_refuses_with_a_message_or_accepts_a_valid_descriptor(base, data):
    name = data.draw(st.sampled_from(PACKAGES))
    text = data.draw(mutation(_committed(name)))
    folder = _packages(base, name, text)
    try:
        code, out, err = _validate(folder / name)  # an exception here is the traceback users would see
        event(f"exit {code}")
        assert code in (0, 1, 2), (code, out, err)
        assert "Traceback" not in out + err
        if code == 1:
            assert "datapackage.json" in out or ".csv" in out, out
        elif code == 2:
            assert err.strip(), err
        else:
            _frictionless_accepts(text)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=40 if LONG else 12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_what_validate_accepts_builds(base, data):
    from pipeline.build import build
    from pipeline.export import ExportError

    document = _committed("reference")
    text = data.draw(mutation(document, benign=True))
    folder = _packages(base, "reference", text, only=["reference"])
    try:
        code, out, err = _validate(folder / "reference")
        event(f"exit {code}")
        assert code in (0, 1, 2) and "Traceback" not in out + err
        if code != 0:
            return
        site = folder.parent / f"{folder.name}-site"
        try:
            build(folder, site, reference_date=DAY)
        except ExportError as error:
            # The one thing a build needs that validation does not: a version to publish under
            # (Data Package makes it optional, and so does validate for fixtures and drafts).
            assert "version" not in json.loads(text) and "no version" in str(error).lower() \
                or "版本" in str(error), error
        else:
            assert (site / "index.html").is_file()
        shutil.rmtree(site, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_reference_package_without_the_grades_table_builds(base):
    """Found by the mutations above: the grades page linked to a table the package no longer
    declared, and the site check refused the build. The page now says there is none."""
    from pipeline.build import build
    from pipeline.i18n import t

    document = _committed("reference")
    document["resources"] = [r for r in document["resources"] if r["name"] != "accident_grades"]
    folder = _packages(base, "reference", json.dumps(document, ensure_ascii=False), only=["reference"])
    site = folder.parent / f"{folder.name}-site"
    try:
        build(folder, site, reference_date=DAY)
        page = (site / "methodology" / "grades" / "index.html").read_text("utf-8")
        assert t("methodology.grades.none", "zh") in page and "#res-accident_grades" not in page
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)


@pytest.mark.parametrize("name", PACKAGES)
def test_unmutated_descriptors_are_accepted_by_both_profiles(name):
    text = (DATAPACKAGES / name / "datapackage.json").read_text("utf-8")
    _frictionless_accepts(text)


def test_the_mutations_reach_every_kind_of_refusal(base):
    """The strategy is not idle: typical mutations are refused with their own messages."""
    document = _committed("reference")
    cases = {
        "version": ("version", Raw('"../../x"')),
        "int": (("resources", 0, "schema", "fields", 0, "type"), "int"),
        "nan": (("resources", 0, "bytes"), Raw("NaN")),
    }
    for label, (path, value) in cases.items():
        doc = json.loads(json.dumps(document))
        path = (path,) if isinstance(path, str) else path
        at(doc, path[:-1])[path[-1]] = value
        folder = _packages(base, "reference", dumps(doc), only=["reference"])
        code, out, _ = _validate(folder / "reference")
        assert code == 1 and f"{json_path(path)}: " in out, (label, out)
        shutil.rmtree(folder, ignore_errors=True)
