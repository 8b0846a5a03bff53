"""Screenshots of every page type of a built site, at the phone and desktop sizes the layout
tests use, for people to look at (``nox -s screenshots``).

    python tests/screenshots.py build/site docs/screenshots [zh en]

Writes ``<edition>-<page type>-<viewport>.jpg`` (the first screen of each page; JPEG keeps
the committed set small) and a ``README.md`` that lists them. The page types are those the
browser tests walk (``conftest.page_types`` and the named ones of ``test_browser_layout``),
in each edition named (default: every edition of the configuration).
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CHROMIUM, CHROMIUM_ARGS, page_types
from test_browser_layout import NAMED, VIEWPORTS

from pipeline.config import load_config
from pipeline.editions import prefix


def page_list(site: Path, editions: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(edition, page type, site-relative URL) of every page type in each edition."""
    langs = load_config().site.languages
    pages = []
    for lang in editions or langs:
        edition = prefix(lang, langs)
        types = page_types(site, lang)
        types.update({name: edition + path for name, path in NAMED.items()
                      if (site / edition / path / "index.html").is_file()})
        seen = set()  # a section's first item may be one of the named pages: once each
        pages += [(lang, name, path) for name, path in sorted(types.items())
                  if not (path in seen or seen.add(path))]
    return pages


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request would bury the result
        pass


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def take(site: Path, out: Path, editions: list[str] | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    server, url = _serve(site)
    sizes = " and ".join(f"{size['width']}×{size['height']}" for size in VIEWPORTS.values())
    written = []
    lines = ["# Screenshots of every page type", "",
             (f"Each page type at {sizes}, the top of the page as it first shows, in headless "
              "Chromium with Noto CJK, from a build of the committed data (`nox -s screenshots`)."), "",
             "| edition | page type | address | " + " | ".join(VIEWPORTS) + " |",
             "|---|---|---|" + "---|" * len(VIEWPORTS)]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for lang, name, path in page_list(site, editions):
                cells = []
                for viewport, size in VIEWPORTS.items():
                    context = browser.new_context(viewport=size, locale="zh-CN" if lang == "zh" else "en")
                    page = context.new_page()
                    page.goto(url + path, wait_until="networkidle")
                    target = out / f"{lang}-{name}-{viewport}.jpg"
                    page.screenshot(path=str(target), type="jpeg", quality=60)
                    context.close()
                    written.append(target)
                    cells.append(f"[{viewport}]({target.name})")
                lines.append(f"| {lang} | {name} | `/{path}` | " + " | ".join(cells) + " |")
            browser.close()
    finally:
        server.shutdown()
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


if __name__ == "__main__":
    site, out = (Path(arg) for arg in sys.argv[1:3])
    print(f"{len(take(site, out, sys.argv[3:] or None))} screenshots in {out}")
