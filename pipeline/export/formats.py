"""The download formats of every resource: file name, media type and the writer's key.

File names: the formats scripts read (the canonical CSV, Parquet, JSON) keep the Data
Package's ``data/<resource>.<ext>``, so a script's address of ``latest/`` never changes.
The formats people open in a spreadsheet (Excel CSV, XLSX) are named for what they hold,
``<portal>_<package>_<resource>.<ext>`` (the portal's name is ``site.sqlite`` of
portal.yml), because a downloads folder full of ``accidents.xlsx`` says nothing. The
version is not in the name: it would change the address of ``latest/`` with every
release; the workbook's title and the dictionary sheet carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import current


@dataclass(frozen=True)
class Format:
    key: str  # as listed in x-downloads and the manifest
    suffix: str  # appended to the resource name
    mediatype: str
    label: str  # DCAT/POD "format" and schema.org encodingFormat fallback
    descriptive: bool = False  # named <portal>_<package>_<resource><suffix> (for people)

    def filename(self, resource: str, package: str | None = None) -> str:
        if self.descriptive and package is not None:
            return f"{portal_prefix()}_{package}_{resource}{self.suffix}"
        return f"{resource}{self.suffix}"

    def resource_of(self, filename: str, package: str) -> str | None:
        """The resource a file of this format is named for (either naming), or None."""
        if not filename.endswith(self.suffix):
            return None
        stem = filename[: -len(self.suffix)]
        marker = f"_{package}_"
        if self.descriptive and marker in stem:
            return stem.split(marker, 1)[1]
        return stem


def portal_prefix() -> str:
    """The first part of a descriptive file name: the portal's name in portal.yml."""
    return current().site.sqlite


CSV = Format("csv", ".csv", "text/csv", "CSV")
EXCEL_CSV = Format("csv-excel", ".excel.csv", "text/csv", "CSV", descriptive=True)
XLSX = Format("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
              descriptive=True)
PARQUET = Format("parquet", ".parquet", "application/vnd.apache.parquet", "Parquet")
JSON = Format("json", ".json", "application/json", "JSON")

# The canonical CSV first: it is the file the Data Package descriptor's `path` names.
RESOURCE_FORMATS = (CSV, EXCEL_CSV, XLSX, PARQUET, JSON)

ZIP = Format("zip", ".zip", "application/zip", "ZIP")
SQLITE = Format("sqlite", ".sqlite", "application/vnd.sqlite3", "SQLite")
