"""Benchmark: time, peak memory, throughput and output size of every stage at each data tier.

``run(tiers, out=...)`` generates each tier with the synthetic-data generator (cached), then
runs every stage in a fresh process so that its peak memory is its own:

* synth          ``python -m pipeline synth`` (only when the cached data is missing or stale)
* load_validate  load + validate the tier's packages
* derive         derive on the validated catalog (its inputs are prepared untimed)
* export         export of the derived catalog (load → derive untimed, but also summed
                 as ``pipeline_seconds``, the figure the national budget speaks about)
* build          ``python -m pipeline build``, the command a publisher runs; mkdocs' own
                 time, the page count and the site's size are taken from the same run
* frictionless   ``pipeline.validate.bench.compare_with_frictionless`` on each package (once)

Each stage process is started by a small wrapper process whose
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak resident memory of exactly that stage
process: the benchmark's own process would report the largest child seen so far instead,
and Linux counts a child's pre-exec high-water mark (its parent's size) in its ru_maxrss,
which the small wrapper keeps negligible.
Short stages are repeated and medians are quoted. Results go to ``results.json`` and a
Markdown page (``page_markdown``) under ``out``; ``evaluate_budgets`` holds the targets.

    python -m pipeline bench --tiers sample,city,province --repeat 3 --out build/bench
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipeline.bench_report import (
    CEILING_RECORD,
    CEILING_TIER,
    RECORD,
    REPEAT_BELOW_SECONDS,
    page_markdown,
    render_text,
)
from pipeline.i18n import t

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIERS = ("sample", "city", "province")  # national and national5 are opt-in: they take long
DEFAULT_SEED = 20121030
DEFAULT_REFERENCE_DATE = date(2016, 1, 1)
LIBRARIES = ("pyarrow", "pandas", "numpy", "jinja2", "mkdocs", "mkdocs-material", "openpyxl",
             "frictionless", "duckdb", "zlib-ng", "adbc-driver-sqlite")

# Runs the stage command given as arguments; reports its wall time and peak memory. A fresh
# process, so RUSAGE_CHILDREN covers only this one child (and anything it waited for).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
log = open(sys.argv[1], "ab")
t0 = time.perf_counter()
code = subprocess.call(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
wall = time.perf_counter() - t0
print(json.dumps({"returncode": code, "wall_seconds": wall,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


# ---------------------------------------------------------------------------------------
# Budgets (pure: given results, say pass or miss)

def _stage(tiers: dict, tier: str, stage: str) -> dict:
    return (tiers.get(tier) or {}).get("stages", {}).get(stage) or {}


def _check(budget_id: str, tier: str, value, limit, op: str) -> dict:
    if value is None:
        passed = False  # a stage that failed or produced no figure misses its budget
    else:
        passed = value < limit if op == "<" else value >= limit if op == ">=" else value <= limit
    return {"id": budget_id, "tier": tier, "value": value, "limit": limit, "op": op, "pass": passed}


def evaluate_budgets(tiers: dict, config=None) -> list[dict]:
    """Every budget of ``portal.yml`` (``benchmark:``, or ``config``'s) that applies to the
    measured ``tiers`` (the ``tiers`` part of the results): each compares one figure of one
    stage with its limit; a spread compares, across the tiers that built a site, the largest
    figure over the smallest (flat: pages do not grow with data)."""
    from pipeline.config import current

    config = current() if config is None else config
    out = []
    for budget in config.budgets:
        wanted = tiers if budget["tiers"] == "*" else [t for t in budget["tiers"] if t in tiers]
        for tier in wanted:
            if budget["stage"] not in (tiers.get(tier) or {}).get("stages", {}):
                continue  # not measured in this run (--stages); a stage that failed is there
            value = _stage(tiers, tier, budget["stage"]).get(budget["figure"])
            if value is None and budget.get("if_measured"):
                continue
            if isinstance(value, bool):
                value = int(value)
            if value is not None and "scale" in budget:
                value = value * budget["scale"]
            out.append(_check(budget["id"], tier, value, budget["limit"], budget["op"]))
    for spread in config.spreads:
        built = {tier: _stage(tiers, tier, spread["stage"]) for tier in tiers}
        built = {tier: b for tier, b in built.items() if b.get("pages") is not None}
        if len(built) < 2:
            continue
        values = [b.get(spread["figure"]) for b in built.values()]
        ratio = max(values) / min(values) if None not in values and min(values) > 0 else None
        out.append(_check(spread["id"], "all", ratio, spread["limit"], "<="))
    return out


# ---------------------------------------------------------------------------------------
# Synthetic data, cached by content

def cache_key(tier: str, seed: int, real: Path | None = None) -> str:
    """A hash of everything the generated data depends on: the generator's code (and the
    USCC module it uses), the hand-edited descriptors and real tables it copies, the tier
    and the seed. Contents, never file times: a checkout or a copy changes times, not data."""
    from pipeline.synth import GENERATED, PACKAGES

    real = Path(real) if real is not None else ROOT / "datapackages"
    digest = hashlib.sha256(f"{tier}\0{seed}\0".encode())
    files = sorted((ROOT / "pipeline" / "synth").glob("*.py")) + [ROOT / "pipeline" / "uscc.py"]
    for package in PACKAGES:
        files.append(real / package / "datapackage.json")
        generated = GENERATED.get(package, set())
        files += sorted(p for p in (real / package / "data").glob("*.csv") if p.stem not in generated)
    for path in files:
        rel = path.relative_to(ROOT if path.is_relative_to(ROOT) else real).as_posix()
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _ensure_data(tier: str, seed: int, tier_dir: Path, say, lang: str) -> dict:
    """Generate ``tier_dir/data`` unless a copy made by the same code and inputs exists;
    return the synth figures (measured now, or when the cached copy was made)."""
    data, record = tier_dir / "data", tier_dir / "data.key.json"
    key = cache_key(tier, seed)
    if data.is_dir() and record.is_file():
        stored = json.loads(record.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            say(t("bench.progress.cached", lang, tier=tier))
            return {**stored["synth"], "cached": True}
    say(t("bench.progress.stage", lang, tier=tier, stage="synth", run=1))
    shutil.rmtree(data, ignore_errors=True)
    record.unlink(missing_ok=True)
    # Generate beside the cache and rename: a half-written folder never looks like a cache.
    partial = tier_dir / "data.partial"
    shutil.rmtree(partial, ignore_errors=True)
    tier_dir.mkdir(parents=True, exist_ok=True)
    measured = _measure([sys.executable, "-m", "pipeline", "synth", "--tier", tier, "--seed",
                         str(seed), "--out", str(partial)], tier_dir / "logs" / "synth.log")
    if measured.get("error"):
        return measured
    partial.rename(data)
    synth = {"seconds": measured["wall_seconds"], "runs": [measured["wall_seconds"]],
             "peak_bytes": measured["peak_bytes"], "output_bytes": du(data)}
    record.write_text(json.dumps({"key": key, "tier": tier, "seed": seed, "synth": synth},
                                 indent=2), encoding="utf-8")
    return {**synth, "cached": False}


# ---------------------------------------------------------------------------------------
# Measuring one process

def du(path: Path) -> int:
    """Apparent size in bytes of every file under ``path`` (like ``du -sb``)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def on_disk(path: Path) -> int:
    """Bytes of the files under ``path``, each file once (a release's files and their
    ``latest/`` links are one file on the disk)."""
    sizes = {}
    for folder, _, names in os.walk(path):
        for name in names:
            status = os.lstat(os.path.join(folder, name))
            sizes[(status.st_dev, status.st_ino)] = status.st_size
    return sum(sizes.values())


