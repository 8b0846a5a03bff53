"""The Table Schema checks of one CSV resource written as DuckDB SQL: the benchmark's peer.

``findings(descriptor_path)`` reads each resource of a package with DuckDB's CSV reader
(every column as text) and returns the set of ``(type, rowNumber, fieldName)`` that the
same checks give: the type of each cell, ``required``, ``pattern``, ``enum``,
``minLength``/``maxLength``, ``minimum``/``maximum`` and the primary key (rows whose key
equals an earlier row's, typed values compared, a cell of the wrong type counting as null).
The field types are those of the benchmark's resources (string, integer, number, date);
anything else raises ``ValueError``: this is a measuring instrument, not a validator.
DuckDB runs with a memory limit and spills to disk beyond it (``threads`` and
``memory_limit`` as given), which is what the benchmark compares our peak memory with.
"""

from __future__ import annotations

import json
from pathlib import Path

# text → typed value, NULL where the cell is not of the type (as the reference reads it:
# integers without a decimal point, dates exactly YYYY-MM-DD)
_TYPED = {
    "string": "{c}",
    "integer": "CASE WHEN regexp_full_match({c}, '[+-]?[0-9]+') THEN TRY_CAST({c} AS BIGINT) END",
    "number": "TRY_CAST({c} AS DOUBLE)",
    "date": "CASE WHEN regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            "THEN TRY_CAST({c} AS DATE) END",
}
_LITERAL = {"string": "'{v}'", "integer": "{v}", "number": "{v}", "date": "DATE '{v}'"}
_BOUNDS = {"minimum": "<", "maximum": ">"}  # the comparison that breaks the constraint


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(kind: str, value) -> str:
    return _LITERAL[kind].format(v=str(value).replace("'", "''"))


def resource_sql(schema: dict) -> str:
    """One query over the table ``t`` (text columns and ``rowid``) giving
    (type, row, field) of every finding."""
    parts = []
    typed = []
    for fld in schema["fields"]:
        kind = fld.get("type", "string")
        if kind not in _TYPED:
            raise ValueError(f"type {kind!r} is not written in SQL here")
        name = fld["name"]
        c = _quote(name)
        value = _TYPED[kind].format(c=c)
        typed.append(f"{value} AS {c}")
        row = "rowid + 2"
        field = "'" + name.replace("'", "''") + "'"
        parts.append(f"SELECT 'type-error', {row}, {field} FROM t WHERE {c} IS NOT NULL AND ({value}) IS NULL")
        constraints = fld.get("constraints") or {}
        ok = f"({value}) IS NOT NULL"
        broken = []
        if constraints.get("required"):
            parts.append(f"SELECT 'constraint-error', {row}, {field} FROM t WHERE {c} IS NULL")
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
            parts.append(f"SELECT 'constraint-error', {row}, {field} FROM t WHERE {ok} AND {condition}")
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else key
    if key:
        columns = ", ".join(_quote(k) for k in key)
        any_value = " OR ".join(f"{_quote(k)} IS NOT NULL" for k in key)
        parts.append(
            f"SELECT 'primary-key', rowid + 2, NULL FROM ("
            f"SELECT rowid, {any_value} AS keyed, row_number() OVER (PARTITION BY {columns} ORDER BY rowid) AS n "
            f"FROM (SELECT rowid, {', '.join(typed)} FROM t)) WHERE keyed AND n > 1")
    return "\nUNION ALL\n".join(parts)


def findings(descriptor_path: Path | str, *, threads: int = 2, memory_limit: str = "256MB",
             temp_directory: str | None = None) -> set[tuple]:
    import duckdb

    descriptor_path = Path(descriptor_path)
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8-sig"))
    found: set[tuple] = set()
    with duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                **({"temp_directory": temp_directory} if temp_directory else {})}) as db:
        for resource in descriptor["resources"]:
            path = descriptor_path.parent / resource["path"]
            # every cell as text, in file order (rowid is the row's position)
            db.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true, "
                       "header = true, quote = '\"', escape = '\"')", [str(path)])
            for type_, row, field in db.execute(resource_sql(resource["schema"])).fetchall():
                found.add((type_, row, field))
    return found
