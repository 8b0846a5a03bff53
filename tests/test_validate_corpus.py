"""The bad-input corpus: one small package (or folder of packages) per domain rule and per
loading hazard, each expected to fail with its error type, row, field and message (and,
where ``count`` is given, with nothing else)."""

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


def findings(case: Path, expected: dict) -> list[tuple[str, int | None, str | None, str, int | None]]:
    try:
        catalog = load_catalog([case], max_bytes=expected.get("max_bytes", DEFAULT_MAX_BYTES))
    except LoadError as error:
        return [(error.type, None, None, error.message(expected["lang"]), None)]
    report = validate_catalog(catalog, max_errors=None)
    return [(e.type, e.rowNumber, e.fieldName, e.message(expected["lang"]), e.line) for e in report.errors]


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
    assert matching, found
    if "count" in expected:  # nothing else is reported: the valid rows beside the bad one pass
        assert len(found) == expected["count"], found
    if "line" in expected:
        assert matching[0][4] == expected["line"], found


def test_every_rule_has_a_case():
    from pipeline.validate.rules import RULE_TYPES

    covered = {json.loads((CORPUS / c / "expected.json").read_text(encoding="utf-8"))["type"] for c in CASES}
    assert set(RULE_TYPES) <= covered, set(RULE_TYPES) - covered
