"""XLSX download: the sheet XML is built column-wise with Arrow string kernels and streamed
into the ZIP container.

Why not a library: writing cell by cell in Python is the cost. On one table (1M rows × 6
mixed columns: two text, integer, number, boolean, date; 5 % nulls), on a shared 2-core
machine (so ±30 %), each writer fed the same Arrow table: openpyxl's write-only workbook
133 s, XlsxWriter in constant-memory mode 125 s (both spend it in per-cell Python), this
module 4 s, peak memory ~30 MB above the table (rows become XML 32k at a time). At the
province tier the openpyxl writer alone took ~230 s of a 180 s build budget. What is
written here is the small subset of SpreadsheetML a data download needs; the tests read
every file back with openpyxl, pandas and (where installed) LibreOffice.

Layout (documented on the downloads page): row 1 holds the Chinese field titles, row 2
the field names (the stable column identifiers also used in CSV, Parquet and SQLite),
data from row 3; both header rows are bold and frozen. Two header rows rather than a
comment because a comment is invisible on phones and in most importers, while a second
row is easy to skip (``pandas.read_excel(header=1)``). Rows beyond one sheet's capacity
continue on sheets 数据 2, 数据 3, ... (each with both header rows). A last sheet,
数据字典, holds the data dictionary.

Cells (every cell carries its ``r`` reference, so readers that do not place cells
sequentially read them in the right column; a null is no cell at all):

* integers and decimals: their exact decimal digits. Excel keeps a double, so beyond
  2^53 it rounds (and shows 15 significant digits); openpyxl and pandas read the exact
  digits. CSV and Parquet are the lossless downloads.
* numbers: the shortest text that reads back as the same double. NaN and ±infinity have
  no spreadsheet value and are written as empty cells (as JSON writes null).
* booleans: ``t="b"``.
* dates: serial numbers of Excel's 1900 date system with a ``yyyy-mm-dd`` format.
  Excel counts a fictitious 1900-02-29, so dates from 1900-01-01 to 1900-02-28 get one
  less than "days since 1899-12-30" (what Excel and openpyxl do; LibreOffice shows these
  two months one day early, its own documented incompatibility). Dates Excel cannot hold
  (before 1900-01-01, after 9999-12-31) are written as ISO text, as Excel keeps such an
  entry. Timestamps likewise, with a time in the format (wall-clock time; tz-aware
  values in their own zone).
* text: inline strings, XML-escaped. Control characters cannot stand in XML; they are
  written with OOXML's own escape ``_xHHHH_``, as Excel does (a literal ``_xHHHH_`` in
  the text becomes ``_x005F_xHHHH_``), so Excel shows the original text. Text is never
  a formula (there is no ``<f>`` element anywhere), and text that *looks* like one
  (starts with = + - @ tab or CR) gets Excel's quote-prefix style, so that editing the
  cell does not turn it into one.

A row whose cells are all null is a ``<row>`` without cells; readers may drop one at the
end of a sheet (a table with a primary key has none).

The workbook's creation/modification dates and the ZIP entries' timestamps come from the
release's reference date and the entries are written in a fixed order, so the same table
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.files import ZIP_PERMISSIONS, FixedZipFile, dumps, zip_time
from pipeline.i18n import t, unit_of

MAX_ROWS = 1_048_576  # Excel's sheet limit
HEADER_ROWS = 2
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = "^[=+\\-@\t\r]"
# XML 1.0 forbids these characters (a parser would also turn a raw CR into LF).
CONTROL_CHARACTERS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"] + ["\ufffe", "\uffff"]
_ESCAPE_NEEDED = "_x[0-9A-Fa-f]{4}_|[\\x00-\\x08\\x0b-\\x1f\ufffe\uffff]"
CHUNK_ROWS = 32_768  # rows turned into XML at a time: bounds memory, keeps kernels busy

# Cell formats (indexes into cellXfs of styles.xml).
STYLE_HEADER, STYLE_DATE, STYLE_TEXT_QUOTED, STYLE_DATETIME = 1, 2, 3, 4
EXCEL_EPOCH_OFFSET = 25_569  # days from 1899-12-30 (serial 0) to 1970-01-01
FIRST_SERIAL, LAST_SERIAL = 2, 2_958_465  # 1900-01-01 and 9999-12-31 as days since 1899-12-30
LEAP_BUG_LAST = 60  # 1900-02-28: up to here Excel's serial is one less (it counts 1900-02-29)
# A sheet part whose size might pass zipfile's limit for an entry of unknown size needs
# ZIP64 fields; smaller parts go without them, as Excel writes its own files.
ZIP64_ABOVE = zipfile.ZIP64_LIMIT
# Deflate level of the data sheets. Compressing, not building the XML, sets the pace; on
# the 1M-row table of the module docstring: level 1 2.9 s / 58 MB, level 3 3.9 s / 53 MB, level 6 (zlib's
# default, and openpyxl's) 5.9 s / 47 MB. Level 3 keeps most of the speed at +12 % size.
SHEET_COMPRESSION = 3

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT = "application/vnd.openxmlformats-officedocument"


def ooxml_escape(column: pa.Array) -> pa.Array:
    """Text as an OOXML string: control characters as ``_xHHHH_``, literal escapes protected."""
    if not pc.any(pc.match_substring_regex(column, _ESCAPE_NEEDED)).as_py():
        return column
    column = pc.replace_substring_regex(column, "_(x[0-9A-Fa-f]{4}_)", "_x005F_\\1")
    for character in CONTROL_CHARACTERS:
        column = pc.replace_substring(column, character, f"_x{ord(character):04X}_")
    return column


def _xml_text(column: pa.Array) -> pa.Array:
    """Text as element content: OOXML escapes, then XML's & < > (quotes need none there)."""
    column = ooxml_escape(column)
    if pc.any(pc.match_substring_regex(column, "[&<>]")).as_py():
        column = pc.replace_substring(column, "&", "&amp;")
        column = pc.replace_substring(column, "<", "&lt;")
        column = pc.replace_substring(column, ">", "&gt;")
    return column


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- cells of one chunk: each function returns one XML string per row, null for no cell.
# ``ref`` is the pieces that open a cell up to its reference (``<c r="B``, row numbers);
# constant pieces are merged where possible: the join's cost grows with its arguments.

