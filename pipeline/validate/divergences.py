"""Where our validator deliberately differs from frictionless, and why.

``DIVERGENCES`` is data so the site can render it; the differential tests use
``frictionless_equivalent_schema`` to give frictionless the spec's meaning before
comparing, so each divergence is exercised rather than skipped.
"""

from __future__ import annotations

import copy
import re

DIVERGENCES: list[dict[str, str]] = [
    {
        "type": "source-error (unclosed quote)",
        "frictionless": "Reads a quoted field that is never closed to the end of the file: "
                        "every later row becomes part of that one cell, without an error.",
        "ours": "Reports a source-error on the line where the quote opens.",
        "reason": "A stray quote in a spreadsheet export must not make the rows after it "
                  "disappear from the published data unnoticed.",
    },
    {
        "type": "constraint-error (pattern)",
        "frictionless": "Wraps the pattern as ^p$ without a group, so `a|b` accepts `apple` "
                        "(^a or b$), and Python's $ also matches before a final newline.",
        "ours": "Matches the whole value: ^(?:p)$, with $ at the very end.",
        "reason": "Table Schema says the pattern must match the whole value; a code list "
                  "such as `01|02` must not accept `0123`.",
    },
    {
        "type": "constraint-error (pattern)",
        "frictionless": "Python regular expressions: \\d, \\w, \\s and \\b also match full-width "
                        "and other Unicode digits, letters and spaces.",
        "ours": "The pattern is read by Python's parser, so it means what Python says (`{,3}`, "
                "`\\u4e00`, `\\Z`, `(?x)`), but \\d, \\w, \\s and \\b are ASCII, as with "
                "Python's re.ASCII (case-insensitive matching still folds every script).",
        "reason": "A full-width ０ typed through a Chinese input method is a data error in "
                  "a code; XML Schema's Unicode classes would let it through.",
    },
    {
        "type": "not-supported (pattern)",
        "frictionless": "Runs any pattern with Python's backtracking engine: `(?!z)(a+)+b` "
                        "against a 41-character cell ran for minutes.",
        "ours": "Runs patterns with RE2 (linear time in the cell's length). Look-ahead and "
                "look-behind, back references, conditional and atomic groups and possessive "
                "repeats, repeat counts above 1000 and patterns that compile to more than 2000 "
                "RE2 instructions are refused with a finding naming the field and the pattern "
                "(`validate` exits with 2), never handed to a backtracking engine. A pattern "
                "that is not a regular expression at all is a schema-error (frictionless stops "
                "with re.error).",
        "reason": "A pull request may carry a hostile pattern; the gate must finish whatever "
                  "the pattern.",
    },
    {
        "type": "not-supported (duration keys and enum)",
        "frictionless": "Compares durations as isodate values: PT1H equals PT60M; in a key P1Y "
                        "and P12M differ (their hashes differ) but in an enum they are equal.",
        "ours": "Refuses `unique`, primary and foreign keys and `enum` on duration fields "
                "with a not-supported finding (`validate` exits with 2).",
        "reason": "The reference's own answers disagree between keys and enums, and no "
                  "package of ours uses durations; refused by name rather than half-agreed.",
    },
    {
        "type": "encoding-error",
        "frictionless": "Without a declared encoding, guesses it from the first ~100 kB "
                        "(chardet); GBK text after that point fails mid-file, and a wrong "
                        "guess reads the file as mojibake.",
        "ours": "Reads the declared encoding (default UTF-8, with or without BOM; gbk/gb18030 "
                "when declared) over the whole file and reports the first bad byte with "
                "its line.",
        "reason": "A publisher must learn the file is not UTF-8, not see garbled names on "
                  "the site.",
    },
    {
        "type": "(dialect)",
        "frictionless": "Sniffs the delimiter (, tab ; |) and other dialect options from the "
                        "first 100 lines unless the descriptor declares them, and takes as "
                        "header the first row whose width is near the average width (so "
                        "blank lines at the top or a wide first row move the header).",
        "ours": "Uses the descriptor's dialect or the Table Dialect defaults (comma, double "
                "quote, header in row 1) — never a guess.",
        "reason": "A file must mean the same thing whatever its first lines happen to look "
                  "like; a sniffed ';' turns every row into one type error.",
    },
    {
        "type": "scheme-error / source-error (loading)",
        "frictionless": "Follows symbolic links out of the package folder and fetches remote "
                        "URLs; reads files of any size.",
        "ours": "Refuses absolute paths, '..', '~', environment variables, hidden folders, "
                "links leading outside the folder, remote URLs and files over --max-bytes.",
        "reason": "Descriptors arrive in pull requests; the build must not read the "
                  "machine's files or the network.",
    },
    {
        "type": "unique-error / primary-key / foreign-key (number)",
        "frictionless": "Compares numbers as exact decimals.",
        "ours": "Compares number-typed keys as float64 (integer keys exactly, also beyond "
                "2^53); an integer field referencing a number field compares as float64. "
                "minimum/maximum and enum ties are decided exactly.",
        "reason": "Keys are compared with Arrow sorts and joins to keep memory flat; two "
                  "keys differing only beyond the 15th significant digit are not a real case "
                  "for codes and counts.",
    },
    {
        "type": "unique-error / primary-key (object, array)",
        "frictionless": "Stops with a Python TypeError (a JSON object or array is unhashable) "
                        "when such a field is unique or part of the primary key.",
        "ours": "Skips `unique` on object/array fields; in a primary key they compare by "
                "their canonical JSON text.",
        "reason": "A crash is no report; the publisher still learns about every other "
                  "error.",
    },
    {
        "type": "schema-error (fieldsMatch by name)",
        "frictionless": "Stops with an exception when labels repeat under a name-matching "
                        "fieldsMatch mode.",
        "ours": "Reports a schema-error and continues.",
        "reason": "Same as above: a report, not a stack trace.",
    },
    {
        "type": "type-error (duration, string formats email/uri)",
        "frictionless": "isodate for durations, the `validators` and `rfc3986` packages for "
                        "email and uri.",
        "ours": "ISO 8601 duration grammar and simple shape checks (something@host.tld; "
                "scheme:rest without spaces).",
        "reason": "Avoids run-time dependencies the portal does not otherwise need; no "
                  "package of ours uses these types.",
    },
    {
        "type": "(inline data, multipart paths, non-CSV formats)",
        "frictionless": "Validates inline `data`, lists of paths, Excel, JSON and more.",
        "ours": "Refuses them with a load error.",
        "reason": "The portal's packages are CSV; anything else is refused rather than "
                  "half-checked.",
    },
]


def frictionless_equivalent_schema(schema: dict) -> dict:
    """The schema rewritten so frictionless applies the spec's meaning where we diverge."""
    schema = copy.deepcopy(schema)
    for fld in schema.get("fields", []):
        constraints = fld.get("constraints") or {}
        if "pattern" in constraints:
            # ^(?a:p)(?!\n)$ under frictionless's own ^…$ wrapping = whole-value match with
            # ASCII classes; leading global flags move into the scoped group (Python wants
            # global flags at the very start, and frictionless puts ^ there)
            pattern = constraints["pattern"]
            flags = re.match(r"\(\?([aiLmsux]+)\)", pattern)
            letters = flags.group(1).replace("a", "").replace("u", "") if flags else ""
            body = pattern[flags.end():] if flags else pattern
            constraints["pattern"] = f"(?a{letters}:{body})(?!\\n)"
    return schema
