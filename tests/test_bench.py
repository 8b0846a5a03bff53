"""The benchmark: runs end to end on the sample tier, and judges budgets correctly.

No timing is asserted: only that every stage produced its figures, and that given figures
pass or miss their budgets as they should.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline import bench, bench_report
from pipeline.bench import cache_key, evaluate_budgets
from pipeline.bench_report import GIB, STAGES, page_markdown, plain_table
from pipeline.cli import main
from pipeline.i18n import t

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample_results(tmp_path_factory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("bench")
    code = main(["bench", "--tiers", "sample", "--repeat", "1", "--out", str(out), "--lang", "en",
                 "--resource-rows", "3000", "--third-party-copies", "1"])
    return out, code


def test_sample_bench_measures_every_stage(sample_results):
    out, code = sample_results
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(results["machine"]) >= {"platform", "cpu_count", "memory_bytes", "python", "libraries"}
    assert results["machine"]["libraries"]["pyarrow"]
    stages = results["tiers"]["sample"]["stages"]
    assert set(stages) == {*STAGES, "frictionless"}
    for name, figures in stages.items():
        assert "error" not in figures, (name, figures)
        assert figures["seconds"] > 0, name
        assert figures["peak_bytes"] > 0, name
        assert figures["rows"] > 0, name
        assert figures["rows_per_second"] > 0, name
    rows = stages["load_validate"]["rows"]
    assert stages["validate"]["rows"] == rows  # the command a publisher runs, as a whole process
    resource = results["resource"]  # one typed resource against the peers, in the same run
    assert resource["rows"] == 3000
    for tool in ("ours", "frictionless", "duckdb", "floor"):
        assert resource[tool]["wall_seconds"] > 0 and resource[tool]["maxrss_kb"] > 0, tool
    for tool in ("frictionless", "duckdb"):
        assert resource[tool]["same_findings"] is True, tool
        assert resource[tool]["errors"] == resource["ours"]["errors"] > 0, tool
    assert resource["floor"]["ratio"] > 0 and resource["pandas_imported"] is False
    assert rows > 40_000  # the sample tier has ~8,000 enterprises and their records
    assert stages["export"]["output_bytes"] > 0
    assert stages["export"]["pipeline_seconds"] >= stages["export"]["seconds"]
    build = stages["build"]
    assert build["pages"] > 0 and build["output_bytes"] > build["site_data_bytes"] > 0
    assert build["mkdocs_seconds"] > 0
    # the build's time leaves out the lookup measurements its process made afterwards
    assert 0 < build["seconds"] < build["wall_seconds"] and "measure_seconds" not in build
    friction = stages["frictionless"]
    from pipeline.synth import PACKAGES

    assert set(friction["packages"]) == set(PACKAGES)  # every package of the generated tier
    assert friction["frictionless_seconds"] > 0 and isinstance(friction["same_findings"], bool)
    assert 0 < build["lookup_bytes_median"] <= build["lookup_bytes_max"]
    assert build["lookup_ms_median"] > 0  # a real Chromium ran the queries (CI installs it)
    assert build["noop_seconds"] > 0 and build["row_seconds"] > 0  # both rebuilds ran
    # real third-party data (world-cities, kept in the repository) against the same peers
    [cities] = results["third_party"]
    assert (cities["package"], cities["copies"], cities["rows"]) == ("world-cities", 1, 34_032)
    assert cities["renamed"] == {"world-cities": "world_cities"}  # the portal's naming rule
    for tool in ("frictionless", "duckdb"):
        assert cities[tool]["same_findings"] is True, tool
    assert cities["floor"]["ours_over_floor"] == cities["ours"]["wall_seconds"] / cities["floor"]["wall_seconds"]
    # Only these budgets apply to the sample tier alone; the workloads have their own.
    assert sorted(b["id"] for b in results["budgets"] if b["tier"] == "sample") == [
        "lookup_ms", "lookup_query_kb", "noop_rebuild_seconds", "same_findings"]
    assert sorted((b["id"], b["tier"]) for b in results["budgets"] if b["tier"] != "sample") == [
        ("floor_ratio", "resource"), ("resource_ratio", "resource"),
        ("same_findings", "resource"), ("same_findings", "world_cities")]
    page = (out / "benchmark.md").read_text(encoding="utf-8")
    assert page == page_markdown(results)
    assert page.startswith("# 性能基准")
    assert "| 样例" in page  # the tier in the reader's words
    assert not (out / "sample" / "work" / "build").exists()  # large run folders are removed


def test_generated_data_is_reused_while_its_inputs_are_unchanged(sample_results):
    out, _ = sample_results
    data = out / "sample" / "data"
    first = {p: p.stat().st_mtime_ns for p in data.rglob("*.csv")}
    again = bench._ensure_data("sample", bench.DEFAULT_SEED, out / "sample", lambda text: None, "en")
    assert again["cached"] is True and again["seconds"] > 0
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*.csv")} == first


def test_cache_key_follows_contents_not_file_times(tmp_path):
    real = tmp_path / "datapackages"
    shutil.copytree(ROOT / "datapackages", real)
    key = cache_key("sample", 1, real)
    assert key == cache_key("sample", 1, real)
    assert key != cache_key("city", 1, real)
    assert key != cache_key("sample", 2, real)
    districts = real / "reference" / "data" / "districts.csv"
    os.utime(districts, (0, 0))
    assert cache_key("sample", 1, real) == key
    districts.write_bytes(districts.read_bytes() + b"\n")
    assert cache_key("sample", 1, real) != key
    # A generated table is an output, not an input: editing it does not change the key.
    accidents = real / "accident-outcomes" / "data" / "accidents.csv"
    base = cache_key("sample", 1, real)
    accidents.write_bytes(b"x")
    assert cache_key("sample", 1, real) == base


def _tier(build_seconds=100.0, build_peak=GIB, export_total=300.0, export_peak=GIB,
          ratio=25.0, same=True, pages=9, mkdocs=2.0, noop=1.0, row=5.0, weekly=5.0,
          validate_peak=GIB // 2) -> dict:
    return {"stages": {
        "validate": {"peak_bytes": validate_peak},
        "build": {"seconds": build_seconds, "peak_bytes": build_peak, "pages": pages,
                  "mkdocs_seconds": mkdocs, "noop_seconds": noop, "row_seconds": row,
                  "weekly_seconds": weekly},
        "export": {"pipeline_seconds": export_total, "peak_bytes": export_peak},
        "frictionless": {"ratio": ratio, "same_findings": same},
    }}


def _verdicts(tiers: dict) -> dict:
    return {(b["id"], b["tier"]): b["pass"] for b in evaluate_budgets(tiers)}


def test_budgets_pass_within_their_limits():
    verdicts = _verdicts({"province": _tier(), "national": _tier(), "sample": _tier(mkdocs=2.9)})
    assert verdicts == {
        ("build_seconds", "province"): True, ("build_peak_bytes", "province"): True,
        ("validate_export_seconds", "national"): True,
        ("validate_export_peak_bytes", "national"): True,
        ("validate_peak_bytes", "national"): True,
        ("validation_ratio", "province"): True, ("validation_ratio", "national"): True,
        ("same_findings", "province"): True, ("same_findings", "national"): True,
        ("same_findings", "sample"): True, ("noop_rebuild_seconds", "sample"): True,
        ("pages_spread", "all"): True, ("mkdocs_seconds_spread", "all"): True,
    }


@pytest.mark.parametrize(("tier", "figures", "budget"), [
    ("province", {"build_seconds": 180.0}, "build_seconds"),
    ("province", {"build_peak": 4 * GIB}, "build_peak_bytes"),
    ("national", {"export_total": 600.0}, "validate_export_seconds"),
    ("national", {"export_peak": 12 * GIB + 1}, "validate_export_peak_bytes"),
    ("national", {"validate_peak": GIB + 1}, "validate_peak_bytes"),
    ("province", {"ratio": 19.9}, "validation_ratio"),
    ("national", {"same": False}, "same_findings"),
    ("sample", {"noop": 3.0}, "noop_rebuild_seconds"),
    ("city", {"row": 10.0}, "row_rebuild_seconds"),
    ("city", {"weekly": 10.01}, "weekly_rebuild_seconds"),
])
def test_budgets_miss_at_their_limits(tier, figures, budget):
    verdicts = _verdicts({tier: _tier(**figures)})
    assert verdicts[(budget, tier)] is False
    assert all(passed for key, passed in verdicts.items() if key != (budget, tier))


def _peers(ratio=31.0, over_floor=2.5, same=True) -> dict:
    return {"ours": {"wall_seconds": 1.0}, "frictionless": {"ratio": ratio, "same_findings": same},
            "duckdb": {"ratio": 2.0, "same_findings": same}, "floor": {"ours_over_floor": over_floor}}


@pytest.mark.parametrize(("resource", "cities", "missed"), [
    (_peers(), _peers(ratio=10.0), set()),
    (_peers(ratio=29.9), _peers(ratio=10.0), {("resource_ratio", "resource")}),
    (_peers(over_floor=3.01), _peers(ratio=10.0), {("floor_ratio", "resource")}),
    (_peers(), _peers(ratio=9.9), {("string_ratio", "world_cities_30")}),
    (_peers(same=False), _peers(ratio=10.0), {("same_findings", "resource")}),
])
def test_the_one_resource_workloads_have_budgets_of_their_own(resource, cities, missed):
    results = {"resource": resource, "third_party": [{"copies": 30, **cities}, {"copies": 1, **_peers()}]}
    tiers = bench.workloads(results)
    assert set(tiers) == {"resource", "world_cities_30", "world_cities"}
    verdicts = _verdicts(tiers)
    assert {key for key, passed in verdicts.items() if not passed} == missed
    assert ("string_ratio", "world_cities_30") in verdicts and ("string_ratio", "world_cities") not in verdicts


def test_a_third_party_package_is_copied_with_its_header_once(tmp_path):
    from pipeline.validate.bench import copied_package

    source = ROOT / "benchmarks" / "third-party" / "world-cities"
    copied_package(source, tmp_path / "copy", 3)
    assert (tmp_path / "copy" / "datapackage.json").read_bytes() == (source / "datapackage.json").read_bytes()
    original = (source / "data" / "world-cities.csv").read_text(encoding="utf-8").splitlines()
    copied = (tmp_path / "copy" / "data" / "world-cities.csv").read_text(encoding="utf-8").splitlines()
    assert copied == original[:1] + original[1:] * 3


@pytest.mark.parametrize("value", ["x", "0", "1,,y", "2000", "-1"])
def test_a_bad_copy_count_is_refused_in_both_languages(value, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["bench", "--third-party-copies", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert t("cli.bad_copies", "zh", value=value) in err and t("cli.bad_copies", "en", value=value) in err
    assert "Traceback" not in err


def test_ratio_of_exactly_twenty_passes_and_small_tiers_have_no_ratio_budget():
    assert _verdicts({"province": _tier(ratio=20.0)})[("validation_ratio", "province")] is True
    assert ("validation_ratio", "city") not in _verdicts({"city": _tier(ratio=1.0)})


def test_a_stage_without_figures_misses_its_budget():
    tiers = {"province": {"stages": {"build": {"error": "exit 1"}, "frictionless": {}}}}
    verdicts = _verdicts(tiers)
    assert verdicts[("build_seconds", "province")] is False
    assert verdicts[("build_peak_bytes", "province")] is False
    assert verdicts[("validation_ratio", "province")] is False
    assert verdicts[("same_findings", "province")] is False


def test_pages_and_mkdocs_time_must_stay_flat_across_tiers():
    assert _verdicts({"sample": _tier(pages=9), "city": _tier(pages=10)})[("pages_spread", "all")] is False
    assert _verdicts({"sample": _tier(mkdocs=2.0),
                      "city": _tier(mkdocs=3.1)})[("mkdocs_seconds_spread", "all")] is False
    assert ("pages_spread", "all") not in _verdicts({"sample": _tier()})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_puts_stage_notes_under_the_table_as_numbered_footnotes(lang):
    """On the recorded run: no note column (long notes stood one character per line on a
    phone); each distinct note once in a list under the table, referred to by its number."""
    results = json.loads(bench_report.RECORD.read_text(encoding="utf-8"))
    page = page_markdown(results, lang)
    stages = page.split(f"## {t('bench.page.stages', lang)}")[1].split("\n## ")[0]
    header = next(line for line in stages.splitlines() if line.startswith("| "))
    assert t("bench.col.note", lang) not in header
    notes = [note for row in bench_report.stage_rows(results, lang)[1] if (note := row[-1])]
    assert notes, "the recorded run has notes to place"
    listed = re.findall(r"<li>(.*?)</li>", stages)
    assert listed == [html.escape(n) for n in dict.fromkeys(notes)]
    refs = {int(n) for n in re.findall(r'<sup class="data-note-ref">(\d+)</sup>', stages)}
    assert refs == set(range(1, len(listed) + 1))
    rows = [line for line in stages.splitlines() if line.startswith("| ")][1:]
    first_cells = {re.sub(r"<sup.*?</sup>", "", row.split(" | ")[0].removeprefix("| ")) for row in rows}
    assert first_cells == {t(f"bench.tier.{tier}", lang) for tier in results["tiers"]}


def test_plain_table_aligns_chinese_text():
    text = plain_table(["层级", "x"], [["sample", "1"], ["省级数据", "22"]])
    header, rule, *rows = text.splitlines()
    starts = [bench_report._width(line[:line.rindex(cell)])
              for line, cell in zip([header, *rows], ["x", "1", "22"])]
    assert starts == [bench_report._width("省级数据") + 2] * 3
    assert rule.split() == ["-" * 8, "--"]


def test_an_enterprise_query_may_fetch_150_kb_and_no_more():
    at_limit = {"stages": {"build": {"lookup_bytes_max": 150_000}}}
    over = {"stages": {"build": {"lookup_bytes_max": 150_001}}}
    assert _verdicts({"province": at_limit})[("lookup_query_kb", "province")] is True
    assert _verdicts({"province": over})[("lookup_query_kb", "province")] is False


def test_the_comparison_is_one_validation_of_the_catalog_against_frictionless_per_package():
    stages = {"validate": {"seconds": 4.0, "wall_seconds": 4.0, "peak_bytes": 600},
              "frictionless": {"seconds": 9.0, "frictionless_seconds": 100.0, "peak_bytes": 50,
                               "frictionless_peak_bytes": 900, "ratio": 11.1}}
    bench.against_catalog(stages)
    fl = stages["frictionless"]
    assert (fl["seconds"], fl["peak_bytes"]) == (4.0, 600)  # start-up included
    assert fl["ratio"] == 25.0 and fl["memory_ratio"] == 1.5


def test_national_validation_may_peak_at_one_gib_and_no_more():
    at_limit = {"stages": {"validate": {"peak_bytes": GIB}}}
    over = {"stages": {"validate": {"peak_bytes": GIB + 1}}}
    assert _verdicts({"national": at_limit})[("validate_peak_bytes", "national")] is True
    assert _verdicts({"national": over})[("validate_peak_bytes", "national")] is False


def test_the_weekly_rebuild_budget_is_at_most_ten_seconds_at_city():
    assert _verdicts({"city": _tier(weekly=10.0)})[("weekly_rebuild_seconds", "city")] is True
    assert _verdicts({"city": _tier(weekly=None)})[("weekly_rebuild_seconds", "city")] is False


def test_the_weekly_rebuild_is_the_same_command_a_week_later():
    from pipeline.bench import _a_week_later

    command = ["python", "-m", "pipeline", "build", "--reference-date", "2026-12-28", "--out", "x"]
    assert _a_week_later(command) == ["python", "-m", "pipeline", "build", "--reference-date", "2027-01-04",
                                      "--out", "x"]


def test_the_budgets_are_portal_yml_s():
    import dataclasses

    from pipeline.config import current

    tiers = {"province": _tier(build_seconds=150.0)}
    assert _verdicts(tiers)[("build_seconds", "province")] is True
    stricter = tuple({**b, "limit": 120} if b["id"] == "build_seconds" else b for b in current().budgets)
    config = dataclasses.replace(current(), budgets=stricter)
    verdicts = {(b["id"], b["tier"]): b["pass"] for b in evaluate_budgets(tiers, config)}
    assert verdicts[("build_seconds", "province")] is False
    # and a budget the configuration drops is not judged
    dropped = dataclasses.replace(current(), budgets=tuple(b for b in current().budgets
                                                           if b["id"] != "build_seconds"))
    assert ("build_seconds", "province") not in {(b["id"], b["tier"]) for b in evaluate_budgets(tiers, dropped)}


def test_the_comparison_is_left_alone_when_a_stage_was_not_measured():
    stages = {"validate": {"seconds": 4.0, "wall_seconds": 4.0, "peak_bytes": 600}}
    bench.against_catalog(stages)  # --stages without frictionless
    assert stages == {"validate": {"seconds": 4.0, "wall_seconds": 4.0, "peak_bytes": 600}}


def test_a_stage_left_out_of_the_run_is_not_judged():
    tiers = {"national": {"stages": {"validate": {"peak_bytes": GIB}}}}  # --stages validate
    assert _verdicts(tiers) == {("validate_peak_bytes", "national"): True}


def test_a_small_benchmark_resource_still_has_findings():
    from pipeline.bench import RESOURCE_BAD_EVERY, bad_every

    assert bad_every(1_000_000) == RESOURCE_BAD_EVERY
    assert 3000 // bad_every(3000) >= 100  # the sample test's resource: findings of every kind
    assert bad_every(10) == 1


def _ceiling_results(disk_free: int) -> dict:
    return {"date": "2026-12-06T23:00:00+00:00",
            "machine": {"platform": "Linux", "cpu_count": 2, "memory_bytes": 24 * GIB, "python": "3.11",
                        "libraries": {}, "disk_free_bytes": disk_free, "load_average": 3.24},
            "tiers": {"national5": {"rows": 87_000_000, "data_bytes": 5 * GIB, "stages": {
                "validate": {"seconds": 131.5, "peak_bytes": 900 * 2**20},
                "export": {"error": "exit 1: [Errno 28] No space left on device"},
                "duckdb": {"error": "OSError: No space left on device (site/x.sqlite)", "errno": "ENOSPC",
                           "file": "site/x.sqlite", "wall_seconds": 1019.8, "peak_bytes": 14 * GIB,
                           "written_bytes": 48 * GIB}}}}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_ceiling_run_has_a_section_saying_what_broke_and_the_plan_past_it(lang):
    results = json.loads(bench_report.RECORD.read_text(encoding="utf-8"))
    assert t("bench.ceiling.title", lang) not in page_markdown(results, lang)
    page = page_markdown(results, lang, _ceiling_results(70 * GIB))
    section = page.split(f"## {t('bench.ceiling.title', lang)}")[1]
    assert "87,000,000" in section and "5,120" in section  # rows and MB of CSV
    assert t("bench.page.disk", lang, free="70") in section
    assert t("bench.page.load", lang, load="3.2", cpus=2) in section
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]  # after the header
    assert rows[0].split(" | ")[:3] == [f"| {t('bench.stage.validate', lang)}", "131.5", "900"]
    assert rows[0].endswith(f"{t('bench.ceiling.done', lang)} |")
    assert rows[1].split(" | ")[1:3] == ["1,019.8", "14,336"]  # how long it ran until it broke
    assert rows[1].endswith(f"{t('bench.broke.disk', lang)}{t('bench.broke.file', lang, file='site/x.sqlite')}"
                            f"{t('bench.broke.written', lang, mb='49,152')} |")
    assert t("bench.note.error", lang, error="exit 1: [Errno 28] No space left on device") in rows[2]
    assert t("bench.ceiling.plan", lang) in section


def test_a_run_of_the_ceiling_tier_alone_is_recorded_apart(tmp_path, monkeypatch):
    """``--record`` of ``--tiers national5`` keeps the other tiers' record as it was."""
    monkeypatch.setattr(bench, "RECORD", tmp_path / "results.json")
    monkeypatch.setattr(bench, "CEILING_RECORD", tmp_path / "ceiling.json")
    bench.RECORD.write_text("{}", encoding="utf-8")
    ceiling = _ceiling_results(70 * GIB) | {"settings": {"repeat": 1}}
    monkeypatch.setattr(bench, "run", lambda tiers, **_: (bench.write(ceiling, tmp_path / "out"), ceiling)[1])
    (tmp_path / "out").mkdir()
    assert bench.main(["national5"], repeat=1, out=tmp_path / "out", record=True) == 1  # export failed
    assert bench.RECORD.read_text(encoding="utf-8") == "{}"
    assert json.loads(bench.CEILING_RECORD.read_text(encoding="utf-8"))["tiers"].keys() == {"national5"}


