"""Names a table gets in the downloads that hold several packages (the SQLite database).

A leaf module (it imports nothing of the pipeline): the descriptor gate refuses two
resources whose names would collide here before the export writes anything, and both must
agree on the one transformation.
"""

from __future__ import annotations


def table_name(package: str, resource: str) -> str:
    """``<package>__<resource>`` with hyphens as underscores. Package names join their words
    with single hyphens and resource names with single underscores
    (:mod:`pipeline.descriptors`), so no two tables get the same name; the SQLite writer
    refuses a collision all the same rather than let one table replace another."""
    return f"{package}__{resource}".replace("-", "_")
