"""The real published figures (published-statistics) and the generator calibrated to them.

Every real figure whose scope is that of a synthetic series must come out of the generator
unchanged; a figure of another scope must never reach a synthetic series.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pipeline.build import build
from pipeline.load import load_catalog
from pipeline.pages import real_figures
from pipeline.synth import calibration, generate
from pipeline.validate import validate_catalog

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "datapackages"
SEED = 20121030
CITY = "320400"


def _figures_csv(root: Path) -> Path:
    return root / "published-statistics" / "data" / "figures.csv"


@pytest.fixture(scope="module")
def figures() -> list[calibration.Figure]:
    return calibration.read(REAL)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate("sample", SEED, out, real=REAL)
    return out


def _table(root: Path, package: str, resource: str) -> pd.DataFrame:
    return pd.read_csv(root / package / "data" / f"{resource}.csv", dtype=str, keep_default_na=False)


def _deaths(accidents: pd.DataFrame, start, end) -> int:
    dates = accidents.date
    return int(accidents.deaths[(dates >= str(start)) & (dates <= str(end))].astype(int).sum())


def _synthetic_value(root: Path, fig: calibration.Figure) -> float:
    """The generated counterpart of ``fig``, in its unit and to its decimals."""
    if fig.measure == "gdp":
        out = _table(root, "accident-outcomes", "annual_outcomes")
        row = out[(out.district_code == CITY) & (out.year == str(fig.start)[:4])]
        return float(row.gdp_100m_yuan.iloc[0])
    accidents = _table(root, "accident-outcomes", "accidents")
    if fig.measure == "deaths":
        return _deaths(accidents, fig.start, fig.end)
    if fig.measure == "deaths_change":
        now = _deaths(accidents, fig.start, fig.end)
        before = _deaths(accidents, *calibration.previous_period(fig.start, fig.end))
        return round((now / before - 1) * 100, fig.decimals)
    raise AssertionError(f"no synthetic counterpart known for {fig.measure}")


# ---------------------------------------------------------------- calibration

def test_every_real_figure_of_a_synthetic_scope_is_generated_exactly(figures, sample):
    same_scope = [f for f in figures
                  if calibration.SYNTHETIC_SCOPE.get(f.measure) == f.scope and f.geography == CITY]
    # the figures named in the issue: GDP of four years, the all-kinds deaths and changes
    assert {f.figure_id for f in same_scope} == {
        "gdp_2010", "gdp_2011", "gdp_2014", "gdp_2015",
        "deaths_2011", "deaths_change_2011", "deaths_2012_jan_aug", "deaths_change_2012_jan_aug"}
    for fig in same_scope:
        assert _synthetic_value(sample, fig) == fig.value, fig.figure_id


def test_the_committed_sample_holds_the_real_figures(figures):
    for fig in calibration.calibrating(figures, "gdp") + calibration.calibrating(figures, "deaths"):
        assert _synthetic_value(REAL, fig) == fig.value, fig.figure_id


def test_no_real_figure_goes_into_a_series_of_another_scope(figures):
    targets = calibration.death_targets(figures)
    periods = {(str(a), str(b)) for a, b, _ in targets}
    assert periods == {("2010-01-01", "2010-12-31"), ("2011-01-01", "2011-12-31"),
                       ("2011-01-01", "2011-08-31"), ("2012-01-01", "2012-08-31")}
    assert set(calibration.gdp_targets(figures)) == {2010, 2011, 2014, 2015}
    used = {f.figure_id for m in calibration.SYNTHETIC_SCOPE for f in calibration.calibrating(figures, m)}
    for fig in figures:
        if fig.figure_id in used:
            assert fig.scope == calibration.SYNTHETIC_SCOPE[fig.measure]
        else:  # e.g. the 2013 production-safety deaths, GDP growth, the population
            assert calibration.SYNTHETIC_SCOPE.get(fig.measure) != fig.scope or fig.geography != CITY
    narrow = next(f for f in figures if f.figure_id == "deaths_2013")
    assert narrow.scope == "production_safety_narrow" and narrow.figure_id not in used
    # the same row on the synthetic scope would become a target: scope alone decides
    moved = [f if f is not narrow else calibration.Figure(**{**narrow.__dict__, "scope": "all_kinds"})
             for f in figures]
    assert ("2013-01-01", "2013-12-31", 121) in {(str(a), str(b), v)
                                                  for a, b, v in calibration.death_targets(moved)}


def _edited(tmp_path: Path, changes: dict[str, str]) -> Path:
    real = tmp_path / "real"
    shutil.copytree(REAL, real)
    path = _figures_csv(real)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["figure_id"] in changes:
            row["value"] = changes[row["figure_id"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return real


def test_figures_of_other_scopes_do_not_move_the_synthetic_data(tmp_path, sample):
    real = _edited(tmp_path, {"deaths_2013": "999", "accidents_2011": "5", "injured_2011": "5",
                              "direct_loss_2011": "1", "population_2013_city": "1",
                              "gdp_growth_2010": "50"})
    generate("sample", SEED, tmp_path / "out", real=real)
    for package in ("accident-outcomes", "enterprise-credit", "indicator-progress"):
        for path in sorted((sample / package / "data").glob("*.csv")):
            assert (tmp_path / "out" / package / "data" / path.name).read_bytes() == path.read_bytes()


def test_the_figures_table_is_the_only_source_of_the_calibration(tmp_path):
    real = _edited(tmp_path, {"gdp_2010": "3000.1", "deaths_2011": "300", "deaths_change_2011": "-2.6"})
    generate("sample", SEED, tmp_path / "out", real=real)
    out = calibration.read(real)
    for fig in out:
        if fig.figure_id in ("gdp_2010", "deaths_2011", "deaths_change_2011"):
            assert _synthetic_value(tmp_path / "out", fig) == fig.value, fig.figure_id


def test_gdp_between_anchored_years_keeps_growing(sample):
    out = _table(sample, "accident-outcomes", "annual_outcomes")
    gdp = out[out.district_code == CITY].set_index("year").gdp_100m_yuan.astype(float)
    assert list(gdp) == sorted(gdp)  # 2010 → 2025, rising every year
    districts = out[(out.district_code != CITY) & (out.partial_year == "false") & (out.year != "2015")]
    sums = districts.groupby("year").gdp_100m_yuan.apply(lambda s: round(s.astype(float).sum(), 2))
    assert (sums == gdp.drop("2015")).all()


def test_calibration_refuses_what_cannot_be_met():
    fig = calibration.Figure("d", "deaths", 10, "人", np.datetime64("2011-01-01"),
                             np.datetime64("2011-12-31"), CITY, "all_kinds", 0)
    other = calibration.Figure(**{**fig.__dict__, "figure_id": "e", "start": np.datetime64("2011-06-01"),
                                  "end": np.datetime64("2012-05-31")})
    with pytest.raises(ValueError, match="overlap"):
        calibration.death_targets([fig, other])
    change = calibration.Figure(**{**fig.__dict__, "figure_id": "c", "measure": "deaths_change",
                                   "value": -0.01, "decimals": 2})
    with pytest.raises(ValueError, match="no whole number"):
        calibration.death_targets([fig, change])
    lone = calibration.Figure(**{**change.__dict__, "start": np.datetime64("2012-01-01"),
                                 "end": np.datetime64("2012-12-31")})
    with pytest.raises(ValueError, match="its own period"):
        calibration.death_targets([fig, lone])
    assert calibration.count_before(317, -2.76, 2) == 326
    assert calibration.count_before(164, -19.21, 2) == 203


# ---------------------------------------------------------------- the package itself

def test_descriptor_marks_real_data_and_every_row_has_its_source():
    desc = json.loads((REAL / "published-statistics" / "datapackage.json").read_text(encoding="utf-8"))
    # 1.0.1: English field titles; 1.0.2: field descriptions in Chinese, the English in x-en
    assert desc["synthetic"] is False and desc["version"] == "1.0.2"
    assert all(res["synthetic"] is False for res in desc["resources"])
    figures = _table(REAL, "published-statistics", "figures")
    assert (figures[["source", "quote", "reliability", "scope"]] != "").all().all()
    # the number is in the sentence it was read from (unit conversions are noted)
    for row in figures.itertuples():
        if row.measure in ("gdp", "gdp_growth", "accidents", "deaths"):
            billions = f"{float(row.value) / 10:.2f}"  # 4901.9 亿元 published as 490.19 billion
            assert row.value.lstrip("-") in row.quote or (
                row.unit == "亿元" and billions in row.quote and "billion" in row.note_en), row.figure_id


def test_counts_that_cannot_share_a_basis_are_recorded_with_different_scopes(figures):
    """2013: 121 deaths, down 0.82%, so about 122 in the whole of 2012; yet January–August
    2012 alone had 164. The two cannot be one series, and the table must say so."""
    by_id = {f.figure_id: f for f in figures}
    whole_2012 = by_id["deaths_2013"].value / (1 + by_id["deaths_change_2013"].value / 100)
    assert whole_2012 < by_id["deaths_2012_jan_aug"].value
    assert by_id["deaths_2013"].scope != by_id["deaths_2012_jan_aug"].scope
    assert by_id["deaths_2011"].scope == by_id["deaths_2012_jan_aug"].scope  # both all kinds
    for fig in figures:  # each source sentence speaks for one scope
        same = [f for f in figures if f.figure_id != fig.figure_id and f.measure.split("_")[0] in
                ("accidents", "deaths", "injured", "direct", "larger")
                and fig.measure.split("_")[0] in ("accidents", "deaths", "injured", "direct", "larger")
                and (f.start, f.end) == (fig.start, fig.end)]
        assert {f.scope for f in same} <= {fig.scope}, fig.figure_id


def test_the_reform_agrees_with_the_reference_districts():
    reform = _table(REAL, "published-statistics", "district_reform_2015").set_index("change_id")
    districts = _table(REAL, "reference", "districts").set_index("code")
    approval, established = reform.loc["approval", "date"], reform.loc["establishment", "date"]
    assert (approval, established) == ("2015-04-28", "2015-05-07")
    assert districts.loc["320413", "valid_from"] == approval  # the reference starts the new units then
    for row in reform[~reform.kind.isin(["approval", "establishment"])].itertuples():
        if row.kind in ("district_merger", "status_change"):
            assert districts.loc[row.from_code, "successor_code"] == row.to_code
            assert districts.loc[row.from_code, "valid_to"] == "2015-04-27"
        else:  # a town moved out of Wujin: both units changed their boundary on that day
            assert row.from_code == "320412"
            assert districts.loc[row.to_code, "boundary_changed_on"] == approval
    assert set(reform.area) >= {"奔牛镇", "郑陆镇", "邹区镇", "戚墅堰区", "金坛市"}


def test_no_synthetic_population_series_exists_to_calibrate(sample):
    """The population figures have no counterpart; a new synthetic population column would
    need calibrating to them (and an entry in calibration.SYNTHETIC_SCOPE)."""
    assert "registered_population" not in calibration.SYNTHETIC_SCOPE
    for path in sample.glob("*/datapackage.json"):
        desc = json.loads(path.read_text(encoding="utf-8"))
        for res in desc["resources"]:
            if res.get("synthetic"):
                names = [f["name"] for f in res["schema"]["fields"]]
                assert not [n for n in names if "population" in n], (res["name"], names)


# ---------------------------------------------------------------- the methodology page

@pytest.fixture(scope="module")
def real_vs_synthetic(tmp_path_factory) -> str:
    """The "real published figures vs synthetic values" part of the synthetic-data page."""
    out = tmp_path_factory.mktemp("site") / "site"
    build(REAL, out, reference_date=date(2026, 7, 1))
    page = (out / "methodology" / "synthetic" / "index.html").read_text(encoding="utf-8")
    start = page.index('class="portal-real-figures"')
    return page[page.rindex("<h2", 0, start):page.index("</table>", start)]


def test_the_page_marks_each_real_value_real_and_each_synthetic_value_synthetic(real_vs_synthetic, figures):
    section = real_vs_synthetic
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", section, flags=re.DOTALL)
    same_scope = [f for f in figures if calibration.SYNTHETIC_SCOPE.get(f.measure) == f.scope]
    assert len(rows) == len(same_scope) == 8
    for row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.DOTALL)
        period, real, synthetic, source = cells
        assert re.search(r"\d{4}", period)
        assert "portal-badge--real" in real and "portal-badge--synthetic" not in real
        assert "portal-badge--synthetic" in synthetic and "portal-badge--real" not in synthetic
        number = re.compile(r"-?\d+(?:\.\d+)?")
        assert float(number.search(real).group()) == float(number.search(synthetic).group())
        address = html.unescape(re.search(r"<code>(.*?)</code>", source).group(1))
        assert address in {_source_of(f.figure_id) for f in same_scope}
    text = html.unescape(re.sub(r"<code>.*?</code>|<[^>]+>", " ", section))
    assert "121" not in text and "1772" not in text  # other scopes are not beside synthetic values
    assert not re.search(r"[A-Za-z]", text), re.findall(r"[A-Za-z]+", text)  # no English


def test_the_english_rows_are_english_and_hold_the_same_values():
    catalog = load_catalog([REAL])
    validate_catalog(catalog)
    rows = {}
    for lang in ("zh", "en"):
        ctx = SimpleNamespace(lang=lang, table=catalog.table,
                              has=lambda p, r: p in catalog.packages and r in catalog.packages[p].resources)
        rows[lang] = real_figures.comparison(ctx)
    assert len(rows["en"]) == len(rows["zh"]) == 8
    for en, zh in zip(rows["en"], rows["zh"]):
        assert (en["real"], en["synthetic"], en["source"]) == (zh["real"], zh["synthetic"], zh["source"])
        assert en["real"] == en["synthetic"] or float(en["real"]) == float(en["synthetic"])
        for key in ("figure", "scope", "period", "unit", "reliability"):
            assert not re.search(r"[\u4e00-\u9fff]", en[key]), (key, en[key])
    assert [r["period"] for r in rows["en"]][4:6] == ["2011", "January–August 2012"]


def _source_of(figure_id: str) -> str:
    rows = _table(REAL, "published-statistics", "figures").set_index("figure_id")
    return rows.loc[figure_id, "source"]