def _measure(command: list[str], log: Path) -> dict:
    log.parent.mkdir(parents=True, exist_ok=True)
    start = log.stat().st_size if log.is_file() else 0  # the log keeps every run's output
    done = subprocess.run([sys.executable, "-c", _WRAPPER, str(log), *command], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    measured["peak_bytes"] = measured.pop("maxrss_kb") * 1024
    code = measured["returncode"]
    if code != 0:
        with log.open("rb") as text:
            text.seek(start)
            tail = text.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        # the results are published: files named relative to the repository, not this machine
        tail = [line.replace(f"{ROOT}{os.sep}", "").replace(str(Path(sys.prefix)), "<python>")
                for line in tail]
        # a negative code is a signal: SIGKILL from outside, at the ceiling the kernel's
        # out-of-memory killer, leaves no message of its own
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        measured["error"] = how + (": " + " | ".join(tail) if tail else "")
    return measured


def _run_stage(stage: str, data: Path, work: Path, reference_date: date, build_args: list[str],
               log: Path) -> dict:
    """One run of ``stage`` in a fresh process; the child writes its figures to a JSON file."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result = work / "result.json"
    measured = _measure([sys.executable, "-m", "pipeline.bench", stage, str(data), str(work),
                         reference_date.isoformat(), str(result), *build_args], log)
    figures = json.loads(result.read_text(encoding="utf-8")) if result.is_file() else {}
    if stage == "build":  # the command as a publisher runs it, interpreter start included;
        # the lookup measurements the child makes after the build are not part of it
        figures["seconds"] = measured["wall_seconds"] - figures.pop("measure_seconds", 0.0)
        if "error" not in measured:
            figures.update(_rebuilds(data, work, build_args, log))
    if "error" in measured and (work / "site").is_dir():  # how far it got: what it had written
        figures["written_bytes"] = on_disk(work / "site")
    shutil.rmtree(work, ignore_errors=True)  # a province site is large; figures are taken
    # the child's own account of what broke, where it gave one; else the end of its log
    return {**figures, **{k: measured[k] for k in ("peak_bytes", "wall_seconds")},
            **({"error": measured["error"]} if "error" in measured and "error" not in figures else {})}


def _rebuilds(data: Path, work: Path, build_args: list[str], log: Path) -> dict:
    """Rebuild the site just built, as a publisher would: once with nothing changed, once
    after one enterprise's name changed (and its package's version, as a data change needs),
    each a fresh ``python -m pipeline build`` with the cache the first build left."""
    site = work / "site"
    command = [sys.executable, "-m", "pipeline", "build", "--out", str(site), *build_args]
    noop = _measure([*command, "--data", str(data), "--max-bytes", str(max_bytes(data))],
                    log.with_name(log.stem + "-noop.log"))
    changed = work / "changed"
    shutil.copytree(data, changed)
    credit = changed / "enterprise-credit"
    table = credit / "data" / "enterprises.csv"
    lines = table.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace("示例", "示例（更名）", 1)  # the first enterprise, renamed
    table.write_text("\n".join(lines), encoding="utf-8")
    descriptor = json.loads((credit / "datapackage.json").read_text(encoding="utf-8"))
    major, minor, patch = (int(part) for part in descriptor["version"].split("."))
    descriptor["version"] = f"{major}.{minor}.{patch + 1}"
    (credit / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                             encoding="utf-8")
    # the limit of the changed files (the renamed enterprise's file grew by a few bytes)
    command += ["--max-bytes", str(max_bytes(changed))]
    row = _measure([*command, "--data", str(changed)], log.with_name(log.stem + "-row.log"))
    # The weekly rebuild: the same sources a week later. Statuses move with the date, so the
    # derived package gets a new release while every source download is reused.
    weekly = _measure([*_a_week_later(command), "--data", str(changed)],
                      log.with_name(log.stem + "-weekly.log"))
    figures = {"noop_seconds": noop["wall_seconds"], "row_seconds": row["wall_seconds"],
               "weekly_seconds": weekly["wall_seconds"]}
    for name, run in (("noop", noop), ("row", row), ("weekly", weekly)):
        if "error" in run:
            figures[f"{name}_error"] = run["error"]
            figures[f"{name}_seconds"] = None
    return figures


def _a_week_later(command: list[str]) -> list[str]:
    """``command`` with its ``--reference-date`` seven days later (today + 7 without one)."""
    if "--reference-date" not in command:
        return [*command, "--reference-date", (date.today() + timedelta(days=7)).isoformat()]
    at = command.index("--reference-date") + 1
    later = date.fromisoformat(command[at]) + timedelta(days=7)
    return [*command[:at], later.isoformat(), *command[at + 1:]]


def _run_validate(data: Path, log: Path, **_) -> dict:
    """``python -m pipeline validate DATA``, the command a publisher's pull request runs,
    as a whole process: start-up included, large files batch by batch."""
    measured = _measure([sys.executable, "-m", "pipeline", "validate", str(data),
                         "--max-bytes", str(max_bytes(data))], log)
    figures = {"seconds": measured["wall_seconds"], **{k: measured[k] for k in ("peak_bytes", "wall_seconds")}}
    if "error" in measured:
        figures["error"] = measured["error"]
    return figures


def max_bytes(data: Path) -> int:
    """The file-size limit a tier's stages run under: the usual one, or the tier's largest
    file (five times national has files beyond it, and the point there is to find the
    machine's limits, not the guard's)."""
    from pipeline.limits import DEFAULT_MAX_BYTES

    return max([DEFAULT_MAX_BYTES, *(p.stat().st_size for p in data.glob("*/data/*.csv"))])


def _run_duckdb(data: Path, log: Path, **_) -> dict:
    """The same Table Schema checks as ours (keys across packages included, no domain
    rules) in DuckDB SQL over every package of the tier, as a whole process with DuckDB's
    threads and memory limit (``pipeline.validate.duckdb_checks``)."""
    from pipeline.validate.bench import DUCKDB_MEMORY, DUCKDB_THREADS

    measured = _measure([sys.executable, "-m", "pipeline.validate.duckdb_checks", str(data),
                         str(DUCKDB_THREADS), DUCKDB_MEMORY], log)
    figures = {"seconds": measured["wall_seconds"], "threads": DUCKDB_THREADS,
               "memory_limit": DUCKDB_MEMORY, **{k: measured[k] for k in ("peak_bytes", "wall_seconds")}}
    if "error" in measured:  # exit 1: findings in data that ours found valid
        figures["error"] = measured["error"]
    return figures


def _repeat(stage: str, repeat: int, say, tier: str, lang: str, **kwargs) -> dict:
    runs = []
    for i in range(max(1, repeat)):
        say(t("bench.progress.stage", lang, tier=tier, stage=stage, run=i + 1))
        special = {"validate": _run_validate, "duckdb": _run_duckdb}.get(stage)
        run = special(**kwargs) if special else _run_stage(stage, **kwargs)
        runs.append(run)
        if run.get("error") or run.get("seconds", 0) > REPEAT_BELOW_SECONDS:
            break
    failed = next((r for r in runs if r.get("error")), None)
    if failed:  # how long it ran and how much memory it held when it failed: at the
        # ceiling tier, that is the figure (a stage killed for memory has a peak, no time)
        return {"error": failed["error"], "runs": len(runs),
                **{k: failed[k] for k in ("peak_bytes", "wall_seconds", "errno", "file", "written_bytes")
                   if k in failed}}
    merged = {"runs": [r["seconds"] for r in runs]}
    for name in runs[0]:
        values = [r.get(name) for r in runs]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            merged[name] = statistics.median(values)
        else:
            merged[name] = values[0]
    return merged


# ---------------------------------------------------------------------------------------
# Stage bodies (run inside the child process: ``python -m pipeline.bench STAGE ...``)

def _rows(catalog) -> int:
    return sum(r.table.num_rows for r in catalog if r.table is not None)


def _nbytes(tables) -> int:
    return sum(table.nbytes for table in tables if table is not None)


def _child(argv: list[str]) -> None:
    stage, data, work, ref, result_path, *build_args = argv
    data, work, reference_date = Path(data), Path(work), date.fromisoformat(ref)
    figures: dict = {}
    try:
        if stage == "build":
            figures = _child_build(data, work, build_args)
        else:
            figures = _child_pipeline(stage, data, work, reference_date)
    except (OSError, MemoryError) as error:  # at the ceiling: what broke, said as a fact
        Path(result_path).write_text(json.dumps(broke(error, work)), encoding="utf-8")
        raise SystemExit(1) from None
    Path(result_path).write_text(json.dumps(figures), encoding="utf-8")


def broke(error: BaseException, work: Path) -> dict:
    """What stopped a stage that ran out of room: the error's code (``ENOSPC`` for a full
    disk, ``ENOMEM`` for memory), its message, and the file it was writing (relative to the
    stage's folder; the record is published), not a traceback."""
    code = errno.ENOMEM if isinstance(error, MemoryError) else getattr(error, "errno", None)
    name = getattr(error, "filename", None)
    if name is not None:
        name = Path(name).resolve()
        name = name.relative_to(work.resolve()).as_posix() if name.is_relative_to(work.resolve()) else name.name
    message = (getattr(error, "strerror", None) or os.strerror(code) if code else str(error)) or type(error).__name__
    return {"error": f"{type(error).__name__}: {message}" + (f" ({name})" if name else ""),
            "errno": errno.errorcode.get(code) if code else None, "file": name}


def _child_pipeline(stage: str, data: Path, work: Path, reference_date: date) -> dict:
    from pipeline.load import load_catalog
    from pipeline.validate import validate_catalog

    phases = {}
    t0 = time.perf_counter()
    catalog = load_catalog([data], max_bytes=max_bytes(data))
    phases["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = validate_catalog(catalog)
    phases["validate"] = time.perf_counter() - t1
    if not report.valid:
        raise SystemExit(f"{data}: the generated data is not valid ({report.error_count} errors)")
    rows = _rows(catalog)
    if stage == "load_validate":
        return {"seconds": phases["load"] + phases["validate"], "phases": phases, "rows": rows,
                "output_bytes": _nbytes(r.table for r in catalog),
                "resources": sum(1 for _ in catalog)}

    from pipeline.derive import NAME, derive

    t2 = time.perf_counter()
    derive(catalog, reference_date=reference_date)
    phases["derive"] = time.perf_counter() - t2
    derived = list(catalog.packages[NAME].resources.values())
    if stage == "derive":
        return {"seconds": phases["derive"], "phases": phases, "rows": rows,
                "output_bytes": _nbytes(r.table for r in derived),
                "output_rows": sum(r.table.num_rows for r in derived)}

    from pipeline.export import export

    rows = _rows(catalog)
    t3 = time.perf_counter()
    site = work / "site"
    manifest = export(catalog, site, reference_date=reference_date)
    phases["export"] = time.perf_counter() - t3
    if stage == "export":
        return {"seconds": phases["export"], "phases": phases, "rows": rows,
                "pipeline_seconds": sum(phases.values()),
                "output_bytes": du(site), "files": len(manifest.files)}
    raise SystemExit(f"unknown stage {stage!r}")


def _child_build(data: Path, work: Path, build_args: list[str]) -> dict:
    """The real ``python -m pipeline build``, with a stopwatch around mkdocs (a timer added
    to the function the build calls, nothing replaced)."""
    import pipeline.build as build_module
    from pipeline import build_command

    mkdocs_seconds = []
    original = getattr(build_module, "run_mkdocs", None)
    if original is not None:
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                mkdocs_seconds.append(time.perf_counter() - t0)
        build_module.run_mkdocs = timed
    site = work / "site"
    code = build_command.main(["--data", str(data), "--out", str(site),
                               "--max-bytes", str(max_bytes(data)), *build_args])
    measuring = time.perf_counter()  # from here on: measuring the site, not building it
    if code != 0:
        raise SystemExit(f"build exited with {code}")
    data_dir = site / "data"
    figures = {"mkdocs_seconds": sum(mkdocs_seconds) if mkdocs_seconds else None,
               "pages": sum(1 for _ in site.rglob("*.html")),
               "output_bytes": du(site), "site_data_bytes": du(data_dir) if data_dir.is_dir() else 0}
    if (site / "credit" / "index" / "meta.json").is_file():
        # bytes a visitor's browser fetches for one enterprise query (exact code or name
        # fragment), over a fixed sample of enterprises of this tier
        from pipeline.bench_browser import lookup_timing
        from pipeline.pages.credit import lookup_budget

        budget = lookup_budget(site, sample=200)
        figures["lookup_bytes_max"] = budget["bytes_max"]
        figures["lookup_bytes_median"] = budget["bytes_median"]
        timing = lookup_timing(site)  # None without Playwright and Chromium
        if timing is not None:
            figures["lookup_ms_median"] = timing["ms_median"]
            figures["lookup_ms_max"] = timing["ms_max"]
    figures["measure_seconds"] = time.perf_counter() - measuring
    return figures


# ---------------------------------------------------------------------------------------
# The whole benchmark

def machine(out: Path | None = None) -> dict:
    """The machine and the library versions; with ``out``, the free disk where the run
    writes (at the ceiling tier, the disk can be what breaks first)."""
    from importlib.metadata import PackageNotFoundError, version

    memory = None
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {"platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor(), "cpu_count": os.cpu_count(),
            "memory_bytes": memory, "python": platform.python_version(), "libraries": versions,
            # how busy the machine was when the run began: wall times on a shared machine
            # measure its load as much as the code
            "load_average": os.getloadavg()[0],
            **({"disk_free_bytes": shutil.disk_usage(out).free} if out is not None else {})}


def _build_args(reference_date: date) -> list[str]:
    """``--reference-date`` if this version of the build command has it."""
    done = subprocess.run([sys.executable, "-m", "pipeline", "build", "--help"], check=False,
                          cwd=ROOT, capture_output=True, text=True)
    return ["--reference-date", reference_date.isoformat()] if "--reference-date" in done.stdout else []


def _frictionless(data: Path, rows_by_package: dict | None) -> dict:
    from pipeline.validate.bench import compare_with_frictionless

    packages = {}
    for package in sorted(p.parent.name for p in data.glob("*/datapackage.json")):
        packages[package] = compare_with_frictionless(data / package)
        # the results are published: name the package, not where this machine keeps it
        packages[package]["package"] = package
    if not packages:
        return {"error": "no packages"}
    ours = sum(p["ours"]["seconds"] for p in packages.values())
    theirs = sum(p["frictionless"]["seconds"] for p in packages.values())
    ours_peak = max(p["ours"]["maxrss_kb"] for p in packages.values()) * 1024
    theirs_peak = max(p["frictionless"]["maxrss_kb"] for p in packages.values()) * 1024
    return {"seconds": ours, "frictionless_seconds": theirs,
            "ratio": theirs / ours if ours else None,
            "peak_bytes": ours_peak, "frictionless_peak_bytes": theirs_peak,
            "memory_ratio": theirs_peak / ours_peak if ours_peak else None,
            "same_findings": all(p["same_findings"] for p in packages.values()),
            # what only we look for (cross-package keys, domain rules), by type: not compared
            "ours_only": _sum_counts(p.get("ours_only", {}) for p in packages.values()),
            "packages": packages}


def against_catalog(stages: dict) -> None:
    """Set the speed and memory comparison to what a publisher runs: ours is one
    ``validate`` of the whole catalog (every package, cross-package keys and domain rules
    included) in one process, start-up included — the validate stage; frictionless is
    ``frictionless validate`` of each package in its own process, added up (time) or the
    largest (memory). The per-package runs stay in ``packages`` for the table."""
    fl, whole = stages.get("frictionless") or {}, stages.get("validate") or {}
    if not fl or "error" in fl or "error" in whole or not whole.get("wall_seconds"):
        return  # one of the two was not measured (--stages) or failed
    fl["seconds"], fl["peak_bytes"] = whole["wall_seconds"], whole["peak_bytes"]
    fl["ratio"] = fl["frictionless_seconds"] / fl["seconds"]
    fl["memory_ratio"] = fl["frictionless_peak_bytes"] / fl["peak_bytes"]


def _sum_counts(counts) -> dict:
    total: dict[str, int] = {}
    for each in counts:
        for key, value in each.items():
            total[key] = total.get(key, 0) + value
    return dict(sorted(total.items()))


# every stage the benchmark can measure, in order (``--stages`` picks some: at the national
# tier a full build needs more memory than a shared machine may have to spare)
MEASURED = ("validate", "duckdb", "load_validate", "derive", "export", "build", "frictionless")


def _count_rows(data: Path) -> int:
    """Lines of every CSV file under ``data`` less their headers (the rows, unless a cell
    holds a line break), when no stage that loads the catalog ran."""
    total = 0
    for path in data.rglob("*.csv"):
        with open(path, "rb") as f:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 22), b"")) - 1
    return total


