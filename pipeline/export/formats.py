"""The download formats of every resource: file name, media type and the writer's key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    key: str  # as listed in x-downloads and the manifest
    suffix: str  # appended to the resource name
    mediatype: str
    label: str  # DCAT/POD "format" and schema.org encodingFormat fallback

    def filename(self, resource: str) -> str:
        return f"{resource}{self.suffix}"


CSV = Format("csv", ".csv", "text/csv", "CSV")
EXCEL_CSV = Format("csv-excel", ".excel.csv", "text/csv", "CSV")
XLSX = Format("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")
PARQUET = Format("parquet", ".parquet", "application/vnd.apache.parquet", "Parquet")
JSON = Format("json", ".json", "application/json", "JSON")

# The canonical CSV first: it is the file the Data Package descriptor's `path` names.
RESOURCE_FORMATS = (CSV, EXCEL_CSV, XLSX, PARQUET, JSON)

ZIP = Format("zip", ".zip", "application/zip", "ZIP")
SQLITE = Format("sqlite", ".sqlite", "application/vnd.sqlite3", "SQLite")
