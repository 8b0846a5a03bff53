"""A schematic map of the districts: one tile per district where ``site.tile_map`` puts it,
coloured by a value.

No district boundaries of Changzhou under an open licence (and approved for publication,
as maps published in China must be) are available to the project, so the map shows the
districts' rough relative positions only and says so inside the image. A unit abolished
in the 2015 reform shares its successor's tile; a year shows whichever has a value.
"""

from __future__ import annotations

from markupsafe import escape

from pipeline.config import current
from pipeline.pages.charts import (
    AXIS_COLOUR,
    FONT,
    TEXT_COLOUR,
    _n,
    fmt,
    text_width,
    wrap,
)
from pipeline.pages.ticks import labels as tick_labels
from pipeline.pages.ticks import nice_ticks

# Sequential blues (ColorBrewer), light to dark; names on the darker ones are white.
BLUES = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")
NO_DATA = "#f0f0f0"
SIZE = 14  # text units; the map is shown 288–420 px wide (CSS), so 11.7–17.1 px
TILE_W, TILE_H, GAP, PAD = 80, 58, 4, 8


def tiles(codes: list[str]) -> dict[tuple[int, int], list[str]]:
    """The tiles of the configured map that hold any of ``codes``: cell → codes in it."""
    cells: dict[tuple[int, int], list[str]] = {}
    for code, cell in current().site.tile_map.items():
        if code in codes:
            cells.setdefault(tuple(cell), []).append(code)
    return cells


def classes(values: list[float]) -> list:
    """Class limits (round ticks) covering every value the map may show, in any year."""
    present = [v for v in values if v is not None]
    if not present:
        return []
    return nice_ticks(min(present + [0.0]), max(present), 6)


def colour(value: float | None, limits: list) -> str:
    if value is None or len(limits) < 2:
        return NO_DATA
    count = len(limits) - 1
    index = next((i for i in range(count) if value <= float(limits[i + 1])), count - 1)
    return BLUES[round(index * (len(BLUES) - 1) / max(count - 1, 1))]


def tile_map(areas: list, x, *, ident: str, title: str, desc: str, decimals: int,
             note: str, missing: str) -> str:
    """The map of ``areas`` (each with ``code``, ``name``, ``values`` by x) at ``x`` (a year)."""
    by_code = {a.code: a for a in areas}
    cells = tiles(list(by_code))
    if not cells:
        return ""
    limits = classes([v for a in areas for v in a.values.values()])
    cols = max(c for c, _ in cells) + 1
    rows = max(r for _, r in cells) + 1
    width = PAD * 2 + cols * (TILE_W + GAP) - GAP
    out = []
    y0 = PAD
    for cell in sorted(cells, key=lambda c: (c[1], c[0])):
        codes = cells[cell]
        code = next((c for c in codes if by_code[c].values.get(x) is not None), codes[-1])
        value = by_code[code].values.get(x)
        fill = colour(value, limits)
        dark = fill in BLUES[4:]
        tx, ty = PAD + cell[0] * (TILE_W + GAP), y0 + cell[1] * (TILE_H + GAP)
        ink = "#FFFFFF" if dark else TEXT_COLOUR
        out.append(f'<g class="tile" data-codes="{" ".join(codes)}" tabindex="-1">'
                   f'<rect x="{tx}" y="{ty}" width="{TILE_W}" height="{TILE_H}" rx="3" '
                   f'fill="{fill}" stroke="#FFFFFF" stroke-width="1"/>'
                   f'<text class="tile-name" x="{_n(tx + TILE_W / 2)}" y="{ty + 24}" '
                   f'text-anchor="middle" fill="{ink}">{escape(by_code[code].name)}</text>'
                   f'<text class="tile-value" x="{_n(tx + TILE_W / 2)}" y="{ty + 46}" '
                   f'text-anchor="middle" fill="{ink}">'
                   f'{escape(fmt(value, decimals) if value is not None else missing)}</text>'
                   f'<title>{escape(by_code[code].name)}: '
                   f'{escape(fmt(value, decimals) if value is not None else missing)}</title></g>')
    y = y0 + rows * (TILE_H + GAP) + 8
    # The legend: a swatch per class, its limits at the swatches' edges.
    if len(limits) >= 2:
        texts = tick_labels(limits)
        count = len(limits) - 1
        swatch = (width - 2 * PAD) / count
        if max(text_width(s, SIZE) for s in texts) + 4 > swatch:
            texts = [s if i in (0, count) else "" for i, s in enumerate(texts)]
        out.append('<g class="map-legend">')
        for i in range(count):
            fill = colour((float(limits[i]) + float(limits[i + 1])) / 2, limits)
            out.append(f'<rect x="{_n(PAD + i * swatch)}" y="{y}" width="{_n(swatch)}" '
                       f'height="12" fill="{fill}" stroke="{AXIS_COLOUR}" stroke-width="0.5"/>')
        for i, s in enumerate(texts):
            anchor = "start" if i == 0 else "end" if i == count else "middle"
            out.append(f'<text x="{_n(PAD + i * swatch)}" y="{y + 30}" text-anchor="{anchor}" '
                       f'fill="{AXIS_COLOUR}">{s}</text>')
        out.append('</g>')
        y += 40
    for line in wrap(note, width - 2 * PAD, SIZE):
        y += 20
        out.append(f'<text x="{PAD}" y="{y}" fill="{AXIS_COLOUR}" class="map-note">{escape(line)}</text>')
    height = y + 10
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-map" id="{ident}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
            f'font-family="{escape(FONT)}" font-size="{SIZE}" fill="{TEXT_COLOUR}" '
            f'data-limits="{" ".join(str(v) for v in limits)}">'
            f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>')
    return head + "".join(out) + "</svg>"
