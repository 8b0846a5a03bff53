"""CSV downloads: the canonical file and the one made safe for spreadsheet programs.

The canonical CSV follows the project's CSV rules (UTF-8 without BOM, comma, "\\n",
empty cell = null, true/false, ISO dates). The Excel CSV adds a BOM, so Excel detects
UTF-8, and neutralises text that a spreadsheet would run as a formula (OWASP "CSV
injection"): a text cell starting with = + - @ tab or carriage return gets a leading `'`.
A text cell that already starts with `'` gets one too, so the transformation can be
undone exactly (strip one leading `'`). Numbers, dates and booleans are never touched:
``-2`` in an integer column stays ``-2``.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BOM = "\ufeff".encode("utf-8")
# The trigger characters, plus the quote itself so that the prefix is reversible.
INERT_PATTERN = "^([=+\\-@\\t\\r'])"
INERT_PREFIX = "'"


def _text(column) -> bool:
    return pa.types.is_string(column.type) or pa.types.is_large_string(column.type)


def _empty_to_null(table: pa.Table) -> pa.Table:
    # In our CSVs an empty cell *is* null; writing "" would only be read back as null.
    # A column is copied only if it has an empty cell: a national table's text columns are
    # gigabytes, and copying them all for the few that need it doubled the export's memory.
    columns = []
    for column in table.columns:
        if _text(column):
            empty = pc.equal(column, "")
            if pc.any(empty).as_py():
                column = pc.if_else(empty, pa.scalar(None, column.type), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def make_inert(table: pa.Table) -> pa.Table:
    """Prefix formula-looking text cells with `'`; other types are left as they are (and
    a text column without such a cell is not copied)."""
    columns = []
    for column in table.columns:
        if _text(column) and pc.any(pc.match_substring_regex(column, INERT_PATTERN)).as_py():
            column = pc.replace_substring_regex(column, pattern=INERT_PATTERN, replacement=INERT_PREFIX + "\\1")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


# Quote only where a cell needs it (like the committed CSVs), so a diff of a download
# against the source shows data changes, not quoting.
OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


def write_csv(table: pa.Table, path: Path) -> Path:
    pacsv.write_csv(_empty_to_null(table), path, OPTIONS)
    return path


def write_excel_csv(table: pa.Table, path: Path) -> Path:
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(BOM)
        pacsv.write_csv(make_inert(_empty_to_null(table)), sink, OPTIONS)
    return path
