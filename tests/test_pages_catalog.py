"""Catalogue and methodology pages, checked in the built site (no browser).

One build serves the module. Its reference package carries a hostile title, so the same
build shows that data cannot leave the JSON-LD script element or become markup.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.cli import _parser
from pipeline.cli_reference import describe
from pipeline.cli_reference import text as cli_reference_text
from pipeline.i18n import t
from pipeline.pages.methodology import CLI_REFERENCE, cli_commands
from pipeline.pages.views import BANNER_PARTIAL, synthetic_banner_partial

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
PACKAGES = sorted(p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json"))
HOSTILE = '参考数据</script><script>alert("x")</script><!--'
JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    data = root / "datapackages"
    shutil.copytree(DATAPACKAGES, data)
    descriptor_path = data / "reference" / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text("utf-8"))
    descriptor["title"] = HOSTILE
    descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), "utf-8")
    out = root / "site"
    build(data, out, reference_date=date(2016, 1, 1))
    return out


def page(site: Path, relative: str) -> str:
    return (site / relative / "index.html").read_text("utf-8")


def unwrap(text: str) -> str:
    """Text of an HTML fragment: tags (such as <wbr>) dropped, references decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(text: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(text)
    return parser.tables


@pytest.mark.parametrize("package", PACKAGES + ["derived"])
def test_every_download_on_a_package_page_exists_with_the_shown_sha256(site, package):
    text = page(site, f"data/{package}")
    rows = re.findall(r'<a class="portal-file" href="([^"]+)" download>.*?<code class="portal-sha">(.*?)</code>',
                      text, re.DOTALL)
    descriptor = json.loads((site / "data" / package / "latest" / "datapackage.json").read_text("utf-8"))
    assert len(rows) == 5 * len(descriptor["resources"])  # csv, excel csv, xlsx, parquet, json each
    archive = re.search(r'href="([^"]+\.zip)" download>.*?<code>(.*?)</code>', text, re.DOTALL)
    assert archive, "the package ZIP is offered"
    for href, shown in [*rows, archive.groups()]:
        file = (site / "data" / package / html.unescape(href)).resolve()
        assert file.is_file(), href
        assert hashlib.sha256(file.read_bytes()).hexdigest() == unwrap(shown).strip(), href


def test_the_catalog_page_offers_the_sqlite_file_and_the_machine_readable_catalogs(site):
    text = page(site, "data")
    sqlite = re.search(r'href="([^"]+\.sqlite)" download>.*?<code>(.*?)</code>', text, re.DOTALL)
    assert sqlite
    assert hashlib.sha256((site / "data" / sqlite.group(1)).read_bytes()).hexdigest() == unwrap(sqlite.group(2))
    for href in ("../data.json", "catalog.jsonld", "releases.atom", "manifest.json"):
        assert f'href="{href}"' in text
        assert (site / "data" / href).resolve().is_file(), href


@pytest.mark.parametrize("package", PACKAGES + ["derived"])
def test_the_json_ld_in_the_head_parses_and_names_the_dataset(site, package):
    text = page(site, f"data/{package}")
    head = text[: text.index("</head>")]
    scripts = JSONLD.findall(head)
    assert len(scripts) == 1
    record = json.loads(scripts[0])
    descriptor = json.loads((site / "data" / package / "latest" / "datapackage.json").read_text("utf-8"))
    assert record["@type"] == "Dataset"
    assert record["name"] == descriptor["title"]
    assert record["version"] == descriptor["version"]


def test_a_hostile_title_cannot_leave_the_json_ld_or_become_markup(site):
    text = page(site, "data/reference")
    (script,) = JSONLD.findall(text)
    assert "<" not in script and ">" not in script
    assert json.loads(script)["name"] == HOSTILE
    assert '<script>alert("x")' not in text and "<script>alert(&#34;x&#34;)" not in text
    assert text.count("<script") == text.count("</script>")  # no element was cut short or opened
    for other in ("data", "", "methodology/synthetic"):  # listed elsewhere as text too
        assert "<script>alert" not in page(site, other)


def test_the_synthetic_banner_is_drawn_once_on_pages_that_show_synthetic_data(site):
    for package in PACKAGES + ["derived"]:
        descriptor = json.loads((site / "data" / package / "latest" / "datapackage.json").read_text("utf-8"))
        synthetic = descriptor.get("synthetic") or any(r.get("synthetic") for r in descriptor["resources"])
        text = page(site, f"data/{package}")
        assert text.count("portal-synthetic-banner") == (1 if synthetic else 0), package
        assert text.count("admonition warning") == text.count("portal-synthetic-banner"), package


def test_the_committed_banner_partial_matches_the_message_catalogs():
    committed = (ROOT / "site" / "overrides" / BANNER_PARTIAL).read_text("utf-8")
    assert committed == synthetic_banner_partial(), "run: python -m pipeline.pages.views"


@pytest.mark.parametrize("package", PACKAGES + ["derived"])
def test_each_package_has_a_validation_report_with_every_resource_and_its_rows(site, package):
    text = page(site, f"validation/{package}")
    descriptor = json.loads((site / "data" / package / "latest" / "datapackage.json").read_text("utf-8"))
    summary = tables(text)[0]
    shown = {row[0].split()[-1]: row[1] for row in summary[1:]}
    for resource in descriptor["resources"]:
        with open(site / "data" / package / "latest" / resource["path"], encoding="utf-8", newline="") as f:
            rows = sum(1 for _ in csv.reader(f)) - 1
        assert shown[resource["name"]].replace(",", "") == str(rows)
    assert '../../validation/' + package + '/' in page(site, f"data/{package}")


def test_the_methodology_pages_exist(site):
    for name in ("", "rates", "grades", "progress", "quality", "privacy", "provenance", "synthetic", "cli"):
        assert (site / "methodology" / name / "index.html").is_file(), name


@pytest.mark.parametrize("edition, lang", [("", "zh"), ("en/", "en")])
def test_the_methodology_quality_page_speaks_its_editions_language(site, edition, lang):
    """Error types by their title in the edition's language, the divergences from
    frictionless in it too (headers, texts), nothing marked English on the Chinese page."""
    text = page(site, edition + "methodology/quality")
    found = tables(text)
    schema = next(tb for tb in found if tb[0] == [t("methodology.quality.type", lang),
                                                  t("methodology.quality.messages", lang)])
    assert schema[1][0] == "encoding-error " + t("title.encoding-error", lang)
    head = [t(f"methodology.quality.{key}", lang) for key in
            ("type", "divergence_frictionless", "divergence_ours", "divergence_reason")]
    divergences = next(tb for tb in found if tb[0] == head)
    assert len(divergences) == 1 + 13
    assert divergences[1][0] == "source-error " + t("methodology.quality.divergence.unclosed-quote.topic", lang)
    article = text[text.index("<article"):text.index("</article>")]
    assert ('lang="en"' in article) is False
    assert "<code>01|02</code>" in article


def test_the_cli_reference_lists_every_subcommand_and_option_of_the_parser(site):
    text = page(site, "methodology/cli")
    parser = _parser("zh")  # the Chinese edition: its help in Chinese
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    assert set(sub.choices)
    for name, subparser in sub.choices.items():
        section = text[text.index(f'id="cmd-{name}"'):]
        section = section[: section.index("</table>")]
        listed = {unwrap(m) for m in re.findall(r'<code class="portal-option">(.*?)</code>', section)}
        for action in subparser._actions:
            if action.dest == "help":
                continue
            expected = ", ".join(action.option_strings) or action.dest
            assert expected in listed, (name, expected)
            if action.help:  # as argparse shows it: %(default)s filled in
                shown = action.help.replace("%(default)s", str(action.default))
                assert html.escape(shown, quote=False) in section.replace("&#39;", "'").replace("&#34;", '"')


def test_the_cli_reference_reads_a_parser_it_was_never_told_about():
    import argparse

    parser = argparse.ArgumentParser(prog="x", description="d")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("go", help="run it")
    p.add_argument("--fast", action="store_true", help="quickly")
    p.add_argument("--level", type=int, default=3, choices=[1, 2, 3], help="how much")
    description, commands = cli_commands(json.loads(json.dumps(describe(parser))))
    assert description == "d"
    (go,) = commands
    assert (go.name, go.help) == ("go", "run it")
    assert [(o.names, o.default, o.choices) for o in go.options] == [("--fast", "False", ""), ("--level", "3", "1, 2, 3")]


def test_the_committed_cli_reference_is_the_parser_of_today():
    """The page reads site/reference/cli.json, not the parser: the file must say what the
    command line does now (write it again with python -m pipeline.cli_reference)."""
    assert CLI_REFERENCE.read_text("utf-8") == cli_reference_text(), \
        "run: python -m pipeline.cli_reference"


def test_the_grades_table_equals_the_reference_data(site):
    text = page(site, "methodology/grades")
    (table,) = [tb for tb in tables(text) if tb and tb[0][0].endswith("code")]
    # transposed: one row per field (title then name), one column per grade
    columns = {row[0].split()[-1]: row[1:] for row in table}
    with open(DATAPACKAGES / "reference" / "data" / "accident_grades.csv", encoding="utf-8", newline="") as f:
        reference = list(csv.DictReader(f))
    assert set(columns) == set(reference[0])
    shown = [{name: columns[name][i] for name in columns} for i in range(len(columns["code"]))]
    assert sorted(shown, key=lambda r: r["code"]) == sorted(reference, key=lambda r: r["code"])


@pytest.mark.parametrize("edition, lang", [("", "zh"), ("en/", "en")])
def test_the_data_dictionary_names_each_fields_unit_in_the_readers_language(site, edition, lang):
    """From the field's x-unit: a count of people, a rate's unit, none for a year; the
    derived rates table, whose unit varies by rate, says so."""
    def units(relative: str) -> dict[str, str]:
        head = [t("field.name", lang), t("field.title", lang), t("field.unit", lang)]
        dictionary = next(tb for tb in tables(page(site, edition + relative)) if tb[0][:3] == head)
        return {row[0]: row[2] for row in dictionary[1:]}

    outcomes = units("data/accident-outcomes/tables/annual_outcomes")
    assert outcomes["deaths"] == t("field.unit.person", lang)
    assert outcomes["gdp_death_rate"] == t("field.unit.deaths_per_100m_yuan", lang)
    assert outcomes["gdp_100m_yuan"] == t("field.unit.100m_yuan", lang)
    assert outcomes["year"] == "—"
    rates = units("data/derived/tables/rates")
    assert rates["rate"] == t("field.unit.by_rate", lang) and rates["numerator"] == t("field.unit.person", lang)


def test_each_edition_describes_packages_tables_and_fields_in_its_own_language(site):
    """The English texts (x-en) are on the English twin, one switch away, not beside the
    Chinese ones; and the other way round."""
    descriptor = json.loads((DATAPACKAGES / "accident-outcomes" / "datapackage.json").read_text("utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "annual_outcomes")
    field = next(f for f in resource["schema"]["fields"] if f["name"] == "partial_year")
    for relative, texts in (("data/accident-outcomes", (descriptor, resource)),
                            ("data/accident-outcomes/tables/annual_outcomes", (resource, field))):
        zh, en = (unwrap(re.search(r"<article.*</article>", page(site, prefix + relative), re.DOTALL)[0])
                  for prefix in ("", "en/"))
        for node in texts:
            assert node["description"] in zh and node["x-en"]["description"] not in zh, relative
            assert node["x-en"]["description"] in en and node["description"] not in en, relative
