"""The portal's profile of a data package descriptor, checked before any data is read.

A descriptor comes from a pull request, so every later stage must be able to rely on its
shape. This module reads ``datapackage.json`` strictly and checks it against the Data
Package v2 profile (the properties the specification defines: their JSON types, required
keys, names, licences, contributors, sources, the Table Schema and Table Dialect) and
against the portal's own, stricter rules:

* **JSON as one meaning.** Duplicate keys are refused (a second ``"x-public": true``
  after ``"x-public": false`` would publish a withheld table with most readers),
  so are ``NaN``/``Infinity``, numbers beyond the range of a double (``1e400``), integers
  beyond 64 bits outside constraints, unpaired surrogates, nesting deeper than
  :data:`MAX_DEPTH` and files larger than :data:`MAX_DESCRIPTOR_BYTES`.
* **Names are addresses.** A package name becomes a folder of the site and the first part
  of SQLite table names, a resource name a file name and the second part: package names
  are lowercase letters and digits joined by single hyphens, resource names the same
  joined by single underscores (as every committed resource is named), so that
  ``<package>__<resource>`` with hyphens turned into underscores (the SQLite table name)
  never names two tables; :func:`collisions` checks that across packages anyway.
* **Versions** follow :func:`pipeline.versions.is_version` (a version is a folder name).
* **Only what the reader implements.** Field types of Table Schema v2 only; constraints
  only where the validator checks them for the type; keys naming existing fields; CSV only;
  dialect options the loader honours only (one header row on line 1, no comment lines, no
  null sequence); at most :data:`MAX_FIELDS` fields.

Every problem names the file, the JSON path (``resources[3].schema.fields[2].type``), its
line when known, the bad value and what was expected, in Chinese and English
(:class:`Problem`). Nothing here reads a data file or follows a link out of the package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.i18n import field_units, t
from pipeline.unsafe_text import offending
from pipeline.unsafe_text import shown as safe_shown
from pipeline.versions import is_version

MAX_DESCRIPTOR_BYTES = 16 << 20
MAX_DEPTH = 64  # a committed descriptor nests 8 levels deep
MAX_FIELDS = 1000  # SQLite allows 2,000 columns per table; spreadsheets and pages far fewer
MAX_NAME = 64
MAX_LENGTH_CONSTRAINT = 2**31 - 1
INT64 = 2**63 - 1
# Constraint bounds and enum members of numeric fields are compared with cells the
# validator reads up to 38 digits (decimal128), so they may be that large too.
CONSTRAINT_DIGITS = 38
PACKAGE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
RESOURCE_NAME = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*", re.ASCII)
# The package the pipeline computes (pipeline.derive.package.NAME): a source package of
# that name would be replaced by it.
RESERVED_PACKAGES = frozenset({"derived"})

PROFILES = {
    "package": re.compile(r"https://datapackage\.org/profiles/2\.\d+/datapackage\.json"),
    "resource": re.compile(r"https://datapackage\.org/profiles/2\.\d+/dataresource\.json"),
    "schema": re.compile(r"https://datapackage\.org/profiles/2\.\d+/tableschema\.json"),
    "dialect": re.compile(r"https://datapackage\.org/profiles/2\.\d+/tabledialect\.json"),
}
FIELD_TYPES = ("string", "number", "integer", "boolean", "object", "array", "list", "date",
               "time", "datetime", "year", "yearmonth", "duration", "geopoint", "geojson", "any")
# Names people write for a type that Table Schema spells otherwise.
TYPE_HINTS = {"int": "integer", "int64": "integer", "long": "integer", "float": "number",
              "double": "number", "decimal": "number", "real": "number", "numeric": "number",
              "bool": "boolean", "str": "string", "text": "string", "varchar": "string",
              "char": "string", "timestamp": "datetime", "date-time": "datetime",
              "json": "object", "dict": "object"}
FORMATS = {"string": ("default", "email", "uri", "binary", "uuid"),
           "geopoint": ("default", "array", "object"), "geojson": ("default", "topojson")}
DATE_TYPES = ("date", "time", "datetime")
FIELDS_MATCH = ("exact", "equal", "subset", "superset", "partial")
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
TEXT_BOUND_TYPES = ("date", "time", "datetime", "yearmonth")
ENCODINGS = ("utf-8", "utf8", "utf-8-sig", "gbk", "cp936", "gb2312", "gb18030")
# Table Dialect v2 options the CSV reader honours, and the values it honours.
DIALECT_OPTIONS = ("$schema", "header", "headerRows", "headerJoin", "commentRows", "delimiter",
                   "lineTerminator", "quoteChar", "doubleQuote", "escapeChar", "skipInitialSpace",
                   "csv")
LINE_TERMINATORS = ("\n", "\r\n", "\r")
# Written by the export into a published descriptor; a source descriptor must not set them.
COMPUTED = {"package": ("x-release", "x-withheld", "x-referenceDate"), "resource": ("x-downloads",)}
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LICENCE_NAME = re.compile(r"[-a-zA-Z0-9._]+")
_HASH = re.compile(r"(?:[a-z0-9-]+:)?[0-9a-fA-F]+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_PERIOD = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_BIG_OK = re.compile(r".*\.constraints\.(?:minimum|maximum|exclusiveMinimum|exclusiveMaximum|enum\[\d+\])")


# ---------------------------------------------------------------------------------------
# problems


@dataclass
class Problem:
    """One thing wrong with a descriptor: where (file, JSON path, line), what, in both languages."""

    file: str
    path: str  # JSON path inside the file ("" for the document)
    type: str  # package-error, resource-error, schema-error, field-error, dialect-error, …
    key: str  # i18n message key
    values: dict = field(default_factory=dict)
    line: int | None = None

    def message(self, lang: str = "zh") -> str:
        detail = t(self.key, lang, **{"path": self.path, **self.values})
        return t("descriptor.at", lang, path=self.path, detail=detail) if self.path else detail


def shown(value, limit: int = 80) -> str:
    """A value as the reader should see it in a message: JSON, unprintable characters escaped."""
    if isinstance(value, _Token):
        return value.text[:limit] + ("…" if len(value.text) > limit else "")
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    text = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    part = key if _PLAIN_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=True)
    if not _PLAIN_KEY.fullmatch(key):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


# ---------------------------------------------------------------------------------------
# reading


class _Token:
    """A number JSON text holds that the portal refuses (kept as written, for the message)."""

    __slots__ = ("kind", "text")

    def __init__(self, text: str, kind: str):
        self.text, self.kind = text, kind

    def __repr__(self):
        return self.text


class _Reading:
    """Hooks for :func:`json.loads` that record instead of guessing."""

    def __init__(self):
        self.duplicates: dict[int, list[str]] = {}  # id(object) → keys seen twice

    def pairs(self, pairs):
        obj = {}
        for key, value in pairs:
            if key in obj:
                self.duplicates.setdefault(id(obj), []).append(key)
            obj[key] = value
        return obj

    @staticmethod
    def constant(text):
        return _Token(text, "non-finite")

    @staticmethod
    def number(text):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            return _Token(text, "non-finite")
        return value

    @staticmethod
    def integer(text):
        digits = len(text.lstrip("-"))
        if digits > CONSTRAINT_DIGITS:
            return _Token(text, "big")
        return int(text)


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _depth(text: str) -> tuple[int, int]:
    """(deepest nesting of arrays and objects, the line where it first goes past
    :data:`MAX_DEPTH`), strings skipped; without recursion, so any depth is measured."""
    depth = deepest = 0
    line = 0
    position = 0
    stripped = []
    for match in _STRING.finditer(text):
        stripped.append(text[position:match.start()])
        stripped.append('""' + "\n" * match.group().count("\n"))
        position = match.end()
    stripped.append(text[position:])
    bare = "".join(stripped)
    for match in _BRACKET.finditer(bare):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if depth == MAX_DEPTH + 1:
                    line = bare.count("\n", 0, match.start()) + 1
        else:
            depth -= 1
    return deepest, line


def read(path: Path, shown_as: str | None = None) -> tuple[object | None, list[Problem], str]:
    """``(document, problems, text)`` of the JSON file at ``path``.

    The document is None when the file cannot be used at all (too large, not UTF-8, not
    JSON, too deep); otherwise problems list every duplicate key, refused number and
    unpaired surrogate, with its JSON path.
    """
    file = shown_as or str(path)
    size = path.stat().st_size
    if size > MAX_DESCRIPTOR_BYTES:
        return None, [Problem(file, "", "package-error", "load.too_large",
                              {"file": file, "size": size, "limit": MAX_DESCRIPTOR_BYTES})], ""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(file, "", "package-error", "load.bad_json",
                              {"file": file, "detail": f"not UTF-8 at byte {exc.start}"})], ""
    deepest, line = _depth(text)
    if deepest > MAX_DEPTH:
        return None, [Problem(file, "", "package-error", "descriptor.too_deep",
                              {"limit": MAX_DEPTH, "line": line}, line=line)], text
    reading = _Reading()
    try:
        document = json.loads(text, object_pairs_hook=reading.pairs, parse_constant=reading.constant,
                              parse_float=reading.number, parse_int=reading.integer)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        return None, [Problem(file, "", "package-error", "load.bad_json",
                              {"file": file, "detail": str(exc)}, line=line)], text
    problems: list[Problem] = []
    _scan(document, "", file, reading.duplicates, problems)
    return document, problems, text


def _scan(node, path: str, file: str, duplicates: dict, problems: list[Problem]) -> None:
    """Problems of the JSON itself, wherever they are (depth is bounded already)."""
    if isinstance(node, dict):
        for key in duplicates.get(id(node), []):
            problems.append(Problem(file, join(path, key), "package-error", "descriptor.duplicate_key",
                                    {"name": shown(key)}))
        for key, value in node.items():
            where = join(path, key)
            if _SURROGATE.search(key):
                problems.append(Problem(file, path, "package-error", "descriptor.surrogate",
                                        {"value": shown(key)}))
            _scan(value, where, file, duplicates, problems)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _scan(value, join(path, index), file, duplicates, problems)
    elif isinstance(node, str):
        if _SURROGATE.search(node):
            problems.append(Problem(file, path, "package-error", "descriptor.surrogate",
                                    {"value": shown(node)}))
        elif (unsafe := offending(node)) is not None:
            # the same characters the text-safety rule refuses in cells: a title with a
            # right-to-left override reads as something else on every page and in every file
            _kind, char, position = unsafe
            problems.append(Problem(file, path, "package-error", "descriptor.unsafe_text",
                                    {"value": safe_shown(node)[:80], "char": char, "position": position}))
    elif isinstance(node, _Token):
        key = "descriptor.non_finite" if node.kind == "non-finite" else "descriptor.big_integer"
        problems.append(Problem(file, path, "package-error", key, {"value": shown(node), "limit": INT64}))
    elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > INT64 \
            and not _BIG_OK.fullmatch(path):
        problems.append(Problem(file, path, "package-error", "descriptor.big_integer",
                                {"value": shown(node), "limit": INT64}))


def locate(text: str, paths: set[str]) -> dict[str, int]:
    """The line on which the value at each JSON path starts (for annotations), if found."""
    found: dict[str, int] = {}
    if not text or not paths:
        return found
    token = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)
    stack: list[list] = []  # [kind, path, index or current key, expecting key]
    line = 1
    position = 0
    pending_key = None

    def value_path() -> str:
        if not stack:
            return ""
        kind, path, state = stack[-1][0], stack[-1][1], stack[-1][2]
        return join(path, state if kind == "list" else pending_key)

    for match in token.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        tok = match.group()
        top = stack[-1] if stack else None
        if top is not None and top[0] == "dict" and top[3]:
            if tok.startswith('"'):
                try:
                    pending_key = json.loads(tok)
                except ValueError:
                    return found
                top[3] = False
            elif tok == "}":
                stack.pop()
            continue
        if tok == ":":
            continue
        if tok == ",":
            if top is not None:
                if top[0] == "list":
                    top[2] += 1
                else:
                    top[3] = True
            continue
        if tok in "]}":
            stack.pop()
            continue
        where = value_path()
        if where in paths:
            found[where] = line
        if tok == "{":
            stack.append(["dict", where, None, True])
        elif tok == "[":
            stack.append(["list", where, 0, False])
    return found


# ---------------------------------------------------------------------------------------
# the profile


_KIND_ERROR = {"package": "package-error", "resource": "resource-error", "schema": "schema-error",
               "field": "field-error", "dialect": "dialect-error"}


class _Check:
    """Collects problems for one descriptor file; one problem per JSON path."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self._seen: set[str] = set()
        self.count = 0  # problems found, also those not listed again (a path already named)

    def add(self, kind: str, path: str, key: str, error_type: str | None = None, /, **values) -> None:
        self.count += 1
        if path in self._seen or isinstance(values.get("raw"), _Token):
            return
        self._seen.add(path)
        values.pop("raw", None)
        self.problems.append(Problem(self.file, path, error_type or _KIND_ERROR[kind], key, values))

    # JSON types -------------------------------------------------------------------------

    def typed(self, kind: str, path: str, value, expected: str) -> bool:
        ok = {"object": isinstance(value, dict), "array": isinstance(value, list),
              "string": isinstance(value, str), "boolean": isinstance(value, bool),
              "integer": isinstance(value, int) and not isinstance(value, bool),
              "number": isinstance(value, (int, float)) and not isinstance(value, bool)}[expected]
        if not ok:
            self.add(kind, path, f"descriptor.not_{expected}", value=shown(value), raw=value)
        return ok

    def text(self, kind: str, node: dict, key: str, path: str, *, required: bool = False,
             empty: bool = True) -> bool:
        if key not in node:
            if required:
                self.add(kind, join(path, key), "descriptor.required", name=key)
            return False
        value = node[key]
        if not self.typed(kind, join(path, key), value, "string"):
            return False
        if not empty and not value.strip():
            self.add(kind, join(path, key), "descriptor.empty_string", value=shown(value))
            return False
        return True

    def flag(self, kind: str, node: dict, key: str, path: str) -> None:
        if key in node:
            self.typed(kind, join(path, key), node[key], "boolean")

    def strings(self, kind: str, node: dict, key: str, path: str, *, min_items: int = 0) -> list[str] | None:
        if key not in node:
            return None
        value = node[key]
        where = join(path, key)
        if not self.typed(kind, where, value, "array"):
            return None
        if len(value) < min_items:
            self.add(kind, where, "descriptor.empty_array", value=shown(value))
            return None
        ok = True
        for index, item in enumerate(value):
            ok &= self.typed(kind, join(where, index), item, "string")
        return value if ok else None

    def objects(self, kind: str, node: dict, key: str, path: str, *, min_items: int = 0,
                required: bool = False) -> list[tuple[str, dict]]:
        if key not in node:
            if required:
                self.add(kind, join(path, key), "descriptor.required", name=key)
            return []
        value = node[key]
        where = join(path, key)
        if not self.typed(kind, where, value, "array"):
            return []
        if len(value) < min_items:
            self.add(kind, where, "descriptor.empty_array", value=shown(value))
            return []
        out = []
        for index, item in enumerate(value):
            if self.typed(kind, join(where, index), item, "object"):
                out.append((join(where, index), item))
        return out

    def url(self, kind: str, node: dict, key: str, path: str) -> None:
        if self.text(kind, node, key, path) and not _URL.fullmatch(node[key]):
            self.add(kind, join(path, key), "descriptor.url", value=shown(node[key]))

    def web_or_relative(self, kind: str, node: dict, key: str, path: str) -> None:
        """A path as Data Package v2 allows it for licences, sources and contributors: a
        URL (http, https, ftp, ftps) or a POSIX path that does not start with ".", "/" or
        "~", holds no "/../", backslash, "file:" prefix or other "://" address. It is only
        ever shown (and linked when it is http(s)), never read."""
        if not self.text(kind, node, key, path, empty=False):
            return
        value = node[key]
        web = re.fullmatch(r"(?:https?|ftps?)://\S*", value) is not None
        relative = (not value.startswith(("/", ".", "~", "file:")) and "\\" not in value
                    and "/../" not in value and "://" not in value)
        if not (web or relative) or _CONTROL.search(value):
            self.add(kind, join(path, key), "descriptor.link", value=shown(value))

    def english(self, kind: str, node: dict, path: str, keys=("title", "description")) -> None:
        """``x-en``: the English texts beside the Chinese ones."""
        if "x-en" in node and self.typed(kind, join(path, "x-en"), node["x-en"], "object"):
            for key in keys:
                self.text(kind, node["x-en"], key, join(path, "x-en"))
        for key in keys:
            self.text(kind, node, f"x-{key}-en", path)  # the older spelling, still read

    def profile(self, kind: str, node: dict, path: str) -> None:
        if self.text(kind, node, "$schema", path) and not PROFILES[kind].fullmatch(node["$schema"]):
            self.add(kind, join(path, "$schema"), "descriptor.profile", value=shown(node["$schema"]),
                     expected=PROFILES[kind].pattern.replace("\\", "").replace("2.d+", "2.0"))

    def computed(self, kind: str, node: dict, path: str) -> None:
        for key in COMPUTED.get(kind, ()):
            if key in node:
                self.add(kind, join(path, key), "descriptor.computed", name=key)


