"""Fetch what the public can download now from the live site, to build the next release on.

The publishing workflow keeps the last published site as a CI artefact, but artefacts
expire: a build that started from nothing would drop every older release and the
redaction log. The live site itself is the source of truth: its ``data/manifest.json``
lists every download with its size and SHA-256, so the release history can be fetched
back file by file and verified before a build uses it as ``--previous``.

Only the files the manifest lists (everything under ``data/`` plus ``data.json``) are
fetched; the export reads nothing else from a previous site. Every path is checked to stay
inside ``--out``; a file whose bytes do not match the manifest stops the fetch.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import urllib.error
import urllib.request
from pathlib import Path

from pipeline.i18n import both, t

TIMEOUT = 60


class FetchError(Exception):
    """The live site could not be fetched whole and verified; nothing usable was written.

    Its text is the catalog message ``key`` in the command line's languages; ``message``
    says it in one, for a sentence in that language around it."""

    def __init__(self, key: str, /, **values):
        super().__init__(both(key, **values))
        self.key, self.values = key, values

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # the site's own address
        return response.read()


def _safe(relative: str) -> str:
    normal = posixpath.normpath(relative)
    if relative != normal or normal.startswith(("/", "../")) or normal in (".", "..") or "\\" in relative \
            or not (normal == "data.json" or normal.startswith("data/")):
        raise FetchError("fetch.outside", path=repr(relative))
    return normal


def fetch_published(base_url: str, out: Path) -> int:
    """Download and verify every file of ``base_url``'s manifest into ``out``.

    Returns the number of files; 0 when the site has no manifest yet (nothing was ever
    published: the first build starts the history). Raises :class:`FetchError` otherwise.
    """
    base = base_url.rstrip("/") + "/"
    try:
        manifest_bytes = _get(base + "data/manifest.json")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return 0
        raise FetchError("fetch.http", url=f"{base}data/manifest.json", code=error.code) from error
    except (urllib.error.URLError, OSError) as error:
        raise FetchError("fetch.unreachable", url=f"{base}data/manifest.json", error=error) from error
    try:
        entries = json.loads(manifest_bytes)["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise FetchError("fetch.not_manifest", url=f"{base}data/manifest.json", error=error) from error
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    root = out.resolve()
    count = 0
    for entry in entries:
        relative = _safe(str(entry["path"]))
        target = (out / relative).resolve()
        if root not in target.parents:
            raise FetchError("fetch.outside", path=repr(relative))
        try:
            content = _get(base + relative)
        except (urllib.error.URLError, OSError) as error:
            raise FetchError("fetch.unreachable", url=base + relative, error=error) from error
        digest = hashlib.sha256(content).hexdigest()
        if digest != entry["sha256"] or len(content) != entry["bytes"]:
            raise FetchError("fetch.checksum", path=relative, size=len(content), digest=digest,
                             expected_size=entry["bytes"], expected=entry["sha256"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        count += 1
    (out / "data" / "manifest.json").write_bytes(manifest_bytes)
    return count
