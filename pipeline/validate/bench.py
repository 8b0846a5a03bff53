"""Speed and memory against frictionless, DuckDB and the reading floor, each run alone in
a fresh subprocess.

``compare_with_frictionless(package_path)`` returns seconds (validation only, and the
whole process), peak resident memory (the child's VmHWM), the number of findings of each,
and whether the findings agree; ``compare_with_peers`` adds the same checks in DuckDB SQL
and the time Arrow takes to read the files, with each tool's ratio to ours. Ours runs as
``python -m pipeline validate PACKAGE`` does (large files batch by batch, no pandas):
packages its ``x-foreignKeys`` name are loaded from beside it and the domain rules run.
Only Table Schema findings (frictionless's error types) of the package itself are
compared; what only we look for (cross-package keys, domain rules) is counted apart, by
type, under ``ours_only``. ``make_package(path, rows)`` writes the one-resource package of
enterprise ratings measured on. frictionless and duckdb are test dependencies: install the
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
from pipeline.without_pandas import refuse_pandas
refuse_pandas()  # as python -m pipeline validate does
from pipeline.load import load_catalog
from pipeline.validate import validate_catalog
from pipeline.validate.command import STREAM_ABOVE
catalog = load_catalog([sys.argv[1]], stream_above=STREAM_ABOVE)
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


# The floor: reading the package's CSV files with Arrow, types inferred, nothing checked.
_FLOOR = r"""
import json, resource, sys, time
t0 = time.perf_counter()
PEAK
import pyarrow.csv
descriptor = json.load(open(sys.argv[1] + "/datapackage.json", encoding="utf-8-sig"))
rows = sum(pyarrow.csv.read_csv(sys.argv[1] + "/" + r["path"]).num_rows for r in descriptor["resources"])
print(json.dumps({"seconds": time.perf_counter() - t0, "maxrss_kb": peak_kb(), "rows": rows,
                  "findings": [], "errors": 0}))
"""

# The same Table Schema checks in DuckDB SQL (pipeline/validate/duckdb_checks.py).
_DUCKDB = r"""
import json, resource, sys, tempfile, time
t0 = time.perf_counter()
PEAK
from pipeline.validate.duckdb_checks import findings
with tempfile.TemporaryDirectory() as spill:
    found = findings(sys.argv[1], threads=THREADS, memory_limit=LIMIT,
                     temp_directory=spill)
print(json.dumps({"seconds": time.perf_counter() - t0, "maxrss_kb": peak_kb(),
                  "errors": len(found), "findings": sorted(found, key=str)}))