def check_package(descriptor, file: str, folder: str) -> tuple[list[Problem], str | None]:
    """Problems of one package descriptor and the package's name (None if unusable).

    ``folder`` is the name of the folder holding it: the package's name when the
    descriptor gives none (Data Package allows that), so it must be a valid name too.
    External schemas and dialects (a path instead of an object) must have been read and
    put in place by the caller.
    """
    c = _Check(file)
    if not isinstance(descriptor, dict):
        c.add("package", "", "descriptor.not_object", value=shown(descriptor))
        return c.problems, None
    d = descriptor
    c.profile("package", d, "")
    name = None
    if "name" in d:
        if c.text("package", d, "name", ""):
            name = d["name"]
            if not (PACKAGE_NAME.fullmatch(name) and len(name) <= MAX_NAME):
                c.add("package", "name", "descriptor.package_name", value=shown(name), limit=MAX_NAME)
                name = None
            elif name in RESERVED_PACKAGES:
                c.add("package", "name", "descriptor.reserved_name", value=shown(name))
                name = None
    elif PACKAGE_NAME.fullmatch(folder) and len(folder) <= MAX_NAME and folder not in RESERVED_PACKAGES:
        name = folder
    else:
        c.add("package", "name", "descriptor.package_name_folder", value=shown(folder), limit=MAX_NAME)
    for key in ("id", "title", "description", "image", "x-nextUpdate", "type", "profile"):
        c.text("package", d, key, "")
    c.url("package", d, "homepage", "")
    if c.text("package", d, "version", "") and not is_version(d["version"]):
        c.add("package", "version", "descriptor.version", value=shown(d["version"]))
    if c.text("package", d, "created", "") and not _is_datetime(d["created"]):
        c.add("package", "created", "descriptor.datetime", value=shown(d["created"]))
    c.flag("package", d, "synthetic", "")
    c.english("package", d, "")
    c.strings("package", d, "keywords", "", min_items=1)
    _licences(c, "package", d, "")
    _contributors(c, d, "")
    _sources(c, "package", d, "")
    for key in ("x-temporal", "temporal"):
        _temporal(c, d, key)
    c.computed("package", d, "")
    if "fields" in d:
        c.add("package", "fields", "descriptor.misplaced_fields", value=shown(d["fields"]))
    resources = c.objects("package", d, "resources", "", min_items=1, required=True)
    if "resources" in d and not isinstance(d.get("resources"), list):
        return c.problems, name
    seen: dict[str, str] = {}
    for path, resource in resources:
        _resource(c, resource, path, seen)
    names = {r.get("name") for _, r in resources if isinstance(r.get("name"), str)}
    schemas = {r["name"]: r.get("schema") for _, r in resources
               if isinstance(r.get("name"), str) and isinstance(r.get("schema"), dict)}
    for path, resource in resources:
        schema = resource.get("schema")
        if isinstance(schema, dict):
            _same_package_keys(c, schema, join(path, "schema"), names, schemas,
                               resource.get("name") if isinstance(resource.get("name"), str) else None)
    return c.problems, name