def test_the_ceiling_record_keeps_the_stages_a_later_run_did_not_measure(tmp_path):
    """Its stages take hours together, so they are measured in several runs: each run's
    stages replace the recorded ones of the same name, the others stay with their dates."""
    record = tmp_path / "ceiling.json"
    first = _ceiling_results(70 * GIB)
    first["tiers"]["national5"]["stages"]["synth"] = {"seconds": 526.0, "cached": False}
    record.write_text(json.dumps(bench.merge_ceiling(first, record)), encoding="utf-8")
    later = {"date": "2026-12-07T01:00:00+00:00", "tiers": {"national5": {"stages": {
        "synth": {"seconds": 526.0, "cached": True}, "export": {"seconds": 900.0}}}}}
    stages = bench.merge_ceiling(later, record)["tiers"]["national5"]["stages"]
    assert stages["export"] == {"seconds": 900.0, "date": "2026-12-07T01:00:00+00:00"}
    assert stages["validate"]["seconds"] == 131.5
    assert stages["validate"]["date"] == stages["synth"]["date"] == "2026-12-06T23:00:00+00:00"
    assert "cached" not in stages["synth"] or not stages["synth"]["cached"]


def test_a_tier_may_name_its_own_stages():
    """``national:validate+duckdb`` beside the smaller tiers measured in full: one run, one record."""
    assert bench.tier_stages(["sample", "national:validate+duckdb"], ("validate", "export")) == {
        "sample": ("validate", "export"), "national": ("validate", "duckdb")}
    with pytest.raises(ValueError, match="unknown stages"):
        bench.run(["sample:validate+nonsense"], out=Path("unused"))
    with pytest.raises(ValueError, match="unknown tiers"):
        bench.run(["planet:validate"], out=Path("unused"))


