"""Row positions: physical lines are stored only when they differ from the row numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.load import Consecutive, load_catalog
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
