"""The bad-input corpus: one small package (or folder of packages) per domain rule, per
loading hazard and per descriptor refusal, each expected to fail with its error type, row,
field and message (and, where ``count`` is given, with nothing else). A descriptor case
also names the JSON path of the refused value and parts of its message in Chinese and
English (``path``, ``messages``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline.load import DEFAULT_MAX_BYTES, LoadError, load_catalog
from pipeline.validate import validate_catalog

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def findings(case: Path, expected: dict) -> list[tuple]:
    """(type, row, field, message, line, JSON path, {lang: message}) of every finding."""
    try:
        catalog = load_catalog([case], max_bytes=expected.get("max_bytes", DEFAULT_MAX_BYTES))
    except LoadError as error:
        if getattr(error, "problems", None):  # every descriptor problem, with its JSON path
            return [(p.type, None, None, p.message(expected["lang"]), p.line, p.path,
                     {lang: p.message(lang) for lang in ("zh", "en")}) for p in error.problems]
        return [(error.type, None, None, error.message(expected["lang"]), None, None,
                 {lang: error.message(lang) for lang in ("zh", "en")})]
    report = validate_catalog(catalog, max_errors=None)
    return [(e.type, e.rowNumber, e.fieldName, e.message(expected["lang"]), e.line, None,
             {lang: e.message(lang) for lang in ("zh", "en")}) for e in report.errors]


@pytest.mark.parametrize("name", CASES)
def test_case_fails_as_expected(name, tmp_path):
    expected = json.loads((CORPUS / name / "expected.json").read_text(encoding="utf-8"))
    case = tmp_path / "package" / name
    shutil.copytree(CORPUS / name, case)
    if "symlink" in expected:  # links are made here: a repository should not carry one
        outside = tmp_path / "outside.csv"
        outside.write_text("a\nsecret\n", encoding="utf-8")
        link = case / expected["symlink"]["link"]
        os.symlink(os.path.relpath(outside, link.parent), link)
    found = findings(case, expected)
    matching = [f for f in found if f[:3] == (expected["type"], expected["rowNumber"], expected["fieldName"])
                and expected["message"] in f[3]]
    if "path" in expected:
        matching = [f for f in matching if f[5] == expected["path"]]
    assert matching, found
    if "count" in expected:  # nothing else is reported: the valid rows beside the bad one pass
        assert len(found) == expected["count"], found
    if "line" in expected:
        assert matching[0][4] == expected["line"], found
    for lang, parts in expected.get("messages", {}).items():
        message = matching[0][6][lang]
        assert all(part in message for part in parts), (lang, message)
        if expected.get("path"):  # the message starts with where the value is
            assert message.startswith(expected["path"]), (lang, message)


def test_every_rule_has_a_case():
    from pipeline.validate.rules import RULE_TYPES

    covered = {json.loads((CORPUS / c / "expected.json").read_text(encoding="utf-8"))["type"] for c in CASES}
    assert set(RULE_TYPES) <= covered, set(RULE_TYPES) - covered


def test_every_descriptor_case_is_refused_before_any_data_is_read(tmp_path, monkeypatch):
    from pipeline import load

    def no_reading(*args, **kwargs):
        raise AssertionError("a data file was read although the descriptor was refused")

    monkeypatch.setattr(load, "read_table", no_reading)
    for name in (c for c in CASES if c.startswith("descriptor-")):
        case = tmp_path / name
        shutil.copytree(CORPUS / name, case)
        with pytest.raises(LoadError) as caught:
            load_catalog([case])
        assert caught.value.problems, name
