"""The export's error, and the guard every output path goes through (no import of the
export package itself, so that its writers can raise it without an import circle)."""

from __future__ import annotations

from pathlib import Path

from pipeline.i18n import both
from pipeline.outdir import OutsideOutput, inside


class ExportError(Exception):
    """The catalog cannot be published as it is (message in Chinese and English)."""


def output_path(root: Path, *parts: str) -> Path:
    """An output path from names (package, version, resource): it must stay inside ``root``.

    The names were validated when the descriptors were read; this is the second line of
    defence, so a name that got through can never make the export write elsewhere."""
    try:
        return inside(root, *parts)
    except OutsideOutput as error:
        raise ExportError(both("export.error.outside", detail=str(error))) from None
