"""Fetching the live site's downloads back (the base of the next build when no CI artefact
is left): every file of its manifest, verified, and nothing written outside the folder."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.i18n import messages
from pipeline.published import FetchError, fetch_published

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff60]")


def _site(root: Path, files: dict[str, bytes], *, lie: dict[str, str] | None = None) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    entries = [{"path": name, "bytes": len(content),
                "sha256": (lie or {}).get(name) or hashlib.sha256(content).hexdigest()}
               for name, content in files.items()]
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "manifest.json").write_text(json.dumps({"files": entries}), encoding="utf-8")
    return root


@pytest.fixture
def serve():
    servers = []

    def start(root: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


FILES = {"data.json": b"{}", "data/derived/2015.05.27/data/rates.csv": "年份\n2015\n".encode(),
         "data/derived/latest/datapackage.json": b'{"name": "derived"}', "data/redactions.json": b'{"entries": []}'}


def test_every_file_of_the_manifest_is_fetched_and_verified(tmp_path, serve):
    url = serve(_site(tmp_path / "live", FILES))
    out = tmp_path / "previous"
    assert fetch_published(url, out) == len(FILES)
    for name, content in FILES.items():
        assert (out / name).read_bytes() == content
    assert json.loads((out / "data/manifest.json").read_text(encoding="utf-8"))["files"]


def test_a_site_that_never_published_starts_the_history(tmp_path, serve, capsys):
    (tmp_path / "empty").mkdir()
    url = serve(tmp_path / "empty")
    assert main(["fetch-published", "--url", url, "--out", str(tmp_path / "previous")]) == 0
    assert "starts the history" in capsys.readouterr().out


def test_a_file_that_differs_from_the_manifest_stops_the_fetch(tmp_path, serve, capsys):
    url = serve(_site(tmp_path / "live", FILES, lie={"data.json": "0" * 64}))
    with pytest.raises(FetchError, match="data.json"):
        fetch_published(url, tmp_path / "a")
    assert main(["fetch-published", "--url", url, "--out", str(tmp_path / "b")]) == 1
    error = capsys.readouterr().err
    assert "不要在没有上一版的情况下发布" in error and "Traceback" not in error


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_checksum_mismatch_is_said_in_the_language_asked_for(tmp_path, serve, lang):
    url = serve(_site(tmp_path / "live", FILES, lie={"data.json": "0" * 64}))
    with messages(lang), pytest.raises(FetchError) as refused:
        fetch_published(url, tmp_path / "out")
    text = str(refused.value)
    assert "data.json" in text and "0" * 64 in text and hashlib.sha256(b"{}").hexdigest() in text
    assert bool(CJK.search(text)) == (lang == "zh"), text


def test_each_language_of_a_failed_fetch_says_its_detail_in_that_language(tmp_path, serve, capsys):
    url = serve(_site(tmp_path / "live", FILES, lie={"data.json": "0" * 64}))
    assert main(["fetch-published", "--url", url, "--out", str(tmp_path / "out")]) == 1
    chinese, english = capsys.readouterr().err.strip().splitlines()[-1].split(" / ")  # after the server log
    assert "与清单不符" in chinese and "differs from the manifest" in english
    assert not CJK.search(english) and "manifest" not in chinese, (chinese, english)


@pytest.mark.parametrize("path", ["../outside.txt", "data/../../outside.txt", "/etc/passwd", "index.html",
                                  "data/./x", "data\\..\\x"])
def test_a_manifest_path_outside_the_data_folder_is_refused(tmp_path, serve, path):
    live = _site(tmp_path / "live", {"data.json": b"{}"})
    manifest = json.loads((live / "data/manifest.json").read_text(encoding="utf-8"))
    manifest["files"].append({"path": path, "bytes": 1, "sha256": "0" * 64})
    (live / "data/manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(FetchError, match="越界"):
        fetch_published(serve(live), tmp_path / "out" / "previous")
    assert not (tmp_path / "out" / "outside.txt").exists() and not (tmp_path / "outside.txt").exists()


def test_the_command_wants_an_empty_folder(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["fetch-published", "--url", "http://127.0.0.1:9/", "--out", str(tmp_path / "full")]) == 2
    assert (tmp_path / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert "empty" in capsys.readouterr().err
