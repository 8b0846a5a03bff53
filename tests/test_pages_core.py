"""The page core and the import structure: sections import no other section, pages import no
tooling, no module of the pipeline takes part in an import circle with the command line or
the benchmark; constants come from the configuration in force; download addresses from the
export's manifest."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.config import DEFAULT, parse, use
from pipeline.export import Manifest, ManifestEntry
from pipeline.pages.context import SiteContext
from pipeline.pages.core import inert_json, script_json
from pipeline.pages.lookup_index import dumps

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "pipeline"
PAGES = PIPELINE / "pages"
DATAPACKAGES = ROOT / "datapackages"


# --- the import graph ---------------------------------------------------------------------

def _modules() -> dict[str, Path]:
    found = {}
    for path in PIPELINE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def imports(module: str) -> set[str]:
    """Modules of the pipeline that ``module`` imports, at the top or inside a function: for
    ``from package import name`` the submodule ``package.name`` when there is one."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    found.add(f"{base}.{alias.name}")
                elif base in MODULES:
                    found.add(base)
    found.discard(module)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycles_finds_a_circle_and_only_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_sees_imports_inside_functions():
    assert "pipeline.bench" in imports("pipeline.cli")  # `bench` is imported where it runs


def sections() -> list[str]:
    """Modules of ``pipeline.pages`` that are sections: a top-level ``write(ctx)``."""
    found = []
    for path in sorted(PAGES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "write" for node in tree.body):
            found.append(f"pipeline.pages.{path.stem}")
    return found


def test_the_sections_are_found():
    assert {"pipeline.pages.home", "pipeline.pages.accidents", "pipeline.pages.credit",
            "pipeline.pages.districts", "pipeline.pages.methodology"} <= set(sections())
    assert "pipeline.pages.core" not in sections()


@pytest.mark.parametrize("section", sections())
def test_a_section_imports_no_other_section(section):
    others = set(sections()) - {section}
    assert not imports(section) & others, \
        f"{section} imports a section; move what is shared to pipeline.pages.core"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("pipeline.pages")))
def test_no_page_module_imports_the_tooling(module):
    """Pages are fed by data files (the recorded benchmark, the command-line reference),
    never by the tools that make them."""
    tooling = {m for m in MODULES if m in ("pipeline.bench", "pipeline.cli", "pipeline.build_command",
                                           "pipeline.cli_reference", "pipeline.build")}
    assert not imports(module) & tooling


def test_no_import_circle_reaches_the_command_line_the_benchmark_or_the_pages():
    graph = {module: imports(module) for module in MODULES}
    found = cycles(graph)
    guarded = ("pipeline.bench", "pipeline.cli", "pipeline.build", "pipeline.pages")
    bad = [c for c in found if any(m == g or m.startswith(g + ".") for m in c for g in guarded)]
    assert not bad, f"import circles: {bad}"
    if found:  # said, so that they are seen; other parts of the pipeline own them
        warnings.warn(f"import circles elsewhere in the pipeline: {found}", stacklevel=1)


def test_the_commands_still_answer_help():
    for argv in (["--help"], ["bench", "--help"], ["build", "--help"]):
        done = subprocess.run([sys.executable, "-m", "pipeline", *argv], cwd=ROOT, capture_output=True,
                              text=True, check=False, timeout=120)
        assert done.returncode == 0, (argv, done.stderr)
        assert "usage: python -m pipeline" in done.stdout


# --- JSON inside HTML ---------------------------------------------------------------------

def test_json_in_a_script_cannot_close_it_and_keeps_its_value():
    value = {"name": "</script><script>alert(1)</script>", "x": "a & b > c", "中": ["<!--"]}
    text = str(script_json(value))
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == value
    assert dumps(value) == inert_json(value).encode("utf-8")  # the lookup shards, the same way


# --- download addresses -------------------------------------------------------------------

