"""Where our validator deliberately differs from frictionless, and why.

``DIVERGENCES`` is data so the site can render it (its texts, in both languages, are in the
message catalogs); the differential tests use ``frictionless_equivalent_schema`` to give
frictionless the spec's meaning before comparing, so each divergence is exercised rather
than skipped.
"""

from __future__ import annotations

import copy
import re

# Each divergence: a stable id and the error types it concerns (none for a difference in how a
# file is read). Its texts are in the message catalogs, in both languages, under
# ``methodology.quality.divergence.<id>.``: ``topic`` (what it is about), ``frictionless`` (what
# the reference does), ``ours`` (what this portal does) and ``reason`` (why).
DIVERGENCES: list[dict] = [
    {"id": "unclosed-quote", "types": ("source-error",)},
    {"id": "pattern-anchoring", "types": ("constraint-error",)},
    {"id": "pattern-classes", "types": ("constraint-error",)},
    {"id": "pattern-engine", "types": ("not-supported",)},
    {"id": "duration-keys", "types": ("not-supported",)},
    {"id": "encoding", "types": ("encoding-error",)},
    {"id": "dialect", "types": ()},
    {"id": "loading", "types": ("scheme-error", "source-error")},
    {"id": "number-keys", "types": ("unique-error", "primary-key", "foreign-key")},
    {"id": "object-keys", "types": ("unique-error", "primary-key")},
    {"id": "fields-match", "types": ("schema-error",)},
    {"id": "string-formats", "types": ("type-error",)},
    {"id": "not-csv", "types": ()},
]
DIVERGENCE_TEXTS = ("topic", "frictionless", "ours", "reason")


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
