"""The chart layouts and the stylesheet agree: each layout is shown only at container widths
where its 13-unit text is drawn 11-18 px, and the stylesheet switches at those widths."""

from __future__ import annotations

from pathlib import Path

from pipeline.pages.charts import BREAKS, TEXT, WIDTHS, LineChart, Series, text_width

CSS = Path(__file__).resolve().parent.parent / "site" / "docs" / "assets" / "stylesheets" / "indicators.css"
NARROWEST, WIDEST = 288, round(WIDTHS[-1] * 1.3)  # a 320 px phone's column; the CSS cap


def test_each_layout_keeps_text_between_11_and_18_px():
    bounds = [NARROWEST, *BREAKS, WIDEST]
    for width, low, high in zip(WIDTHS, bounds[:-1], bounds[1:], strict=True):
        assert TEXT * low / width >= 11 and TEXT * high / width <= 18, width


def test_the_stylesheet_switches_at_the_breaks():
    css = CSS.read_text(encoding="utf-8")
    for at in BREAKS:
        assert f"@container (min-width: {at}px)" in css
    for width in WIDTHS:
        assert f"svg.portal-chart--w{width}" in css
    assert f"max-width: {WIDEST}px" in css


def test_the_last_year_label_fits_inside_every_layout():
    chart = LineChart([Series("a", [(2010 + i, float(i)) for i in range(16)])])
    for width in WIDTHS:
        body, _, geometry = chart.body(width)
        right_edge = geometry["left"] + geometry["plot-w"]
        assert right_edge + text_width("2025") / 2 <= width, width
        assert any(">2025</text>" in line for line in body)  # the last year is always labelled
