"""Changzhou work-safety open-data pipeline: load → validate → derive → export → pages → site."""

__version__ = "0.1.0"
