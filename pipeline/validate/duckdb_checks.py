"""The Table Schema checks of CSV resources written as DuckDB SQL: the benchmark's peer.

``findings(paths)`` reads every resource of the packages at ``paths`` (descriptors or
package folders) with DuckDB's CSV reader, every column as text, and returns the set of
``(type, rowNumber, fieldName)`` that the same checks give: the type of each cell,
``required``, ``pattern``, ``enum``, ``minLength``/``maxLength``, ``minimum``/``maximum``,
``unique``, the primary key (rows whose key equals an earlier row's, typed values compared,
a cell of the wrong type counting as null) and foreign keys, within a package and across
packages (``x-foreignKeys``). The field types are those the portal's packages use (string,
integer, number, date, boolean with the default true and false values); anything else
raises ``ValueError``: this is a measuring instrument, not a validator. DuckDB runs with a
memory limit and spills to disk beyond it (``threads`` and ``memory_limit`` as given),
which is what the benchmark compares our peak memory with.
"""

from __future__ import annotations

import json
from pathlib import Path

# text → typed value, NULL where the cell is not of the type (as the reference reads it:
# integers without a decimal point, dates exactly YYYY-MM-DD)
_TYPED = {
    "string": "{c}",
    "boolean": "CASE WHEN {c} IN ('true', 'True', 'TRUE', '1') THEN true "
               "WHEN {c} IN ('false', 'False', 'FALSE', '0') THEN false END",
    "integer": "CASE WHEN regexp_full_match({c}, '[+-]?[0-9]+') THEN TRY_CAST({c} AS BIGINT) END",
    "number": "TRY_CAST({c} AS DOUBLE)",
    "date": "CASE WHEN regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            "THEN TRY_CAST({c} AS DATE) END",
}
_LITERAL = {"string": "'{v}'", "integer": "{v}", "number": "{v}", "date": "DATE '{v}'",
            "boolean": "{v}"}
_BOUNDS = {"minimum": "<", "maximum": ">"}  # the comparison that breaks the constraint


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(kind: str, value) -> str:
    return _LITERAL[kind].format(v=str(value).replace("'", "''"))


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def _typed_view(name: str, schema: dict) -> str:
    """The table ``name`` with its missing values as NULL, then each column typed (NULL
    where the cell is not of its type), keeping ``rowid``."""
    missing = [v for v in schema.get("missingValues", [""]) if v != ""]
    columns = []
    for fld in schema["fields"]:
        kind = fld.get("type", "string")
        if kind not in _TYPED:
            raise ValueError(f"type {kind!r} is not written in SQL here")
        c = _quote(fld["name"])
        if missing:
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in missing)
            c = f"(CASE WHEN {c} IN ({listed}) THEN NULL ELSE {c} END)"
        columns.append(f"{_TYPED[kind].format(c=c)} AS {_quote(fld['name'])}")
    return f"(SELECT rowid, {', '.join(columns)} FROM {_quote(name)})"