def _is_datetime(value: str) -> bool:
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _licences(c: _Check, kind: str, node: dict, path: str) -> None:
    for where, licence in c.objects(kind, node, "licenses", path, min_items=1):
        if "name" not in licence and "path" not in licence:
            c.add(kind, where, "descriptor.licence", value=shown(licence))
            continue
        if c.text(kind, licence, "name", where) and not _LICENCE_NAME.fullmatch(licence["name"]):
            c.add(kind, join(where, "name"), "descriptor.licence_name", value=shown(licence["name"]))
        c.web_or_relative(kind, licence, "path", where)
        c.text(kind, licence, "title", where)
        c.english(kind, licence, where, keys=("title",))


def _contributors(c: _Check, node: dict, path: str, kind: str = "package") -> None:
    for where, person in c.objects(kind, node, "contributors", path, min_items=1):
        if not person:
            c.add(kind, where, "descriptor.empty_object", value="{}")
            continue
        for key in ("title", "givenName", "familyName", "organization", "role"):
            c.text(kind, person, key, where)
        c.web_or_relative(kind, person, "path", where)
        if c.text(kind, person, "email", where) and not _EMAIL.fullmatch(person["email"]):
            c.add(kind, join(where, "email"), "descriptor.email", value=shown(person["email"]))
        c.strings(kind, person, "roles", where, min_items=1)
        c.english(kind, person, where, keys=("title",))


