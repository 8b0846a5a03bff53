"""XLSX download, written with openpyxl's streaming (write-only) workbook.

Layout (documented on the downloads page): row 1 holds the Chinese field titles, row 2
the field names (the stable column identifiers also used in CSV, Parquet and SQLite),
data from row 3; both header rows are frozen. Two header rows rather than a comment
because a comment is invisible on phones and in most importers, while a second row is
easy to skip (``pandas.read_excel(header=1)``). A second sheet, 数据字典, holds the data
dictionary.

Cells are typed (numbers, booleans, dates with a date format, text). Text is always
written as a text cell, never as a formula, and text that *looks* like a formula also
gets Excel's quote-prefix flag so that editing the cell does not turn it into one.
Control characters (a carriage return, say) cannot stand in XML; they are written with
OOXML's own escape ``_xHHHH_``, as Excel does (a literal ``_xHHHH_`` in the text becomes
``_x005F_xHHHH_``), so Excel shows the original text.
The workbook's creation/modification dates and the ZIP container's timestamps come from
the release's reference date, so the file is reproducible.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from pipeline.export.files import FixedZipFile, dumps
from pipeline.i18n import t

MAX_ROWS = 1_048_576  # Excel's sheet limit
HEADER_ROWS = 2
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = "^[=+\\-@\t\r]"
# XML 1.0 forbids these control characters, and a parser turns a raw CR into LF.
CONTROL_CHARACTERS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"]
BATCH_ROWS = 65_536


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would make "=..." a formula
    cell.quotePrefix = True
    return cell


def _header(sheet, values, bold: Font) -> list:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    return cells


def ooxml_escape(column: pa.Array) -> pa.Array:
    """Text as an OOXML string: control characters as ``_xHHHH_``, literal escapes protected."""
    if not pc.any(pc.match_substring_regex(column, "_x[0-9A-Fa-f]{4}_|[\\x00-\\x08\\x0b-\\x1f]")).as_py():
        return column
    column = pc.replace_substring_regex(column, "_(x[0-9A-Fa-f]{4}_)", "_x005F_\\1")
    for character in CONTROL_CHARACTERS:
        column = pc.replace_substring(column, character, f"_x{ord(character):04X}_")
    return column


def write_xlsx(table: pa.Table, path: Path, *, fields: list[dict], reference_date: dt.date,
               creator: str, title: str, rows_per_sheet: int = MAX_ROWS - HEADER_ROWS) -> Path:
    """Write ``table``; rows beyond one sheet's capacity continue on sheets 数据 2, 数据 3, ..."""
    workbook = Workbook(write_only=True)
    stamp = dt.datetime.combine(reference_date, dt.time())
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = creator
    workbook.properties.lastModifiedBy = creator
    workbook.properties.title = title

    by_name = {field["name"]: field for field in fields}
    names = table.column_names
    titles = [by_name.get(name, {}).get("title", name) for name in names]
    text_columns = [pa.types.is_string(table.schema.field(name).type) for name in names]
    bold = Font(bold=True)

    sheets = []
    for index in range(max(1, -(-table.num_rows // rows_per_sheet))):
        name = t("export.xlsx.data_sheet") if index == 0 else f"{t('export.xlsx.data_sheet')} {index + 1}"
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A3"
        sheet.append(_header(sheet, titles, bold))
        sheet.append(_header(sheet, names, bold))
        sheets.append(sheet)

    written = 0
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        columns, formula_like = [], []
        for column, is_text in zip(batch.columns, text_columns):
            if is_text:
                formula_like.append(pc.fill_null(pc.match_substring_regex(column, FORMULA_PATTERN), False).to_pylist())
                column = ooxml_escape(column)
            else:
                formula_like.append(None)
            columns.append(column.to_pylist())
        for index, row in enumerate(zip(*columns)):
            sheet = sheets[written // rows_per_sheet]
            sheet.append([
                _text_cell(sheet, value) if flags is not None and flags[index] else value
                for value, flags in zip(row, formula_like)
            ])
            written += 1

    _dictionary_sheet(workbook, names, by_name, bold)

    with FixedZipFile(path, reference_date) as archive:
        ExcelWriter(workbook, archive).write_data()
    return path


def _dictionary_sheet(workbook: Workbook, names: list[str], by_name: dict, bold: Font) -> None:
    sheet = workbook.create_sheet(t("export.xlsx.dictionary_sheet"))
    sheet.freeze_panes = "A3"
    columns = ("name", "title", "type", "description", "constraints")
    sheet.append(_header(sheet, [t(f"export.dictionary.{c}", "zh") for c in columns], bold))
    sheet.append(_header(sheet, [t(f"export.dictionary.{c}", "en") for c in columns], bold))
    for name in names:
        field = by_name.get(name, {"name": name})
        constraints = field.get("constraints")
        values = [field.get("name", name), field.get("title"), field.get("type", "string"),
                  field.get("description"), dumps(constraints, indent=None).strip() if constraints else None]
        escaped = ooxml_escape(pa.array(values, pa.string())).to_pylist()
        sheet.append([_text_cell(sheet, e) if v and v.startswith(FORMULA_START) else e
                      for v, e in zip(values, escaped)])
