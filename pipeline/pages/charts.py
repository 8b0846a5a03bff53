"""Charts drawn at build time as SVG: no chart library in the browser, nothing to download.

Text stays text (``<text>``), so Chinese is drawn by the reader's own fonts and can be
read by screen readers and searched. Every chart is ``role="img"`` with a ``<title>`` and
``<desc>``, scales with its container (``viewBox``, ``width="100%"``), and gives each point
a ``<title>`` as a tooltip. Colours and fonts are attributes, not CSS classes, so the same
bytes look the same inline, as a downloaded ``.svg`` and when drawn onto a canvas for PNG.
Output depends only on the arguments (numbers formatted explicitly, no random ids), and
every label is escaped: data values are text, never markup.

``chart_block`` writes a chart as an asset plus a chart-only page for embedding, and
returns the HTML that shows it on a page with its data table and download links.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from pipeline.i18n import t

FONT = ("-apple-system, BlinkMacSystemFont, 'PingFang SC', 'Hiragino Sans GB', "
        "'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif")
# Colour-blind-safe (Okabe–Ito); series also differ by marker and dash, not colour alone.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 4", "2 3", "8 3 2 3")
TARGET_COLOUR = "#B00020"
AXIS_COLOUR = "#555555"
GRID_COLOUR = "#DDDDDD"
TEXT_COLOUR = "#222222"
AFTER_FILL = "#F2F2F2"  # the years after the plan period


@dataclass
class Series:
    """One line: ``points`` are (x, y) pairs; a y of None leaves a gap."""
    name: str
    points: list[tuple[object, float | None]]
    dashed: bool = False  # comparison lines (benchmarks) are dashed
    colour: str | None = None
    dash: str | None = None  # an explicit dash pattern, overriding ``dashed``


@dataclass
class Chart:
    """What ``chart_block`` needs besides the SVG itself."""
    slug: str
    title: str
    svg: str
    headers: list[str]
    rows: list[list[object]]
    caption: str
    source: str = ""
    csv_href: str | None = None  # relative to the site root
    notes: list[str] = field(default_factory=list)


def fmt(value: float | None, decimals: int = 0) -> str:
    """A number as the charts and tables print it (fixed decimals, no separators)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.{max(int(decimals), 0)}f}"


