"""Release versions: the grammar the portal accepts, their order, and computed versions.

A Data Package's ``version`` may be semantic (``1.0.1``, ``2.0.0-rc.1``) or calendar-based
(``2024.06``, ``2015.05.27``); both become folder names (``data/<package>/<version>/``), so
the grammar is also what keeps a version from being a path: digits in one to four dotted
parts, then optionally a semantic-versioning pre-release (``-…``) and build (``+…``) of
letters, digits and hyphens. ``..``, slashes and spaces can never match.

Order follows Semantic Versioning 2.0.0 §11, extended to one to four numeric parts (missing
parts count as 0, so ``2024.6`` < ``2024.6.1``); build metadata does not affect precedence
and only breaks ties, so that a sorted list of folders is always the same.
"""

from __future__ import annotations

import datetime as dt
import re

_IDENTIFIER = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
PATTERN = rf"(?P<numbers>[0-9]{{1,9}}(?:\.[0-9]{{1,9}}){{0,3}})(?:-(?P<pre>{_IDENTIFIER}))?(?:\+(?P<build>{_IDENTIFIER}))?"
_VERSION = re.compile(PATTERN, re.ASCII)  # [0-9] only: full-width digits are not digits here
MAX_LENGTH = 64


def is_version(text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_LENGTH and _VERSION.fullmatch(text) is not None


def version_key(text: str) -> tuple:
    """A sort key: ``sorted(versions, key=version_key)`` lists them oldest first."""
    match = _VERSION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a release version: {text!r}")
    numbers = tuple(int(n) for n in match["numbers"].split("."))
    numbers += (0,) * (4 - len(numbers))
    pre = match["pre"]
    # A release sorts after every pre-release of the same numbers (SemVer §11.3); numeric
    # identifiers sort before alphanumeric ones and compare as numbers (§11.4).
    pre_key = (1,) if pre is None else (0, *(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")))
    return numbers, pre_key, match["build"] or ""


def newest(versions) -> str | None:
    versions = [v for v in versions if is_version(v)]
    return max(versions, key=version_key) if versions else None


def calendar_version(day: dt.date, serial: int = 1) -> str:
    """``2015.05.27`` for the first release computed for that day, ``2015.05.27.2`` after it."""
    base = f"{day.year:04d}.{day.month:02d}.{day.day:02d}"
    return base if serial <= 1 else f"{base}.{serial}"