"""
DUCKDB_THREADS, DUCKDB_MEMORY = 2, "256MB"

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


def _cpu_of_children() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(script: str, package: Path) -> dict:
    import time

    script = script.replace("PEAK", _PEAK)

    t0, cpu0 = time.perf_counter(), _cpu_of_children()
    done = subprocess.run([sys.executable, "-c", script, str(package)], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - t0
    # CPU time of the process and its threads: on a machine that other work keeps busy, wall
    # time measures the machine's load as much as the tool; CPU time much less so
    result["cpu_seconds"] = _cpu_of_children() - cpu0
    result["findings"] = {tuple(f) for f in result["findings"]}
    return result


def _median_run(script: str, package: Path, repeat: int) -> dict:
    """The run of median wall time of ``repeat`` runs (its own peak, CPU time and findings),
    with every run's wall time under ``runs``: on a shared machine one run can be slowed by
    others' work, in either tool's favour."""
    runs = sorted((_run(script, package) for _ in range(max(1, repeat))), key=lambda r: r["wall_seconds"])
    median = runs[(len(runs) - 1) // 2]
    median["runs"] = [r["wall_seconds"] for r in runs]
    return median


_KEPT = ("seconds", "wall_seconds", "cpu_seconds", "maxrss_kb", "errors", "runs")


def compare_with_peers(package_path: Path | str, repeat: int = 1) -> dict:
    """Ours, frictionless, DuckDB SQL and the reading floor on one package, each a whole
    process (start-up included: ``wall_seconds``), the run of median time of ``repeat``
    each, with their peaks and whether the findings of frictionless and DuckDB equal ours.
    Ratios are of whole processes."""
    package = Path(package_path).resolve()
    ours = _median_run(_OURS, package, repeat)
    out = {"ours": {k: ours[k] for k in _KEPT}, "pandas_imported": ours["pandas"]}
    duckdb = _DUCKDB.replace("THREADS", str(DUCKDB_THREADS)).replace("LIMIT", repr(DUCKDB_MEMORY))
    for name, script in (("frictionless", _THEIRS), ("duckdb", duckdb), ("floor", _FLOOR)):
        try:
            theirs = _median_run(script, package, repeat)
        except subprocess.CalledProcessError as error:  # e.g. duckdb not installed
            out[name] = {"error": (error.stderr or "").strip().splitlines()[-1:] or [str(error)]}
            continue
        out[name] = {k: theirs[k] for k in _KEPT}
        out[name]["ratio"] = theirs["wall_seconds"] / ours["wall_seconds"]
        out[name]["cpu_ratio"] = theirs["cpu_seconds"] / ours["cpu_seconds"] if ours["cpu_seconds"] else None
        out[name]["memory_ratio"] = theirs["maxrss_kb"] / ours["maxrss_kb"]
        if name != "floor":
            limited = theirs.get("limited", False)
            out[name]["same_findings"] = (theirs["findings"] <= ours["findings"]) if limited \
                else theirs["findings"] == ours["findings"]
    return out


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


USCC_PATTERN = "[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}"
DISTRICTS = ["320402", "320404", "320411", "320412", "320413", "320481"]
GRADES = ["A", "B", "C", "D", "E"]
YEARS = 10  # ratings per enterprise: 2014-2023
# the wrong cells ``bad_every`` puts in, in turn: (column, value) or a repeated key
INJECTED = [("year", "x"), ("uscc", "91320402I0000000X1"), ("grade", "F"), ("score", "100.5"),
            ("rated_on", "2011-12-31"), ("district_code", "320499"), ("duplicate", None)]


def make_package(path: Path | str, rows: int, seed: int = 1, bad_every: int = 0,
                 quoted: bool = False) -> Path:
    """A ``rows``-row, 7-column package of enterprise ratings, as the portal's credit
    ratings: USCC (a pattern), enterprise name, district (an enum), year (a range), grade
    (an enum), score (a number in a range) and the rating date (a date in a range), with
    the primary key (uscc, year); every enterprise is rated ten years, rows in random order.
    Names say 示例: the data is synthetic. With ``bad_every`` > 0 every n-th row gets one
    wrong cell or a repeated key, each kind of :data:`INJECTED` in turn; with ``quoted``
    every text cell is quoted (as some spreadsheet exports do)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from pipeline.uscc import make_codes

    path = Path(path)
    (path / "data").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    firms = max(1, -(-rows // YEARS))
    slot = rng.permutation(firms * YEARS)[:rows]  # (enterprise, year) pairs, each once
    firm, year = slot // YEARS, 2014 + slot % YEARS
    district = rng.integers(0, len(DISTRICTS), firms)
    uscc = make_codes(np.array(DISTRICTS, dtype=np.int64)[district], np.arange(firms)).astype(str)
    names = np.char.add(np.char.add("常州示例企业", np.char.zfill(np.arange(firms).astype(str), 6)),
                        "号有限公司")
    rated = (np.datetime64("2014-01-01") + (year - 2014) * 365
             + rng.integers(0, 365, rows)).astype("datetime64[D]")
    score = np.round(rng.uniform(0, 100, rows), 1)
    grade = np.array(GRADES)[np.minimum((100 - score) // 20, 4).astype(int)]
    columns = {"uscc": uscc[firm], "name": names[firm], "district_code": np.array(DISTRICTS)[district[firm]],
               "year": year.astype(str), "grade": grade, "score": score.astype(str),
               "rated_on": rated.astype(str)}
    columns = {k: v.astype(object) for k, v in columns.items()}
    if bad_every:
        for n, row in enumerate(range(bad_every - 1, rows, bad_every)):
            column, value = INJECTED[n % len(INJECTED)]
            if column == "duplicate":  # the key of the row before
                columns["uscc"][row], columns["year"][row] = columns["uscc"][row - 1], columns["year"][row - 1]
            else:
                columns[column][row] = value
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    pacsv.write_csv(table, path / "data" / "ratings.csv",
                    pacsv.WriteOptions(quoting_style="needed" if quoted else "none"))
    schema = {"fields": [
        {"name": "uscc", "type": "string", "constraints": {"required": True, "pattern": USCC_PATTERN}},
        {"name": "name", "type": "string", "constraints": {"required": True, "maxLength": 60}},
        {"name": "district_code", "type": "string", "constraints": {"required": True, "enum": DISTRICTS}},
        {"name": "year", "type": "integer", "constraints": {"required": True, "minimum": 2012,
                                                            "maximum": 2025}},
        {"name": "grade", "type": "string", "constraints": {"required": True, "enum": GRADES}},
        {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "rated_on", "type": "date", "constraints": {"required": True, "minimum": "2012-01-01",
                                                             "maximum": "2025-12-31"}},
    ], "primaryKey": ["uscc", "year"]}
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
                  "name": "bench", "x-synthetic": True, "resources": [{
                      "name": "ratings", "path": "data/ratings.csv", "type": "table",
                      "scheme": "file", "format": "csv", "mediatype": "text/csv",
                      "encoding": "utf-8", "schema": schema}]}
    (path / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    return path


def copied_package(source: Path | str, path: Path | str, copies: int) -> Path:
    """``source``'s package with each CSV resource's rows written ``copies`` times (the
    header once): a real package's data at a larger size, its descriptor byte for byte."""
    source, path = Path(source), Path(path)
    descriptor = json.loads((source / "datapackage.json").read_text(encoding="utf-8-sig"))
    path.mkdir(parents=True, exist_ok=True)
    (path / "datapackage.json").write_bytes((source / "datapackage.json").read_bytes())
    for resource in descriptor.get("resources", []):
        relative = resource.get("path")
        if not isinstance(relative, str):
            continue
        header, _, body = (source / relative).read_bytes().partition(b"\n")
        if body and not body.endswith(b"\n"):
            body += b"\n"
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        with open(path / relative, "wb") as out:
            out.write(header + b"\n")
            for _ in range(copies):
                out.write(body)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if not (target / "datapackage.json").exists():
        make_package(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
                     quoted=len(sys.argv) > 3 and sys.argv[3] == "quoted")
    print(json.dumps(compare_with_peers(target), indent=2))
