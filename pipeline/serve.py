"""Serve a built site on localhost with the standard library's HTTP server."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from pipeline.i18n import t


class _Handler(SimpleHTTPRequestHandler):
    # Name the charset: without it some browsers guess a legacy encoding for Chinese CSV.
    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map,
                                                 ".csv": "text/csv; charset=utf-8",
                                                 ".json": "application/json; charset=utf-8"}


class _QuietHandler(_Handler):
    def log_message(self, format, *args):
        pass


def make_server(root: Path, port: int = 0, *, quiet: bool = False) -> ThreadingHTTPServer:
    """An HTTP server for ``root`` on 127.0.0.1 (``port`` 0 picks a free one)."""
    handler = functools.partial(_QuietHandler if quiet else _Handler, directory=str(root))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def serve(root: Path, port: int, *, lang: str = "zh") -> None:
    with make_server(root, port) as server:
        print(t("serve.url", lang, url=url(server)), flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
