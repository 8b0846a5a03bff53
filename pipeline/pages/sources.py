"""Where the portal's own page sources are: the repository's ``site/`` folder (hand-written
pages, theme overrides, the command-line reference). A module of its own, so that every
module of ``pipeline.pages`` can know it without importing the package's ``write_docs``."""

from __future__ import annotations

from pipeline.config import ROOT

SITE_SOURCES = ROOT / "site"
