"""Mutated CSV files never crash the gate: ``validate`` refuses them with a message naming the
file (exit 1 or 2, never a traceback) or accepts them, and what it accepts ``build`` builds.

The committed files of the ``reference`` package (real, small, every column type the
portal uses) are changed the way a careless or hostile pull request would: a cell replaced
by any text (control and bidi characters, quotes, line breaks, huge or non-finite numbers,
impossible dates), bytes that are not UTF-8, a NUL, a BOM in the wrong place, a line
dropped, doubled or cut short, a column added or renamed in the header. Thousands of cases
run in ``nox -s tests``; ``nox -s slow`` (HYPOTHESIS_PROFILE=long) runs ten times more.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "datapackages" / "reference"
FILES = sorted(p.name for p in (PACKAGE / "data").glob("*.csv"))
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
# An error Python can only report (printing a traceback on the user's terminal) fails the
# case: pytest would otherwise turn it into a warning at the end of the run.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

# Values a careless or hostile contributor might type into a cell.
AWKWARD = st.sampled_from([
    "", " ", "NaN", "nan", "inf", "-Infinity", "1e400", "-1e400", "9" * 40, "0x1F", "1_000",
    "１２３", "2015-02-30", "2015-13-01", "0000-00-00", "9999-12-31T25:61", "true", "TRUE", "yes",
    '"', '""', '"a"b"', "a,b", "a\nb", "a\r\nb", "\r", "\u202eevil", "\u200b", "\x00", "\x1b[31m",
    "\ufeff", "<script>alert(1)</script>", "{{ 7*7 }}", "../../etc/passwd", "=cmd|' /C calc'!A0",
    "null", "None", "-", "—", "１", "1.0", "+1", "-0", "1e5", "  320400", "320400\t",
])
CELL = st.one_of(AWKWARD, st.text(max_size=40), st.text(st.characters(codec="utf-8"), max_size=12))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def mutated_csv(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(FILES))
    text = (PACKAGE / "data" / name).read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    kind = draw(st.sampled_from(["cell", "cell", "cell", "cells", "raw", "line", "header", "bytes"]))
    event(kind)
    if kind in ("cell", "cells"):
        for _ in range(1 if kind == "cell" else draw(st.integers(2, 6))):
            r = draw(st.integers(1, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(CELL)
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(rows)
        return name, out.getvalue().encode("utf-8", errors="surrogatepass")
    lines = _lines(text)
    if kind == "raw":  # text inserted into a line as it is, unquoted
        i = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:at] + draw(CELL) + lines[i][at:]
    elif kind == "line":
        i = draw(st.integers(1, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "double", "cut", "extra"]))
        if action == "drop":
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 2)))] + "\n"
        else:
            lines[i] = lines[i].rstrip("\r\n") + ",extra\n"
    elif kind == "header":
        header = rows[0]
        action = draw(st.sampled_from(["rename", "add", "drop", "swap", "case"]))
        c = draw(st.integers(0, len(header) - 1))
        if action == "rename":
            header[c] = draw(CELL)
        elif action == "add":
            header.append(draw(CELL))
        elif action == "drop":
            del header[c]
        elif action == "swap" and len(header) > 1:
            header[0], header[-1] = header[-1], header[0]
        else:
            header[c] = header[c].upper()
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerow(header)
        lines[0] = out.getvalue()
    data = "".join(lines).encode("utf-8", errors="surrogatepass")
    if kind == "bytes":  # not UTF-8, a NUL, or a BOM where none belongs
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"\x00", b"\xef\xbb\xbf", b"\xe4\xb8",
                                     b"\r", b"\x1a"]))
        at = draw(st.integers(0, len(data)))
        data = data[:at] + junk + data[at:]
    return name, data


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("csvfuzz")
    shutil.copytree(PACKAGE, root / "committed" / "reference")
    return root


def _folder(base: Path, name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(dir=base))
    shutil.copytree(base / "committed" / "reference", folder / "reference", copy_function=os.link)
    target = folder / "reference" / "data" / name
    target.unlink()  # a hard link to the shared copy: replace it, never write through it
    target.write_bytes(data)
    return folder


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=15_000 if LONG else 1_500, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=mutated_csv())
def test_validate_refuses_a_mutated_csv_with_a_message_or_accepts_it(base, case):
    name, data = case
    folder = _folder(base, name, data)
    try:  # an exception here is the traceback a publisher would see
        code, out, err = _run("validate", "--format", "text", "--lang", "en", str(folder / "reference"))
        event(f"exit {code}")
        assert code in (0, 1, 2), (code, out, err)
        assert "Traceback" not in out + err
        if code == 1:
            assert name in out or "datapackage.json" in out, out  # the file is named
        elif code == 2:
            assert err.strip(), err
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=60 if LONG else 8, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=mutated_csv())
def test_a_mutated_csv_that_validate_accepts_builds(base, case):
    name, data = case
    folder = _folder(base, name, data)
    site = folder.parent / f"{folder.name}-site"
    try:
        code, out, err = _run("validate", "--format", "text", "--lang", "en", str(folder / "reference"))
        if code != 0:
            return
        code, out, err = _run("build", "--data", str(folder), "--out", str(site),
                              "--reference-date", "2016-01-04", "--no-cache")
        # a new output folder (no earlier release to compare versions with): what validate
        # accepts, the build publishes
        assert "Traceback" not in out + err
        assert code == 0, (code, out[-2000:], err[-2000:])
        assert (site / "index.html").is_file()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)