def _sources(c: _Check, kind: str, node: dict, path: str) -> None:
    for where, source in c.objects(kind, node, "sources", path):
        if not source:
            c.add(kind, where, "descriptor.empty_object", value="{}")
            continue
        for key in ("title", "version", "x-note"):
            c.text(kind, source, key, where)
        c.web_or_relative(kind, source, "path", where)
        if c.text(kind, source, "email", where) and not _EMAIL.fullmatch(source["email"]):
            c.add(kind, join(where, "email"), "descriptor.email", value=shown(source["email"]))
        c.english(kind, source, where, keys=("title",))


def _temporal(c: _Check, node: dict, key: str) -> None:
    if key not in node or not c.typed("package", key, node[key], "object"):
        return
    for end in ("start", "end"):
        if c.text("package", node[key], end, key) and not _PERIOD.fullmatch(node[key][end]):
            c.add("package", join(key, end), "descriptor.period", value=shown(node[key][end]))


def _resource(c: _Check, r: dict, path: str, seen: dict[str, str]) -> None:
    c.profile("resource", r, path)
    if c.text("resource", r, "name", path, required=True):
        name = r["name"]
        if not (RESOURCE_NAME.fullmatch(name) and len(name) <= MAX_NAME):
            hint = name.lower().replace("-", "_").replace(" ", "_").replace(".", "_")
            hint = hint if RESOURCE_NAME.fullmatch(hint) and len(hint) <= MAX_NAME else ""
            c.add("resource", join(path, "name"),
                  "descriptor.resource_name_hint" if hint else "descriptor.resource_name",
                  value=shown(name), limit=MAX_NAME, hint=hint)
        elif name in seen:
            c.add("resource", join(path, "name"), "descriptor.duplicate_resource", value=shown(name),
                  other=seen[name])
        else:
            seen[name] = join(path, "name")
    if "data" in r and "path" not in r:
        c.add("resource", join(path, "data"), "load.inline_data", "package-error",
              file=f"{c.file}#{r.get('name', '')}")
    elif "path" not in r:
        c.add("resource", join(path, "path"), "load.no_path", "package-error",
              file=f"{c.file}#{r.get('name', '')}")
    elif isinstance(r["path"], list):
        c.add("resource", join(path, "path"), "load.multipart", "unsafe-path",
              file=f"{c.file}#{r.get('name', '')}")
    elif c.text("resource", r, "path", path, empty=False) and "format" not in r \
            and not r["path"].lower().endswith(".csv"):
        c.add("resource", join(path, "path"), "descriptor.extension", "format-error",
              value=shown(r["path"]))
    if c.text("resource", r, "type", path) and r["type"] != "table":
        c.add("resource", join(path, "type"), "descriptor.resource_type", value=shown(r["type"]))
    if c.text("resource", r, "scheme", path) and r["scheme"] != "file":
        c.add("resource", join(path, "scheme"), "load.remote", "remote-path",
              file=f"{c.file}#{r.get('name', '')}", path=f"{r['scheme']}:{r.get('path', '')}")
    if c.text("resource", r, "format", path) and r["format"].lower() != "csv":
        c.add("resource", join(path, "format"), "descriptor.format", "format-error", value=shown(r["format"]))
    if c.text("resource", r, "mediatype", path) and r["mediatype"].lower() != "text/csv":
        c.add("resource", join(path, "mediatype"), "descriptor.mediatype", "format-error",
              value=shown(r["mediatype"]))
    if c.text("resource", r, "encoding", path) and \
            r["encoding"].lower().replace("_", "-") not in ENCODINGS:
        c.add("resource", join(path, "encoding"), "descriptor.encoding", value=shown(r["encoding"]),
              expected="utf-8, gb18030, gbk")
    for key in ("title", "description", "profile"):
        c.text("resource", r, key, path)
    c.url("resource", r, "homepage", path)
    for key in ("compression", "extrapaths", "innerpath"):  # the CSV reader knows none of them
        if key in r:
            c.add("resource", join(path, key), "descriptor.unsupported", "format-error", name=key,
                  value=shown(r[key]))
    if "fields" in r:
        c.add("resource", join(path, "fields"), "descriptor.misplaced_fields", value=shown(r["fields"]))
    if "rows" in r and c.typed("resource", join(path, "rows"), r["rows"], "integer") and r["rows"] < 0:
        c.add("resource", join(path, "rows"), "descriptor.negative", value=shown(r["rows"]))
    c.english("resource", r, path)
    c.flag("resource", r, "synthetic", path)
    c.flag("resource", r, "x-public", path)
    if "x-publishedAs" in r and not isinstance(r["x-publishedAs"], str):
        c.strings("resource", r, "x-publishedAs", path)
    if "bytes" in r and c.typed("resource", join(path, "bytes"), r["bytes"], "integer") and r["bytes"] < 0:
        c.add("resource", join(path, "bytes"), "descriptor.negative", value=shown(r["bytes"]))
    if c.text("resource", r, "hash", path) and not _HASH.fullmatch(r["hash"]):
        c.add("resource", join(path, "hash"), "descriptor.hash", value=shown(r["hash"]))
    _licences(c, "resource", r, path)
    _sources(c, "resource", r, path)
    # frictionless reads a resource's contributors too (and fails on one that is not an
    # object): the same checks as the package's
    _contributors(c, r, path, "resource")
    c.computed("resource", r, path)
    if "dialect" in r and c.typed("resource", join(path, "dialect"), r["dialect"], "object"):
        _dialect(c, r["dialect"], join(path, "dialect"))
    if "schema" not in r:
        c.add("resource", join(path, "schema"), "descriptor.required", name="schema")
    elif c.typed("resource", join(path, "schema"), r["schema"], "object"):
        _schema(c, r["schema"], join(path, "schema"))
    fields = _field_names(r.get("schema"))
    for where, fk in c.objects("resource", r, "x-foreignKeys", path):
        _foreign_key(c, fk, where, fields, cross=True)