def test_a_stage_killed_by_a_signal_says_so_with_its_own_output_and_its_peak(tmp_path):
    """At the ceiling a stage may be killed for memory: the error names the signal and
    quotes only this run's output (the log keeps every run's), and the peak stays."""
    log = tmp_path / "export.log"
    first = bench._measure([sys.executable, "-c", "import sys; print('an older failure'); sys.exit(3)"], log)
    assert first["error"] == "exit 3: an older failure"
    script = ("import os, signal; print('took 40 MB', flush=True); "
              "b = bytearray(40 << 20); os.kill(os.getpid(), signal.SIGKILL)")
    killed = bench._measure([sys.executable, "-c", script], log)
    assert killed["error"] == "killed by SIGKILL: took 40 MB"
    assert killed["peak_bytes"] >= 40 << 20


def test_a_stage_that_runs_out_of_room_says_what_and_where_not_a_traceback(tmp_path):
    """A real export of the committed data under a file-size limit (the kernel refuses a
    write past it, as a full disk refuses every write): the stage's record gives the error's
    code, its message and the file, relative to the stage's folder, and the site's bytes
    written so far; the log has no traceback."""
    import resource

    work, result = tmp_path / "work", tmp_path / "result.json"
    work.mkdir()
    limit = 200_000

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "pipeline.bench", "export", str(ROOT / "datapackages"),
                           str(work), "2016-01-01", str(result)], cwd=ROOT, capture_output=True,
                          text=True, preexec_fn=limited, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    figures = json.loads(result.read_text(encoding="utf-8"))
    assert figures["errno"] == "EFBIG" and figures["file"].startswith("site/")
    assert figures["error"] == f"OSError: File too large ({figures['file']})"
    assert bench.on_disk(work / "site") > 0
    # and so it is recorded, with what had been written, by the stage's measured run
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))  # inherited by the stage's process
    try:
        recorded = bench._repeat("export", 1, lambda text: None, "sample", "en", data=ROOT / "datapackages",
                                 work=tmp_path / "measured", reference_date=date(2016, 1, 1),
                                 build_args=[], log=tmp_path / "export.log")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert {k: recorded[k] for k in ("errno", "file", "error")} == {k: figures[k] for k in ("errno", "file", "error")}
    assert recorded["written_bytes"] > 0 and recorded["peak_bytes"] > 0
    assert "Traceback" not in (tmp_path / "export.log").read_text(encoding="utf-8")


