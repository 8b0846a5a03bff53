"""How long a visitor waits for an enterprise query, in a real headless Chromium.

Used by the benchmark after each tier's build: the built site is served on localhost, the
lookup page opened once, and a fixed sample of queries (exact codes and name fragments of
enterprises spread over the index) submitted one after another. Each wait runs from the
submit to the moment the lookup stops being busy with its results drawn; the bytes are those
of the index files the query fetched. Returns None where Playwright or Chromium is missing
(the benchmark then says so instead of inventing a figure).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _queries(site: Path, count: int) -> list[str]:
    from pipeline.pages.credit import INDEX, _fragment

    index = site / INDEX
    meta = json.loads((index / "meta.json").read_text("utf-8"))
    step = max(1, meta["record_shards"] // count)
    queries = []
    for k in range(0, meta["record_shards"], step):
        records = json.loads((index / "r" / f"{k}.json").read_text("utf-8"))
        if records:
            queries += [records[0][0], _fragment(records[0][1])]
        if len(queries) >= count:
            break
    return queries[:count]


def lookup_timing(site: Path, *, count: int = 40) -> dict | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    from pipeline.serve import make_server, url

    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    waits, sizes = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()
            fetched: list[int] = []
            page.on("response", lambda r: "/credit/index/" in r.url and fetched.append(len(r.body())))
            page.goto(url(server) + "credit/", wait_until="networkidle")
            for query in _queries(site, count):
                fetched.clear()
                page.fill("input[name=q]", query)
                start = time.perf_counter()
                page.click(".lookup-form button[type=submit]")
                page.locator(".lookup:not([aria-busy])").wait_for()
                waits.append((time.perf_counter() - start) * 1000)
                sizes.append(sum(fetched))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"queries": len(waits), "ms_median": statistics.median(waits), "ms_max": max(waits),
            "bytes_max": max(sizes)}