def _dialect(c: _Check, d: dict, path: str, nested: bool = False) -> None:
    if not nested:
        c.profile("dialect", d, path)
    for key, value in d.items():
        where = join(path, key)
        if key not in DIALECT_OPTIONS or (nested and key in ("csv", "$schema")):
            c.add("dialect", where, "descriptor.dialect_option", option=shown(key), value=shown(value))
        elif key == "csv":
            if c.typed("dialect", where, value, "object"):
                _dialect(c, value, where, nested=True)
        elif key == "header":
            if c.typed("dialect", where, value, "boolean") and value is not True:
                c.add("dialect", where, "descriptor.dialect_option", option=shown(key), value=shown(value))
        elif key == "headerRows":
            if value != [1] or isinstance(value[0], bool):
                c.add("dialect", where, "descriptor.dialect_option", option=shown(key), value=shown(value))
        elif key == "commentRows":
            if value != []:
                c.add("dialect", where, "descriptor.dialect_option", option=shown(key), value=shown(value))
        elif key in ("delimiter", "quoteChar", "escapeChar"):
            if c.typed("dialect", where, value, "string") and (
                    len(value) != 1 or value in "\r\n" or (key == "delimiter" and value == '"')):
                c.add("dialect", where, "descriptor.dialect_char", value=shown(value))
        elif key == "lineTerminator":
            if c.typed("dialect", where, value, "string") and value not in LINE_TERMINATORS:
                c.add("dialect", where, "descriptor.line_terminator", value=shown(value))
        elif key in ("doubleQuote", "skipInitialSpace"):
            c.typed("dialect", where, value, "boolean")
        elif key in ("headerJoin", "$schema"):
            c.typed("dialect", where, value, "string")
    quote, delimiter = d.get("quoteChar", '"'), d.get("delimiter", ",")
    if isinstance(quote, str) and quote == delimiter:
        c.add("dialect", join(path, "quoteChar"), "descriptor.dialect_char", value=shown(quote))


