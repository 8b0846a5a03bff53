"""Charts drawn at build time as SVG: no chart library in the browser, nothing to download.

Text stays text (``<text>``), so Chinese is drawn by the reader's own fonts and can be
read by screen readers and searched. Every chart is ``role="img"`` with a ``<title>`` and
``<desc>``. Colours and fonts are attributes, not CSS classes, so the same bytes look the
same inline, as a downloaded ``.svg`` and when drawn onto a canvas for PNG. Output depends
only on the arguments (numbers formatted explicitly, no random ids), and every label is
escaped: data values are text, never markup.

Readable at every width: an SVG scales its text with its width, so a chart is laid out
once per width in ``WIDTHS`` (ticks, label thinning, legend rows, margins measured for
that width) and the page shows the layout whose scale keeps its 13-unit text between 11
and 18 CSS px (container queries in ``indicators.css``; ``BREAKS`` are their widths).

The downloadable SVG (and the PNG the browser makes from it) is a layout of its own that
carries the title, subtitle, source, licence, date, the synthetic-data note and the
address of the page, so an image that travels alone still says what it is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from markupsafe import escape

from pipeline.pages.ticks import labels as tick_labels
from pipeline.pages.ticks import nice_ticks

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

TEXT = 13  # every inline chart text, in SVG units
# Layout widths and the container widths from which the next one is shown: each layout is
# shown at 0.87–1.36 of its size (text 11.3–17.7 px); CSS caps the widest at 1.3×.
WIDTHS = (330, 500, 760, 1100)
BREAKS = (440, 680, 1000)
EXPORT_WIDTH = 760


def fmt(value: float | None, decimals: int = 0) -> str:
    """A number as the charts and tables print it (fixed decimals, no separators)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.{max(int(decimals), 0)}f}"


def _n(value: float) -> str:
    """Coordinates with two decimals, so output is stable across platforms."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def text_width(text: object, size: float = TEXT) -> float:
    """An upper estimate of the drawn width of ``text``: wide (CJK) characters take one em,
    others at most 0.62 em in the sans-serif fonts the charts ask for."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in str(text))


def wrap(text: str, width: float, size: float = TEXT) -> list[str]:
    """``text`` in lines no wider than ``width`` (Latin words kept whole, CJK broken anywhere)."""
    lines, line = [], ""
    for token in re.findall(r"[^\s\u2e80-\uffff]+\s*|\s+|.", str(text)):
        if line and text_width(line + token.rstrip(), size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def chart_id(slug: str) -> str:
    return "chart-" + re.sub(r"[^a-zA-Z0-9_-]+", "-", slug)


@dataclass
class Series:
    """One line: ``points`` are (x, y) pairs; a y of None leaves a gap."""
    name: str
    points: list[tuple[object, float | None]]
    dashed: bool = False  # comparison lines (benchmarks) are dashed
    colour: str | None = None
    dash: str | None = None  # an explicit dash pattern, overriding ``dashed``


@dataclass
class Frame:
    """What an exported image carries around the chart."""
    title: str
    subtitle: str
    footer: list[str]


def document(plot, width: int, ident: str, title: str, desc: str,
             frame: Frame | None = None) -> str:
    """The ``<svg>`` of ``plot`` laid out at ``width``; with ``frame``, a stand-alone image
    (fixed size, title above, source and notes below), else a page's inline layout."""
    body, height, geometry = plot.body(width)
    head: list[str] = []
    foot: list[str] = []
    top = 0
    if frame is not None:
        y = 12
        for line in wrap(frame.title, width - 24, 18):
            y += 24
            head.append(f'<text x="12" y="{y}" font-size="18" font-weight="700">{escape(line)}</text>')
        for line in wrap(frame.subtitle, width - 24):
            y += 19
            head.append(f'<text x="12" y="{y}" fill="{AXIS_COLOUR}">{escape(line)}</text>')
        top = y + 12
        y = top + height + 6
        for text in frame.footer:
            for line in wrap(text, width - 24):
                y += 18
                foot.append(f'<text x="12" y="{y}" fill="{AXIS_COLOUR}">{escape(line)}</text>')
        total = y + 12
    else:
        total = height
    attrs = "" if frame is None else f' width="{width}" height="{total}"'
    data = "" if frame is not None else "".join(
        f' data-{k}="{_n(v) if isinstance(v, float) else escape(str(v))}"'
        for k, v in geometry.items())
    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart portal-chart--w{width}" '
         f'id="{ident}" viewBox="0 0 {width} {total}"{attrs} role="img" '
         f'aria-labelledby="{ident}-title {ident}-desc" font-family="{escape(FONT)}" '
         f'font-size="{TEXT}" fill="{TEXT_COLOUR}"{data}>'),
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{total}" fill="#FFFFFF"/>',
        *head,
    ]
    out.append(f'<g class="plot" transform="translate(0 {top})">' if top else '<g class="plot">')
    out += body
    out.append("</g>")
    out += foot
    out.append("</svg>")
    return "\n".join(out)


