"""Sections made of templates only, declared in ``portal.yml`` (``sections:``).

A new dataset gets its own part of the site without Python: a mapping in ``sections``
names the section, its title per language, the tables it needs and, optionally, a page per
row of a table::

    - name: investigations
      title: {zh: 事故调查, en: Accident investigations}
      needs: [accident-investigations/investigations]
      items:
        - table: accident-investigations/investigations
          path: "reports/{accident_id}"
          template: investigations-report.md.j2

The section's page is ``<name>/index.md``, rendered from ``section-<name>.md.j2``; each
item page from its own template, at its path filled from the row. Templates are looked up
in the portal's ``site/templates`` first, then beside the generic ones. They get
:class:`SectionData` as ``data`` (rows of any table, lookups, download addresses), ``root``
(the way back to the site root from the page), ``as_of`` and, on an item page, ``row``.
A section whose tables are not all in the catalog is left out, with its navigation entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import escape

from pipeline.i18n import both
from pipeline.pages.views import FORMAT_ORDER, catalog_views

# What a value used in a page path may be: one plain name, never a separator or a dot name.
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class TemplateSection:
    """One ``sections:`` mapping of ``portal.yml`` (:class:`pipeline.config.Section`)."""

    def __init__(self, spec):
        self.spec = spec

    def write(self, ctx) -> list:
        spec = self.spec
        if not all(ctx.has(*ref.split("/", 1)) for ref in spec.needs):
            return []
        data = SectionData(ctx)
        values = {"data": data, "as_of": ctx.reference_date, "section": spec}
        ctx.render(f"{spec.name}/index.md", f"section-{spec.name}.md.j2",
                   root=_root(f"{spec.name}/index.md"), **values)
        for item in spec.items:
            template = ctx.env.get_template(item.template)
            for row in data.rows(item.table):
                relative = _item_path(item.path, row, item.table) + "/index.md"
                ctx.write(relative, template.render(root=_root(relative), row=row, **values))
        return [{str(escape(spec.title[ctx.lang])): f"{spec.name}/index.md"}]


def item_patterns() -> list[str]:
    """mkdocs ``not_in_nav`` patterns of the item pages of the configured sections."""
    from pipeline.config import current

    return [re.sub(r"\{\w+\}", "*", item.path) + "/index.md"
            for section in current().sections if not isinstance(section, str)
            for item in section.items]


def _root(relative: str) -> str:
    """From the page written at ``relative`` (with directory URLs) back to the site root."""
    depth = relative.count("/") + (0 if relative.endswith("index.md") else 1)
    return "../" * depth


def _item_path(pattern: str, row: dict, table: str) -> str:
    """``pattern`` filled from ``row``; every value must be one plain name (a row is data: a
    value such as ``../x`` must not choose where a page is written)."""
    names = re.findall(r"\{(\w+)\}", pattern)
    for name in names:
        value = row.get(name)
        if value is None or not _PLAIN.match(str(value)):
            from pipeline.pages.mkdocs_site import SiteError

            raise SiteError(both("sections.bad_path_value", table=table, field=name,
                                 value=str(value)[:80], pattern=_PLAIN.pattern))
    return re.sub(r"\{(\w+)\}", lambda m: str(row[m.group(1)]), pattern)


@dataclass
class SectionData:
    """What a section template may ask of the catalog, by ``package/resource`` reference."""

    ctx: object

    def __post_init__(self):
        self._rows: dict[str, list[dict]] = {}
        self._views = None

    def rows(self, ref: str, **where) -> list[dict]:
        """The rows of a table as dicts (dates as dates, nulls as None), in the order of
        its primary key; ``where`` keeps the rows whose fields equal the given values."""
        if ref not in self._rows:
            package, resource = ref.split("/", 1)
            item = self.ctx.catalog.packages[package].resources[resource]
            table = item.table
            primary = [k for k in item.schema.get("primaryKey") or [] if k in table.column_names] \
                if isinstance(item.schema.get("primaryKey"), list) else []
            if primary:
                table = table.sort_by([(k, "ascending") for k in primary])
            self._rows[ref] = table.to_pylist()
        rows = self._rows[ref]
        if where:
            rows = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
        return rows

    def lookup(self, ref: str, key: str, value: str) -> dict:
        """``{row[key]: row[value]}`` over a table (e.g. district code → name)."""
        return {r[key]: r[value] for r in self.rows(ref)}

    def count(self, rows: list[dict], field: str) -> list[tuple]:
        """``(value, count)`` pairs of ``field`` over ``rows``, most frequent first."""
        return sorted(Counter(r.get(field) for r in rows).items(), key=lambda kv: (-kv[1], str(kv[0])))

    def share(self, part: int, whole: int) -> str:
        """``part`` of ``whole`` as a percentage with one decimal, or an empty string."""
        return f"{part / whole * 100:.1f}" if whole else ""

    def package(self, name: str):
        """The view of package ``name`` (title, synthetic, downloads, changelog)."""
        if self._views is None:
            self._views = {v.name: v for v in catalog_views(self.ctx.catalog, self.ctx.lang, self.ctx.manifest)}
        return self._views[name]

    def synthetic(self, ref: str) -> bool:
        package, _, resource = ref.partition("/")
        item = self.ctx.catalog.packages[package]
        if resource:
            return bool(item.resources[resource].descriptor.get("synthetic") or item.synthetic)
        return bool(item.synthetic)

    def download(self, ref: str, fmt: str = "csv") -> str:
        """The address (from the site root) of a table's file in its package's latest
        release, as the export's manifest lists it; empty when it is not published."""
        package, resource = ref.split("/", 1)
        manifest = self.ctx.manifest
        if manifest is None or fmt not in FORMAT_ORDER:
            return ""
        prefix = f"data/{package}/latest/data/"
        entry = next((e for e in manifest.files if e.package == package and e.resource == resource
                      and e.format == fmt and e.path.startswith(prefix)), None)
        return quote(entry.path, safe="/") if entry else ""