def _field_names(schema) -> list[str]:
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return []
    return [f["name"] for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)]


def _missing_values(c: _Check, kind: str, node: dict, path: str) -> None:
    if "missingValues" not in node:
        return
    where = join(path, "missingValues")
    if not c.typed(kind, where, node["missingValues"], "array"):
        return
    for index, item in enumerate(node["missingValues"]):
        if isinstance(item, str):
            continue
        if isinstance(item, dict) and isinstance(item.get("value"), str) and \
                all(isinstance(item.get(k), str) for k in item if k in ("label",)):
            continue
        c.add(kind, join(where, index), "descriptor.missing_value", value=shown(item))


def _schema(c: _Check, s: dict, path: str) -> None:
    c.profile("schema", s, path)
    for key in ("name", "type", "title", "description"):
        c.text("schema", s, key, path)
    fields = c.objects("schema", s, "fields", path, required=True)
    if isinstance(s.get("fields"), list) and len(s["fields"]) > MAX_FIELDS:
        c.add("schema", join(path, "fields"), "descriptor.too_many_fields", count=len(s["fields"]),
              limit=MAX_FIELDS)
        return
    names: dict[str, str] = {}
    for where, fld in fields:
        _field(c, fld, where, names)
    if c.text("schema", s, "fieldsMatch", path) and s["fieldsMatch"] not in FIELDS_MATCH:
        c.add("schema", join(path, "fieldsMatch"), "descriptor.one_of", value=shown(s["fieldsMatch"]),
              expected=", ".join(FIELDS_MATCH))
    _missing_values(c, "schema", s, path)
    known = _field_names(s)
    if "primaryKey" in s:
        _field_list(c, s["primaryKey"], join(path, "primaryKey"), known, "schema")
    if "uniqueKeys" in s and c.typed("schema", join(path, "uniqueKeys"), s["uniqueKeys"], "array"):
        for index, keys in enumerate(s["uniqueKeys"]):
            _field_list(c, keys, join(join(path, "uniqueKeys"), index), known, "schema")
    for where, fk in c.objects("schema", s, "foreignKeys", path):
        _foreign_key(c, fk, where, known, cross=False)


