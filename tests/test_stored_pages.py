"""Pages outside the navigation and the search index are taken from the build cache's store
when their source and the shell (configuration, code, build date) are the bytes they were
rendered from, and rendered again when anything of that changed; pages in the navigation or
the index are always rendered (pipeline/pages/mkdocs_site.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.pages.mkdocs_site import run_mkdocs

ITEM = "---\nsearch:\n  exclude: true\n---\n\n# Report {n}\n\nText {n}.\n"


def _project(root: Path, name: str = "Site") -> Path:
    docs = root / "docs"
    for n in (1, 2):
        (docs / "items" / f"r{n}").mkdir(parents=True, exist_ok=True)
        (docs / "items" / f"r{n}" / "index.md").write_text(ITEM.format(n=n), encoding="utf-8")
    (docs / "items" / "indexed").mkdir(exist_ok=True)
    (docs / "items" / "indexed" / "index.md").write_text("# Found by search\n", encoding="utf-8")
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(f"site_name: {name}\ndocs_dir: docs\nnav:\n  - index.md\nnot_in_nav: |\n  /items/*/index.md\n"
                      "plugins:\n  - search\n", encoding="utf-8")
    return config


def _build(config: Path, site: Path, store: Path, code: str = "c1", day=date(2026, 12, 7)) -> int:
    return run_mkdocs(config, site, build_date=day, store=store, code=code)


def _pages(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.html"))}


def test_unchanged_item_pages_are_taken_from_the_store_and_changed_ones_rendered(tmp_path):
    config, store = _project(tmp_path), tmp_path / "store"
    assert _build(config, tmp_path / "a", store) == 0
    first = _pages(tmp_path / "a")
    assert _build(config, tmp_path / "b", store) == 2  # r1, r2: not the home page, not the indexed item
    assert _pages(tmp_path / "b") == first
    index = (tmp_path / "b" / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "Found by search" in index and "Report 1" not in index

    page = tmp_path / "docs" / "items" / "r1" / "index.md"
    page.write_text(ITEM.format(n=1).replace("Text 1.", "Text one."), encoding="utf-8")
    assert _build(config, tmp_path / "c", store) == 1
    assert b"Text one." in (tmp_path / "c" / "items" / "r1" / "index.html").read_bytes()
    assert len(list(store.glob("*/*.html"))) == 2  # the entry of the old r1 is gone


def test_a_new_shell_renders_every_page_again(tmp_path):
    config, store = _project(tmp_path), tmp_path / "store"
    _build(config, tmp_path / "a", store)
    assert _build(config, tmp_path / "b", store, code="c2") == 0  # other code or libraries
    # a week later: mkdocs' own theme writes the build date into every page (a comment)
    assert _build(config, tmp_path / "c", store, code="c2", day=date(2026, 12, 14)) == 0
    _project(tmp_path, name="Another name")  # the configuration: the site's name on every page
    assert _build(config, tmp_path / "d", store, code="c2", day=date(2026, 12, 14)) == 0
    assert b"Another name" in (tmp_path / "d" / "items" / "r2" / "index.html").read_bytes()
    assert _build(config, tmp_path / "e", store, code="c2", day=date(2026, 12, 14)) == 2


def test_the_build_date_is_part_of_the_key_only_where_a_template_writes_it(tmp_path):
    from pipeline.pages.mkdocs_site import _dated

    quiet, dated = tmp_path / "quiet", tmp_path / "dated"
    for folder, text in ((quiet, "<p>{{ page.title }}</p>"), (dated, "<!-- {{ build_date_utc }} -->")):
        (folder / "partials").mkdir(parents=True)
        (folder / "partials" / "footer.html").write_text(text, encoding="utf-8")
    assert not _dated([str(quiet)]) and _dated([str(quiet), str(dated)])
    import material

    assert not _dated([str(Path(material.__file__).parent / "templates")])  # the site's theme