RESOURCE_ROWS = 1_000_000
RESOURCE_BAD_EVERY = 4999  # about 200 wrong cells and repeated keys, of every kind in turn


def bad_every(rows: int) -> int:
    """Every how many rows a wrong cell goes in: 4999 at 1M rows, closer in a smaller resource,
    so that one of a few thousand rows still has findings of every kind to compare."""
    return max(1, min(RESOURCE_BAD_EVERY, rows // 200))


def _resource(out: Path, rows: int, say, lang: str, repeat: int = 1) -> dict:
    """One typed resource of ``rows`` rows (``pipeline.validate.bench.make_package``, with
    injected errors) validated by ours, frictionless and DuckDB SQL, and read by Arrow (the
    floor), each as a whole process; the package is kept while its generator is unchanged."""
    from pipeline.validate.bench import compare_with_peers, make_package

    folder = out / f"resource-{rows}"
    record = folder / "data.key.json"
    source = (ROOT / "pipeline" / "validate" / "bench.py").read_bytes()
    every = bad_every(rows)
    key = hashlib.sha256(source + f"\0{rows}\0{every}".encode()).hexdigest()
    stored = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    if stored.get("key") != key:
        shutil.rmtree(folder, ignore_errors=True)
        make_package(folder / "data", rows, bad_every=every)
        record.write_text(json.dumps({"key": key}), encoding="utf-8")
    say(t("bench.progress.resource", lang, rows=rows))
    try:
        peers = compare_with_peers(folder / "data", repeat)
    except (subprocess.CalledProcessError, ValueError, OSError) as error:
        return {"rows": rows, "error": str(error)}
    from pipeline.validate.bench import DUCKDB_MEMORY, DUCKDB_THREADS

    return {"rows": rows, "bad_every": every, "data_bytes": du(folder / "data"),
            "duckdb_threads": DUCKDB_THREADS, "duckdb_memory": DUCKDB_MEMORY, **with_floor_ratio(peers)}


THIRD_PARTY = ROOT / "benchmarks" / "third-party"
# real string-heavy data this project did not design (see its NOTICE.md), at its own size
# and copied to about a million rows
THIRD_PARTY_PACKAGE = "world-cities"
THIRD_PARTY_COPIES = (1, 30)


def _third_party(out: Path, copies: int, say, lang: str, repeat: int = 1) -> dict:
    """The third-party package's rows ``copies`` times, validated by ours, frictionless and
    DuckDB SQL, and read by Arrow, each as a whole process (as :func:`_resource`)."""
    from pipeline.validate.bench import compare_with_peers, copied_package

    source = THIRD_PARTY / THIRD_PARTY_PACKAGE
    folder = out / f"{THIRD_PARTY_PACKAGE}-{copies}"
    shutil.rmtree(folder, ignore_errors=True)
    copied_package(source, folder, copies)
    renamed = _portal_names(folder / "datapackage.json")
    rows = _count_rows(folder)
    say(t("bench.progress.third_party", lang, name=THIRD_PARTY_PACKAGE, copies=copies, rows=rows))
    entry = {"package": THIRD_PARTY_PACKAGE, "copies": copies, "rows": rows, "data_bytes": du(folder),
             "renamed": renamed}
    try:
        return {**entry, **with_floor_ratio(compare_with_peers(folder, repeat))}
    except (subprocess.CalledProcessError, ValueError, OSError) as error:
        return {**entry, "error": str(error)}


def _portal_names(descriptor: Path) -> dict[str, str]:
    """Resource names with a hyphen written with an underscore, as the portal accepts them
    (a name becomes a file and an SQLite table name), so that the copy is checked, not
    refused; returns what was renamed. Nothing else of the descriptor changes."""
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    renamed = {}
    for resource in data.get("resources", []):
        name = resource.get("name")
        if isinstance(name, str) and "-" in name:
            renamed[name] = resource["name"] = name.replace("-", "_")
    if renamed:
        descriptor.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return renamed


def with_floor_ratio(peers: dict) -> dict:
    """``peers`` with ours over the reading floor (whole processes): at most 3 is asked."""
    floor, ours = peers.get("floor") or {}, peers.get("ours") or {}
    if floor.get("wall_seconds") and ours.get("wall_seconds"):
        floor["ours_over_floor"] = ours["wall_seconds"] / floor["wall_seconds"]
    return peers


def workloads(results: dict) -> dict:
    """The one-resource comparisons as the budgets see them: each a "tier" whose stages are
    the peers (``frictionless``, ``duckdb``, ``floor``), so that a budget of ``portal.yml``
    can name them (``tiers: [resource]``, ``tiers: [world_cities_30]``)."""
    found = {}
    measured = [("resource", results.get("resource") or {})]
    measured += [(f"world_cities_{e['copies']}" if e["copies"] > 1 else "world_cities", e)
                 for e in results.get("third_party") or []]
    for name, entry in measured:
        if "ours" in entry:
            found[name] = {"stages": {peer: entry[peer] for peer in ("frictionless", "duckdb", "floor")
                                      if peer in entry}}
    return found


def tier_stages(tiers, default: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each tier with the stages to measure there: ``tier`` takes ``default``,
    ``tier:stage+stage`` its own (``national:validate+duckdb`` beside the smaller tiers in
    full, in one run and one record)."""
    out = {}
    for spec in tiers:
        tier, _, own = spec.partition(":")
        out[tier] = tuple(s for s in own.split("+") if s) if own else default
    return out


def run(tiers=DEFAULT_TIERS, *, repeat: int = 3, out: Path = Path("build/bench"),
        seed: int = DEFAULT_SEED, reference_date: date = DEFAULT_REFERENCE_DATE,
        lang: str = "zh", say=None, resource_rows: int = RESOURCE_ROWS,
        stages: list[str] | None = None, copies: tuple[int, ...] = THIRD_PARTY_COPIES) -> dict:
    """Run the benchmark; write ``results.json`` and ``benchmark.md`` into ``out``."""
    from pipeline.synth import TIERS

    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    default = MEASURED if stages is None else tuple(stages)
    per_tier = tier_stages(tiers, default)
    unknown = [tier for tier in per_tier if tier not in TIERS]
    if unknown:
        raise ValueError(f"unknown tiers {unknown}; expected some of {sorted(TIERS)}")
    unknown = sorted({stage for chosen in per_tier.values() for stage in chosen if stage not in MEASURED})
    if unknown:
        raise ValueError(f"unknown stages {unknown}; expected some of {list(MEASURED)}")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(out),
               "settings": {"repeat": repeat, "seed": seed,
                            "reference_date": reference_date.isoformat(),
                            "repeat_below_seconds": REPEAT_BELOW_SECONDS},
               "tiers": {}}
    build_args = _build_args(reference_date)

    def save():  # after every part, so a long run leaves its figures behind
        results["budgets"] = evaluate_budgets({**workloads(results), **results["tiers"]})
        write(results, out)

    if resource_rows:
        results["resource"] = _resource(out, resource_rows, say, lang, repeat)
        save()
    if copies:
        results["third_party"] = [_third_party(out, n, say, lang, repeat) for n in copies]
        save()
    for tier, chosen in per_tier.items():
        tier_dir = out / tier
        stages = {"synth": _ensure_data(tier, seed, tier_dir, say, lang)}
        results["tiers"][tier] = entry = {"stages": stages}
        data = tier_dir / "data"
        if "error" not in stages["synth"]:
            entry["data_bytes"] = du(data)
            for stage in (s for s in MEASURED if s in chosen and s != "frictionless"):
                stages[stage] = _repeat(stage, repeat, say, tier, lang, data=data,
                                        work=tier_dir / "work" / stage,
                                        reference_date=reference_date, build_args=build_args,
                                        log=tier_dir / "logs" / f"{stage}.log")
            rows = (stages.get("load_validate") or {}).get("rows") or _count_rows(data)
            entry["rows"] = rows
            for figures in stages.values():
                figures.setdefault("rows", rows)
            if "frictionless" in chosen:
                say(t("bench.progress.stage", lang, tier=tier, stage="frictionless", run=1))
                try:
                    stages["frictionless"] = _frictionless(data, None)
                except (subprocess.CalledProcessError, ValueError, OSError) as error:
                    stages["frictionless"] = {"error": str(error)}
                stages["frictionless"].setdefault("rows", rows)
            against_catalog(stages)
            for figures in stages.values():
                if figures.get("rows") and figures.get("seconds"):
                    figures["rows_per_second"] = figures["rows"] / figures["seconds"]
        save()
    return results


def merge_ceiling(results: dict, record: Path) -> dict:
    """The ceiling tier's stages take hours together, so they may be measured in several
    runs (``--stages``): a stage this run measured replaces the recorded one, the others
    stay, and each stage keeps the date it was measured on (its ``date``)."""
    for figures in results["tiers"][CEILING_TIER]["stages"].values():
        figures.setdefault("date", results["date"])
    if not record.is_file():
        return results
    recorded = json.loads(record.read_text(encoding="utf-8"))
    kept = (recorded.get("tiers") or {}).get(CEILING_TIER, {}).get("stages", {})
    stages = results["tiers"][CEILING_TIER]["stages"]
    measured = {stage: f for stage, f in stages.items() if not f.get("cached")}
    merged = {stage: f for stage, f in kept.items() if stage not in measured}
    for figures in merged.values():
        figures.setdefault("date", recorded["date"])
    merged.update(measured)
    if "synth" in stages:  # cached data: its figures are those of the run that made it
        merged.setdefault("synth", stages["synth"])
    results["tiers"][CEILING_TIER]["stages"] = merged
    return results


def write(results: dict, out: Path) -> None:
    out = Path(out)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str)
                                      + "\n", encoding="utf-8")
    (out / "benchmark.md").write_text(page_markdown(results), encoding="utf-8")


def main(tiers, *, repeat: int, out: Path, seed: int = DEFAULT_SEED,
         reference_date: date = DEFAULT_REFERENCE_DATE, lang: str = "zh",
         record: bool = False, resource_rows: int = RESOURCE_ROWS,
         stages: list[str] | None = None, copies: tuple[int, ...] = THIRD_PARTY_COPIES) -> int:
    """The ``python -m pipeline bench`` command: run, print the tables; 0 unless a stage failed."""
    try:
        results = run(tiers, repeat=repeat, out=out, seed=seed, reference_date=reference_date,
                      lang=lang, resource_rows=resource_rows, stages=stages, copies=copies)
    except ValueError as error:  # an unknown tier: a usage error, not a failed stage
        print(t("cli.usage_error", lang, detail=error), file=sys.stderr)
        return 2
    sys.stdout.write(render_text(results, lang))
    print(t("bench.written", lang, path=Path(out) / "results.json"))
    if record:  # the figures the site publishes: a measured run, never typed in by hand
        # a run of the ceiling tier alone is recorded beside the others, not over them
        kept = CEILING_RECORD if list(tier_stages(tiers, ())) == [CEILING_TIER] else RECORD
        kept.parent.mkdir(exist_ok=True)
        if kept == CEILING_RECORD:
            results = merge_ceiling(results, kept)
            write(results, out)
        shutil.copyfile(Path(out) / "results.json", kept)
        print(t("bench.written", lang, path=kept))
    failed = any(f.get("error") for entry in results["tiers"].values()
                 for f in entry["stages"].values()) or "error" in results.get("resource", {}) \
        or any("error" in e for e in results.get("third_party", []))
    return 1 if failed else 0


if __name__ == "__main__":
    _child(sys.argv[1:])
