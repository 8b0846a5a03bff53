"""A chart on a page, and the files that let it travel: the downloadable SVG (drawn onto a
canvas for PNG), a CSV of exactly the lines shown, a chart-only page for embedding that
sizes itself and links back, citations, and the data the browser needs for values on
hover, districts a reader adds and the district map.

Without script a page shows every layout's SVG (the one that fits), the map (for the
latest year), the data table, the downloads and the citations as plain HTML; ``charts.js``
adds the views, tooltips, district choice and the view's state in the address.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from pipeline.export.citation import absolute, page_citations
from pipeline.export.metadata import portal_publisher
from pipeline.i18n import t
from pipeline.pages.charts import (
    BREAKS,
    EXPORT_WIDTH,
    FONT,
    WIDTHS,
    Frame,
    chart_id,
    document,
    fmt,
)
from pipeline.pages.core import script_json
from pipeline.pages.dates import data_updated
from pipeline.pages.reuse import edition_path
from pipeline.pages.tilemap import classes, tile_map, tiles

CITE_STYLES = (("gbt7714", "cite.gbt7714"), ("apa", "cite.apa"), ("bibtex", "cite.bibtex"),
               ("ris", "cite.ris"))


@dataclass
class Area:
    """A district's values by x (year, or the one x of a comparison): the lines a reader may
    add to a line chart, and the tiles of the map."""
    code: str
    name: str
    values: dict


@dataclass
class Chart:
    """A chart and what its block, files and citations say about it."""
    slug: str
    title: str
    plot: object  # a charts.LineChart or charts.BarChart
    headers: list[str]
    rows: list[list[object]]
    caption: str
    desc: str = ""
    source: str = ""
    table: str | None = None  # "package/resource" the figures come from: licence, date, synthetic
    unit: str = ""  # of the values: in the CSV's headers and the image's subtitle
    notes: list[str] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    page: str = ""  # the page showing the chart, under the site root ("indicators/x/")
    year: object = None  # the year of a chart that shows one (a comparison): its map's year

    def map_xs(self) -> list:
        """The years the map can show: a line chart's x values, else the one year."""
        if hasattr(self.plot, "series"):
            return list(self.plot.x_values)
        return [] if self.year is None else [self.year]


def _facts(ctx, chart: Chart) -> dict:
    """Licence, data date and whether the figures are synthetic, from the source table."""
    licence, date, synthetic = "", "", False
    if chart.table:
        package, _, resource = chart.table.partition("/")
        item = ctx.catalog.packages.get(package)
        if item is not None:
            licence = ", ".join(x.get("name") or x.get("title") or "" for x in
                                item.descriptor.get("licenses") or [])
            res = item.resources.get(resource)
            synthetic = bool(item.synthetic or (res is not None and res.descriptor.get("synthetic")))
        date = data_updated(ctx.manifest, package) or ""
    return {"licence": licence, "date": date, "synthetic": synthetic}


def _csv(chart: Chart, facts: dict, lang: str) -> str:
    """The lines drawn (and the target or benchmark), one row per x, units in the headers."""
    columns = chart.plot.columns()
    decimals = getattr(chart.plot, "decimals", 0)
    unit = chart.unit
    headers = [chart.headers[0]] + [t("chart.unit_header", lang, name=name, unit=unit) if unit else name
                                    for name, _ in columns]
    note = t("chart.synthetic_notice", lang) if facts["synthetic"] else ""
    if note:
        headers.append(t("chart.csv_note", lang))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for i, x in enumerate(chart.plot.x_values):
        writer.writerow([x] + [fmt(values[i], decimals) for _, values in columns] + ([note] if note else []))
    return "\ufeff" + buffer.getvalue()  # the BOM: spreadsheet programs then read UTF-8 Chinese


def _footer(chart: Chart, facts: dict, lang: str, *, address: bool = True) -> list[str]:
    lines = []
    if chart.source:
        lines.append(t("chart.source", lang) + chart.source)
    if facts["licence"]:
        lines.append(t("chart.licence", lang, licence=facts["licence"]))
    if facts["date"]:
        lines.append(t("chart.date", lang, date=facts["date"]))
    lines += chart.notes
    if facts["synthetic"]:
        lines.append(t("chart.synthetic_notice", lang))
    if chart.page and address:
        lines.append(t("chart.address", lang, url=absolute(edition_path(lang, chart.page))))
    return lines


def variant_css(scope: str) -> str:
    """Which layout a container of width w shows (see ``charts.WIDTHS``)."""
    rules = [f"{scope}{{container-type:inline-size}}",
             f"{scope} svg.portal-chart{{display:none;width:100%;height:auto}}",
             f"{scope} svg.portal-chart--w{WIDTHS[0]}{{display:block}}"]
    for before, width, at in zip(WIDTHS[:-1], WIDTHS[1:], BREAKS, strict=True):
        rules.append(f"@container (min-width:{at}px){{{scope} svg.portal-chart--w{before}{{display:none}}"
                     f"{scope} svg.portal-chart--w{width}{{display:block}}}}")
    rules.append(f"{scope} svg.portal-chart--w{WIDTHS[-1]}{{max-width:{round(WIDTHS[-1] * 1.3)}px}}")
    return "".join(rules)