def test_what_broke_at_the_ceiling_is_said_in_the_page_s_language():
    disk = {"error": "OSError: No space left on device (site/data/all.tmp)", "errno": "ENOSPC",
            "file": "site/data/all.tmp", "written_bytes": 48 * GIB}
    assert bench_report._what_broke(disk, "zh") == "中断：磁盘已满（写入 site/data/all.tmp 时），此前已写出 49,152 MiB"
    assert bench_report._what_broke(disk, "en") == \
        "stopped: the disk was full (while writing site/data/all.tmp), having written 49,152 MiB"
    assert bench_report._what_broke({"error": "OSError: Cannot allocate memory", "errno": "ENOMEM",
                                     "file": None}, "zh") == "中断：内存不足"
    assert bench_report._what_broke({"error": "killed by SIGKILL: loading"}, "zh") == \
        "中断：进程被系统终止（通常是内存耗尽）"
    assert bench_report._what_broke({"error": "exit 2: usage"}, "zh") == "失败：exit 2: usage"


def test_an_error_s_file_outside_the_stage_s_folder_is_named_by_its_name_alone(tmp_path):
    import errno

    outside = bench.broke(OSError(errno.ENOSPC, "No space left on device", "/elsewhere/x.sqlite"), tmp_path)
    assert outside == {"error": "OSError: No space left on device (x.sqlite)", "errno": "ENOSPC",
                       "file": "x.sqlite"}
    assert bench.broke(MemoryError(), tmp_path) == {"error": "MemoryError: Cannot allocate memory",
                                                    "errno": "ENOMEM", "file": None}


