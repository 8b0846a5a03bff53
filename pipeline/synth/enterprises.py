"""Synthetic enterprises: fictional names, valid USCCs, where and when they were registered
and, for those that have closed, when they closed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import uscc
from pipeline.synth import geography as geo
from pipeline.synth.dates import DATA_END, DATA_START, uniform_days, year_span

# The eight sectors in which an enterprise can be rated (reference/sectors.enterprise).
SECTORS = np.array(["machinery", "light_industry", "commerce", "construction", "hazchem",
                    "metallurgy", "nonmetal_mining", "fireworks"])
SECTOR_P = np.array([0.30, 0.24, 0.14, 0.12, 0.08, 0.06, 0.04, 0.02])
ABOVE_SCALE_P = np.array([0.25, 0.20, 0.10, 0.30, 0.40, 0.35, 0.15, 0.05])
HIGH_RISK = np.array(["hazchem", "nonmetal_mining", "fireworks"])
# A word for the trade in the fictional name; the name always carries 示例 ("example").
NAME_WORD = {"machinery": "机械", "light_industry": "纺织", "commerce": "商贸",
             "construction": "建设工程", "hazchem": "化工", "metallurgy": "冶金",
             "nonmetal_mining": "矿业", "fireworks": "烟花"}
FIRST_YEAR = 1990
LAST_YEAR = int(DATA_END.astype("datetime64[Y]").astype(np.int64)) + 1970
# Share of the register founded before the data's period (1990-2009, more in later years);
# the rest are founded at an even pace from 2010 to the data's end.
FOUNDED_BEFORE = 0.40
# Yearly chance that an operating firm closes (deregisters, 注销), counted from 2010 or its
# founding. Small firms come and go; with these rates about a third of the register operates
# in any one year, which keeps the ratings (one per operating firm and year) within reach of
# what a register of this size had when the data covered 2012-2015 only.
EXIT_RATE = {True: 0.06, False: 0.15}  # above scale, below scale
MIN_LIFE_DAYS = 180
NEVER = np.datetime64("9999-12-31", "D")  # "not closed" in comparisons (NaT compares false)


@dataclass
class Enterprises:
    """Columns in primary-key (USCC) order; ``registered`` is the unit in USCC chars 3–8."""

    uscc: np.ndarray  # S18
    name: pa.Array
    sector: np.ndarray  # str
    above: np.ndarray  # bool
    established: np.ndarray  # datetime64[D]
    registered: np.ndarray  # int district code at registration (before or after the reform)
    district: np.ndarray  # int district code under the post-2015 divisions
    closed: np.ndarray  # datetime64[D]: first day no longer operating; NaT = still operating

    def __len__(self) -> int:
        return len(self.uscc)

    @cached_property
    def until(self) -> np.ndarray:
        """``closed``, with a far-future day for firms still operating (for comparisons)."""
        return np.where(np.isnat(self.closed), NEVER, self.closed)

    def operating(self, dates, index=None) -> np.ndarray:
        """Whether each firm (or firm ``index``) operated on ``dates``: founded, not closed."""
        index = slice(None) if index is None else index
        dates = np.asarray(dates, dtype="datetime64[D]")
        return (self.established[index] <= dates) & (dates < self.until[index])

    def district_on(self, dates: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The unit enterprise ``index`` sat in on ``dates`` (reform-aware)."""
        return np.where(dates < geo.REFORM, self.registered[index], self.district[index])

    def index_of(self, codes) -> np.ndarray:
        """Row positions of USCCs (the rows are sorted by USCC, so a binary search will do;
        a dict of millions of Python strings would cost hundreds of MB at the large tiers)."""
        codes = np.asarray(list(codes), dtype="S18")
        pos = np.searchsorted(self.uscc, codes)
        if len(codes) and not (self.uscc[np.minimum(pos, len(self) - 1)] == codes).all():
            raise KeyError("unknown USCC")
        return pos.astype(np.int64)

    def columns(self) -> dict:
        return {"uscc": self.uscc, "name": self.name, "district_code": self.district,
                "sector_code": self.sector, "scale": np.where(self.above, "above", "below"),
                "established": self.established, "closed": self.closed}


def generate(rng: np.random.Generator, n: int) -> Enterprises:
    sector_idx = rng.choice(len(SECTORS), size=n, p=SECTOR_P)
    above = rng.random(n) < ABOVE_SCALE_P[sector_idx]
    # Before 2010 more firms were founded in later years; from 2010 on the same number each
    # year (the last year pro rata: the data end in it).
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    early = years < 2010
    growth = np.exp(0.08 * (years - FIRST_YEAR)) * early
    late = np.array([year_span(int(y))[2] if y >= 2010 else 0.0 for y in years])
    p = FOUNDED_BEFORE * growth / growth.sum() + (1 - FOUNDED_BEFORE) * late / late.sum()
    year = rng.choice(years, size=n, p=p / p.sum())
    starts = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    ends = np.minimum((year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - 1, DATA_END)
    established = uniform_days(rng, starts, ends, n)
    registered = geo.pick(rng, established)
    district = geo.current(registered)

    # Distinct organisation codes from an affine bijection of 0..n-1 modulo 10**8:
    # unique by construction, scattered like real codes, and cheap at any tier.
    step = 48_271_213  # coprime to 10**8 (odd, not a multiple of 5)
    offset = int(rng.integers(0, 10**8))
    serial = (np.arange(n, dtype=np.int64) * step + offset) % 10**8
    codes = uscc.make_codes(registered, serial)

    # Closing: a constant yearly hazard from 2010 (or the founding), so every firm in the
    # register operated at some time in the data's period; at least half a year of life.
    rate = np.where(above, EXIT_RATE[True], EXIT_RATE[False])
    life = np.maximum(MIN_LIFE_DAYS, np.round(rng.exponential(365.25 / rate))).astype(np.int64)
    closed = np.maximum(established, DATA_START) + life
    closed = np.where(closed <= DATA_END, closed, np.datetime64("NaT", "D"))

    order = np.argsort(codes, kind="stable")
    codes, sector_idx, above = codes[order], sector_idx[order], above[order]
    established, registered, district = established[order], registered[order], district[order]
    return Enterprises(codes, _names(sector_idx), SECTORS[sector_idx], above, established,
                       registered, district, closed[order])


def _names(sector_idx: np.ndarray) -> pa.Array:
    """常州示例<trade><number>号有限公司 — numbered, so unmistakably fictional."""
    n = len(sector_idx)
    width = max(5, len(str(n)))
    numbers = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width, "0")
    trade = pc.take(pa.array([NAME_WORD[s] for s in SECTORS]), pa.array(sector_idx))
    return pc.binary_join_element_wise("常州示例", trade, numbers, "号有限公司", "")