def _context(manifest) -> SiteContext:
    return SiteContext(catalog=SimpleNamespace(packages={}), docs_dir=Path("."), env=None,
                       manifest=manifest)


def test_download_addresses_come_from_the_manifest():
    entry = ManifestEntry("data/derived/latest/data/rates.csv", 10, "0" * 64, "derived", "rates",
                          "csv", "latest")
    versioned = dataclasses.replace(entry, path="data/derived/2016.01.01/data/rates.csv",
                                    version="2016.01.01")
    database = ManifestEntry("data/portal.sqlite", 5, "1" * 64, None, None, "sqlite", None)
    ctx = _context(Manifest(files=[versioned, entry, database]))
    assert ctx.download("derived", "rates") == entry.path
    assert ctx.download("derived", "rates", "xlsx") is None  # not published: no link
    assert ctx.download(None, None, "sqlite") == "data/portal.sqlite"
    moved = dataclasses.replace(entry, path="data/derived/latest/elsewhere/rates.csv")
    assert _context(Manifest(files=[moved])).download("derived", "rates") == moved.path


def test_without_an_export_the_addresses_are_those_the_export_gives():
    ctx = _context(None)
    assert ctx.download("derived", "rates") == "data/derived/latest/data/rates.csv"
    assert ctx.download("derived", "rates", "xlsx") == \
        "data/derived/latest/data/changzhou-work-safety_derived_rates.xlsx"  # named for people
    assert ctx.download("reference", None, "zip") == "data/reference/latest/reference.zip"
    assert ctx.download(None, None, "sqlite") is None


# --- constants from the configuration -----------------------------------------------------

def test_the_site_takes_its_name_database_address_and_contact_from_the_configuration(tmp_path):
    from pipeline.build import build

    text = DEFAULT.read_text(encoding="utf-8")
    for old, new in (("name: {zh: 常州市安全生产开放数据,", "name: {zh: 某市安全数据试点,"),
                     ("base_url: /", "base_url: https://data.example.org/safety/"),
                     ("sqlite: changzhou-work-safety", "sqlite: pilot-tables"),
                     ("email: opendata@changzhou-work-safety.example", "email: desk@pilot.example")):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "portal.yml"
    path.write_text(text, encoding="utf-8")
    config = parse(text, path)
    out = tmp_path / "site"
    build(DATAPACKAGES, out, reference_date=date(2016, 1, 1), config=config)

    home = (out / "index.html").read_text("utf-8")
    assert "<title>某市安全数据试点</title>" in home
    assert 'href="data/pilot-tables.sqlite"' in home
    assert (out / "data" / "pilot-tables.sqlite").is_file()
    assert not (out / "data" / "changzhou-work-safety.sqlite").exists()
    pod = json.loads((out / "data.json").read_text("utf-8"))
    assert {d["contactPoint"]["hasEmail"] for d in pod["dataset"]} == {"mailto:desk@pilot.example"}
    assert pod["@id"] == "https://data.example.org/safety/data.json"
    dataset = json.loads((out / "data" / "reference" / "dataset.jsonld").read_text("utf-8"))
    assert dataset["@id"] == "https://data.example.org/safety/data/reference/"
    readme = (out / "data" / "reference" / "latest" / "README.md").read_text("utf-8")
    assert "https://data.example.org/safety/data/reference/" in readme  # the citation
    # the configuration was in force for the build only
    with use(config):
        from pipeline.export import configured_base_url
        assert configured_base_url() == "https://data.example.org/safety/"
    assert configured_base_url() == "/"