def test_the_budget_table_says_yes_and_no_in_the_page_s_language():
    results = {"budgets": [
        {"id": "same_findings", "tier": "resource", "value": 1, "limit": 1, "op": ">=", "pass": True},
        {"id": "same_findings", "tier": "world_cities", "value": 0, "limit": 1, "op": ">=", "pass": False}]}
    _, rows = bench_report.budget_rows(results, "zh")
    assert [row[2:4] for row in rows] == [["是", "是"], ["否", "是"]]
    _, rows = bench_report.budget_rows(results, "en")
    assert [row[2:4] for row in rows] == [["yes", "yes"], ["no", "yes"]]


def test_each_peer_is_taken_at_its_run_of_median_time(tmp_path):
    """Three runs of a tool whose second run is the fastest and third the slowest: the figures
    are those of the first, the median, with every run's time kept."""
    from pipeline.validate.bench import _median_run

    count = tmp_path / "count"
    count.write_text("0")
    script = f"""
import json, pathlib, time
count = pathlib.Path({str(count)!r})
n = int(count.read_text()); count.write_text(str(n + 1))
time.sleep([0.2, 0.0, 0.5][n])
print(json.dumps({{"seconds": n, "maxrss_kb": 1, "errors": 0, "findings": []}}))
"""
    median = _median_run(script, tmp_path, 3)
    assert median["seconds"] == 0  # the first run's own figures
    assert len(median["runs"]) == 3 and median["runs"] == sorted(median["runs"])
    assert median["runs"][1] == median["wall_seconds"]
