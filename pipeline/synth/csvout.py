"""CSV output in the contract's dialect: UTF-8, comma, "\\n", header = field names, empty = null.

Every column is turned into text first (so the bytes do not depend on a writer's number
formatting) and written unquoted; pyarrow refuses a value that would need quoting, which
keeps the files simple for spreadsheet users and makes a stray comma a loud error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none")


def text(values, *, decimals: int | None = None) -> pa.Array:
    """One column as a nullable UTF-8 array.

    numpy datetime64 → ISO date, bool → "true"/"false", int → decimal digits,
    float → fixed ``decimals`` (NaN = null). ``None``/NaT are null.
    """
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    else:
        values = np.asarray(values)
        if values.dtype.kind == "M":
            arr = pa.array(values.astype("datetime64[D]"), type=pa.date32(),
                           mask=np.isnat(values))
        elif values.dtype.kind == "f":
            if decimals is None:
                raise ValueError("floats need an explicit number of decimals")
            mask = np.isnan(values)
            strings = [None if m else f"{v:.{decimals}f}" for v, m in zip(values.tolist(), mask)]
            return pa.array(strings, type=pa.string())
        elif values.dtype.kind == "S":
            arr = pa.array(values, type=pa.binary()).cast(pa.string())
        else:
            arr = pa.array(values)
    if pa.types.is_boolean(arr.type):
        return pc.if_else(arr, "true", "false")
    return arr.cast(pa.string())


def table(columns: dict[str, object]) -> pa.Table:
    """Columns as text; a ``(floats, decimals)`` pair is formatted with that many decimals."""
    out = {}
    for name, col in columns.items():
        if isinstance(col, tuple):
            out[name] = text(col[0], decimals=col[1])
        else:
            out[name] = text(col)
    return pa.table(out)


def write(path: Path, columns: dict[str, object]) -> None:
    """Write ``columns`` (name → values, in field order) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tbl = table(columns)
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(tbl.column_names) + "\n").encode("utf-8"))
        pacsv.write_csv(tbl, sink, _OPTIONS)


class ChunkedWriter:
    """Append row chunks to one CSV so a huge table never sits in memory whole."""

    def __init__(self, path: Path, names: list[str]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._sink = pa.OSFile(str(path), "wb")
        self._sink.write((",".join(names) + "\n").encode("utf-8"))
        self._names = names
        self._writer = None

    def write(self, columns: dict[str, object]) -> None:
        tbl = table(columns)
        assert tbl.column_names == self._names
        if self._writer is None:
            self._writer = pacsv.CSVWriter(self._sink, tbl.schema, write_options=_OPTIONS)
        self._writer.write_table(tbl)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._sink.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
