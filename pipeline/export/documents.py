"""The human-readable files of a release: README.md, CHANGELOG.md and LICENSE.txt.

Rendered from Jinja2 templates (``templates/``) with the message catalogs for every
heading, so the wording is translated in one place.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jinja2

from pipeline.export.metadata import licences, text, text_or
from pipeline.i18n import BOTH, t, unit_of

MARKDOWN_DETAIL_ROWS = 20  # rows listed per kind in CHANGELOG.md; changelog.json has more


def _cell(value) -> str:
    """Text safe inside a Markdown table cell."""
    if value is None:
        return ""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(value) -> str:
    return f"`{str(value).replace('`', '')}`"


def _value(value) -> str:
    return "null" if value is None else _code(json.dumps(value, ensure_ascii=False))


def _keytext(key: dict) -> str:
    return ", ".join(f"{name}={_value(value)}" for name, value in key.items())


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=False,  # Markdown and plain text; values are escaped by the filters above
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(cell=_cell, code=_code, value=_value, keytext=_keytext)
    # A download's README and changelog are bilingual whatever language the command line
    # speaks (its --lang chooses the messages of ``both``, not the files it writes).
    environment.globals.update(t=t, both=lambda key, **values: t(key, BOTH, **values))
    return environment


def _render(name: str, **values) -> str:
    return _environment().get_template(name).render(**values)


def _pair(zh: str | None, en: str | None) -> str:
    """A text of the bilingual README: Chinese / English, one of them when they are the same
    or only one is given."""
    return " / ".join(dict.fromkeys(text for text in (zh, en) if text))


def readme(published: dict, *, citations: dict[str, str], url: str, rows: dict[str, int]) -> str:
    resources = []
    for resource in published.get("resources", []):
        resources.append({
            "name": resource["name"],
            "title_zh": text_or(resource, "title", "zh"), "title_en": text_or(resource, "title", "en"),
            "description_zh": text(resource, "description", "zh") or "",
            "description_en": text(resource, "description", "en") or "",
            "rows": rows.get(resource["name"], ""),
            "primary_key": _as_list(resource.get("schema", {}).get("primaryKey")),
            "fields": [{"name": f.get("name"), "type": f.get("type", "string"),
                        "title": _pair(text(f, "title", "zh"), text(f, "title", "en")),
                        "unit": _pair(unit_of(f, "zh"), unit_of(f, "en")),
                        "description": _pair(text(f, "description", "zh"), text(f, "description", "en"))}
                       for f in resource.get("schema", {}).get("fields", [])],
        })
    sources = [{"zh": text_or(s, "title", "zh"), "en": text(s, "title", "en")} for s in published.get("sources") or []]
    return _render(
        "README.md.j2",
        title_zh=text_or(published, "title", "zh"), title_en=text_or(published, "title", "en"),
        description_zh=text(published, "description", "zh") or "",
        description_en=text(published, "description", "en") or "",
        synthetic=bool(published.get("synthetic")), version=published.get("version", ""),
        release=published.get("x-release", {}), identifier=published.get("id"), url=url,
        sources=sources, licences=_licences(published), citations=citations, resources=resources,
    )


def _licences(published: dict) -> list[dict]:
    """Each licence with every key the templates read (a licence may give only a name or
    only a path, and the templates are strict about missing keys)."""
    return [{"name": licence.get("name"), "title": licence.get("title"), "path": licence.get("path")}
            for licence in licences(published)]


def licence_text(published: dict, *, citations: dict[str, str]) -> str:
    return _render("LICENSE.txt.j2", licences=_licences(published), citations=citations,
                   title_zh=text_or(published, "title", "zh"), title_en=text_or(published, "title", "en"))


def changelog_markdown(document: dict) -> str:
    return _render("CHANGELOG.md.j2", package=document["package"], releases=document["releases"],
                   limit=MARKDOWN_DETAIL_ROWS)


def _as_list(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)
