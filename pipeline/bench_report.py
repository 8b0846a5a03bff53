"""The benchmark's figures as tables: plain text for the terminal, Markdown for the site.

Reads only a results document (what ``python -m pipeline bench`` writes to
``results.json``, and ``--record`` keeps in :data:`RECORD`): the site's benchmark page is
made from the recorded file, never by importing the benchmark that measured it.
"""

from __future__ import annotations

import unicodedata
from html import escape
from pathlib import Path

from pipeline.i18n import t

# The recorded run the site publishes (``python -m pipeline bench --record``).
RECORD = Path(__file__).resolve().parent.parent / "benchmarks" / "results.json"
# The ceiling of one machine: a run of five times the national tier alone
# (``--tiers national5 --record``), recorded apart and shown in a section of its own.
CEILING_TIER = "national5"
CEILING_RECORD = RECORD.with_name("ceiling.json")
STAGES = ("synth", "validate", "duckdb", "load_validate", "derive", "export", "build")
# A stage whose first run took longer than this is not repeated: its noise is small
# against its length, and repeating a province build costs minutes on a shared machine.
REPEAT_BELOW_SECONDS = 60.0
GIB = 1024 ** 3


def _num(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _mb(value) -> str:
    return "—" if value is None else f"{value / 2**20:,.0f}"


def _budget_value(budget: dict, lang: str) -> str:
    value, budget_id = budget["value"], budget["id"]
    if value is None:
        return "—"
    if budget_id.endswith("_bytes"):
        return f"{value / GIB:.2f} GiB"
    if budget_id.endswith("_seconds"):
        return f"{value:.1f} s"
    if budget_id == "same_findings":
        return t("bench.yes" if value else "bench.no", lang)
    if budget_id == "lookup_query_kb":
        return f"{value:.1f} KB"
    if budget_id == "lookup_ms":
        return f"{value:.0f} ms"
    return f"{value:.2f}×"


def _budget_limit(budget: dict, lang: str) -> str:
    limit, budget_id = budget["limit"], budget["id"]
    if budget_id.endswith("_bytes"):
        return f"{budget['op']} {limit / GIB:.0f} GiB"
    if budget_id.endswith("_seconds"):
        return f"{budget['op']} {limit} s"
    if budget_id == "same_findings":
        return t("bench.yes", lang)
    if budget_id == "lookup_query_kb":
        return f"{budget['op']} {limit} KB"
    if budget_id == "lookup_ms":
        return f"{budget['op']} {limit} ms"
    return f"{budget['op']} {limit}×"


def stage_rows(results: dict, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """Header and rows of the stage table (medians)."""
    header = [t(f"bench.col.{c}", lang) for c in
              ("tier", "stage", "seconds", "runs", "rows", "rows_per_second", "peak_mb",
               "output_mb", "note")]
    rows = []
    for tier, entry in results["tiers"].items():
        for stage in (*STAGES, "frictionless"):
            f = entry["stages"].get(stage)
            if f is None:
                continue
            note = _note(stage, f, lang)
            runs = f.get("runs")
            rows.append([_tier(tier, lang), t(f"bench.stage.{stage}", lang), _num(f.get("seconds"), 2),
                         str(len(runs)) if isinstance(runs, list) else _num(runs),
                         _num(f.get("rows")), _num(f.get("rows_per_second"), 0),
                         _mb(f.get("peak_bytes")), _mb(f.get("output_bytes")), note])
    return header, rows


def _tier(tier: str, lang: str) -> str:
    """A tier's name in the reader's language; one the catalogs do not know, as recorded."""
    try:
        return t(f"bench.tier.{tier}", lang)
    except KeyError:
        return tier


def _note(stage: str, f: dict, lang: str) -> str:
    if f.get("error"):
        return t("bench.note.error", lang, error=str(f["error"])[:120])
    if stage == "synth":
        return t("bench.note.cached", lang) if f.get("cached") else ""
    if stage == "export":
        return t("bench.note.export", lang, seconds=_num(f.get("pipeline_seconds"), 1))
    if stage == "duckdb":
        return t("bench.note.duckdb", lang, threads=f.get("threads", "—"), memory=f.get("memory_limit", "—"))
    if stage == "build":
        return t("bench.note.build", lang, pages=_num(f.get("pages")),
                 mkdocs=_num(f.get("mkdocs_seconds"), 1), data=_mb(f.get("site_data_bytes")),
                 noop=_num(f.get("noop_seconds"), 1), row=_num(f.get("row_seconds"), 1),
                 weekly=_num(f.get("weekly_seconds"), 1),
                 query_kb=_num(f.get("lookup_bytes_max", 0) / 1000, 0)
                 if f.get("lookup_bytes_max") else "—",
                 query_ms=_num(f.get("lookup_ms_median"), 0))
    if stage == "frictionless":
        return t("bench.note.frictionless", lang, seconds=_num(f.get("frictionless_seconds"), 1),
                 ratio=_num(f.get("ratio"), 1), peak=_mb(f.get("frictionless_peak_bytes")),
                 same=t("bench.yes" if f.get("same_findings") else "bench.no", lang))
    return ""


def package_rows(results: dict, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    header = [t(f"bench.col.{c}", lang) for c in
              ("tier", "package", "seconds", "frictionless_seconds", "ratio", "peak_mb",
               "frictionless_peak_mb", "same")]
    rows = []
    for tier, entry in results["tiers"].items():
        for name, p in (entry["stages"].get("frictionless") or {}).get("packages", {}).items():
            rows.append([_tier(tier, lang), name, _num(p["ours"]["seconds"], 2),
                         _num(p["frictionless"]["seconds"], 2), _num(p["speedup"], 1),
                         _mb(p["ours"]["maxrss_kb"] * 1024),
                         _mb(p["frictionless"]["maxrss_kb"] * 1024),
                         t("bench.yes" if p["same_findings"] else "bench.no", lang)])
    return header, rows


PEERS = ("ours", "frictionless", "duckdb", "floor")


def resource_rows(results: dict, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """Header and rows of the one-resource comparison (none when it was not measured)."""
    return peer_rows(results.get("resource") or {}, lang)


def peer_rows(resource: dict, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """Header and rows of one package's comparison with the peers (none when not measured)."""
    header = [t(f"bench.col.{c}", lang) for c in
              ("tool", "wall_seconds", "rows_per_second", "peak_mb", "vs_ours", "cpu_seconds",
               "cpu_vs_ours", "errors", "same")]
    rows = []
    for tool in PEERS if "ours" in resource else ():
        f = resource.get(tool) or {}
        if "error" in f:
            rows.append([t(f"bench.tool.{tool}", lang), "—", "—", "—", "—", "—", "—", "—",
                         t("bench.note.error", lang, error=str(f["error"])[:120])])
            continue
        wall = f.get("wall_seconds")
        same = f.get("same_findings")
        rows.append([t(f"bench.tool.{tool}", lang), _num(wall, 2),
                     _num(resource["rows"] / wall if wall else None, 0),
                     _mb(f["maxrss_kb"] * 1024 if "maxrss_kb" in f else None),
                     "1.0" if tool == "ours" else _num(f.get("ratio"), 2),
                     _num(f.get("cpu_seconds"), 2),
                     "1.0" if tool == "ours" else _num(f.get("cpu_ratio"), 2),
                     "—" if tool == "floor" else _num(f.get("errors")),
                     "" if same is None else t("bench.yes" if same else "bench.no", lang)])
    return header, rows


def _resource_intro(results: dict, lang: str) -> str:
    resource = results["resource"]
    return t("bench.page.resource_intro", lang, rows=_num(resource["rows"]),
             runs=len((resource.get("ours") or {}).get("runs") or [1]),
             bad_every=_num(resource.get("bad_every")),
             threads=resource.get("duckdb_threads", 2), memory=resource.get("duckdb_memory", "256MB"))


def third_party_markdown(results: dict, lang: str) -> list[str]:
    """The section on the real third-party package, each size measured with its table."""
    measured = results.get("third_party") or []
    if not measured:
        return []
    copies = max(e["copies"] for e in measured)
    parts = [f"## {t('bench.page.third_party', lang, name=measured[0]['package'])}\n",
             t("bench.page.third_party_intro", lang, copies=copies) + "\n"]
    for entry in measured:
        parts.append(f"### {_copies_title(entry, lang)}\n")
        if "error" in entry:
            parts.append(t("bench.note.error", lang, error=str(entry["error"])[:120]) + "\n")
        else:
            parts.append(_md_table(*peer_rows(entry, lang)))
    return parts


def _copies_title(entry: dict, lang: str) -> str:
    return t("bench.page.third_party_copies", lang, copies=entry["copies"], rows=_num(entry["rows"]),
             data=_mb(entry.get("data_bytes")))


def budget_rows(results: dict, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    header = [t(f"bench.col.{c}", lang) for c in ("budget", "tier", "figure", "limit", "result")]
    rows = [[t(f"bench.budget.{b['id']}", lang), _tier(b["tier"], lang), _budget_value(b, lang), _budget_limit(b, lang),
             t("bench.pass" if b["pass"] else "bench.miss", lang)]
            for b in results.get("budgets", [])]
    return header, rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """Aligned columns; CJK characters count double, as a terminal shows them."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)]) + "\n"


def render_text(results: dict, lang: str = "zh") -> str:
    parts = [plain_table(*stage_rows(results, lang))]
    header, rows = resource_rows(results, lang)
    if rows:
        parts.append(plain_table(header, rows))
    for entry in results.get("third_party") or []:
        header, rows = peer_rows(entry, lang)
        if rows:
            parts.append(_copies_title(entry, lang) + "\n" + plain_table(header, rows))
    header, rows = package_rows(results, lang)
    if rows:
        parts.append(plain_table(header, rows))
    header, rows = budget_rows(results, lang)
    if rows:
        parts.append(plain_table(header, rows))
    return "\n".join(parts)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _footnoted(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table whose last column (notes) becomes numbered footnotes under it, each
    distinct note once: as a column, long notes stood one character per line on a phone."""
    notes = list(dict.fromkeys(row[-1] for row in rows if row[-1]))
    body = [[row[0] + (f'<sup class="data-note-ref">{notes.index(row[-1]) + 1}</sup>' if row[-1] else ""),
             *row[1:-1]] for row in rows]
    table = _md_table(header[:-1], body)
    if notes:
        table += ('\n<ol class="data-footnotes">\n' + "".join(f"<li>{escape(note)}</li>\n" for note in notes)
                  + "</ol>\n")
    return table


def _machine(results: dict, lang: str) -> str:
    m = results["machine"]
    memory = m.get("memory_bytes")
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(m.get("libraries", {}).items()) if v)
    text = t("bench.page.machine", lang, date=results["date"][:10], platform=m["platform"],
             cpus=m["cpu_count"], memory="—" if memory is None else f"{memory / GIB:.0f}",
             python=m["python"], libraries=libraries)
    if m.get("load_average") is not None:
        text += " " + t("bench.page.load", lang, load=f"{m['load_average']:.1f}", cpus=m["cpu_count"])
    if m.get("disk_free_bytes") is not None:
        text += " " + t("bench.page.disk", lang, free=f"{m['disk_free_bytes'] / GIB:.0f}")
    return text + "\n"


def ceiling_markdown(results: dict, lang: str = "zh") -> str:
    """The section on the ceiling of one machine: what each stage did at the ceiling tier
    (its time, peak and output, or what broke), and the plan past it."""
    entry = results["tiers"].get(CEILING_TIER) or {}
    stages = entry.get("stages", {})
    header = [t(f"bench.col.{c}", lang) for c in ("stage", "seconds", "peak_mb", "output_mb", "result")]
    # a stage that broke: how long it ran until then
    rows = [[t(f"bench.stage.{stage}", lang) + (f" ({f['date'][:10]})" if f.get("date") else ""),
             _num(f.get("seconds") if f.get("seconds") is not None else f.get("wall_seconds"), 1),
             _mb(f.get("peak_bytes")),
             _mb(f.get("output_bytes")),
             _what_broke(f, lang) if f.get("error") else t("bench.ceiling.done", lang)]
            for stage in STAGES if (f := stages.get(stage)) is not None]
    return "\n".join([
        f"## {t('bench.ceiling.title', lang)}\n",
        t("bench.ceiling.intro", lang, rows=_num(entry.get("rows")),
          data=_mb(entry.get("data_bytes"))) + "\n",
        _machine(results, lang), _md_table(header, rows),
        f"### {t('bench.ceiling.plan_title', lang)}\n", t("bench.ceiling.plan", lang) + "\n"])


# What broke a stage at the ceiling, in the page's language (the error's own text is English)
_BROKE = {"ENOSPC": "bench.broke.disk", "ENOMEM": "bench.broke.memory"}


def _what_broke(figures: dict, lang: str) -> str:
    written = figures.get("written_bytes")
    written = t("bench.broke.written", lang, mb=_mb(written)) if written is not None else ""
    if figures.get("errno") in _BROKE:
        where = t("bench.broke.file", lang, file=figures["file"]) if figures.get("file") else ""
        return t(_BROKE[figures["errno"]], lang) + where + written
    if str(figures["error"]).startswith("killed by SIGKILL"):  # the out-of-memory killer's mark
        return t("bench.broke.killed", lang) + written
    return t("bench.note.error", lang, error=str(figures["error"])[:160]) + written


def page_markdown(results: dict, lang: str = "zh", ceiling: dict | None = None) -> str:
    """The benchmark page of the site, from ``results`` as :func:`run` returns or writes them,
    and the ceiling run's (:data:`CEILING_RECORD`) when there is one."""
    parts = [
        f"# {t('bench.page.title', lang)}\n",
        t("bench.page.intro", lang, repeat=results["settings"]["repeat"],
          seconds=int(results["settings"].get("repeat_below_seconds", REPEAT_BELOW_SECONDS))) + "\n",
        _machine(results, lang),
        f"## {t('bench.page.stages', lang)}\n", _footnoted(*stage_rows(results, lang)),
    ]
    header, rows = resource_rows(results, lang)
    if rows:
        parts += [f"## {t('bench.page.resource', lang)}\n", _resource_intro(results, lang) + "\n",
                  _md_table(header, rows)]
    parts += third_party_markdown(results, lang)
    header, rows = package_rows(results, lang)
    if rows:
        parts += [f"## {t('bench.page.frictionless', lang)}\n", _md_table(header, rows)]
    header, rows = budget_rows(results, lang)
    if rows:
        parts += [f"## {t('bench.page.budgets', lang)}\n", _md_table(header, rows)]
    if ceiling is not None:
        parts.append(ceiling_markdown(ceiling, lang))
    return "\n".join(parts)