def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _text_cells(ref: tuple, values: pa.Array) -> pa.Array:
    quoted = pc.fill_null(pc.match_substring_regex(values, FORMULA_PATTERN), False)
    # Readers strip leading and trailing whitespace unless told to keep it.
    padded = pc.fill_null(pc.match_substring_regex(values, "^\\s|\\s$"), False)
    style = pc.if_else(quoted, f'" t="inlineStr" s="{STYLE_TEXT_QUOTED}"><is>', '" t="inlineStr"><is>')
    if pc.any(padded).as_py():
        style = _join(style, pc.if_else(padded, '<t xml:space="preserve">', "<t>"))
    else:
        style = _join(style, "<t>")
    return _join(*ref, style, _xml_text(values), "</t></is></c>")


def _number_cells(ref: tuple, text: pa.Array, style: int | None = None) -> pa.Array:
    return _join(*ref, f'" s="{style}"><v>' if style else '"><v>', text, "</v></c>")


def _serial_cells(ref: tuple, values: pa.Array, serial: pa.Array, style: int) -> pa.Array:
    """Date cells from ``serial`` (days since 1899-12-30, fractional for times); dates Excel
    cannot hold become ISO text."""
    day = pc.floor(serial) if pa.types.is_floating(serial.type) else serial
    in_range = pc.and_(pc.greater_equal(day, FIRST_SERIAL), pc.less_equal(day, LAST_SERIAL))
    serial = pc.if_else(pc.less_equal(day, LEAP_BUG_LAST), pc.subtract(serial, 1), serial)
    cells = _number_cells(ref, serial.cast(pa.string()), style)
    if pc.all(pc.fill_null(in_range, True)).as_py():
        return cells
    text = values.cast(pa.string()) if pa.types.is_date(values.type) else pc.strftime(values, "%Y-%m-%dT%H:%M:%S")
    return pc.if_else(in_range, cells, _text_cells(ref, text))


def _cells(ref: tuple, values: pa.Array) -> pa.Array:
    kind = values.type
    if pa.types.is_dictionary(kind):
        return _cells(ref, values.dictionary_decode())
    if pa.types.is_boolean(kind):
        return _join(*ref, '" t="b"><v>', pc.if_else(values, "1", "0"), "</v></c>")
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return _number_cells(ref, values.cast(pa.string()))
    if pa.types.is_floating(kind):
        finite = pc.if_else(pc.is_finite(values), values, pa.scalar(None, kind))
        return _number_cells(ref, finite.cast(pa.string()))
    if pa.types.is_date(kind):
        days = values.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
        return _serial_cells(ref, values, pc.add(days, EXCEL_EPOCH_OFFSET), STYLE_DATE)
    if pa.types.is_timestamp(kind):
        wall = pc.local_timestamp(values) if kind.tz else values
        micros = wall.cast(pa.timestamp("us")).cast(pa.int64())
        serial = pc.add(pc.divide(micros.cast(pa.float64()), 86_400_000_000.0), float(EXCEL_EPOCH_OFFSET))
        return _serial_cells(ref, wall, serial, STYLE_DATETIME)
    return _text_cells(ref, values.cast(pa.string()))


