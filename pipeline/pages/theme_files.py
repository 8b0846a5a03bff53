"""Copies of the theme's minified scripts with a correction applied.

Two scripts of mkdocs-material are corrected at build time (the search worker's Chinese
segmentation, :mod:`pipeline.pages.search_worker`; the bundle's handling of language
alternates, :mod:`pipeline.pages.theme_alternates`). Both find the one installed file by its
name, apply a correction found by the shape of the code (which drops the theme's source map:
it describes the theme's file, not the copy) and name the copy by its digest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path

_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")


def without_source_map(source: str) -> str:
    """The script without its source-map comment: the map describes the theme's file."""
    return _SOURCE_MAP.sub("\n", source)


def theme_file(theme_dirs: Iterable, folder: str, name: re.Pattern, missing: Exception) -> Path:
    """The one file of ``folder`` whose name matches ``name`` among the theme's folders (the
    theme's own is the last; overrides come first); ``missing`` is raised when none has one."""
    for theme_dir in reversed(list(theme_dirs)):
        scripts = Path(theme_dir) / folder
        found = sorted(p for p in scripts.iterdir() if name.fullmatch(p.name)) \
            if scripts.is_dir() else []
        if len(found) == 1:
            return found[0]
    raise missing


def corrected_file(path: Path, correct: Callable[[str], str], stem: str) -> tuple[str, str, bytes]:
    """(the theme file's name, the copy's name ``<stem>.<digest>.min.js``, the copy's bytes)."""
    data = correct(path.read_text(encoding="utf-8")).encode("utf-8")
    return path.name, f"{stem}.{hashlib.sha256(data).hexdigest()[:8]}.min.js", data
