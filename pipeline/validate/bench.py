"""Speed and memory against frictionless, each run alone in a fresh subprocess.

``compare_with_frictionless(package_path)`` returns seconds (validation only, and the
whole process), peak resident memory (the child's VmHWM), the number of
findings of each, and whether the findings agree. Ours runs as ``python -m pipeline
validate PACKAGE`` does: packages its ``x-foreignKeys`` name are loaded from beside it and
the domain rules run. Only Table Schema findings (frictionless's error types) of the
package itself are compared; what only we look for (cross-package keys, domain rules) is
counted apart, by type, under ``ours_only``. ``make_package(path, rows)`` writes a
one-resource package (7 columns: pattern, enum, date, bounded integer, number, boolean,
text; primary key) to measure on. frictionless is a test dependency: install the
``test`` extra to run this.

    python -m pipeline.validate.bench DIR [ROWS [quoted]]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_OURS = r"""
import json, resource, sys, time
t0 = time.perf_counter()
PEAK
from pipeline.load import load_catalog
from pipeline.validate import validate_catalog
catalog = load_catalog([sys.argv[1]])
report = validate_catalog(catalog, max_errors=None)
seconds = time.perf_counter() - t0
name = json.load(open(sys.argv[1] + "/datapackage.json", encoding="utf-8-sig")).get("name")
errors = [e for task in report.tasks if task.package == name for e in task.errors]
found = sorted({(e.type, e.rowNumber, e.fieldName) for e in errors if e.table_schema}, key=str)
ours_only = {}
for e in errors:
    if not e.table_schema:
        ours_only[e.type] = ours_only.get(e.type, 0) + 1
print(json.dumps({"seconds": seconds, "maxrss_kb": peak_kb(), "errors": len(found),
                  "findings": found, "ours_only": ours_only, "limited": False,
                  "pandas": "pandas" in sys.modules}))
"""

_THEIRS = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
PEAK
warnings.simplefilter("ignore")
from frictionless import Package
report = Package(sys.argv[1] + "/datapackage.json").validate()
seconds = time.perf_counter() - t0
found, limited = set(), False
for task in report.tasks:
    limited |= len(task.errors) >= 1000
    for e in task.errors:
        found.add((e.type, getattr(e, "row_number", None), getattr(e, "field_name", None)))
print(json.dumps({"seconds": seconds, "maxrss_kb": peak_kb(),
                  "errors": len(found), "findings": sorted(found, key=str), "limited": limited}))
"""


# Peak resident memory of this process image. ru_maxrss is not used: Linux carries the
# parent's high-water mark across fork+exec, so a small child would report the parent's.
_PEAK = r"""
def peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""


def _run(script: str, package: Path) -> dict:
    import time

    script = script.replace("PEAK", _PEAK)

    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, str(package)], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - t0
    result["findings"] = {tuple(f) for f in result["findings"]}
    return result


def compare_with_frictionless(package_path: Path | str) -> dict:
    package = Path(package_path).resolve()
    ours = _run(_OURS, package)
    theirs = _run(_THEIRS, package)
    # frictionless stops at 1000 errors per resource; then its findings must be a subset
    same = (theirs["findings"] <= ours["findings"]) if theirs["limited"] else \
        (theirs["findings"] == ours["findings"])
    return {
        "package": str(package),
        "ours": {k: ours[k] for k in ("seconds", "wall_seconds", "maxrss_kb", "errors")},
        "ours_only": ours["ours_only"],
        "frictionless": {k: theirs[k] for k in ("seconds", "wall_seconds", "maxrss_kb", "errors")},
        "speedup": theirs["seconds"] / ours["seconds"] if ours["seconds"] else float("inf"),
        "memory_ratio": theirs["maxrss_kb"] / ours["maxrss_kb"] if ours["maxrss_kb"] else float("inf"),
        "same_findings": same,
    }


def make_package(path: Path | str, rows: int, seed: int = 1, bad_every: int = 0,
                 quoted: bool = False) -> Path:
    """A 7-column, ``rows``-row package like the portal's accident table. With
    ``bad_every`` > 0 every n-th row gets a wrong cell (to time the error path); with
    ``quoted`` every text cell is quoted (as some spreadsheet exports do)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    (path / "data").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = np.char.add("A", np.char.zfill(np.arange(rows).astype(str), 9))
    districts = np.array(["320402", "320404", "320411", "320412", "320481", "320482"])
    days = np.datetime64("2010-01-01") + rng.integers(0, 6 * 365, rows).astype("m8[D]")
    deaths = rng.integers(0, 40, rows)
    loss = np.round(rng.lognormal(12, 2, rows), 2)
    table = pa.table({
        "accident_id": ids,
        "district_code": districts[rng.integers(0, len(districts), rows)],
        "date": days.astype(str),
        "deaths": deaths.astype(str),
        "direct_loss": loss.astype(str),
        "concealed": np.where(rng.random(rows) < 0.05, "true", "false"),
        "note": np.char.add("记录", rng.integers(0, 1000, rows).astype(str)),
    })
    if bad_every:
        deaths = table["deaths"].to_numpy(zero_copy_only=False).astype(object)
        deaths[::bad_every] = "x"
        table = table.set_column(3, "deaths", pa.array(deaths.astype(str)))
    pacsv.write_csv(table, path / "data" / "accidents.csv",
                    pacsv.WriteOptions(quoting_style="needed" if quoted else "none"))
    schema = {"fields": [
        {"name": "accident_id", "type": "string", "constraints": {"required": True, "pattern": "A[0-9]{9}"}},
        {"name": "district_code", "type": "string", "constraints": {"enum": districts.tolist()}},
        {"name": "date", "type": "date", "constraints": {"minimum": "2010-01-01"}},
        {"name": "deaths", "type": "integer", "constraints": {"minimum": 0, "maximum": 1000}},
        {"name": "direct_loss", "type": "number", "constraints": {"minimum": 0}},
        {"name": "concealed", "type": "boolean"},
        {"name": "note", "type": "string", "constraints": {"maxLength": 50}},
    ], "primaryKey": ["accident_id"]}
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
                  "name": "bench", "resources": [{
                      "name": "accidents", "path": "data/accidents.csv", "type": "table",
                      "scheme": "file", "format": "csv", "mediatype": "text/csv",
                      "encoding": "utf-8", "schema": schema}]}
    (path / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if not (target / "datapackage.json").exists():
        make_package(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
                     quoted=len(sys.argv) > 3 and sys.argv[3] == "quoted")
    print(json.dumps(compare_with_frictionless(target), indent=2))