def _field_list(c: _Check, value, where: str, known: list[str], kind: str) -> list[str] | None:
    """A key's fields: one name or a list of names, each a field of the schema, no repeats."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        c.add(kind, where, "descriptor.field_list", value=shown(value), raw=value)
        return None
    for index, name in enumerate(names):
        at = where if isinstance(value, str) else join(where, index)
        if name not in known:
            c.add(kind, at, "descriptor.unknown_field", value=shown(name),
                  fields=", ".join(known[:20]) + (" …" if len(known) > 20 else ""))
        elif names.index(name) != index:
            c.add(kind, at, "descriptor.repeated_field", value=shown(name))
    return names


def _foreign_key(c: _Check, fk: dict, where: str, known: list[str], *, cross: bool) -> None:
    kind = "resource" if cross else "schema"
    fields = _field_list(c, fk.get("fields"), join(where, "fields"), known, kind) if "fields" in fk else None
    if "fields" not in fk:
        c.add(kind, join(where, "fields"), "descriptor.required", name="fields")
    if "reference" not in fk:
        c.add(kind, join(where, "reference"), "descriptor.required", name="reference")
        return
    ref = fk["reference"]
    at = join(where, "reference")
    if not c.typed(kind, at, ref, "object"):
        return
    if cross:
        if c.text(kind, ref, "package", at, required=True) and not PACKAGE_NAME.fullmatch(ref["package"]):
            c.add(kind, join(at, "package"), "descriptor.package_name", value=shown(ref["package"]),
                  limit=MAX_NAME)
        if c.text(kind, ref, "resource", at, required=True) and not RESOURCE_NAME.fullmatch(ref["resource"]):
            c.add(kind, join(at, "resource"), "descriptor.resource_name", value=shown(ref["resource"]),
                  limit=MAX_NAME, hint="")
    elif "resource" in ref:
        c.text(kind, ref, "resource", at)
    if "fields" not in ref:
        c.add(kind, join(at, "fields"), "descriptor.required", name="fields")
        return
    value = ref["fields"]
    ref_fields = [value] if isinstance(value, str) else value
    if not isinstance(ref_fields, list) or not ref_fields or not all(isinstance(n, str) for n in ref_fields):
        c.add(kind, join(at, "fields"), "descriptor.field_list", value=shown(value), raw=value)
        return
    if fields is not None and len(fields) != len(ref_fields):
        c.add(kind, join(at, "fields"), "descriptor.key_length", count=len(fields),
              ref_count=len(ref_fields), value=shown(value))


def _same_package_keys(c: _Check, schema: dict, path: str, names: set, schemas: dict, own: str | None) -> None:
    """A ``foreignKeys`` reference names a resource of this package and fields of it."""
    if not isinstance(schema.get("foreignKeys"), list):
        return
    for index, fk in enumerate(schema["foreignKeys"]):
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            continue
        ref = fk["reference"]
        at = join(join(join(path, "foreignKeys"), index), "reference")
        target = ref.get("resource") or own
        if not isinstance(target, str):
            continue
        if target not in names:
            c.add("schema", join(at, "resource"), "descriptor.unknown_resource", value=shown(target),
                  names=", ".join(sorted(n for n in names if isinstance(n, str))))
            continue
        ref_fields = ref.get("fields")
        ref_fields = [ref_fields] if isinstance(ref_fields, str) else ref_fields
        if isinstance(ref_fields, list) and target in schemas:
            known = _field_names(schemas[target])
            for i, name in enumerate(ref_fields):
                if isinstance(name, str) and name not in known:
                    c.add("schema", join(at, "fields") if isinstance(ref.get("fields"), str)
                          else join(join(at, "fields"), i), "descriptor.unknown_field", value=shown(name),
                          fields=", ".join(known[:20]))


def _field(c: _Check, f: dict, path: str, names: dict[str, str]) -> None:
    found = c.count
    name = None
    if c.text("field", f, "name", path, required=True):
        name = f["name"]
        if not name or _CONTROL.search(name) or len(name) > 256:
            c.add("field", join(path, "name"), "descriptor.field_name", value=shown(name))
        elif name.casefold() in names:
            c.add("field", join(path, "name"), "descriptor.duplicate_field", value=shown(name),
                  other=shown(names[name.casefold()]))
        else:
            names[name.casefold()] = name
    # not at the top: pipeline.validate imports pipeline.load, which imports this module
    from pipeline.validate.celltypes import field_type

    kind = field_type({})  # what the checks take a field without a type for
    if "type" in f:
        if c.text("field", f, "type", path):
            if f["type"] in FIELD_TYPES:
                kind = f["type"]
            else:
                hint = TYPE_HINTS.get(f["type"].strip().lower())
                c.add("field", join(path, "type"),
                      "descriptor.field_type_hint" if hint else "descriptor.field_type",
                      value=shown(f["type"]), types=", ".join(FIELD_TYPES), hint=hint or "")
                return
        else:
            return
    if c.text("field", f, "format", path):
        fmt = f["format"]
        if kind in DATE_TYPES:
            pass  # default, any, or a strptime pattern: cells that do not read are type errors
        elif fmt != "default" and fmt not in FORMATS.get(kind, ("default",)):
            c.add("field", join(path, "format"), "descriptor.field_format", value=shown(fmt), type=kind,
                  formats=", ".join(FORMATS.get(kind, ("default",))))
    for key in ("title", "description", "unit", "rdfType", "decimalChar", "groupChar"):
        c.text("field", f, key, path)
    if c.text("field", f, "x-unit", path) and f["x-unit"] not in field_units():
        # the dictionaries and workbooks name the unit in both languages from the catalogs
        c.add("field", join(path, "x-unit"), "descriptor.one_of", value=shown(f["x-unit"]),
              expected=", ".join(field_units()))
    for key in ("decimalChar", "groupChar"):
        if isinstance(f.get(key), str) and len(f[key]) != 1:
            c.add("field", join(path, key), "descriptor.dialect_char", value=shown(f[key]))
    c.english("field", f, path)
    c.flag("field", f, "bareNumber", path)
    for key in ("trueValues", "falseValues"):
        c.strings("field", f, key, path)
    if kind == "list":
        if c.text("field", f, "delimiter", path) and len(f["delimiter"]) != 1:
            c.add("field", join(path, "delimiter"), "descriptor.dialect_char", value=shown(f["delimiter"]))
        if c.text("field", f, "itemType", path) and f["itemType"] not in (
                "string", "integer", "number", "boolean", "date", "time", "datetime", "yearmonth", "year"):
            c.add("field", join(path, "itemType"), "descriptor.one_of", value=shown(f["itemType"]),
                  expected="string, integer, number, boolean, date, time, datetime, yearmonth, year")
    _missing_values(c, "field", f, path)
    if "constraints" in f and c.typed("field", join(path, "constraints"), f["constraints"], "object") \
            and c.count == found:  # constraint values are read as the field says: only a sound field
        _constraints(c, f, kind, join(path, "constraints"))


def _constraints(c: _Check, f: dict, kind: str, path: str) -> None:
    # not at the top: pipeline.validate imports pipeline.load, which imports this module
    from pipeline.validate.celltypes import exact_reader
    from pipeline.validate.tableschema import _SUPPORTED

    supported = set(_SUPPORTED.get(kind, {"required", "enum"})) | {"unique"}
    constraints = f["constraints"]
    reader = exact_reader(f)
    for key, value in constraints.items():
        where = join(path, key)
        if key not in supported:
            c.add("field", where, "descriptor.constraint_unsupported", value=shown(key), type=kind,
                  supported=", ".join(sorted(supported)))
        elif key in ("required", "unique"):
            c.typed("field", where, value, "boolean")
        elif key in ("minLength", "maxLength"):
            if c.typed("field", where, value, "integer") and not 0 <= value <= MAX_LENGTH_CONSTRAINT:
                c.add("field", where, "descriptor.length", value=shown(value), limit=MAX_LENGTH_CONSTRAINT)
        elif key == "pattern":
            if c.typed("field", where, value, "string"):
                try:
                    re.compile(value)
                except (re.error, RecursionError, OverflowError) as exc:
                    c.add("field", where, "descriptor.pattern", value=shown(value), detail=str(exc))
        elif key in BOUNDS:
            _bound(c, where, value, kind, reader)
        elif key == "enum" and c.typed("field", where, value, "array"):
            if not value:
                c.add("field", where, "descriptor.empty_array", value="[]")
            for index, item in enumerate(value):
                _bound(c, join(where, index), item, kind, reader, member=True)


def _bound(c: _Check, where: str, value, kind: str, reader, member: bool = False) -> None:
    """A constraint value (bound or enum member) the validator can compare with cells."""
    if isinstance(value, _Token):
        return
    if kind in ("integer", "year"):
        ok = (isinstance(value, int) and not isinstance(value, bool)) or \
             (isinstance(value, str) and reader(value) is not None)
        key = "descriptor.bound_integer"
    elif kind == "number":
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or \
             (isinstance(value, str) and reader(value) is not None)
        key = "descriptor.bound_number"
    elif kind == "string":
        ok = isinstance(value, str)
        key = "descriptor.not_string"
    elif kind == "boolean":
        ok = isinstance(value, bool) or (isinstance(value, str) and reader(value) is not None)
        key = "descriptor.bound_boolean"
    elif kind in TEXT_BOUND_TYPES or member:
        ok = isinstance(value, str) and reader(value) is not None
        if member and kind not in TEXT_BOUND_TYPES:
            ok = isinstance(value, (str, int, float, bool)) and not isinstance(value, _Token)
        key = "descriptor.bound_text"
    else:
        ok = False
        key = "descriptor.bound_text"
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > CONSTRAINT_DIGITS:
        ok = False
    if not ok:
        c.add("field", where, key, value=shown(value), type=kind)


# ---------------------------------------------------------------------------------------
# across packages


def collisions(packages: list[tuple[str, str, list[str]]]) -> list[Problem]:
    """Names that two tables or files would share once exported.

    ``packages`` holds (descriptor file, package name, resource names). The SQLite table
    name (``pipeline.export.sqlitefile.table_name``) and the download file names
    (``data/<package>/<version>/data/<resource>.<suffix>``, compared as lowercase for
    file systems that ignore case) must each be distinct.
    """
    from pipeline.tablenames import table_name

    problems: list[Problem] = []
    tables: dict[str, tuple[str, str]] = {}
    folders: dict[str, str] = {}
    for file, package, resources in packages:
        if package.lower() in folders and folders[package.lower()] != package:
            problems.append(Problem(file, "name", "package-error", "descriptor.collision_folder",
                                    {"value": shown(package), "other": shown(folders[package.lower()])}))
        folders.setdefault(package.lower(), package)
        files: dict[str, str] = {}
        for index, resource in enumerate(resources):
            path = f"resources[{index}].name"
            target = table_name(package, resource)
            if target in tables and tables[target] != (package, resource):
                other = "/".join(tables[target])
                problems.append(Problem(file, path, "resource-error", "descriptor.collision_table",
                                        {"value": shown(f"{package}/{resource}"), "other": shown(other),
                                         "target": target}))
            tables.setdefault(target, (package, resource))
            if resource.lower() in files and files[resource.lower()] != resource:
                problems.append(Problem(file, path, "resource-error", "descriptor.collision_file",
                                        {"value": shown(resource), "other": shown(files[resource.lower()])}))
            files.setdefault(resource.lower(), resource)
    return problems


def cross_package_keys(file: str, descriptor: dict, resources_of) -> list[Problem]:
    """``x-foreignKeys`` into a package that was loaded: its resource and fields exist.

    ``resources_of(package)`` → {resource name: field names}, or None if not loaded (then
    the validator reports the keys as not checked).
    """
    problems = []
    for index, resource in enumerate(descriptor.get("resources") or []):
        for j, fk in enumerate(resource.get("x-foreignKeys") or []):
            ref = fk["reference"]
            at = f"resources[{index}].x-foreignKeys[{j}].reference"
            target = resources_of(ref["package"])
            if target is None:
                continue
            if ref["resource"] not in target:
                problems.append(Problem(file, f"{at}.resource", "resource-error", "descriptor.unknown_resource",
                                        {"value": shown(ref["resource"]), "names": ", ".join(sorted(target))}))
                continue
            fields = [ref["fields"]] if isinstance(ref["fields"], str) else ref["fields"]
            for i, name in enumerate(fields):
                if name not in target[ref["resource"]]:
                    where = f"{at}.fields" if isinstance(ref["fields"], str) else f"{at}.fields[{i}]"
                    problems.append(Problem(file, where, "resource-error", "descriptor.unknown_field",
                                            {"value": shown(name),
                                             "fields": ", ".join(target[ref["resource"]][:20])}))
    return problems
