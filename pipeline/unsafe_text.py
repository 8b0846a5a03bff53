"""Characters that have no place in the portal's text: direction changes, invisible ones,
controls. A right-to-left override (U+202E) makes ``示例公司exe.pdf`` display as something
else, a zero-width space makes two names that look the same compare different, and control
characters (NUL, escape sequences) corrupt terminals, spreadsheets and CI logs. Cells (the
text-safety rule) and descriptors (titles, descriptions) are checked against the same set.

Tab, line feed and carriage return stay allowed: quoted plan paragraphs have line breaks.
"""

from __future__ import annotations

import re
import unicodedata

BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
INVISIBLE = "\u200b-\u200d\u2060-\u2064\ufeff\u180e"
CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
_KINDS = (("bidi", re.compile(f"[{BIDI}]")), ("invisible", re.compile(f"[{INVISIBLE}]")),
          ("control", re.compile(f"[{CONTROL}]")))
_ANY = re.compile(f"[{BIDI}{INVISIBLE}{CONTROL}]")
# the same class for RE2 (Arrow), written with \x{...} escapes
SCREEN = "[" + "".join(
    f"\\x{{{ord(a):x}}}-\\x{{{ord(b):x}}}" if b else f"\\x{{{ord(a):x}}}"
    for a, b in re.findall(r"(.)(?:-(.))?", BIDI + INVISIBLE + CONTROL, re.DOTALL)) + "]"


def offending(text: str) -> tuple[str, str, int] | None:
    """(kind, "U+XXXX NAME", 1-based character position) of the first unsafe character."""
    found = _ANY.search(text)
    if found is None:
        return None
    char = found.group()
    kind = next(k for k, pattern in _KINDS if pattern.match(char))
    name = unicodedata.name(char, "") or {"\x00": "NULL"}.get(char, "CONTROL")
    return kind, f"U+{ord(char):04X} {name}", found.start() + 1


def shown(text: str) -> str:
    """``text`` as it may appear in a report: every unsafe character as a visible escape."""
    return _ANY.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