def _buffer(rows: pa.Array) -> memoryview:
    """The concatenated text of a string array without nulls: a view of its data buffer."""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset: rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[offsets[0]: offsets[-1]]


def _row_xml(number: int, cells: list[tuple[str, int | None]]) -> str:
    """One row written from Python values (header and dictionary rows): (text, style)."""
    parts = [f'<row r="{number}">']
    for index, (value, style) in enumerate(cells):
        if value is None:
            continue
        text = escape(ooxml_escape(pa.array([value], pa.string()))[0].as_py())
        style_attr = f' s="{style}"' if style else ""
        parts.append(f'<c r="{_column_letter(index)}{number}" t="inlineStr"{style_attr}>'
                     f'<is><t xml:space="preserve">{text}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


def _sheet_head(columns: int, rows: int, header: list[list[str | None]]) -> str:
    last = f"{_column_letter(max(columns, 1) - 1)}{max(rows, 1)}"
    head_rows = "".join(_row_xml(i + 1, [(v, STYLE_HEADER) for v in values]) for i, values in enumerate(header))
    return (f'{XML_HEAD}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f'<dimension ref="A1:{last}"/>'
            '<sheetViews><sheetView workbookViewId="0">'
            f'<pane ySplit="{HEADER_ROWS}" topLeftCell="A{HEADER_ROWS + 1}" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<sheetData>{head_rows}")


SHEET_TAIL = "</sheetData></worksheet>"


def _entry(archive: zipfile.ZipFile, name: str, reference_date: dt.date, *, large: bool):
    info = zipfile.ZipInfo(name, date_time=zip_time(reference_date))
    info.compress_type = zipfile.ZIP_DEFLATED
    # The attribute is public from Python 3.13 on; 3.11 and 3.12 call it _compresslevel.
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", SHEET_COMPRESSION)
    info.create_system = 3  # unix, as FixedZipFile does, so the permission bits are honoured
    info.external_attr = ZIP_PERMISSIONS
    return archive.open(info, "w", force_zip64=large)


def _write_data_sheet(archive, name, reference_date, table: pa.Table, header: list[list[str]]) -> None:
    columns = table.num_columns
    # Upper bound of the part's size (every character escaped, generous per-cell markup).
    bound = table.num_rows * (columns * 96 + 32) + 7 * table.nbytes + 4096 * (columns + 1)
    letters = [_column_letter(i) for i in range(columns)]
    # Compressing one chunk (zlib) overlaps building the next (Arrow): both release the GIL.
    # One chunk in flight at a time keeps the order, so the bytes, and bounds the memory.
    with _entry(archive, name, reference_date, large=bound > ZIP64_ABOVE) as part, \
            ThreadPoolExecutor(max_workers=1) as compressor:
        part.write(_sheet_head(columns, table.num_rows + HEADER_ROWS, header).encode())
        pending = None
        first = HEADER_ROWS + 1
        for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
            if not batch.num_rows:
                continue
            numbers = pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64)).cast(pa.string())
            first += batch.num_rows
            cells = [_cells((f'<c r="{letter}', numbers), column) for letter, column in zip(letters, batch.columns)]
            rows = pc.binary_join_element_wise(_join('<row r="', numbers, '">'), *cells, "</row>", "",
                                               null_handling="skip")
            if pending is not None:
                pending.result()
            # rows travels with the view, so its buffer lives until the write is done
            pending = compressor.submit(lambda chunk: part.write(_buffer(chunk)), rows)
        if pending is not None:
            pending.result()
        part.write(SHEET_TAIL.encode())


def _title(field: dict) -> str:
    """A column's heading: its Chinese title, with its unit where the title does not say it
    already ("死亡人数（人）"). A unit that varies by row is explained in the dictionary sheet."""
    title = field.get("title") or field["name"]
    unit = unit_of(field, "zh")
    if not unit or str(field.get("x-unit")).startswith("by_") or f"（{unit}）" in title:
        return title
    return f"{title}（{unit}）"


