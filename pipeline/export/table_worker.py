"""A worker process of the SQLite export: ``python -m pipeline.export.table_worker ARROW PATH
NAME`` writes the table in the Arrow file ``ARROW`` as table ``NAME`` of the SQLite file
``PATH`` (:func:`pipeline.export.sqlitefile.write_from_arrow`). A failed write prints its
errno and message as JSON on the last line and exits with 1, for the export to raise the same
``OSError``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from pipeline.export.sqlitefile import write_from_arrow

    arrow, path, name = argv
    try:
        write_from_arrow(Path(arrow), Path(path), name)
    except OSError as error:
        print(json.dumps({"errno": error.errno, "message": error.strerror or str(error)}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
