"""The chart layouts and the stylesheet agree: each layout is shown only at container widths
where its 13-unit text is drawn 11-18 px, and the stylesheet switches at those widths."""

from __future__ import annotations

import xml.etree.ElementTree as ET
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


def _legend_entries(chart: LineChart, width: int) -> list[dict]:
    """Each legend entry as drawn: the key's x, the baseline y and the text lines with their x."""
    body, _, _ = chart.body(width)
    legend = ET.fromstring("<svg>" + "".join(body) + "</svg>").find(".//g[@class='legend']")
    entries, key = [], None
    for node in legend:
        if node.tag in ("line", "rect"):
            key = float(node.get("x1", node.get("x")))
        else:
            spans = list(node) or [node]
            entries.append({"key": key, "y": float(spans[0].get("y")),
                            "lines": [(float(s.get("x")), s.text) for s in spans]})
    return entries


def _chart(names: list[str]) -> LineChart:
    return LineChart([Series(name, [(2010 + i, float(i)) for i in range(6)]) for name in names])


def test_the_legend_keeps_its_columns_aligned_and_inside_the_chart():
    legends = [["常州市（观测值）", "常州市（计划期后）", "事故控制指标", "计划期后"],
               ["Changzhou (observed)", "Jiangsu average", "Changzhou (after the plan period)"],
               ["甲", "乙", "丙", "丁", "戊", "己", "庚"],
               ["A district whose name is far too long to be drawn on one line of a phone's chart", "B"]]
    for names in legends:
        for width in WIDTHS:
            entries = _legend_entries(_chart(names), width)
            assert [line for e in entries for _, line in e["lines"]] != [] and len(entries) == len(names)
            rows = sorted({e["y"] for e in entries})
            columns = [e["key"] for e in entries if e["y"] == rows[0]]
            for e_index, entry in enumerate(entries):  # row by row, each entry under its column's first
                assert entry["key"] == columns[e_index % len(columns)], (names, width)
                for x, line in entry["lines"]:
                    assert x + text_width(line) <= width - 8 + 0.01, (names, width, line)
            assert "".join(line for e in entries for _, line in e["lines"]).replace(" ", "") == \
                "".join(names).replace(" ", "")  # every name drawn, none cut


def test_a_phone_legend_of_four_chinese_names_takes_two_aligned_rows():
    entries = _legend_entries(_chart(["常州市（观测值）", "常州市（计划期后）", "事故控制指标", "计划期后"]), WIDTHS[0])
    assert len({e["y"] for e in entries}) == 2 and len({e["key"] for e in entries}) == 2
