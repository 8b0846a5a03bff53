"""The search index: a data-heavy page's prose and headings are found by Chinese words
(segmented by jieba), while the rows of its data tables stay out of the index (they are
marked ``data-search-exclude``, which keeps the index small and the build fast)."""

from __future__ import annotations

import json
import re

from pipeline.i18n import t


def _index(site) -> dict[str, str]:
    docs = json.loads((site.out / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
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
