"""Synthetic accidents (incident level, anonymised) and the grade rule they must satisfy.

The yearly expected deaths per kind of accident fall from 2010 to 2015 so that the city's
three rates land in realistic ranges (GDP ~0.12 → ~0.05, industry ~3 → ~1.7 per 10^5
workers, road ~3.9 → ~2.4 per 10^4 vehicles), and keep falling, more slowly, to 2025
(GDP ~0.02, industry ~0.8, road ~0.9); counts are Poisson, so years are noisy. Accidents run
to the data's end (DATA_END, mid-2026): the last year has only the accidents of its months.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from pipeline.synth import geography as geo
from pipeline.synth.dates import DATA_END, uniform_days, year_of, year_span
from pipeline.synth.enterprises import Enterprises

YEARS = range(2010, int(year_of(DATA_END)) + 1)  # the last one partial (to DATA_END)

INDUSTRIAL = ("construction", "machinery", "light_industry", "hazchem", "metallurgy",
              "commerce", "nonmetal_mining", "fireworks")
INDUSTRIAL_P = np.array([0.25, 0.25, 0.15, 0.10, 0.10, 0.10, 0.03, 0.02])
# kind → (expected deaths 2010, 2015 and 2025, typical loss in yuan, liability share)
KINDS = {
    "industrial": (52.0, 31.0, 16.0, 800_000, 0.92),
    "road": (275.0, 230.0, 155.0, 300_000, 0.85),
    "fire": (14.0, 9.0, 5.0, 1_500_000, 0.80),
    "waterway": (4.0, 2.0, 1.2, 500_000, 0.85),
    "rail": (4.0, 3.0, 1.5, 400_000, 0.85),
    "farm_machinery": (3.0, 2.0, 1.0, 100_000, 0.85),
    "fishing": (1.0, 1.0, 0.5, 300_000, 0.85),
}
# Years with a planted 较大 accident (3 deaths) at an enterprise: about every other year,
# and one early in the last year, so the larger-accident listing rule has cases throughout.
PLANTED_LARGER = (2011, 2012, 2014, 2017, 2019, 2021, 2023, 2025, 2026)
# GB 6441 categories plausible for each sector, with weights.
CATEGORIES = {
    "construction": {"09": 40, "10": 15, "01": 20, "04": 15, "05": 10},
    "machinery": {"03": 40, "04": 25, "01": 20, "05": 15},
    "light_industry": {"03": 35, "08": 20, "19": 15, "05": 15, "20": 15},
    "hazchem": {"19": 30, "17": 20, "18": 20, "07": 15, "08": 15},
    "metallurgy": {"07": 40, "04": 30, "19": 15, "16": 15},
    "commerce": {"02": 30, "05": 20, "09": 30, "20": 20},
    "nonmetal_mining": {"10": 50, "11": 20, "13": 30},
    "fireworks": {"14": 100},
    "road": {"02": 100},
    "fire": {"08": 100},
    "waterway": {"06": 100},
    "rail": {"02": 100},
    "farm_machinery": {"02": 70, "03": 30},
    "fishing": {"06": 100},
}
DEATHS = np.array([0, 1, 2, 3, 4, 5])
DEATHS_P = np.array([0.07, 0.84, 0.084, 0.004, 0.0015, 0.0005])
GRADES = ("particularly_serious", "major", "larger", "general")


def grade(deaths, injuries, loss) -> np.ndarray:
    """国务院令第493号 art. 3: the worst grade any one criterion reaches (bounds included)."""
    deaths, injuries, loss = (np.asarray(a, dtype=np.int64) for a in (deaths, injuries, loss))
    return np.select(
        [(deaths >= 30) | (injuries >= 100) | (loss >= 100_000_000),
         (deaths >= 10) | (injuries >= 50) | (loss >= 50_000_000),
         (deaths >= 3) | (injuries >= 10) | (loss >= 10_000_000)],
        ["particularly_serious", "major", "larger"], "general")


@dataclass
class Accidents:
    """Columns sorted by accident_id (year, then date order within the year)."""

    cols: dict  # field name → numpy array

    def __getitem__(self, name):
        return self.cols[name]

    def __len__(self):
        return len(self.cols["accident_id"])


def expected_deaths(kind: str, year: int) -> float:
    """Expected deaths in a whole year: geometric from 2010 to 2015 and from 2015 to 2025,
    continuing the 2015–2025 trend after 2025."""
    d0, d1, d2 = KINDS[kind][:3]
    if year <= 2015:
        return d0 * (d1 / d0) ** ((year - 2010) / 5)
    return d1 * (d2 / d1) ** ((year - 2015) / 10)


def generate(rng: np.random.Generator, firms: Enterprises,
             death_targets: list[tuple[np.datetime64, np.datetime64, int]] = ()) -> Accidents:
    """``death_targets``: (first day, last day, deaths) the city must have in each period
    (real figures of the same scope, see ``calibration.death_targets``)."""
    parts = []
    mean_deaths = float(DEATHS @ DEATHS_P)
    for year in YEARS:
        first, last, share = year_span(year)
        year_noise = rng.lognormal(0.0, 0.03)  # a good or bad year for everything at once
        for kind in KINDS:
            lam = expected_deaths(kind, year) * share * year_noise / mean_deaths
            n = int(rng.poisson(lam))
            parts.append(_draw(rng, kind, uniform_days(rng, first, last, n)))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    cols["fire"] = np.zeros(len(cols["date"]), dtype=bool)
    _plant_major(rng, cols)
    cols = _calibrate_deaths(rng, cols, death_targets)

    order = np.lexsort((cols["sector"], cols["date"]))
    cols = {k: v[order] for k, v in cols.items()}
    n = len(order)
    cols["district"] = geo.pick(rng, cols["date"])
    cols["category"] = np.empty(n, dtype=object)
    for sector in np.unique(cols["sector"]):
        mask = cols["sector"] == sector
        cats = CATEGORIES[str(sector)]
        p = np.array(list(cats.values()), dtype=float)
        cols["category"][mask] = rng.choice(np.array(list(cats)), size=mask.sum(), p=p / p.sum())
    cols["category"][cols["fire"]] = "08"  # the planted warehouse fire
    cols["category"] = cols["category"].astype(str)
    cols["loss"] = cols["loss"].astype(np.int64)
    cols["grade"] = grade(cols["deaths"], cols["injuries"], cols["loss"])
    industrial = np.isin(cols["sector"], INDUSTRIAL)
    cols["concealed"] = industrial & cols["liability"] & (rng.random(n) < 0.015)

    # Investigation reports: always for 较大 and worse, mostly for other liability accidents.
    serious = cols["grade"] != "general"
    publish = serious | (cols["liability"] & (rng.random(n) < 0.7)) | (rng.random(n) < 0.3)
    published = cols["date"] + rng.integers(45, 241, n)
    published = np.where(publish & (published <= DATA_END), published, np.datetime64("NaT"))
    year = cols["date"].astype("datetime64[Y]").astype(np.int64) + 1970
    seq = _sequence_in_year(year)
    ids = np.char.add(np.char.add("A", year.astype(str)), np.char.zfill(seq.astype(str), 5))
    has_report = ~np.isnat(published)
    # Linking last: it is the only step whose draws depend on the tier's enterprises, so
    # every other column of the accidents (and all outcomes) is the same at every tier.
    cols["enterprise"] = _link(rng, cols, firms, industrial)
    return Accidents({
        "accident_id": ids,
        "date": cols["date"],
        "district_code": cols["district"],
        "sector_code": cols["sector"],
        "category_code": cols["category"],
        "deaths": cols["deaths"],
        "serious_injuries": cols["injuries"],
        "direct_loss_yuan": cols["loss"],
        "stated_grade": cols["grade"],
        "liability": np.where(cols["liability"], "liability", "non_liability"),
        "concealed": cols["concealed"],
        "enterprise_uscc": cols["enterprise"],
        "report_status": np.where(has_report, "published", "pending"),
        "report_published": published,
        "report_url": np.where(has_report, np.char.add(np.char.add("/reports/", ids), "/"), None),
    })


def _draw(rng, kind: str, dates: np.ndarray, deaths: np.ndarray | None = None) -> dict:
    """Accidents of ``kind`` on ``dates``; deaths drawn unless given."""
    n = len(dates)
    loss_median, liability_p = KINDS[kind][3:]
    if kind == "industrial":
        sector = rng.choice(np.array(INDUSTRIAL), size=n, p=INDUSTRIAL_P)
    else:
        sector = np.full(n, kind)
    if deaths is None:
        deaths = rng.choice(DEATHS, size=n, p=DEATHS_P)
    injuries = rng.poisson(0.4, n) + np.where(deaths == 0, 1 + rng.poisson(0.8, n), 0)
    loss = (rng.lognormal(np.log(loss_median), 0.9, n)
            + deaths * rng.uniform(800_000, 1_300_000, n))
    return {"date": dates, "sector": sector, "deaths": deaths, "injuries": injuries,
            "loss": np.round(loss / 100) * 100, "liability": rng.random(n) < liability_p}


def _calibrate_deaths(rng, cols: dict, targets) -> dict:
    """Remove or add one-death accidents until each target period has its deaths.

    Innermost periods first: a period's own target, less the deaths of the periods already
    settled inside it, is met on its remaining days. Only one-death accidents outside
    industry are removed (so no planted accident and no enterprise's accident goes); added accidents have one death, a kind drawn by the year's
    expected deaths and a day drawn from the remaining days.
    """
    settled: list[tuple[np.datetime64, np.datetime64]] = []
    for first, last, target in sorted(targets, key=lambda t: int((t[1] - t[0]).astype(int))):
        dates = cols["date"]
        inside = [(a, b) for a, b in settled if first <= a and b <= last]
        in_settled = np.zeros(len(dates), dtype=bool)
        for a, b in inside:
            in_settled |= (dates >= a) & (dates <= b)
        region = (dates >= first) & (dates <= last) & ~in_settled
        want = target - int(cols["deaths"][(dates >= first) & (dates <= last) & in_settled].sum())
        have = int(cols["deaths"][region].sum())
        if want < 0:
            raise ValueError(f"deaths {first}–{last}: {target} is fewer than the periods inside it")
        if have > want:
            removable = np.flatnonzero(region & (cols["deaths"] == 1) & ~cols["fire"]
                                       & ~np.isin(cols["sector"], INDUSTRIAL))
            if have - want > len(removable):
                raise ValueError(f"deaths {first}–{last}: cannot come down to {target}")
            keep = np.ones(len(dates), dtype=bool)
            keep[rng.choice(removable, size=have - want, replace=False)] = False
            cols = {k: v[keep] for k, v in cols.items()}
        elif have < want:
            days = np.arange(first, last + 1)
            for a, b in inside:
                days = days[(days < a) | (days > b)]
            year = int(str(first)[:4])
            p = np.array([expected_deaths(k, year) for k in KINDS])
            kinds = rng.choice(np.array(list(KINDS)), size=want - have, p=p / p.sum())
            extra = [_draw(rng, str(k), days[rng.integers(0, len(days), int((kinds == k).sum()))],
                           np.ones(int((kinds == k).sum()), dtype=np.int64))
                     for k in KINDS if (kinds == k).any()]
            for part in extra:
                part["fire"] = np.zeros(len(part["date"]), dtype=bool)
            cols = {k: np.concatenate([cols[k]] + [part[k] for part in extra]) for k in cols}
        settled.append((first, last))
    return cols


def _plant_major(rng, cols) -> None:
    """One 重大 accident by loss (a warehouse fire, ≥5000万 yuan) and a few 较大 by deaths.

    Changzhou-sized cities see a 较大 accident every year or so and a 重大 one rarely;
    planting them keeps every grade and the blacklist rules they trigger in the sample.
    """
    dates = cols["date"]
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    i = int(rng.choice(np.flatnonzero((years == 2013) & np.isin(cols["sector"], INDUSTRIAL))))
    cols["sector"][i] = "light_industry"
    cols["deaths"][i], cols["injuries"][i] = 1, 4
    cols["loss"][i] = float(rng.integers(52_000_000, 68_000_000) // 100 * 100)
    cols["liability"][i] = True
    cols["fire"][i] = True
    # the one in the last year early enough to be listed before the data end
    early = dates <= DATA_END - 120
    for year in PLANTED_LARGER:
        candidates = np.flatnonzero((years == year) & np.isin(cols["sector"], INDUSTRIAL)
                                    & early & (np.arange(len(dates)) != i))
        if not len(candidates):  # possible for a short last year with another seed
            continue
        j = int(rng.choice(candidates))
        cols["deaths"][j] = 3
        cols["liability"][j] = True


def _sequence_in_year(year: np.ndarray) -> np.ndarray:
    """1, 2, 3, … restarting each year (input sorted by date)."""
    idx = np.arange(len(year))
    starts = np.r_[0, np.flatnonzero(np.diff(year)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(year)]))
    return idx - first + 1


def _link(rng, cols, firms: Enterprises, industrial: np.ndarray) -> np.ndarray:
    """An enterprise of the accident's district and sector, founded before it and not yet
    closed, where one exists.

    Now and then the enterprise is one that already had an accident in the past 12 months,
    because repeat offenders exist (and the 12-month blacklist rule must have cases).
    """
    out = np.full(len(cols["date"]), None, dtype=object)
    # Two lookups: before the reform firms sit where they registered, afterwards in the
    # successor unit. Within each (unit, sector) group candidates are ordered by founding date.
    groups = {}
    sector_id = {str(v): k for k, v in enumerate(np.unique(firms.sector))}
    sector_num = np.searchsorted(np.unique(firms.sector), firms.sector)
    for when, unit in (("old", firms.registered), ("new", firms.district)):
        # integer keys (unit, sector): string keys cost GBs at the national tier
        order = np.lexsort((firms.established, sector_num, unit))
        u_sorted, s_sorted = unit[order], sector_num[order]
        change = (u_sorted[1:] != u_sorted[:-1]) | (s_sorted[1:] != s_sorted[:-1])
        bounds = np.flatnonzero(np.r_[True, change, True])
        for a, b in itertools.pairwise(bounds):
            idx = order[a:b]
            groups[(when, int(u_sorted[a]), int(s_sorted[a]))] = (idx, firms.established[idx])
    until = firms.until
    recent: dict[str, list] = {}
    for i in np.flatnonzero(industrial):
        date = cols["date"][i]
        sector = sector_id.get(str(cols["sector"][i]))
        key = ("old" if date < geo.REFORM else "new", int(cols["district"][i]), sector)
        if key not in groups:
            continue
        idx, est = groups[key]
        n_ok = int(np.searchsorted(est, date, side="left"))  # founded strictly before
        open_ = idx[:n_ok][until[idx[:n_ok]] > date]  # and not closed on the day
        if len(open_) == 0:
            continue
        repeat = [(u, k) for u, k, d in recent.get(key[1:], [])
                  if (date - d).astype(int) < 365 and until[k] > date]
        if repeat and rng.random() < 0.08:
            chosen, k = repeat[int(rng.integers(len(repeat)))]
        else:
            k = int(open_[int(rng.integers(len(open_)))])
            chosen = firms.uscc[k].decode()
        out[i] = chosen
        recent.setdefault(key[1:], []).append((chosen, k, date))
    return out