# Legend geometry, in SVG units: the key (line or swatch), the gap before the name, the
# space between columns, a row's height and that of each further line of a wrapped name.
KEY_W, KEY_GAP, COLUMN_GAP, ROW_H, LINE_H = 24, 6, 14, 20, 16


def legend_columns(names: list[str], width: float) -> tuple[int, list[float]]:
    """How many columns of the legend fit across ``width`` and each column's width.

    Entries go row by row into aligned columns (the widest entry of a column sets its width),
    so a second row never starts its entries at other places than the first: the most
    columns that fit, one on a phone if the names are long."""
    avail = width - 16
    sizes = [KEY_W + KEY_GAP + text_width(name) for name in names]
    for columns in range(len(sizes), 1, -1):
        widths = [max(sizes[i::columns]) for i in range(columns)]
        if sum(widths) + COLUMN_GAP * (columns - 1) <= avail:
            return columns, widths
    return 1, [min(max(sizes, default=0.0), avail)]


def _legend(items: list[tuple[str, str, str, str]], width: int, y0: float) -> tuple[list[str], float]:
    """Legend entries (name, colour, dash, kind) in aligned columns across ``width`` (see
    :func:`legend_columns`); a name too long for the width wraps onto more lines, never past
    the edge. Returns the markup and the height used. ``kind`` "area" draws a swatch
    instead of a line."""
    names = [name for name, *_ in items]
    columns, widths = legend_columns(names, width)
    lefts = [8.0 + sum(widths[:i]) + COLUMN_GAP * i for i in range(columns)]
    out, y = ['<g class="legend">'], y0 + 14
    for row in range(0, len(items), columns):
        tallest = 1
        for column, (name, colour, dash, kind) in enumerate(items[row:row + columns]):
            x = lefts[column]
            if kind == "area":
                out.append(f'<rect x="{_n(x)}" y="{_n(y - 11)}" width="{KEY_W}" height="12" '
                           f'fill="{colour}" stroke="{AXIS_COLOUR}" stroke-width="0.5"/>')
            else:
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(f'<line x1="{_n(x)}" x2="{_n(x + KEY_W)}" y1="{_n(y - 4)}" y2="{_n(y - 4)}" '
                           f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
            lines = wrap(name, widths[column] - KEY_W - KEY_GAP)
            tallest = max(tallest, len(lines))
            text_x = _n(x + KEY_W + KEY_GAP)
            if len(lines) == 1:
                out.append(f'<text x="{text_x}" y="{_n(y)}">{escape(name)}</text>')
            else:
                spans = "".join(f'<tspan x="{text_x}" y="{_n(y + LINE_H * i)}">{escape(line)}</tspan>'
                                for i, line in enumerate(lines))
                out.append(f"<text>{spans}</text>")
        y += ROW_H + LINE_H * (tallest - 1)
    out.append("</g>")
    return out, y - ROW_H - y0 + 6


def _not_after(x, end) -> bool:
    """Whether x value ``x`` lies inside a period ending at ``end`` (years compare as
    numbers, anything else as text)."""
    try:
        return float(x) <= float(end)
    except (TypeError, ValueError):
        return str(x) <= str(end)


@dataclass
class LineChart:
    """Lines over shared x values (years), with an optional target line.

    ``target`` is one value (a horizontal line across the chart) or ``{x: value}`` (a
    target per x, drawn as a stepped line with markers, e.g. yearly control targets).
    With ``period_end`` (an x value, e.g. the target year), the x values after it are
    shaded and named ``after_label`` in the legend, and a single-value target line stops
    at it: no target is drawn where none was set. ``extra`` are values of lines a reader
    may add in the browser (districts): the y axis covers them, so adding one never
    rescales the chart.
    """
    series: list[Series]
    x_values: list | None = None
    decimals: int = 0
    target: float | dict | None = None
    target_label: str = ""
    y_label: str = ""
    period_end: object = None
    after_label: str = ""
    extra: list[float | None] = field(default_factory=list)

    def __post_init__(self):
        if self.x_values is None:
            self.x_values = sorted({x for s in self.series for x, _ in s.points}, key=str)
        self.x_values = list(self.x_values)

    def targets(self) -> list[float]:
        if isinstance(self.target, dict):
            return [v for v in self.target.values() if v is not None]
        return [] if self.target is None else [self.target]

    def last_inside(self):
        """The index of the last x inside the plan period (None: no period given, or every
        x is inside it; -1: none is)."""
        if self.period_end is None:
            return None
        inside = [i for i, x in enumerate(self.x_values) if _not_after(x, self.period_end)]
        if len(inside) == len(self.x_values):
            return None
        return inside[-1] if inside else -1

    def legend_items(self) -> list[tuple[str, str, str, str]]:
        items = [(s.name, s.colour or PALETTE[i % len(PALETTE)],
                  s.dash if s.dash is not None else "6 4" if s.dashed else DASHES[i % len(DASHES)],
                  "line") for i, s in enumerate(self.series)]
        last_inside = self.last_inside()
        if self.targets() and last_inside != -1:
            items.append((self.target_label, TARGET_COLOUR, "3 3", "line"))
        if last_inside is not None and self.after_label:
            items.append((self.after_label, AFTER_FILL, "", "area"))
        return items

    def body(self, width: int) -> tuple[list[str], float, dict]:
        x_values = self.x_values
        values = [y for s in self.series for _, y in s.points if y is not None]
        values += self.targets() + [v for v in self.extra if v is not None]
        low = min(values + [0.0]) if values else 0.0
        high = max(values) if values else 1.0
        plot_h = min(max(round(width * 0.42), 170), 360)
        ticks = nice_ticks(low, high, max(3, min(6, plot_h // 45)))
        texts = tick_labels(ticks)
        y_min, y_max = float(ticks[0]), float(ticks[-1])
        left = 10 + max(text_width(s) for s in texts)
        left = max(left, 30.0)
        x_texts = [str(x) for x in x_values]
        last_w = text_width(x_texts[-1]) if x_texts else 0
        right = max(14.0, last_w / 2 + 6)
        top = 30 if self.y_label else 12
        plot_w = width - left - right
        # Thin the year labels so that they never touch: every k-th, counted back from the last.
        label_w = max((text_width(s) for s in x_texts), default=0) + 10
        gap = plot_w / max(len(x_values) - 1, 1)
        every = max(1, math.ceil(label_w / gap)) if len(x_values) > 1 else 1
        legend, legend_h = _legend(self.legend_items(), width, top + plot_h + 24)
        height = top + plot_h + 24 + legend_h + 4

        def px(index: int) -> float:
            if len(x_values) == 1:
                return left + plot_w / 2
            return left + plot_w * index / (len(x_values) - 1)

        def py(value: float) -> float:
            return top + plot_h * (1 - (value - y_min) / (y_max - y_min or 1))

        out: list[str] = []
        last_inside = self.last_inside()
        if last_inside is not None:
            # Half-way between the period's last x and the next one (the plot's edge if none).
            x0 = left if last_inside < 0 else (px(last_inside) + px(last_inside + 1)) / 2
            out.append(f'<g class="after-period"><rect x="{_n(x0)}" y="{top}" '
                       f'width="{_n(left + plot_w - x0)}" height="{plot_h}" fill="{AFTER_FILL}">'
                       f'<title>{escape(self.after_label)}</title></rect>'
                       f'<line x1="{_n(x0)}" x2="{_n(x0)}" y1="{top}" y2="{top + plot_h}" '
                       f'stroke="{AXIS_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/></g>')
        if self.y_label:
            out.append(f'<text x="8" y="{top - 12}" class="y-label">{escape(self.y_label)}</text>')
        out.append('<g class="axis">')
        for tick, label in zip(ticks, texts, strict=True):
            y = _n(py(float(tick)))
            out.append(f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{y}" y2="{y}" '
                       f'stroke="{GRID_COLOUR}" stroke-width="1"/>')
            out.append(f'<text x="{_n(left - 6)}" y="{y}" dy="4" text-anchor="end" '
                       f'fill="{AXIS_COLOUR}">{label}</text>')
        n = len(x_values)
        for i, x in enumerate(x_texts):
            if (n - 1 - i) % every == 0:
                out.append(f'<text x="{_n(px(i))}" y="{top + plot_h + 18}" text-anchor="middle" '
                           f'fill="{AXIS_COLOUR}">{escape(x)}</text>')
        out.append(f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{top + plot_h}" '
                   f'y2="{top + plot_h}" stroke="{AXIS_COLOUR}" stroke-width="1"/>')
        out.append('</g>')

        index = {str(x): i for i, x in enumerate(x_values)}
        target = self.target
        if isinstance(target, dict):
            pts = sorted((index[str(x)], v) for x, v in target.items()
                         if v is not None and str(x) in index)
            if pts:
                half = plot_w / max(n - 1, 1) / 2
                path = "".join(f"M{_n(max(px(i) - half, left))} {_n(py(v))}"
                               f"H{_n(min(px(i) + half, left + plot_w))}" for i, v in pts)
                out.append(f'<g class="target"><path d="{path}" fill="none" '
                           f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="3 3"/>')
                for i, v in pts:
                    out.append(f'<rect x="{_n(px(i) - 3)}" y="{_n(py(v) - 3)}" width="6" '
                               f'height="6" fill="{TARGET_COLOUR}"><title>'
                               f'{escape(self.target_label)} {escape(x_texts[i])}: '
                               f'{fmt(v, self.decimals)}</title></rect>')
                out.append('</g>')
        elif target is not None and last_inside != -1:
            y = _n(py(target))
            x_end = left + plot_w
            if last_inside is not None and n > 1:
                x_end = (px(last_inside) + px(last_inside + 1)) / 2
            out.append(f'<g class="target"><line x1="{_n(left)}" x2="{_n(x_end)}" y1="{y}" '
                       f'y2="{y}" stroke="{TARGET_COLOUR}" stroke-width="2" '
                       f'stroke-dasharray="3 3"><title>{escape(self.target_label)}: '
                       f'{fmt(target, self.decimals)}</title></line></g>')

        for (name, colour, dash, _), s in zip(self.legend_items(), self.series, strict=False):
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
                               f'{escape(str(x))}: {fmt(y, self.decimals)}</title></circle>')
            out.append('</g>')
        out += legend
        geometry = {"kind": "line", "left": float(left), "top": float(top),
                    "plot-w": float(plot_w), "plot-h": float(plot_h),
                    "y-min": y_min, "y-max": y_max, "n": n}
        return out, height, geometry

    def columns(self) -> list[tuple[str, list]]:
        """The lines drawn, as (name, value per x) columns: each series, then the target."""
        cols = []
        for s in self.series:
            values = {str(x): y for x, y in s.points}
            cols.append((s.name, [values.get(str(x)) for x in self.x_values]))
        if isinstance(self.target, dict):
            cols.append((self.target_label, [self.target.get(x) for x in self.x_values]))
        elif self.target is not None:
            last = self.last_inside()
            cols.append((self.target_label, [self.target if last is None or i <= last else None
                                             for i in range(len(self.x_values))]))
        return cols


@dataclass
class BarChart:
    """Horizontal bars, one per label (districts, categories), value printed at the end.

    ``reference`` draws a vertical line (a target); ``highlight`` colours one label's bar
    differently (the city among its districts). Missing values say ``missing_label``.
    """
    labels: list[str]
    values: list[float | None]
    decimals: int = 0
    reference: float | None = None
    reference_label: str = ""
    missing_label: str = ""
    highlight: str | None = None
    value_label: str = ""

    @property
    def x_values(self) -> list[str]:
        return list(self.labels)

    def body(self, width: int) -> tuple[list[str], float, dict]:
        bar_h, gap = 22, 10
        names = [str(x) for x in self.labels]
        label_w = min(max([text_width(x) for x in names] + [26]) + 10, width * 0.38)
        texts = [fmt(v, self.decimals) if v is not None else self.missing_label for v in self.values]
        right = max([text_width(x) for x in texts] + [20]) + 10
        top = 28 if self.reference is not None else 6
        height = top + len(names) * (bar_h + gap) + 6
        left = label_w
        plot_w = width - left - right
        present = [v for v in self.values if v is not None]
        high = max(present + ([self.reference] if self.reference is not None else []) + [0.0])
        x_max = float(nice_ticks(0.0, high if high > 0 else 1.0)[-1])

        def px(value: float) -> float:
            return left + plot_w * value / (x_max or 1)

        out = []
        for i, (label, value, text) in enumerate(zip(names, self.values, texts, strict=True)):
            y = top + i * (bar_h + gap)
            shown = label
            while text_width(shown) > label_w - 10 and len(shown) > 1:
                shown = shown[:-2] + "…"
            out.append(f'<g class="bar" data-label="{escape(label)}" data-value="{escape(text)}">')
            out.append(f'<text x="{_n(left - 8)}" y="{y + bar_h / 2}" dy="4.5" text-anchor="end">'
                       f'{escape(shown)}{"<title>" + str(escape(label)) + "</title>" if shown != label else ""}</text>')
            if value is None:
                out.append(f'<text x="{_n(left + 4)}" y="{y + bar_h / 2}" dy="4.5" '
                           f'fill="{AXIS_COLOUR}">{escape(text)}</text></g>')
                continue
            colour = PALETTE[1] if self.highlight is not None and label == self.highlight else PALETTE[0]
            w = max(px(value) - left, 1 if value > 0 else 0)
            out.append(f'<rect x="{_n(left)}" y="{y}" width="{_n(w)}" height="{bar_h}" fill="{colour}">'
                       f'<title>{escape(label)}: {escape(text)}</title></rect>')
            out.append(f'<text x="{_n(left + w + 4)}" y="{y + bar_h / 2}" dy="4.5">{escape(text)}</text></g>')
        out.append(f'<line x1="{_n(left)}" x2="{_n(left)}" y1="{top - 4}" y2="{height - 6}" '
                   f'stroke="{AXIS_COLOUR}" stroke-width="1"/>')
        if self.reference is not None:
            x = px(self.reference)
            label = f"{self.reference_label} {fmt(self.reference, self.decimals)}"
            half = text_width(label) / 2
            tx = min(max(x, half + 4), width - half - 4)  # never past either edge
            out.append(f'<g class="target"><line x1="{_n(x)}" x2="{_n(x)}" y1="{top - 6}" '
                       f'y2="{height - 6}" stroke="{TARGET_COLOUR}" stroke-width="2" '
                       f'stroke-dasharray="3 3"><title>{escape(label)}</title></line>'
                       f'<text x="{_n(tx)}" y="{top - 10}" text-anchor="middle" '
                       f'fill="{TARGET_COLOUR}">{escape(label)}</text></g>')
        geometry = {"kind": "bar", "left": float(left), "top": float(top), "plot-w": float(plot_w),
                    "n": len(names)}
        return out, height, geometry

    def columns(self) -> list[tuple[str, list]]:
        cols = [(self.value_label, list(self.values))]
        if self.reference is not None:
            cols.append((self.reference_label, [self.reference] * len(self.values)))
        return cols


def line_chart(series: list[Series], **kwargs) -> LineChart:
    return LineChart(series, **kwargs)


def bar_chart(labels: list[str], values: list[float | None], **kwargs) -> BarChart:
    return BarChart(list(labels), list(values), **kwargs)
