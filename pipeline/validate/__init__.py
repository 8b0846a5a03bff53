"""Validation stage: Table Schema checks, keys across packages, and the domain's rules.

``validate_catalog(catalog)`` (in :mod:`pipeline.validate.catalog`) returns a report.
Its names are offered here but imported on first use: ``python -m pipeline --help`` and
the validate command's options import this package, and Arrow, numpy and the checks take
longer to import than the whole command line should take to start.
"""

from __future__ import annotations

import importlib

DEFAULT_MAX_ERRORS = 1000  # errors listed per resource; the rest are counted

_FROM_CATALOG = ("Report", "Task", "report_from_load_error", "typed_table", "validate_catalog")
__all__ = ["DEFAULT_MAX_ERRORS", "Report", "Task", "report_from_load_error", "typed_table",
           "validate_catalog"]


def __getattr__(name: str):
    if name in _FROM_CATALOG:
        return getattr(importlib.import_module("pipeline.validate.catalog"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
