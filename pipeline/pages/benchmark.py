"""The benchmark page: the figures of the last recorded `python -m pipeline bench --record`,
read from the recorded results (``benchmarks/results.json``, and the ceiling run's
``benchmarks/ceiling.json``), not from the benchmark."""

from __future__ import annotations

import json

from markupsafe import escape

from pipeline.bench_report import CEILING_RECORD, RECORD, page_markdown
from pipeline.i18n import t


def write(ctx) -> list:
    if not RECORD.is_file():  # no recorded run: no page, rather than an empty one
        return []
    results = json.loads(RECORD.read_text(encoding="utf-8"))
    ceiling = json.loads(CEILING_RECORD.read_text(encoding="utf-8")) if CEILING_RECORD.is_file() else None
    ctx.write("benchmark.md", page_markdown(results, ctx.lang, ceiling))
    return [{str(escape(t("bench.page.title", ctx.lang))): "benchmark.md"}]
