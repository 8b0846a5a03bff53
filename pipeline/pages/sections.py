"""Sections made of templates only, declared in ``portal.yml`` (``sections:``).

A new dataset gets its own part of the site without Python: a mapping in ``sections``
names the section, its title per language, the tables it needs and, optionally, a page per
row of a table and a part of every district page::

    - name: investigations
      title: {zh: 事故调查, en: Accident investigations}
      needs: [accident-investigations/investigations, accident-outcomes/accidents]
      items:
        - table: derived/investigation_results
          path: "investigations/{year}"
          template: investigations-year.md.j2
          nav: true
        - table: accident-investigations/investigations
          path: "reports/{accident_id}"
          template: investigations-report.md.j2
          where: {stage: published}
      districts:
        table: accident-investigations/investigations
        field: district_code
        template: district-investigations.md.j2

The section's page is ``<name>/index.md``, rendered from ``section-<name>.md.j2``. Each
item writes a page per row of its table (only the rows whose fields equal every value of
``where``) from its own template, at its path filled from the row: every value used in a
path must be one plain name (letters, digits, ``_`` and ``-``), so no row decides where a
page goes. Item pages are kept out of the navigation (``not_in_nav``), unless ``nav: true``
lists them under the section, labelled with their path's values (for a few pages, such as
one per year). A template for thousands of pages may leave out what the theme would render
on each (front matter ``hide: [navigation, toc]``).
Its large HTML blocks (tables) may be marked to skip Markdown's HTML parser
(:mod:`pipeline.pages.raw_blocks`).

``districts`` adds a part to every district page (``districts/<code>/``): its template is
rendered with the rows of ``table`` whose ``field`` is the district's code and the result
placed at the end of the page (the district pages name no section; they render what is
declared here).

Templates are looked up in the portal's ``site/templates`` first, then beside the generic
ones. They get:

- ``data``: :class:`SectionData`: rows of any table (``data.rows``), an index or grouping
  of a table by a field (``data.index``, ``data.group``), names of codes in the edition's
  language (``data.names``), the site's own page for a URL of the data (``data.page``), a
  district's page (``data.district_page``), the city's code (``data.city``), download
  addresses and package views;
- ``root`` (the way back to the edition's root from the page), ``as_of``, ``section`` (the
  mapping) and, on an item page, ``row``; on
  a district part, ``rows`` and ``district`` (``code``, ``name``);
- the filters of :mod:`pipeline.pages.render` (``number``, ``pct``, ``text``, ``label``,
  ``yes_no``) and ``t`` (the message catalog, for the names of codes).

A section whose tables are not all in the catalog is left out, with its navigation entry
and its part of the district pages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

from pipeline.i18n import both
from pipeline.pages.views import FORMAT_ORDER, catalog_views

# What a value used in a page path may be: one plain name, never a separator or a dot name.
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


def _sections() -> list:
    from pipeline.config import current

    return [s for s in current().sections if not isinstance(s, str)]


def _available(ctx, spec) -> bool:
    return all(ctx.has(*ref.split("/", 1)) for ref in spec.needs)


class TemplateSection:
    """One ``sections:`` mapping of ``portal.yml`` (:class:`pipeline.config.Section`)."""

    def __init__(self, spec):
        self.spec = spec

    def write(self, ctx) -> list:
        spec = self.spec
        if not _available(ctx, spec):
            return []
        data = SectionData(ctx)
        values = {"data": data, "as_of": ctx.reference_date, "section": spec}
        ctx.render(f"{spec.name}/index.md", f"section-{spec.name}.md.j2",
                   root=_root(f"{spec.name}/index.md"), **values)
        listed = []
        for item in spec.items:
            template = ctx.env.get_template(item.template)
            for row, path in data.item_rows(item):
                relative = path + "/index.md"
                ctx.write(relative, template.render(root=_root(relative), row=row, **values))
                if item.nav:
                    listed.append({" ".join(str(row[n]) for n in _fields(item.path)): relative})
        title = str(escape(spec.title[ctx.lang]))
        if listed:
            return [{title: [f"{spec.name}/index.md", *listed]}]
        return [{title: f"{spec.name}/index.md"}]


def district_parts(ctx, code: str, name: str, root: str = "../../") -> list[Markup]:
    """The parts the configured sections add to the page of district ``code`` (see the
    module's ``districts``), rendered in the order of the sections; none for a section
    whose tables are missing."""
    out = []
    for spec in _sections():
        block = spec.districts
        if block is None or not _available(ctx, spec):
            continue
        data = SectionData(ctx)
        if block.field not in data.columns(block.table):  # else every district gets no rows
            from pipeline.pages.mkdocs_site import SiteError

            raise SiteError(both("sections.bad_where", table=block.table, field=block.field))
        rows = data.rows(block.table, **{block.field: code})
        text = ctx.env.get_template(block.template).render(
            data=data, rows=rows, district={"code": code, "name": name}, root=root,
            as_of=ctx.reference_date, section=spec)
        out.append(Markup(text))
    return out


def item_patterns() -> list[str]:
    """mkdocs ``not_in_nav`` patterns of the item pages of the configured sections."""
    return [re.sub(r"\{\w+\}", "*", item.path) + "/index.md"
            for section in _sections() for item in section.items if not item.nav]


def linked_page(ctx, url: str | None) -> str | None:
    """``a/b/`` (under the edition's root) when ``url``, a root-absolute address of the data
    such as ``/reports/A201300123/``, is an item page this site writes; else None. A page
    links it relatively (its ``root`` + this), so the site works from a sub-folder."""
    if not url or not url.startswith("/") or not url.endswith("/"):
        return None
    path = url.strip("/")
    return f"{path}/" if path in _item_paths(ctx) else None


def _item_paths(ctx) -> frozenset[str]:
    """The paths of every item page the configured sections write in this edition."""
    key = ("sections", "item_paths")
    if key not in ctx.memo:
        data = SectionData(ctx)
        ctx.memo[key] = frozenset(path for spec in _sections() if _available(ctx, spec)
                                  for item in spec.items for _, path in data.item_rows(item))
    return ctx.memo[key]


def _root(relative: str) -> str:
    """From the page written at ``relative`` (with directory URLs) back to the site root."""
    depth = relative.count("/") + (0 if relative.endswith("index.md") else 1)
    return "../" * depth


def _fields(pattern: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", pattern)


def _item_path(pattern: str, row: dict, table: str) -> str:
    """``pattern`` filled from ``row``; every value must be one plain name (a row is data: a
    value such as ``../x`` must not choose where a page is written)."""
    for name in _fields(pattern):
        value = row.get(name)
        if value is None or not _PLAIN.match(str(value)):
            from pipeline.pages.mkdocs_site import SiteError

            raise SiteError(both("sections.bad_path_value", table=table, field=name,
                                 value=str(value)[:80], pattern=_PLAIN.pattern))
    return re.sub(r"\{(\w+)\}", lambda m: str(row[m.group(1)]), pattern)


@dataclass
class SectionData:
    """What a section template may ask of the catalog, by ``package/resource`` reference.
    Tables, indexes and name lookups are converted once per edition (kept in ``ctx.memo``),
    so thousands of item pages can each ask for them."""

    ctx: object

    def __post_init__(self):
        self._views = None

    def _memo(self, key: tuple, make):
        memo = self.ctx.memo
        key = ("section-data", *key)
        if key not in memo:
            memo[key] = make()
        return memo[key]

    def _table(self, ref: str) -> list[dict]:
        def make():
            package, resource = ref.split("/", 1)
            item = self.ctx.catalog.packages[package].resources[resource]
            table = item.table
            key = item.schema.get("primaryKey")
            primary = [k for k in key if k in table.column_names] if isinstance(key, list) else []
            if primary:
                table = table.sort_by([(k, "ascending") for k in primary])
            return table.to_pylist()

        return self._memo(("rows", ref), make)

    def columns(self, ref: str) -> list[str]:
        package, resource = ref.split("/", 1)
        return list(self.ctx.catalog.packages[package].resources[resource].table.column_names)

    def rows(self, ref: str, **where) -> list[dict]:
        """The rows of a table as dicts (dates as dates, nulls as None), in the order of
        its primary key; ``where`` keeps the rows whose fields equal the given values.
        The dicts are shared: a template reads them, never changes them."""
        rows = self._table(ref)
        if where:
            rows = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
        return rows

    def item_rows(self, item) -> list[tuple[dict, str]]:
        """``(row, page path)`` of every page of an item (``pipeline.config.Item``): the rows
        of its table that match its ``where``. A ``where`` field the table does not have is
        an error, not an empty list: a misspelt name would quietly write no page."""
        missing = sorted({field for field, _ in item.where} - set(self.columns(item.table)))
        if missing:
            from pipeline.pages.mkdocs_site import SiteError

            raise SiteError(both("sections.bad_where", table=item.table, field=", ".join(missing)))
        return [(row, _item_path(item.path, row, item.table))
                for row in self.rows(item.table, **dict(item.where))]

    def lookup(self, ref: str, key: str, value: str) -> dict:
        """``{row[key]: row[value]}`` over a table (e.g. district code → name)."""
        return self._memo(("lookup", ref, key, value),
                          lambda: {r[key]: r[value] for r in self.rows(ref)})

    def names(self, ref: str, key: str = "code", field: str = "name") -> dict:
        """Code → name in the edition's language: ``field`` on the Chinese edition,
        ``<field>_<lang>`` (falling back to ``field``) on another, as the reference tables
        have them (``reference/districts``: ``name``, ``name_en``)."""
        lang = self.ctx.lang

        def make():
            other = f"{field}_{lang}"
            return {r[key]: (r.get(other) if lang != "zh" and r.get(other) else r[field])
                    for r in self.rows(ref)}

        return self._memo(("names", ref, key, field, lang), make)

    def index(self, ref: str, key: str) -> dict:
        """``{row[key]: row}`` over a table whose ``key`` is unique (an accident by its id)."""
        return self._memo(("index", ref, key), lambda: {r[key]: r for r in self.rows(ref)})

    def group(self, ref: str, key: str) -> dict:
        """``{value: [rows]}`` of a table by ``key``, each list in primary-key order (the
        handling of each accident)."""
        def make():
            out: dict = {}
            for r in self.rows(ref):
                out.setdefault(r[key], []).append(r)
            return out

        return self._memo(("group", ref, key), make)

    def count(self, rows: list[dict], field: str) -> list[tuple]:
        """``(value, count)`` pairs of ``field`` over ``rows``, most frequent first."""
        return sorted(Counter(r.get(field) for r in rows).items(), key=lambda kv: (-kv[1], str(kv[0])))

    def share(self, part: int, whole: int) -> str:
        """``part`` of ``whole`` as a percentage with one decimal, or an empty string."""
        return f"{part / whole * 100:.1f}" if whole else ""

    @property
    def city(self) -> str:
        """The code of the whole city (``site.city.code``): its row in per-district tables."""
        def make():
            from pipeline.config import current

            return current().site.city_code

        return self._memo(("city",), make)

    def page(self, url: str | None) -> str:
        """The site's own page for a root-absolute URL of the data (``/reports/<id>/``), as
        a path under the edition's root (``reports/<id>/``) when a configured item writes
        it, else an empty string: a page links ``root ~ data.page(url)`` only if it exists."""
        return linked_page(self.ctx, url) or ""

    def district_page(self, code: str | None) -> str:
        """``districts/<code>/`` when the site has a page for that district (the districts
        section is configured and the code is a county-level unit), else ''."""
        def make():
            from pipeline.config import current

            if "districts" not in current().sections:
                return frozenset()
            return frozenset(r["code"] for r in self.rows("reference/districts")
                             if r.get("level") not in ("province", "prefecture_city")
                             and _PLAIN.match(str(r["code"])))

        return f"districts/{code}/" if code in self._memo(("district-pages",), make) else ""

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
