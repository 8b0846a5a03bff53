"""The mkdocs hook that shapes the search (see pipeline/pages/search_index.py and
search_worker.py, where the work is done and tested). mkdocs.yml names this file relative
to the built configuration, which sits beside a copy of site/overrides."""

from pipeline.pages.search_hooks import (  # noqa: F401  (mkdocs calls them by name)
    on_config,
    on_page_content,
    on_page_context,
    on_post_build,
    on_post_page,
)