def _n(value: float) -> str:
    """Coordinates with two decimals, so output is stable across platforms."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] ("nice numbers")."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _tick_decimals(ticks: list[float]) -> int:
    if len(ticks) < 2:
        return 0
    step = abs(ticks[1] - ticks[0])
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else (
        1 if step % 1 else 0)


def _id(slug: str) -> str:
    return "chart-" + re.sub(r"[^a-zA-Z0-9_-]+", "-", slug)


def _open(slug: str, width: int, height: int, title: str, desc: str) -> list[str]:
    cid = _id(slug)
    return [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart" id="{cid}" '
         f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
         f'role="img" aria-labelledby="{cid}-title {cid}-desc" font-family="{escape(FONT)}" '
         f'font-size="13" fill="{TEXT_COLOUR}">'),
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]


def line_chart(series: list[Series], *, slug: str, title: str, desc: str = "",
               target: float | dict | None = None, target_label: str = "",
               y_label: str = "", x_values: list | None = None, decimals: int = 0,
               width: int = 480, height: int = 300, period_end=None,
               after_label: str = "") -> str:
    """Lines over shared x values (years), with an optional target line.

    ``target`` is one value (a horizontal line across the chart) or ``{x: value}`` (a
    target per x, drawn as a stepped line with markers, e.g. yearly control targets).
    With ``period_end`` (an x value, e.g. the target year), the x values after it are
    shaded and labelled ``after_label``, and a single-value target line stops at it: no
    target is drawn where none was set.
    """
    if x_values is None:
        x_values = sorted({x for s in series for x, _ in s.points}, key=str)
    x_values = list(x_values)
    values = [y for s in series for _, y in s.points if y is not None]
    targets = (list(target.values()) if isinstance(target, dict)
               else [] if target is None else [target])
    values += [v for v in targets if v is not None]
    low = min(values + [0.0]) if values else 0.0
    high = max(values) if values else 1.0
    ticks = _ticks(low, high * 1.05 if high > 0 else high + 1)
    y_min, y_max = ticks[0], ticks[-1]
    tick_dp = max(_tick_decimals(ticks), 0)

    # The last x inside the period (None: no period given, or every x is inside it).
    last_inside = None
    if period_end is not None:
        inside = [i for i, x in enumerate(x_values) if _not_after(x, period_end)]
        if len(inside) < len(x_values):
            last_inside = inside[-1] if inside else -1

    legend = [(s.name, s.colour or PALETTE[i % len(PALETTE)], s.dash if s.dash is not None
               else DASHES[i % len(DASHES)] if not s.dashed else "6 4", i)
              for i, s in enumerate(series)]
    if targets and last_inside != -1:
        legend.append((target_label, TARGET_COLOUR, "3 3", -1))
    legend_rows = math.ceil(len(legend) / 2)
    left, right, top = 56, 16, 28 if y_label else 14
    bottom = 34 + 20 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(index: int) -> float:
        if len(x_values) == 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(x_values) - 1)

    def py(value: float) -> float:
        return top + plot_h * (1 - (value - y_min) / (y_max - y_min or 1))

    out = _open(slug, width, height, title, desc)
    if last_inside is not None:
        # Half-way between the period's last x and the next one (the plot's edge if none).
        x0 = left if last_inside < 0 else (px(last_inside) + px(last_inside + 1)) / 2
        out.append(f'<g class="after-period"><rect x="{_n(x0)}" y="{top}" '
                   f'width="{_n(left + plot_w - x0)}" height="{plot_h}" fill="{AFTER_FILL}">'
                   f'<title>{escape(after_label)}</title></rect>'
                   f'<line x1="{_n(x0)}" x2="{_n(x0)}" y1="{top}" y2="{top + plot_h}" '
                   f'stroke="{AXIS_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
                   f'<text x="{_n(x0 + 4)}" y="{top + 12}" font-size="11" '
                   f'fill="{AXIS_COLOUR}">{escape(after_label)}</text></g>')
    if y_label:
        out.append(f'<text x="{left - 48}" y="{top - 12}">{escape(y_label)}</text>')
    out.append('<g class="axis">')
    for tick in ticks:
        y = _n(py(tick))
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y}" y2="{y}" '
                   f'stroke="{GRID_COLOUR}" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y}" dy="4" text-anchor="end" '
                   f'fill="{AXIS_COLOUR}">{fmt(tick, tick_dp)}</text>')
    for i, x in enumerate(x_values):
        out.append(f'<text x="{_n(px(i))}" y="{top + plot_h + 18}" text-anchor="middle" '
                   f'fill="{AXIS_COLOUR}">{escape(str(x))}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="{AXIS_COLOUR}" stroke-width="1"/>')
    out.append('</g>')

    index = {str(x): i for i, x in enumerate(x_values)}
    if isinstance(target, dict):
        pts = [(index[str(x)], v) for x, v in target.items()
               if v is not None and str(x) in index]
        pts.sort()
        if pts:
            path = []
            for i, v in pts:
                half = plot_w / max(len(x_values) - 1, 1) / 2
                x0, x1 = max(px(i) - half, left), min(px(i) + half, left + plot_w)
                path.append(f"M{_n(x0)} {_n(py(v))}H{_n(x1)}")
            out.append(f'<g class="target"><path d="{"".join(path)}" fill="none" '
                       f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="3 3"/>')
            for i, v in pts:
                out.append(f'<rect x="{_n(px(i) - 3)}" y="{_n(py(v) - 3)}" width="6" height="6" '
                           f'fill="{TARGET_COLOUR}"><title>{escape(target_label)} '
                           f'{escape(str(x_values[i]))}: {fmt(v, decimals)}</title></rect>')
            out.append('</g>')
    elif target is not None and last_inside != -1:
        y = _n(py(target))
        x_end = left + plot_w if last_inside is None else px(last_inside)
        if last_inside is not None and len(x_values) > 1:
            x_end = (px(last_inside) + px(last_inside + 1)) / 2
        out.append(f'<g class="target"><line x1="{left}" x2="{_n(x_end)}" y1="{y}" '
                   f'y2="{y}" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="3 3">'
                   f'<title>{escape(target_label)}: {fmt(target, decimals)}</title></line></g>')

    for (name, colour, dash, _), s in zip(legend, series, strict=False):
        segments, current = [], []
        for x, y in s.points:
            if y is None or str(x) not in index:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((px(index[str(x)]), py(y), x, y))
        if current:
            segments.append(current)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-series="{escape(name)}">')
        for segment in segments:
            d = "M" + "L".join(f"{_n(a)} {_n(b)}" for a, b, _, _ in segment)
            out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"'
                       f'{dash_attr}/>')
            for a, b, x, y in segment:
                out.append(f'<circle cx="{_n(a)}" cy="{_n(b)}" r="4" fill="{colour}" '
                           f'stroke="#FFFFFF" stroke-width="1"><title>{escape(name)} '
                           f'{escape(str(x))}: {fmt(y, decimals)}</title></circle>')
        out.append('</g>')

    out.append('<g class="legend">')
    for k, (name, colour, dash, _) in enumerate(legend):
        lx = left + (k % 2) * (plot_w / 2)
        ly = top + plot_h + 40 + (k // 2) * 20
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{_n(lx)}" x2="{_n(lx + 24)}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        out.append(f'<text x="{_n(lx + 30)}" y="{ly}">{escape(name)}</text>')
    out.append('</g></svg>')
    return "\n".join(out)


def _not_after(x, end) -> bool:
    """Whether x value ``x`` lies inside a period ending at ``end`` (years compare as
    numbers, anything else as text)."""
    try:
        return float(x) <= float(end)
    except (TypeError, ValueError):
        return str(x) <= str(end)


def bar_chart(labels: list[str], values: list[float | None], *, slug: str, title: str,
              desc: str = "", decimals: int = 0, reference: float | None = None,
              reference_label: str = "", missing_label: str = "",
              highlight: str | None = None, width: int = 480) -> str:
    """Horizontal bars, one per label (districts, categories), value printed at the end.

    ``reference`` draws a vertical line (a target); ``highlight`` colours one label's bar
    differently (the city among its districts). Missing values say ``missing_label``.
    """
    bar_h, gap = 20, 10
    label_w = 12 + 13 * max([len(str(x)) for x in labels] + [2])
    label_w = min(label_w, 200)
    top = 24 if reference is not None else 8
    height = top + len(labels) * (bar_h + gap) + 10
    left, right = label_w, 70
    plot_w = width - left - right
    present = [v for v in values if v is not None]
    high = max(present + ([reference] if reference is not None else []) + [0.0])
    ticks = _ticks(0.0, high if high > 0 else 1.0)
    x_max = ticks[-1]

    def px(value: float) -> float:
        return left + plot_w * value / (x_max or 1)

    out = _open(slug, width, height, title, desc)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{left - 8}" y="{y + bar_h / 2}" dy="4" text-anchor="end">'
                   f'{escape(str(label))}</text>')
        if value is None:
            out.append(f'<text x="{left + 4}" y="{y + bar_h / 2}" dy="4" '
                       f'fill="{AXIS_COLOUR}">{escape(missing_label)}</text>')
            continue
        colour = PALETTE[1] if highlight is not None and label == highlight else PALETTE[0]
        w = max(px(value) - left, 1 if value > 0 else 0)
        out.append(f'<rect x="{left}" y="{y}" width="{_n(w)}" height="{bar_h}" fill="{colour}">'
                   f'<title>{escape(str(label))}: {fmt(value, decimals)}</title></rect>')
        out.append(f'<text x="{_n(left + w + 4)}" y="{y + bar_h / 2}" dy="4">'
                   f'{fmt(value, decimals)}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top - 4}" y2="{height - 6}" '
               f'stroke="{AXIS_COLOUR}" stroke-width="1"/>')
    if reference is not None:
        x = _n(px(reference))
        out.append(f'<g class="target"><line x1="{x}" x2="{x}" y1="{top - 6}" '
                   f'y2="{height - 6}" stroke="{TARGET_COLOUR}" stroke-width="2" '
                   f'stroke-dasharray="3 3"><title>{escape(reference_label)}: '
                   f'{fmt(reference, decimals)}</title></line>'
                   f'<text x="{x}" y="{top - 10}" text-anchor="middle" '
                   f'fill="{TARGET_COLOUR}">{escape(reference_label)} '
                   f'{fmt(reference, decimals)}</text></g>')
    out.append('</svg>')
    return "\n".join(out)


def _standalone(chart: Chart, lang: str) -> str:
    """The chart-only page that ``嵌入`` points at: plain HTML, no theme, no script."""
    notes = "".join(f"<p>{escape(n)}</p>" for n in chart.notes)
    source = f"<p>{escape(t('chart.source', lang))}{escape(chart.source)}</p>" if chart.source \
        else ""
    # An empty icon: without one the browser asks for /favicon.ico, which the site lacks.
    return (
        "<!doctype html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(chart.title)}</title>"
        '<meta name="robots" content="noindex"><link rel="icon" href="data:,">'
        f"<style>body{{margin:0;padding:8px;font-family:{FONT};color:#222;background:#fff}}"
        "h1{font-size:16px;margin:0 0 6px}p{font-size:12px;color:#555;margin:4px 0}"
        "svg{display:block;max-width:100%;height:auto}</style></head>\n<body>\n"
        f"<h1>{escape(chart.title)}</h1>\n{chart.svg}\n{source}{notes}"
        f"<p>{escape(t('chart.synthetic_notice', lang))}</p>\n</body></html>\n"
    )


def chart_block(ctx, chart: Chart, *, base: str) -> Markup:
    """Write ``charts/<slug>.svg`` and the chart-only page ``charts/<slug>/``; return the
    HTML to place in a page whose path back to the site root is ``base`` (e.g. "../../")."""
    lang = ctx.lang
    svg_file = f"charts/{chart.slug}.svg"
    ctx.write(svg_file, '<?xml version="1.0" encoding="UTF-8"?>\n' + chart.svg + "\n")
    ctx.write(f"charts/{chart.slug}/index.html", _standalone(chart, lang))
    template = ctx.env.get_template("chart_block.j2")
    return Markup(template.render(c=chart, svg=Markup(chart.svg), base=base,
                                  svg_href=base + svg_file,
                                  embed_href=f"{base}charts/{chart.slug}/",
                                  png_name=f"{chart.slug}.png"))
