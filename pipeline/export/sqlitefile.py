"""One SQLite database of every table in the portal.

Table names are ``<package>__<resource>`` with hyphens turned into underscores. Columns
are typed (INTEGER, REAL, TEXT; booleans are INTEGER 0/1 with a CHECK; dates are ISO
TEXT), primary keys and foreign keys are declared (same-package ``foreignKeys`` and
cross-package ``x-foreignKeys`` whenever both tables are in the database). Two small
tables, ``_tables`` and ``_fields``, carry the titles and descriptions so the database
is its own data dictionary.

Reproducible: tables are created and filled in name order with the same statements, so the
same inputs give the same bytes. The file is not VACUUMed: nothing is ever deleted from it,
so there is no free page to reclaim, and rewriting a national database (3.5 GB) took 28 s.

Each table's rows are first written into a database of their own (``write_table_database``,
one of the export's file writers, so the build cache reuses it while the table is
unchanged), then copied into the portal database by SQLite itself (``INSERT … SELECT``).
Binding the rows is most of this file's time; only changed tables pay it. Clean and
incremental builds take the same path, so they give the same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.i18n import both
from pipeline.model import Catalog, Resource
from pipeline.outdir import inside
from pipeline.tablenames import table_name

# Every database is written once, start to end, into a file the build discards on failure:
# no journal, no syncs.
PRAGMAS = ("page_size = 4096", "journal_mode = OFF", "synchronous = OFF")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _column_type(type_: pa.DataType) -> str:
    if pa.types.is_integer(type_) or pa.types.is_boolean(type_):
        return "INTEGER"
    if pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return "REAL"
    return "TEXT"


def _keys(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    reference: tuple[str, ...]


def _foreign_keys(resource: Resource, present: set[str]) -> list[ForeignKey]:
    """Declared keys (same-package and cross-package) whose target table is in the database."""
    schema = resource.schema
    declared = [(fk, resource.package) for fk in schema.get("foreignKeys", []) or []]
    declared += [(fk, None) for fk in resource.descriptor.get("x-foreignKeys", []) or []]
    found = set()
    for fk, same_package in declared:
        reference = fk.get("reference", {})
        package = same_package or reference.get("package", resource.package)
        target = table_name(package, reference.get("resource") or resource.name)  # "" = itself
        if target in present:
            found.add(ForeignKey(tuple(_keys(fk.get("fields"))), target, tuple(_keys(reference.get("fields")))))
    return sorted(found, key=lambda fk: (fk.fields, fk.table, fk.reference))


def _is_unique(table: pa.Table, columns: tuple[str, ...]) -> bool:
    if any(name not in table.column_names for name in columns):
        return False
    subset = table.select(list(columns))
    if any(column.null_count for column in subset.columns):
        return False
    return subset.group_by(list(columns)).aggregate([]).num_rows == table.num_rows


def _create_statement(resource: Resource, table: pa.Table, foreign_keys: list[ForeignKey]) -> str:
    required = {field["name"] for field in resource.fields if (field.get("constraints") or {}).get("required")}
    primary_key = _keys(resource.schema.get("primaryKey"))
    lines = []
    for arrow_field in table.schema:
        name = arrow_field.name
        line = f"{_quote(name)} {_column_type(arrow_field.type)}"
        if name in required or name in primary_key:
            line += " NOT NULL"
        if pa.types.is_boolean(arrow_field.type):
            line += f" CHECK ({_quote(name)} IN (0, 1))"
        lines.append(line)
    if primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(map(_quote, primary_key))})")
    for fk in foreign_keys:
        lines.append(f"FOREIGN KEY ({', '.join(map(_quote, fk.fields))}) REFERENCES {_quote(fk.table)} "
                     f"({', '.join(map(_quote, fk.reference))})")
    name = table_name(resource.package, resource.name)
    return f"CREATE TABLE {_quote(name)} (\n  " + ",\n  ".join(lines) + "\n)"


def _bindable(table: pa.Table) -> pa.Table:
    """``table`` with the columns SQLite stores as Arrow types the ingest binds directly:
    booleans as 0/1 integers, dates and timestamps as ISO text, dictionaries decoded,
    decimals as REAL (their column's declared type)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_boolean(column.type):
            column = column.cast(pa.int64())
        elif pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
            column = _iso(column)
        elif pa.types.is_decimal(column.type):
            # through the decimal text: Arrow's direct cast is not correctly rounded
            # (1.251 became 1.2510000000000001), parsing the text is
            column = column.cast(pa.string()).cast(pa.float64())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _iso(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO text of dates and timestamps, as ``date.isoformat()`` and ``datetime.isoformat()``
    write them (Arrow's cast writes a timestamp with a space and zone suffix, so those are
    formatted by Python)."""
    if pa.types.is_date(column.type):
        return column.cast(pa.string())
    return pa.chunked_array([pa.array([None if v is None else v.isoformat() for v in column.to_pylist()],
                                      pa.string())])


@contextlib.contextmanager
def disk_errors(path: Path):
    """SQLite's failures to write as the OSError they are (ENOSPC for "database or disk is
    full", EIO otherwise), naming the file: the build reports an OSError as a failed write
    that left the published site as it was; an sqlite3 error would reach the reader as a
    traceback. (A national build once filled a disk while writing the database.)"""
    from adbc_driver_manager import DatabaseError  # what the ADBC driver raises

    try:
        yield
    except (sqlite3.OperationalError, DatabaseError) as error:
        code = errno.ENOSPC if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL \
            or "full" in str(error) else errno.EIO
        raise OSError(code, f"{os.strerror(code)}: {error}", str(path)) from error


def write_table_database(table: pa.Table, path: Path, *, name: str) -> Path:
    """The rows of ``table``, in order, as table ``name`` of a new SQLite file ``path``.

    Plain columns with their affinity and no constraints: the portal database declares the
    keys; this file only carries the values. The rows are bound from the table's Arrow
    buffers by the ADBC SQLite driver, in C and without Python's lock, so tables are
    written at once on threads, one per core. Turning rows into Python tuples for
    ``sqlite3.executemany`` took about 100 s of CPU in the national export, in worker
    processes fed through Arrow files; the driver needs neither. The values and storage
    classes are those ``sqlite3`` stored (a property test compares every cell and its
    ``typeof``), and the national portal database came out byte for byte the same."""
    import adbc_driver_sqlite.dbapi  # only the export needs it: the CLI starts without it

    path.unlink(missing_ok=True)
    with disk_errors(path), adbc_driver_sqlite.dbapi.connect(str(path), autocommit=True) as connection, \
            connection.cursor() as cursor:
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
            cursor.fetchall()
        columns = ", ".join(f"{_quote(f.name)} {_column_type(f.type)}" for f in table.schema)
        cursor.execute("BEGIN")
        cursor.execute(f"CREATE TABLE {_quote(name)} ({columns})")
        cursor.adbc_ingest(name, _bindable(table), mode="append")
        cursor.execute("COMMIT")
    return path


def write_sqlite(catalog: Catalog, tables: dict[tuple[str, str], pa.Table], path: Path, *,
                 table_writer: Callable[..., Path] = write_table_database,
                 fields: dict[tuple[str, str], list[dict]] | None = None) -> list[str]:
    """Write every table of ``tables`` (keyed by package, resource); returns warnings.

    ``fields`` gives the published fields of a table where they are more than its
    resource's (the label columns of :mod:`pipeline.export.labels`), for ``_fields``.

    ``table_writer`` writes one table's rows into a database of its own (the export passes
    :func:`write_table_database` through the build cache).
    """
    entries = {}
    for (package, resource), table in tables.items():
        name = table_name(package, resource)
        if name in entries:
            # not at the top: the export imports this module
            from pipeline.export.errors import ExportError

            other = entries[name][0]
            raise ExportError(both("export.error.table_collision", table=name,
                                   first=f"{other.package}/{other.name}", second=f"{package}/{resource}"))
        entries[name] = (catalog.resource(package, resource), table)
    warnings: list[str] = []
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tables-", dir=path.parent) as parts, disk_errors(temporary):
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            for pragma in PRAGMAS:
                connection.execute(f"PRAGMA {pragma}")
            indexes: set[str] = set()
            # Written before the transaction: ATTACH is not allowed inside one. One table per
            # core at once (the largest first, so that they end together)
            with ThreadPoolExecutor(os.cpu_count() or 1) as threads:
                by_size = sorted(entries, key=lambda n: (-entries[n][1].num_rows * entries[n][1].num_columns, n))
                for done in [threads.submit(table_writer, entries[name][1], inside(Path(parts), f"{name}.sqlite"),
                                            name=name) for name in by_size]:
                    done.result()
            connection.execute("BEGIN")
            _metadata_tables(connection)
            for name in sorted(entries):
                resource, table = entries[name]
                foreign_keys, unique = [], []
                for fk in _foreign_keys(resource, set(entries)):
                    target_resource, target = entries[fk.table]
                    if fk.reference != tuple(_keys(target_resource.schema.get("primaryKey"))):
                        # SQLite needs a referenced column set to be a key; add one if the data allow.
                        if not _is_unique(target, fk.reference):
                            warnings.append(both("export.warning.foreign_key_left_out", table=name,
                                                 target=fk.table, fields=", ".join(fk.reference)))
                            continue
                        unique.append(fk)
                    foreign_keys.append(fk)
                connection.execute(_create_statement(resource, table, foreign_keys))
                _describe(connection, name, catalog.packages[resource.package].descriptor, resource, table,
                          (fields or {}).get((resource.package, resource.name)))
                # Indexes come after all tables are filled: a unique index may be on a later table.
                for fk in unique:
                    indexes.add(f"CREATE UNIQUE INDEX IF NOT EXISTS {_quote(fk.table + '__unique__' + '__'.join(fk.reference))} "
                                f"ON {_quote(fk.table)} ({', '.join(map(_quote, fk.reference))})")
                for fk in foreign_keys:
                    indexes.add(f"CREATE INDEX IF NOT EXISTS {_quote(name + '__fk__' + '__'.join(fk.fields))} "
                                f"ON {_quote(name)} ({', '.join(map(_quote, fk.fields))})")
            connection.execute("COMMIT")
            for name in sorted(entries):
                _copy_rows(connection, inside(Path(parts), f"{name}.sqlite"), name)
            connection.execute("BEGIN")
            for statement in sorted(indexes):
                connection.execute(statement)
            connection.execute("COMMIT")
        finally:
            connection.close()
    temporary.replace(path)
    return warnings


def _copy_rows(connection: sqlite3.Connection, source: Path, name: str) -> None:
    """Copy table ``name`` of the database ``source`` into the same table of ``connection``,
    in row order. ``ORDER BY rowid`` keeps SQLite from copying pages wholesale (its transfer
    optimisation), so the bytes depend only on the rows, not on how ``source`` was laid out."""
    connection.execute("ATTACH DATABASE ? AS part", (str(source),))
    try:
        connection.execute("BEGIN")
        connection.execute(f"INSERT INTO main.{_quote(name)} SELECT * FROM part.{_quote(name)} ORDER BY rowid")
        connection.execute("COMMIT")
    finally:
        connection.execute("DETACH DATABASE part")


def _metadata_tables(connection: sqlite3.Connection) -> None:
    connection.execute(
        "CREATE TABLE _tables (table_name TEXT PRIMARY KEY NOT NULL, package TEXT NOT NULL, "
        "resource TEXT NOT NULL, version TEXT, title TEXT, title_en TEXT, description TEXT, "
        "description_en TEXT, synthetic INTEGER CHECK (synthetic IN (0, 1)), row_count INTEGER NOT NULL)")
    connection.execute(
        "CREATE TABLE _fields (table_name TEXT NOT NULL REFERENCES _tables (table_name), "
        "position INTEGER NOT NULL, name TEXT NOT NULL, title TEXT, type TEXT NOT NULL, description TEXT, "
        "PRIMARY KEY (table_name, name))")


def _describe(connection, name: str, package: dict, resource: Resource, table: pa.Table,
              fields: list[dict] | None = None) -> None:
    english = resource.descriptor.get("x-en") or {}
    synthetic = resource.descriptor.get("synthetic", package.get("synthetic"))
    connection.execute("INSERT INTO _tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
        name, resource.package, resource.name, package.get("version"), resource.descriptor.get("title"),
        english.get("title"), resource.descriptor.get("description"), english.get("description"),
        None if synthetic is None else int(bool(synthetic)), table.num_rows))
    by_name = {field["name"]: field for field in fields or resource.fields}
    connection.executemany("INSERT INTO _fields VALUES (?, ?, ?, ?, ?, ?)", [
        (name, position, column, by_name.get(column, {}).get("title"),
         by_name.get(column, {}).get("type", "string"), by_name.get(column, {}).get("description"))
        for position, column in enumerate(table.column_names, 1)])