def test_published_pairs_are_written_as_they_come(tmp_path, monkeypatch):
    """Files given to ``publish`` as (path, bytes) pairs are written while the next are
    made, never more than ``PENDING`` of them waiting, so whoever makes them need not hold
    them all (the lookup index)."""
    from pipeline.pages import context

    monkeypatch.setattr(context._Writers, "PENDING", 2)
    ctx = SiteContext(catalog=SimpleNamespace(packages={}), docs_dir=tmp_path / "docs",
                      env=None, assets_dir=tmp_path / "assets")

    def files():
        for k in range(40):
            assert len(list((tmp_path / "assets").rglob("*.json"))) >= k - 2
            yield f"a/b/{k}.json", b"%d" % k * k  # the empty file too

    ctx.publish(files())
    assert [(tmp_path / "assets" / "a" / "b" / f"{k}.json").read_bytes() for k in range(40)] \
        == [b"%d" % k * k for k in range(40)]
    assert ctx.written == [f"a/b/{k}.json" for k in range(40)]


def test_published_files_are_written_two_at_once_and_a_failed_write_is_raised(tmp_path, monkeypatch):
    """Two writes meet at a barrier (one after the other they never would: it gives up
    after 60 s); a write that fails (here: a folder where the file goes) is raised by
    ``publish`` once the writes given before it are done."""
    import threading

    from pipeline.pages import context

    meet = threading.Barrier(2, timeout=60)
    real = context.write_file

    def meeting(path, content):
        if path.name in ("0.json", "1.json"):
            meet.wait()
        real(path, content)

    monkeypatch.setattr(context, "write_file", meeting)
    ctx = SiteContext(catalog=SimpleNamespace(packages={}), docs_dir=tmp_path / "docs",
                      env=None, assets_dir=tmp_path / "assets")
    ctx.publish({f"{k}.json": b"x" * k for k in range(5)})
    assert sorted(p.name for p in (tmp_path / "assets").iterdir()) == [f"{k}.json" for k in range(5)]
    (tmp_path / "assets" / "taken.json").mkdir()
    with pytest.raises(IsADirectoryError):
        ctx.publish({"a.json": b"1", "taken.json": b"2", "z.json": b"3"})
    assert (tmp_path / "assets" / "a.json").read_bytes() == b"1"  # given before: written


# --- the open hazards, ordered and cut in Arrow ------------------------------------------

def _open_hazards_by_rows(catalog, district):
    """The list as the pages made it before, row by row: the reference."""
    table = catalog.table("derived", "hazard_rectification")
    names = dict(zip(*(catalog.table("enterprise-credit", "enterprises")[c].to_pylist()
                       for c in ("uscc", "name")), strict=True))
    rows = [r for r in table.to_pylist() if r["status"] in ("open", "overdue_open")
            and (district is None or r["district_code"] == district)]
    rows.sort(key=lambda r: (r["status"] != "overdue_open", -(r.get("days_late") or 0), r["hazard_id"]))
    return [(r["hazard_id"], names.get(r.get("uscc"), "")) for r in rows], len(rows)


@pytest.mark.parametrize("cap", [3, 200])
def test_open_hazards_are_those_a_row_by_row_reading_gives(cap, monkeypatch):
    """Same hazards, same order, same names, same count, for the city and every district,
    with the list cut short (3) and whole (200) on the committed data."""
    from pipeline.derive import derive
    from pipeline.load import load_catalog
    from pipeline.pages import core
    from pipeline.validate import validate_catalog

    catalog = load_catalog([ROOT / "datapackages"])
    assert validate_catalog(catalog).valid
    derive(catalog, reference_date=date(2016, 1, 1))
    monkeypatch.setattr(core, "ROWS_IN_HTML", cap)
    ctx = SiteContext(catalog=catalog, docs_dir=Path("unused"), env=None, lang="zh")
    districts = sorted(set(catalog.table("derived", "hazard_rectification")["district_code"].to_pylist()))
    cut = False
    for district in [None, *districts]:
        shown, total = core._open_hazards(ctx, district)
        expected, count = _open_hazards_by_rows(catalog, district)
        assert [(r["hazard_id"], r["name"]) for r in shown] == expected[:cap] and total == count
        cut |= count > cap
    assert cut or cap == 200  # with 3, the cap was reached: the cut was tested
