"""The mkdocs hook that switches off the theme's own handling of language alternates (see
pipeline/pages/theme_alternates.py, where the work is done and tested). The build names this
file when the site has more than one edition."""

from pipeline.pages.theme_alternates import (  # noqa: F401  (mkdocs calls them by name)
    on_config,
    on_post_build,
    on_post_page,
    on_post_template,
)
