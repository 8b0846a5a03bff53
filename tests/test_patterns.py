"""Table Schema patterns: Python's meaning, RE2's linear time (``pipeline.validate.patterns``).

Generated patterns of the constructs RE2 can run agree with Python's ``re.fullmatch``
(with re.ASCII, the portal's reading of \\d \\w \\s \\b) on generated text; what only a
backtracking engine can run is refused with a finding naming the field and the pattern,
and ``validate`` exits with 2; a pattern that backtracks exponentially in Python finishes
at once.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.validate.patterns import MAX_PROGRAM, PatternRefused, compile_pattern

ROOT = Path(__file__).resolve().parent.parent
ALPHABET = "ab01_ -\n.Aé中"


def ours(pattern: str, texts: list[str]) -> list[bool]:
    return compile_pattern(pattern).matches(pa.array(texts, pa.string())).tolist()


def python(pattern: str, texts: list[str]) -> list[bool]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set" and the like
        compiled = re.compile(pattern, re.ASCII)
    return [compiled.fullmatch(t) is not None for t in texts]


# --- a grammar of patterns RE2 can run -------------------------------------------------

ATOMS = st.sampled_from(["a", "b", "0", "1", "_", "-", " ", "é", "中", ".", r"\.", r"\d", r"\D", r"\w", r"\W",
                         r"\s", r"\S", "[ab]", "[^a]", "[a-c0]", "[]a]", "[^]0]", r"[\d_]", r"[^\W0]",
                         r"[\s\S]", "[-a]", r"\u4e2d", r"\x41", "[é-中]", r"\n", "A"])


def patterns(depth: int = 3) -> st.SearchStrategy[str]:
    def extend(inner):
        quantified = st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "{,2}", "{2,}", "*?", "+?",
                                                        "??", "{0,1}?"])).map(lambda t: f"(?:{t[0]}){t[1]}")
        return st.one_of(
            st.lists(inner, min_size=2, max_size=3).map("".join),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + "|".join(xs) + ")"),
            quantified,
            inner.map(lambda p: f"(?P<g>{p})" if "(?P<g>" not in p else f"({p})"),
            inner.map(lambda p: f"(?i:{p})"), inner.map(lambda p: f"(?s:{p})"),
            st.tuples(st.sampled_from(["^", r"\A", r"\b", r"\B", ""]), inner,
                      st.sampled_from(["$", r"\Z", r"\b", ""])).map("".join),
        )
    return st.recursive(ATOMS, extend, max_leaves=8)


TEXTS = st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=8), min_size=1, max_size=12)


@settings(max_examples=400, suppress_health_check=list(HealthCheck))
@given(patterns(), TEXTS)
def test_safe_patterns_mean_what_python_says(pattern, texts):
    if r"\B" in pattern:  # Python before 3.14 never matches \B in an empty string (patterns.py)
        texts = [t for t in texts if t] or ["a"]
    try:
        expected = python(pattern, texts)
    except re.error:
        return  # not a pattern Python reads either (e.g. a repeat of nothing)
    try:
        assert ours(pattern, texts) == expected, compile_pattern(pattern).program
    except PatternRefused as refused:
        assert refused.reason == "size", refused  # a generated nest of repeats may be too large


@pytest.mark.parametrize("pattern, yes, no", [
    ("a|b", ["a", "b"], ["apple", "ab", ""]),  # whole value: not ^a or b$ (frictionless)
    ("01|02", ["01", "02"], ["0123", "102"]),
    ("a{,3}", ["", "aaa"], ["a{,3}", "aaaa"]),  # Python's {,n} is {0,n}; RE2 reads it literally
    (r"[\u4e00-\u9fa5]{2,4}", ["示例", "常州市"], ["示", "abc"]),  # \u escapes, unknown to RE2
    (r"a\Z", ["a"], ["a\n"]),  # \Z is the end; RE2 knows only \z
    ("(?x) a b  # spaced", ["ab"], ["a b"]),  # verbose mode, unknown to RE2
    (r"[0-9]{6}", ["320402"], ["３２０４０２", "32040", "320402\n"]),  # $ at the very end
    (r"\d+", ["2013"], ["２０１３", "٣"]),  # ASCII digits only (divergences.py)
    (r"\w+", ["abc_1"], ["中文"]),
    ("(?i)abc", ["ABC", "abc"], ["abd"]),
    ("[[:alpha:]]", ["a]", "[]"], ["a"]),  # Python has no POSIX classes: a set and a "]"
    ("", [""], ["a"]),
])
def test_pattern_meaning(pattern, yes, no):
    assert ours(pattern, yes + no) == [True] * len(yes) + [False] * len(no)


@pytest.mark.parametrize("pattern, reason", [
    ("(?!z)(a+)+b", "lookaround"), ("(?=a)a", "lookaround"), ("(?<=a)b", "lookaround"), ("(?<!a)b", "lookaround"),
    (r"(a)\1", "backreference"), ("(?P<x>a)(?P=x)", "backreference"), ("(a)?(?(1)b|c)", "conditional"),
    ("(?>a+)b", "atomic"), ("a++b", "possessive"), ("a*+", "possessive"), ("a?+", "possessive"),
    ("(", "invalid"), ("a{2,1}", "invalid"), ("*a", "invalid"), ("[a", "invalid"),
    ("a{1001}", "size"), ("(?:a{1000}){1000}", "size"), ("[a-z]{1,1000}" * 3, "size"),
])
def test_patterns_only_backtracking_can_run_are_refused(pattern, reason):
    with pytest.raises(PatternRefused) as refused:
        compile_pattern(pattern)
    assert refused.value.reason == reason


def test_programs_are_capped():
    assert compile_pattern("[0-9]{6}").size < 50
    with pytest.raises(PatternRefused, match="size"):
        compile_pattern(".{0,999}")
    assert MAX_PROGRAM >= 1000


def test_nested_repeats_run_in_linear_time():
    """(a+)+b backtracks exponentially in Python (minutes for 30 characters); RE2 answers at once."""
    texts = ["a" * n for n in (30, 41, 5000, 100_000)] + ["a" * 40 + "b"]
    started = time.perf_counter()
    assert ours("(a+)+b", texts) == [False] * 4 + [True]
    assert ours("(a|aa)*c", texts) == [False] * 5
    assert time.perf_counter() - started < 5


# --- end to end: the finding, both languages, the exit code --------------------------------

def _package(root: Path, pattern: str, cell: str, kind: str = "string") -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.csv").write_text(f"code\n{cell}\nabc\n", encoding="utf-8")
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": "patterns",
                  "resources": [{"name": "t", "path": "data/t.csv", "type": "table", "scheme": "file",
                                 "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                                 "schema": {"fields": [{"name": "code", "type": kind,
                                                        "constraints": {"pattern": pattern}}]}}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


def test_hostile_pattern_is_refused_quickly_with_a_finding(tmp_path):
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    root = _package(tmp_path, "(?!z)(a+)+b", "a" * 41)
    started = time.perf_counter()
    report = validate_catalog(load_catalog([root]), max_errors=None)
    assert time.perf_counter() - started < 10
    found = [e for e in report.errors if e.type == "not-supported"]
    assert len(found) == 1 and not report.valid
    error = found[0]
    assert error.fieldName == "code" and error.rowNumber is None
    for lang in ("zh", "en"):
        assert "(?!z)(a+)+b" in error.message(lang) and "code" in error.message(lang)
    assert "look-ahead" in error.message("en") and "前瞻" in error.message("zh")
    assert not [e for e in report.errors if e.type == "constraint-error"]  # the pattern was not run
    result = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--format", "text",
                             "--lang", "en", str(root)], check=False, capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "(?!z)(a+)+b" in result.stdout


def test_untyped_field_is_a_string_with_its_pattern(tmp_path):
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    root = _package(tmp_path, "a|b", "apple")
    descriptor = json.loads((root / "datapackage.json").read_text())
    del descriptor["resources"][0]["schema"]["fields"][0]["type"]
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    report = validate_catalog(load_catalog([root]), max_errors=None)
    assert sorted((e.type, e.rowNumber) for e in report.errors) == [("constraint-error", 2), ("constraint-error", 3)]


# --- the validator's own expressions -----------------------------------------------------

@given(st.text(alphabet=st.sampled_from("a-1\n١ .@\t"), max_size=12))
def test_bare_number_and_email_readers_mean_what_their_expressions_say(text):
    from pipeline.validate.celltypes import _is_email, _strip_non_bare

    assert _strip_non_bare(text) == re.sub(r"((^[^-\d]*)|(\D*$))", "", text)
    assert _is_email(text) == bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text))


def test_the_validators_own_expressions_are_linear_on_long_cells():
    """Inputs on which a backtracking expression takes quadratic time or worse (the old
    bareNumber reader and e-mail check took 7 s for 20,000 characters, minutes for 200,000)."""
    from pipeline import uscc
    from pipeline.validate.celltypes import _is_email, _read_duration, _strip_non_bare
    from pipeline.validate.rules import text_safety

    n = 200_000
    started = time.perf_counter()
    assert _strip_non_bare("1" + "a" * n + "1") == "1" + "a" * n + "1"
    assert not _is_email("a@" + "." * n + " ")
    assert _read_duration("P" + "1" * n + "X") is None
    assert not uscc.is_valid("9" * n)
    assert text_safety.offending("a" * n + "\u202e") is not None
    assert time.perf_counter() - started < 5