def _dictionary_sheet(names: list[str], by_name: dict) -> str:
    """One row per column: its name, its title and unit in Chinese and in English (``x-en``),
    type, description (and its English, where the descriptor gives one in ``x-en``) and
    constraints."""
    columns = ("name", "title", "title_en", "unit", "unit_en", "type", "description", "description_en",
               "constraints")
    header = [[t(f"export.dictionary.{c}", "zh") for c in columns], [t(f"export.dictionary.{c}", "en") for c in columns]]
    rows = []
    for number, name in enumerate(names, start=HEADER_ROWS + 1):
        field = by_name.get(name, {"name": name})
        english = field.get("x-en") if isinstance(field.get("x-en"), dict) else {}
        constraints = field.get("constraints")
        values = [field.get("name", name), field.get("title"), english.get("title"),
                  unit_of(field, "zh") or None, unit_of(field, "en") or None, field.get("type", "string"),
                  field.get("description"), english.get("description"),
                  dumps(constraints, indent=None).strip() if constraints else None]
        rows.append(_row_xml(number, [(v, STYLE_TEXT_QUOTED if v and v.startswith(FORMULA_START) else None)
                                      for v in values]))
    return _sheet_head(len(columns), len(names) + HEADER_ROWS, header) + "".join(rows) + SHEET_TAIL


def _content_types(sheets: int) -> str:
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{CONTENT}.spreadsheetml.worksheet+xml"/>'
                        for i in range(1, sheets + 1))
    return (f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT}.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT}.spreadsheetml.styles+xml"/>'
            f"{overrides}"
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{CONTENT}.extended-properties+xml"/>'
            "</Types>")


def _root_rels() -> str:
    return (f'{XML_HEAD}<Relationships xmlns="{PACKAGE_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{PACKAGE_REL_NS}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>")


def _core(reference_date: dt.date, creator: str, title: str) -> str:
    stamp = f"{reference_date.isoformat()}T00:00:00Z"
    return (f'{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(creator)}</dc:creator>"
            f"<cp:lastModifiedBy>{escape(creator)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>")


def _app() -> str:
    return (f'{XML_HEAD}<Properties xmlns="{CONTENT}/2006/extended-properties"'
            f' xmlns:vt="{CONTENT}/2006/docPropsVTypes"><DocSecurity>0</DocSecurity></Properties>')


def _workbook(sheet_names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, name in enumerate(sheet_names, start=1))
    return (f'{XML_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>")


def _workbook_rels(sheets: int) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, sheets + 1))
    return (f'{XML_HEAD}<Relationships xmlns="{PACKAGE_REL_NS}">{rels}'
            f'<Relationship Id="rId{sheets + 1}" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>')


def _styles() -> str:
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
    xf = 'fontId="{font}" fillId="0" borderId="0" xfId="0"'
    return (f'{XML_HEAD}<styleSheet xmlns="{MAIN_NS}">'
            '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
            '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
            f"<fonts count=\"2\"><font>{font}</font><font><b/>{font}</font></fonts>"
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="5">'
            f'<xf numFmtId="0" {xf.format(font=0)}/>'  # 0 default
            f'<xf numFmtId="0" {xf.format(font=1)} applyFont="1"/>'  # 1 header (bold)
            f'<xf numFmtId="164" {xf.format(font=0)} applyNumberFormat="1"/>'  # 2 date
            f'<xf numFmtId="0" {xf.format(font=0)} quotePrefix="1"/>'  # 3 text that looks like a formula
            f'<xf numFmtId="165" {xf.format(font=0)} applyNumberFormat="1"/>'  # 4 date and time
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>")


def write_xlsx(table: pa.Table, path: Path, *, fields: list[dict], reference_date: dt.date,
               creator: str, title: str, version: str | None = None,
               rows_per_sheet: int = MAX_ROWS - HEADER_ROWS) -> Path:
    """Write ``table``; rows beyond one sheet's capacity continue on sheets 数据 2, 数据 3, ..."""
    by_name = {field["name"]: field for field in fields}
    names = table.column_names
    titles = [_title(by_name.get(name, {"name": name})) for name in names]
    data_sheets = max(1, -(-table.num_rows // rows_per_sheet))
    sheet_names = [t("export.xlsx.data_sheet") if i == 0 else f"{t('export.xlsx.data_sheet')} {i + 1}"
                   for i in range(data_sheets)] + [t("export.xlsx.dictionary_sheet")]

    with FixedZipFile(path, reference_date) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(sheet_names)))
        archive.writestr("_rels/.rels", _root_rels())
        archive.writestr("docProps/app.xml", _app())
        archive.writestr("docProps/core.xml",
                         _core(reference_date, creator, f"{title} {version}" if version else title))
        archive.writestr("xl/workbook.xml", _workbook(sheet_names))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheet_names)))
        archive.writestr("xl/styles.xml", _styles())
        for index in range(data_sheets):
            part = table.slice(index * rows_per_sheet, rows_per_sheet)
            _write_data_sheet(archive, f"xl/worksheets/sheet{index + 1}.xml", reference_date, part, [titles, names])
        archive.writestr(f"xl/worksheets/sheet{len(sheet_names)}.xml", _dictionary_sheet(names, by_name))
    return path
