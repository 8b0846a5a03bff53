"""Deterministic synthetic data for the portal's data packages.

``generate(tier, seed, out, real)`` writes the package folders into ``out``: every
descriptor and every real CSV is copied byte for byte from ``real``; the synthetic CSVs
(accident-outcomes/*, enterprise-credit/*, indicator-progress/observations,
accident-investigations/*) are generated.
The same tier and seed always give the same bytes: every random draw comes from a numpy
Generator seeded by (seed, stream), rows are sorted by primary key, and nothing depends on
the clock or on dict/set ordering.

The data run from DATA_START (2010-01-01) to DATA_END, a fixed recent date (never today's
date), so that a build on any day after it finds current and expired certificates, active
and expired blacklist listings and hazards within and past their deadlines; yearly tables
stop at the last complete year (see ``dates``). Every descriptor with time-varying data
declares that period as ``x-temporal``, and generation refuses one that says otherwise.

Tiers differ only in the number of enterprises (and so in ratings, certificates, hazards
and hazard-driven listings). The geography stays Changzhou's seven (from the 2015-04-28
reform: six) county-level units at every tier, because the reference package is real and
city-scale: the province and national tiers are load tests of a Changzhou-shaped dataset,
not models of Jiangsu or China. Accidents, annual outcomes, benchmarks and control targets
are the same at every tier for a seed; only the enterprise an industrial accident links to
changes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from pipeline.synth import accidents as accidents_mod
from pipeline.synth import (
    calibration,
    credit,
    csvout,
    enterprises,
    investigations,
    observations,
    outcomes,
)
from pipeline.synth.dates import DATA_END, DATA_START, LAST_FULL_YEAR, temporal_coverage

__all__ = ["DATA_END", "DATA_START", "LAST_FULL_YEAR", "TIERS", "generate", "temporal_coverage"]

# enterprises per tier; national5 (five times national) is where the benchmark looks for
# the ceiling of one machine
TIERS = {"sample": 8_000, "city": 30_000, "province": 600_000, "national": 2_600_000,
         "national5": 13_000_000}
PACKAGES = ("reference", "indicator-progress", "accident-outcomes", "enterprise-credit",
            "accident-investigations")
GENERATED = {
    "accident-outcomes": {"accidents", "annual_outcomes", "provincial_benchmarks", "control_targets"},
    "enterprise-credit": {"enterprises", "credit_ratings", "certificates", "blacklist", "hazards"},
    "indicator-progress": {"observations"},
    "accident-investigations": {"investigations", "handling", "rectification"},
}
# One independent random stream per table, so changing one table never shifts another.
STREAMS = {"enterprises": 1, "accidents": 2, "outcomes": 3, "certificates": 4, "hazards": 5,
           "blacklist": 6, "ratings": 7, "observations": 8, "investigations": 9}


def generate(tier: str, seed: int, out: Path, real: Path = Path("datapackages")) -> None:
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {sorted(TIERS)}")
    out, real = Path(out), Path(real)
    fields = _copy_real(real, out)

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, STREAMS[name]])

    def write(package: str, resource: str, columns: dict) -> None:
        columns = {k: v for k, v in columns.items() if not k.startswith("_")}
        _check_fields(package, resource, list(columns), fields)
        csvout.write(out / package / "data" / f"{resource}.csv", columns)

    credit.WIDENED.clear()
    firms = enterprises.generate(rng("enterprises"), TIERS[tier])
    # calibrated to the real published figures of the same scope (see calibration)
    figures = calibration.read(real)
    acc = accidents_mod.generate(rng("accidents"), firms, calibration.death_targets(figures))
    oc = outcomes.generate(rng("outcomes"), acc, calibration.gdp_targets(figures))
    certs = credit.certificates(rng("certificates"), firms)
    haz = credit.hazards(rng("hazards"), firms, acc)
    listing = credit.blacklist(rng("blacklist"), firms, acc, haz)

    write("accident-outcomes", "accidents", acc.cols)
    for name, columns in investigations.generate(rng("investigations"), acc).items():
        write("accident-investigations", name, columns)
    for name, columns in oc.items():
        write("accident-outcomes", name, columns)
    write("enterprise-credit", "enterprises", firms.columns())
    write("enterprise-credit", "certificates", certs)
    write("enterprise-credit", "hazards", haz)
    write("enterprise-credit", "blacklist", listing)

    names = ["uscc", "year", "scheme", "grade", "rated_on"]
    _check_fields("enterprise-credit", "credit_ratings", names, fields)
    cert_slots = credit.cert_table(firms, certs)
    flags = credit.bad_years(firms, acc, listing)
    with csvout.ChunkedWriter(out / "enterprise-credit" / "data" / "credit_ratings.csv", names) as w:
        for chunk in credit.ratings_chunks(np.random.SeedSequence([seed, STREAMS["ratings"]]),
                                           firms, cert_slots, flags):
            w.write(chunk)

    indicators = observations.read_indicators(out / "indicator-progress" / "data" / "indicators.csv")
    obs = observations.generate(rng("observations"), indicators, oc["annual_outcomes"], firms,
                                certs, haz)
    write("indicator-progress", "observations", obs)
    _widen_patterns(out, credit.widened_patterns())


def _widen_patterns(out: Path, patterns: dict[str, str]) -> None:
    """Make the copied descriptors accept ids of more digits (more ids in a year than the
    real scheme numbers: only at the ceiling tier). The data stay synthetic and say so; the
    repository's descriptors are not touched."""
    if not patterns:
        return
    for package in PACKAGES:
        path = out / package / "datapackage.json"
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        for res in descriptor.get("resources", []):
            for fld in res["schema"]["fields"]:
                pattern = (fld.get("constraints") or {}).get("pattern")
                if pattern in patterns:
                    fld["constraints"]["pattern"] = patterns[pattern]
        path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _copy_real(real: Path, out: Path) -> dict:
    """Copy descriptors and non-synthetic CSVs; return {(package, resource): field names}."""
    fields = {}
    for package in PACKAGES:
        src = real / package / "datapackage.json"
        descriptor = json.loads(src.read_text(encoding="utf-8"))
        if descriptor.get("x-temporal") != temporal_coverage(package):
            raise ValueError(f"{package}: descriptor declares x-temporal "
                             f"{descriptor.get('x-temporal')}, the generator's data cover "
                             f"{temporal_coverage(package)}")
        _copy(src, out / package / "datapackage.json")
        for res in descriptor.get("resources", []):
            fields[(package, res["name"])] = [f["name"] for f in res["schema"]["fields"]]
            generated = res["name"] in GENERATED.get(package, set())
            if bool(res.get("synthetic")) != generated:
                raise ValueError(f"{package}/{res['name']}: descriptor says synthetic="
                                 f"{res.get('synthetic')} but the generator "
                                 f"{'writes' if generated else 'does not write'} it")
            if not generated:
                _copy(real / package / res["path"], out / package / res["path"])
    return fields


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and dst.resolve() == src.resolve():
        return  # generating into the source folder itself
    shutil.copyfile(src, dst)


def _check_fields(package: str, resource: str, names: list[str], fields: dict) -> None:
    declared = fields.get((package, resource))
    if declared != names:
        raise ValueError(f"{package}/{resource}: generator writes {names}, descriptor declares {declared}")
