"""Row positions: physical lines are stored only when they differ from the row numbers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.load import Consecutive, _scan, load_catalog
from pipeline.validate import validate_catalog


def package(root: Path, data: bytes) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "t.csv").write_bytes(data)
    fields = [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]
    (root / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [{
        "name": "t", "path": "data/t.csv", "format": "csv", "schema": {"fields": fields}}]}))
    return root


def test_without_quoted_newlines_no_line_array_is_kept(tmp_path):
    resource = load_catalog([package(tmp_path, b"a,b\n1,x\n2,y\nz,w\n")]).packages["p"].resources["t"]
    assert isinstance(resource.lines, Consecutive) and isinstance(resource.row_numbers, Consecutive)
    assert resource.lines.tolist() == resource.row_numbers.tolist() == [2, 3, 4]
    assert resource.lines[2] == 4 and resource.lines[np.array([0, 2])].tolist() == [2, 4]
    (error,) = validate_catalog(load_catalog([package(tmp_path, b"a,b\n1,x\n2,y\nz,w\n")])).errors
    assert (error.rowNumber, error.line) == (4, 4)


def test_quoted_newlines_keep_physical_lines_as_int32(tmp_path):
    data = b'a,b\n1,"two\nlines"\n2,y\nz,w\n'
    resource = load_catalog([package(tmp_path, data)]).packages["p"].resources["t"]
    assert resource.lines.dtype == np.int32
    assert resource.lines.tolist() == [2, 4, 5] and resource.row_numbers.tolist() == [2, 3, 4]
    (error,) = validate_catalog(load_catalog([package(tmp_path, data)])).errors
    assert (error.rowNumber, error.line) == (4, 5)


def test_ragged_rows_read_exactly_keep_their_lines(tmp_path):
    data = b'a,b\n1,"x\ny",extra\n2\n'
    resource = load_catalog([package(tmp_path, data)]).packages["p"].resources["t"]
    assert resource.lines.tolist() == [2, 4] and resource.row_numbers.tolist() == [2, 3]


CELLS = st.text(alphabet=['a', 'é', ',', '"', '\n', '\r', ' '], max_size=6)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.one_of(st.just([]), st.lists(CELLS, min_size=1, max_size=3)), min_size=1,
                     max_size=12),
       chunk=st.integers(min_value=1, max_value=64), ending=st.sampled_from(["\n", "\r\n", "\r"]))
def test_record_lines_are_those_of_python_s_csv_reader_whatever_the_chunks(tmp_path_factory, rows, chunk,
                                                                          ending):
    """Where each record starts (its physical line), read in chunks as small as one byte, is
    where Python's csv module finds it: quotes and line ends in quoted cells, empty lines, CRLF
    and lone CR (a chunk that ends between "\r" and "\n"), and the quote parity carried across
    chunk boundaries."""
    body = io.StringIO(newline="")
    writer = csv.writer(body, lineterminator=ending)
    writer.writerow(["h1", "h2"])
    for row in rows:
        writer.writerow(row) if row else body.write(ending)
    path = tmp_path_factory.mktemp("scan") / "t.csv"
    path.write_bytes(body.getvalue().encode("utf-8"))
    starts, line = [], 1
    reader = csv.reader(io.StringIO(body.getvalue(), newline=""))
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    scanned = _scan(path, b",", "sha256", chunk=chunk)
    assert scanned.bad is None and scanned.lines is not None
    assert scanned.digest == hashlib.sha256(path.read_bytes()).hexdigest()  # every byte once
    assert scanned.lines.tolist() == starts
    assert scanned.lines.tolist() == _scan(path, b",", None).lines.tolist()  # one chunk