def _standalone(chart: Chart, variants: list[str], facts: dict, lang: str, base: str) -> str:
    """The chart-only page the embed code points at: the chart at the layout that fits, its
    title, source, licence, notes and a link back; ``chart-embed.js`` tells the page that
    embeds it its height, so the frame fits the content."""
    footer = "".join(f"<p>{escape(line)}</p>" for line in _footer(chart, facts, lang, address=False))
    back = (f'<p><a href="{escape(absolute(edition_path(lang, chart.page)))}" target="_blank" rel="noopener">'
            f'{escape(t("chart.back_link", lang))}</a></p>') if chart.page else ""
    return (
        "<!doctype html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(chart.title)}</title>"

        '<meta name="robots" content="noindex"><link rel="icon" href="data:,">'
        f"<style>html,body{{margin:0}}body{{padding:8px;font-family:{FONT};color:#222;background:#fff}}"
        "h1{font-size:16px;margin:0 0 6px}p{font-size:13px;color:#555;margin:4px 0}"
        f"{variant_css('.portal-chart-svg')}</style>"
        f'<script src="{base}assets/javascripts/chart-embed.js" defer></script></head>\n<body>\n'
        f"<h1>{escape(chart.title)}</h1>\n"
        f'<div class="portal-chart-svg">{"".join(variants)}</div>\n{footer}{back}\n</body></html>\n'
    )


def chart_block(ctx, chart: Chart, *, base: str) -> Markup:
    """Write the chart's files under ``charts/`` and return the HTML that shows it on a page
    whose path back to the site root is ``base`` (e.g. "../../")."""
    lang = ctx.lang
    cid = chart_id(chart.slug)
    facts = _facts(ctx, chart)
    desc = chart.desc or chart.caption
    footer = _footer(chart, facts, lang)
    subtitle = chart.unit or chart.caption
    exported = document(chart.plot, EXPORT_WIDTH, cid, chart.title, desc,
                        frame=Frame(chart.title, subtitle, footer))
    svg_file, csv_file = f"charts/{chart.slug}.svg", f"charts/{chart.slug}.csv"
    ctx.write(svg_file, '<?xml version="1.0" encoding="UTF-8"?>\n' + exported + "\n")
    ctx.write(csv_file, _csv(chart, facts, lang))
    variants = [document(chart.plot, w, f"{cid}-w{w}", chart.title, desc) for w in WIDTHS]
    ctx.write(f"charts/{chart.slug}/index.html", _standalone(chart, variants, facts, lang, "../../"))
    embed_path = f"charts/{chart.slug}/"
    map_svg, map_x = _map(chart, cid, lang)
    citations = page_citations(title=chart.title, path=edition_path(lang, chart.page or embed_path), lang=lang,
                               author=portal_publisher(lang), modified=facts["date"] or "",
                               kind="chart", key=f"chart-{chart.slug}")
    data = {
        "slug": chart.slug, "kind": "line" if hasattr(chart.plot, "series") else "bar",
        "x": [str(x) for x in chart.plot.x_values],
        "decimals": getattr(chart.plot, "decimals", 0), "unit": chart.unit,
        "xHeader": chart.headers[0],
        "columns": [{"name": n, "values": v} for n, v in chart.plot.columns()],
        "mapXs": [str(x) for x in chart.map_xs()],
        "areas": [{"code": a.code, "name": a.name,
                   "values": [a.values.get(x) for x in chart.map_xs()]} for a in chart.areas],
        "csvNote": t("chart.synthetic_notice", lang) if facts["synthetic"] else "",
        "csvNoteHeader": t("chart.csv_note", lang),
        "unitHeader": t("chart.unit_header", lang, name="{name}", unit="{unit}"),
        "limits": [str(v) for v in classes([v for a in chart.areas for v in a.values.values()])],
        "missing": t("chart.no_data", lang), "mapX": str(map_x) if map_x is not None else None,
    }
    template = ctx.env.get_template("chart_block.j2")
    return Markup(template.render(
        c=chart, cid=cid, variants=Markup("\n".join(variants)), base=base,
        svg_href=base + svg_file, csv_href=base + csv_file, png_name=f"{chart.slug}.png",
        csv_name=f"{chart.slug}.csv", embed_href=absolute(edition_path(lang, embed_path)),
        embed_script=absolute("assets/javascripts/embed.js"),
        embed_height=_embed_height(chart), map_svg=Markup(map_svg), map_x=map_x,
        addable=[a for a in chart.areas if data["kind"] == "line"],
        citations=[(key, label, citations[style]) for style, label in CITE_STYLES
                   for key in [f"{cid}-cite-{style}"]],
        page_url=absolute(edition_path(lang, chart.page)) if chart.page else "",
        data=script_json(data)))


def _map(chart: Chart, cid: str, lang: str) -> tuple[str, object]:
    """The district map at the latest x any district has a value for."""
    if not chart.areas or not tiles([a.code for a in chart.areas]):
        return "", None
    xs = [x for x in chart.map_xs() if any(a.values.get(x) is not None for a in chart.areas)]
    if not xs:
        return "", None
    x = xs[-1]
    title = t("chart.map_title", lang, title=chart.title, year=x)
    svg = tile_map(chart.areas, x, ident=f"{cid}-map", title=title,
                   desc=t("chart.map_schematic", lang), decimals=getattr(chart.plot, "decimals", 0),
                   note=t("chart.map_schematic", lang), missing=t("chart.no_data", lang))
    return svg, x


def _embed_height(chart: Chart) -> int:
    """The frame height an embed code starts with (``embed.js`` then fits it to the content):
    the chart-only page at a 390 px wide frame, measured by the browser tests, rounded up."""
    _, height, _ = chart.plot.body(WIDTHS[0])
    footer_lines = 4 + len(chart.notes) + 2
    return int(60 + height * 1.1 + footer_lines * 40)