def resource_sql(schema: dict, table: str = "t", resolve=None) -> str:
    """One query over the text table ``table`` (with ``rowid``) giving (type, row, field)
    of every finding; ``resolve(reference)`` → (table, schema) of a foreign key's target."""
    parts = []
    typed = _typed_view(table, schema)
    t = _quote(table)
    missing = [v for v in schema.get("missingValues", [""]) if v != ""]
    for fld in schema["fields"]:
        kind = fld.get("type", "string")
        name = fld["name"]
        c = _quote(name)
        if missing:
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in missing)
            c = f"(CASE WHEN {c} IN ({listed}) THEN NULL ELSE {c} END)"
        value = _TYPED[kind].format(c=c)
        row = "rowid + 2"
        field = "'" + name.replace("'", "''") + "'"
        parts.append(f"SELECT 'type-error', {row}, {field} FROM {t} WHERE {c} IS NOT NULL AND ({value}) IS NULL")
        constraints = fld.get("constraints") or {}
        ok = f"({value}) IS NOT NULL"
        broken = []
        if constraints.get("required"):
            parts.append(f"SELECT 'constraint-error', {row}, {field} FROM {t} WHERE {c} IS NULL")
        if "pattern" in constraints:
            pattern = constraints["pattern"].replace("'", "''")
            broken.append(f"NOT regexp_full_match({c}, '{pattern}')")
        if "enum" in constraints:
            options = ", ".join(_literal(kind, v) for v in constraints["enum"])
            broken.append(f"({value}) NOT IN ({options})")
        if "minLength" in constraints:
            broken.append(f"length({c}) < {int(constraints['minLength'])}")
        if "maxLength" in constraints:
            broken.append(f"length({c}) > {int(constraints['maxLength'])}")
        for bound, op in _BOUNDS.items():
            if bound in constraints:
                broken.append(f"({value}) {op} {_literal(kind, constraints[bound])}")
        for condition in broken:  # one finding per broken constraint, as the reference
            parts.append(f"SELECT 'constraint-error', {row}, {field} FROM {t} WHERE {ok} AND {condition}")
        if constraints.get("unique"):
            parts.append(f"SELECT 'unique-error', rowid + 2, {field} FROM (SELECT rowid, {c} AS v, "
                         f"row_number() OVER (PARTITION BY {c} ORDER BY rowid) AS n FROM {typed}) "
                         f"WHERE v IS NOT NULL AND n > 1")
    key = _as_list(schema.get("primaryKey"))
    if key:
        columns = ", ".join(_quote(k) for k in key)
        any_value = " OR ".join(f"{_quote(k)} IS NOT NULL" for k in key)
        parts.append(
            f"SELECT 'primary-key', rowid + 2, NULL FROM ("
            f"SELECT rowid, {any_value} AS keyed, row_number() OVER (PARTITION BY {columns} ORDER BY rowid) AS n "
            f"FROM {typed}) WHERE keyed AND n > 1")
    for fk in (schema.get("foreignKeys") or []) + (schema.get("x-foreignKeys") or []):
        if resolve is None:
            continue
        fields, ref = _as_list(fk["fields"]), fk["reference"]
        target, target_schema = resolve(ref)
        ref_fields = _as_list(ref["fields"])
        present = " AND ".join(f"c.{_quote(f)} IS NOT NULL" for f in fields)
        joined = " AND ".join(f"r.{_quote(g)} = c.{_quote(f)}" for f, g in zip(fields, ref_fields))
        parts.append(f"SELECT 'foreign-key', c.rowid + 2, NULL FROM {typed} c WHERE {present} AND NOT EXISTS "
                     f"(SELECT 1 FROM {_typed_view(target, target_schema)} r WHERE {joined})")
    return "\nUNION ALL\n".join(parts)


def _descriptors(paths) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_file():
            found.append(path)
        elif (path / "datapackage.json").is_file():
            found.append(path / "datapackage.json")
        else:
            found += sorted(path.glob("*/datapackage.json"))
    return found


def findings(paths, *, threads: int = 2, memory_limit: str = "256MB",
             temp_directory: str | None = None) -> set[tuple]:
    """The findings of every resource of the packages at ``paths`` (a descriptor, a
    package folder or a folder of packages, or a list of them)."""
    import duckdb

    paths = [paths] if isinstance(paths, (str, Path)) else paths
    packages = {}
    for descriptor_path in _descriptors(paths):
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8-sig"))
        packages[descriptor.get("name") or descriptor_path.parent.name] = (descriptor_path.parent, descriptor)
    found: set[tuple] = set()
    with duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                **({"temp_directory": temp_directory} if temp_directory else {})}) as db:
        schemas = {}
        for package, (root, descriptor) in packages.items():
            for resource in descriptor["resources"]:
                # every cell as text, in file order (rowid is the row's position)
                name = f"{package}/{resource['name']}"
                db.execute(f"CREATE TABLE {_quote(name)} AS SELECT * FROM read_csv(?, all_varchar = true, "
                           "header = true, quote = '\"', escape = '\"')", [str(root / resource["path"])])
                schemas[name] = {**resource["schema"], "x-foreignKeys": resource.get("x-foreignKeys") or []}
        for name, schema in schemas.items():
            package, resource = name.split("/", 1)

            def resolve(ref, package=package, resource=resource):
                target = f"{ref.get('package') or package}/{ref.get('resource') or resource}"
                return target, schemas[target]
            for type_, row, field in db.execute(resource_sql(schema, name, resolve)).fetchall():
                found.add((type_, row, field))
    return found


if __name__ == "__main__":  # python -m pipeline.validate.duckdb_checks DIR [THREADS MEMORY]
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as spill:
        found = findings(sys.argv[1], threads=int(sys.argv[2]) if len(sys.argv) > 2 else 2,
                         memory_limit=sys.argv[3] if len(sys.argv) > 3 else "256MB", temp_directory=spill)
    print(json.dumps({"findings": len(found)}))
    sys.exit(1 if found else 0)
