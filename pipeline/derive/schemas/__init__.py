"""Table Schemas of the derived resources (one JSON file each), and ``conform``.

Each ``<resource>.json`` beside this module is a Table Schema: ``fields`` (with ``title`` and
``description`` in Chinese and ``x-en: {title, description}`` in English, the convention of
the package descriptors), ``primaryKey``, and the portal's keys: the resource's own
``title``/``description``/``x-en``, ``x-foreignKeys`` into other packages, ``x-identity`` (the
key column of a table that names an enterprise only while its listing is in force) and, on a
field, ``x-enumFromConfig`` (its ``enum`` is a list of the configuration, e.g. ``rates``).

The schema is the contract with journalists ("stable column names"), the exporter and the
pages, so columns are produced from it: ``conform`` selects, orders and casts the columns
exactly as declared and sorts the rows by the primary key, so the output is the same bytes
every build. Code that needs the values of an enumeration reads them here (``enum``) instead
of repeating them.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import pyarrow as pa

FOLDER = Path(__file__).parent

ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
               "boolean": pa.bool_(), "date": pa.date32()}

# Lists of the configuration a field's enum may be taken from (``x-enumFromConfig``).
CONFIG_ENUMS = {"rates": lambda config: list(config.rates)}
# Keys of a schema file that describe the resource, not its table: they go beside the schema
# in the resource descriptor (or nowhere), never inside it.
RESOURCE_KEYS = ("title", "description", "x-en", "x-identity", "x-foreignKeys")


def names() -> tuple[str, ...]:
    """Every resource that has a schema file, by name."""
    return tuple(sorted(path.stem for path in FOLDER.glob("*.json")))


@cache
def _read(name: str) -> dict:
    path = FOLDER / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no schema file for derived resource {name!r}")
    return json.loads(path.read_text(encoding="utf-8"))


def spec(name: str) -> dict:
    """The schema file of ``name`` as written (a copy: callers may change it)."""
    return copy.deepcopy(_read(name))


def table_schema(name: str, config=None) -> dict:
    """The Table Schema of ``name`` for a resource descriptor: ``fields`` and ``primaryKey``,
    with every ``x-enumFromConfig`` replaced by the ``enum`` it stands for in ``config``
    (default: the configuration in force)."""
    if config is None:
        from pipeline.config import current

        config = current()
    fields = []
    for field in spec(name)["fields"]:
        source = field.pop("x-enumFromConfig", None)
        if source is not None:
            constraints = field.setdefault("constraints", {})
            constraints["enum"] = CONFIG_ENUMS[source](config)
        fields.append(field)
    return {"fields": fields, "primaryKey": list(_read(name)["primaryKey"])}


def enum(name: str, field: str) -> tuple:
    """The values ``field`` of ``name`` may take, in the order its schema lists them."""
    for f in _read(name)["fields"]:
        if f["name"] == field:
            return tuple(f["constraints"]["enum"])
    raise KeyError(f"{name} has no field {field!r}")


def arrow_schema(name: str) -> pa.Schema:
    # Nullable throughout, like the validated source tables; `required` is checked by tests.
    return pa.schema([pa.field(f["name"], ARROW_TYPES[f["type"]]) for f in _read(name)["fields"]])


def conform(table, name: str) -> pa.Table:
    """``table`` (Arrow or pandas) with exactly the declared columns, types and row order."""
    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    schema = arrow_schema(name)
    columns = [table.column(f.name).cast(f.type) for f in schema]
    out = pa.Table.from_arrays(columns, schema=schema)
    return out.sort_by([(key, "ascending") for key in _read(name)["primaryKey"]])
