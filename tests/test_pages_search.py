"""The search index: a data-heavy page's prose and headings are found by Chinese words
(segmented by jieba), while the rows of its data tables stay out of the index (they are
marked ``data-search-exclude``, which keeps the index small and the build fast); so do
charts and the notices repeated from page to page, a synthetic page is tagged instead, the
index is written as UTF-8, and the theme's worker is copied with its segmentation of
Chinese queries corrected (pipeline/pages/search_index.py, search_worker.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import material
import pytest

from pipeline.i18n import t
from pipeline.pages.search_index import for_index, synthetic_tag
from pipeline.pages.search_worker import (
    WORKERS,
    WorkerShapeError,
    corrected,
    theme_worker,
)

THEME = Path(material.__file__).parent / "templates"


def _docs(site) -> list[dict]:
    return json.loads((site.out / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def _index(site) -> dict[str, str]:
    docs = _docs(site)
    pages: dict[str, str] = {}
    for doc in docs:
        page = doc["location"].split("#")[0]
        pages[page] = pages.get(page, "") + doc["title"] + "\n" + doc["text"] + "\n"
    return pages


def test_prose_of_a_data_heavy_page_is_found_by_a_chinese_word(site):
    text = _index(site)["credit/hazards/"]
    # segmented: words joined by zero-width spaces, so the lunr tokenizer sees 整改率 alone
    assert "\u200b整改率\u200b" in text or "\u200b整改\u200b" in text
    assert "挂牌" in text and t("credit.open_hazards", "zh") in text.replace("\u200b", "")


def test_rows_of_data_tables_are_not_indexed(site):
    page = (site.out / "credit" / "hazards" / "index.html").read_text(encoding="utf-8")
    assert "data-search-exclude" in page
    hazard_ids = set(re.findall(r'<th scope="row">(H\d{10})</th>', page))
    assert hazard_ids  # the page lists open hazards, so there is something to keep out
    text = _index(site)["credit/hazards/"]
    assert not [h for h in hazard_ids if h in text]


# --- what the built index holds ---------------------------------------------------------

def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).replace("\u200b", "")


def test_synthetic_notes_stay_out_and_synthetic_pages_are_tagged(site):
    docs = _docs(site)
    notes = [t(key, "zh") for key in ("indicator.synthetic_body", "datapage.synthetic_body",
                                      "banner.synthetic_all", "banner.synthetic_part")]
    assert not [d["location"] for d in docs if any(n in _plain(d["text"]) for n in notes)]
    # the pages did carry them: an indicator page and the accident statistics page
    page = (site.out / "indicators" / "goal-deaths" / "index.html").read_text(encoding="utf-8")
    assert t("indicator.synthetic_body", "zh") in page
    tags = {d["location"]: d.get("tags") for d in docs}
    assert tags["indicators/goal-deaths/"] == [t("package.partly_synthetic_badge", "zh")]
    assert tags["accidents/"] == [t("package.synthetic_badge", "zh")]
    assert tags["plan/"] is None  # the plan is real: no tag


def test_charts_and_repeated_notices_stay_out(site):
    docs = _docs(site)
    page = (site.out / "indicators" / "goal-deaths" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in page and t("chart.embed_help", "zh") in page
    texts = [_plain(d["text"]) for d in docs]
    for notice in (t("chart.embed_help", "zh"), t("chart.open_alone", "zh"),
                   t("chart.download_svg", "zh")):
        assert not [x for x in texts if notice in x], notice
    # the quoted clause stays on the plan page (where it is the text) and not on the
    # indicator pages (where it is a quotation)
    clause = re.search(r'<div class="portal-clause">\s*<blockquote><p>(.*?)</p>', page, re.DOTALL)[1]
    holders = {d["location"].split("#")[0] for d in docs if clause[:30] in _plain(d["text"])}
    assert holders and not [h for h in holders if h.startswith("indicators/")]


def test_published_pages_keep_what_the_index_leaves_out(site):
    page = (site.out / "indicators" / "goal-deaths" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<figure" in page
    assert t("indicator.synthetic_body", "zh") in page


def test_index_is_utf8_and_indicator_pages_weigh_more(site):
    raw = (site.out / "search" / "search_index.json").read_bytes()
    assert "常州".encode() in raw and b"\\u5e38" not in raw
    boosts = {d["location"]: d.get("boost") for d in _docs(site)}
    assert boosts["indicators/goal-deaths/"] == 1.25
    assert boosts["methodology/"] is None
    assert [b for loc, b in boosts.items() if loc.startswith("validation/")
            and loc.count("/") == 2] == [0.5] * sum(
        1 for loc in boosts if loc.startswith("validation/") and loc.count("/") == 2)


def test_pages_name_the_corrected_worker(site):
    workers = sorted(p.name for p in (site.out / WORKERS).iterdir())
    theme = theme_worker([THEME]).name
    assert theme not in workers and len(workers) == 1
    config = re.search(r'<script id="__config" type="application/json">(.*?)</script>',
                       (site.out / "index.html").read_text(encoding="utf-8"), re.DOTALL)[1]
    assert json.loads(config)["search"].endswith(f"{WORKERS}/{workers[0]}")


# --- the rules, on small inputs -----------------------------------------------------------

def test_the_index_reads_pages_without_figures_svg_notices_and_listed_classes():
    title = t("indicator.synthetic_title", "zh")
    html = (f'<div class="admonition warning">\n<p class="admonition-title">{title}</p>\n'
            '<p>NOTE</p>\n</div>\n<div class="admonition note">\n<p class="admonition-title">'
            'OTHER</p></div>\n<figure class="a"><svg viewBox="0 0 1 1"><text>TICK</text></svg>'
            '<figure class="b"><figcaption>INNER</figcaption></figure><p>TAIL</p></figure>\n'
            '<svg class="icon"/><p class="portal-meta portal-asof">DATE</p><img src="x" data-search-exclude>'
            '<p class="portal-lead">KEEP</p><script>var s = "<figure>";</script>')
    indexed, note = for_index(html, "zh")
    assert note == "part"
    for gone in ("NOTE", "TICK", "INNER", "TAIL", "<svg", "DATE", "<img"):
        assert gone not in indexed, gone
    for kept in ("OTHER", '<p class="portal-lead">KEEP</p>', 'var s = "<figure>";'):
        assert kept in indexed, kept
    assert for_index("<p>plain</p>", "zh") == ("<p>plain</p>", None)


def test_synthetic_tag_follows_front_matter_then_the_note():
    assert synthetic_tag({"synthetic": "part"}, None, "zh") == t("package.partly_synthetic_badge", "zh")
    assert synthetic_tag({"synthetic": True}, None, "zh") == t("package.synthetic_badge", "zh")
    assert synthetic_tag({}, "part", "en") == t("package.partly_synthetic_badge", "en")
    assert synthetic_tag({}, None, "zh") is None


# --- the worker's correction ---------------------------------------------------------------

def test_worker_correction_applies_to_the_installed_theme():
    source = theme_worker([THEME]).read_text(encoding="utf-8")
    fixed = corrected(source)
    assert "sourceMappingURL" in source and "sourceMappingURL" not in fixed
    # the longest word tried reaches the query's end; the cutting may continue to it
    assert re.search(r"for\(let (\w+)=\w+\+1;\1<=\w+\.length;", fixed)
    assert re.search(r"\w+<\w+\.length-1&&", source) and not re.search(r"\w+<\w+\.length-1&&", fixed)


def test_a_worker_of_another_shape_stops_the_build():
    source = theme_worker([THEME]).read_text(encoding="utf-8")
    with pytest.raises(WorkerShapeError, match="mkdocs-material"):
        corrected(corrected(source))  # nothing left to correct: not the expected worker
    with pytest.raises(WorkerShapeError):
        corrected("")


def test_pages_excluded_by_front_matter_are_not_indexed_and_published_whole(site):
    """The report pages (``search: exclude`` in their template) are left out of the index
    and their hook does not cut them: the page still carries its data tables and notes."""
    reports = sorted((site.out / "reports").glob("*/index.html"))
    assert reports  # the sample has published investigation reports
    locations = {d["location"].split("#")[0] for d in _docs(site)}
    assert not [loc for loc in locations if loc.startswith("reports/")]
    assert "investigations/" in locations  # while the section's own page is indexed
    page = reports[0].read_text(encoding="utf-8")
    assert "data-search-exclude" in page and t("datapage.synthetic_title", "zh") in page
