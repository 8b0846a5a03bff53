"""The site check's scan of the downloads, started as soon as they are written.

The export's files are most of a site's bytes (14 of 17 GB at the national tier), and
scanning them for hidden listings and withheld tables took most of the site check. They do
not change after the export, so a process of its own scans them while this one writes the
pages (one core each); the site check then reads only the files written since, or changed
since they were scanned (:func:`pipeline.exposure.scan_site`, ``earlier=``), and still
checks every file of the site.

``python -m pipeline.early_scan REQUEST RESULT`` is that process: it scans the folder the
JSON file ``REQUEST`` names for its ids and tables and writes what it found to ``RESULT``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def scanning(folder: Path, *, ids: set[str], signatures: dict[str, list[str]],
             memo: Path | None = None) -> Iterator[Callable[[], dict]]:
    """Scan ``folder`` in another process while the block runs; yields a function that
    waits for the scan and returns what it found (:func:`pipeline.exposure.scan_files`), or
    nothing if the scan failed (the site check then reads every file itself). The process
    ends with the block, whatever happens in it."""
    if not (ids or signatures):  # nothing to look for: the site check only hashes
        yield dict
        return
    with tempfile.TemporaryDirectory(prefix=".early-scan-") as work:
        request, result = Path(work) / "request.json", Path(work) / "result.json"
        request.write_text(json.dumps({"folder": str(folder), "ids": sorted(ids), "signatures": signatures,
                                       "memo": None if memo is None else str(memo)}), encoding="utf-8")
        # a process started afresh (not forked from this one, with its threads and gigabytes)
        process = subprocess.Popen([sys.executable, "-m", "pipeline.early_scan", str(request), str(result)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield lambda: _found(process, result)
        finally:
            process.kill()
            process.wait()


def _found(process: subprocess.Popen, result: Path) -> dict:
    if process.wait() != 0:
        return {}
    return {tuple(entry["stamp"]): _as_scanned(entry)
            for entry in json.loads(result.read_text(encoding="utf-8"))}


def _as_scanned(entry: dict) -> tuple:
    from pipeline.exposure import _Found

    found = None if entry["error"] is not None else _Found(set(entry["ids"]), set(entry["tables"]))
    return entry["digest"], found, entry["error"]


def main(argv: list[str]) -> int:
    from pipeline.exposure import scan_files

    request_path, result_path = (Path(a) for a in argv)
    request = json.loads(request_path.read_text(encoding="utf-8"))
    scanned = scan_files(Path(request["folder"]), ids=set(request["ids"]), signatures=request["signatures"],
                         memo=None if request["memo"] is None else Path(request["memo"]))
    entries = [{"stamp": list(key), "digest": digest, "error": error,
                "ids": sorted(found.ids) if found is not None else [],
                "tables": sorted(found.tables) if found is not None else []}
               for key, (digest, found, error) in scanned.items()]
    temporary = result_path.with_suffix(".partial")
    temporary.write_text(json.dumps(entries), encoding="utf-8")
    temporary.replace(result_path)  # whole or not at all
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
