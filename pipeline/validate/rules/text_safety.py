"""No invisible or direction-changing characters in any text field.

A disclosure is read as text and quoted by others. A right-to-left override (U+202E) makes
``示例公司exe.pdf`` display as something else, a zero-width space makes two names that
look the same compare different (the lookup would not find the firm), and control
characters (NUL, escape sequences) corrupt terminals, spreadsheets and CI logs. None of
them has a use in this portal's data, so they are refused with the code point named,
rather than published and hoped to be harmless wherever the text is shown next.

Tab, line feed and carriage return stay allowed: quoted plan paragraphs have line breaks.
The character set is :mod:`pipeline.unsafe_text`, which the descriptors' texts are checked
against too. The column is screened with one RE2 pass; only candidate rows are looked at in Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.unsafe_text import SCREEN, offending, shown
from pipeline.validate.errors import ValidationError
from pipeline.validate.rules import Bound, check, col, mask, raw


def printable_ascii(values) -> bool:
    """True if every byte of the column's text is printable ASCII (0x20-0x7e): two
    reductions over the data buffers, no per-row work and no temporary array."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if not pa.types.is_string(chunk.type):
            return False
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset: chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        if data is None or offsets[-1] == offsets[0]:
            continue
        data = np.frombuffer(data, dtype=np.uint8)[offsets[0]: offsets[-1]]
        if data.min() < 0x20 or data.max() > 0x7E:
            return False
    return True


@check("text-safety", batched=True)
def text_safety(b: Bound) -> None:
    """No control, invisible or direction-changing character in any text field."""
    item = b.item
    for fld in item.resource.fields:
        name = fld.get("name", "")
        if fld.get("type", "string") not in ("string", "any") or item.key(name) is None:
            continue
        values = col(item, name)
        if not pa.types.is_string(values.type) or printable_ascii(values):
            continue  # every unsafe character is a control byte or beyond ASCII
        rows = np.flatnonzero(mask(pc.match_substring_regex(values, SCREEN)))
        if not len(rows):
            continue
        found = {}
        for row, text in zip(rows.tolist(), values.take(pa.array(rows)).to_pylist()):
            hit = offending(text)
            if hit is not None:
                found[row] = hit
        if found:
            _report(item, name, found)


def _report(item, field: str, found: dict[int, tuple[str, str, int]]) -> None:
    r = item.resource
    number = item.column_of(field) + 1
    cells = raw(item, field)
    bad = np.zeros(len(cells), dtype=bool)
    bad[list(found)] = True

    def make(rows):
        out = []
        for row in rows.tolist():
            kind, char, position = found[row]
            cell = shown(cells[row].as_py() or "")
            out.append(ValidationError(
                type="text-safety", key=f"rule.text-safety-{kind}",
                values={"field": field, "cell": cell, "char": char, "position": position},
                rowNumber=int(r.row_numbers[row]), fieldName=field, fieldNumber=number,
                cell=cell, line=int(r.lines[row]), note=f"rule.text-safety-{kind}", extension=True))
        return out

    item.out.add_rows("text-safety", bad, make)
