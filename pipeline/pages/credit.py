"""Enterprise credit: the lookup (static index shards, no page per enterprise), grade
distributions, the public blacklist and supervised hazards.

Listings come only from ``derived/blacklist_public`` (active on the reference date); an
expired or removed listing is shown nowhere with an identity, only as anonymous counts from
``derived/blacklist_expired_counts``. Enterprise names in the data are fictional (示例).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from markupsafe import escape

from pipeline.config import current
from pipeline.derive.schemas import enum
from pipeline.editions import languages
from pipeline.editions import prefix as edition_prefix
from pipeline.forked import Apart
from pipeline.i18n import catalog, t
from pipeline.pages.core import (
    Ref,
    blacklist_view,
    bracketed,
    hazards_view,
    number,
    rows,
    rows_file_labels,
    script_json,
    synthetic_banner,
)
from pipeline.pages.dates import stamp
from pipeline.pages.lookup_index import (
    Params,
    fnv1a,
    iter_index,
    normalise,
    rating_years,
)

INDEX = "credit/index"
# The codes as the derived tables' schemas list them (their enum), in that order.
REASONS = enum("blacklist_public", "reason")
HAZARD_STATUSES = enum("hazard_rectification", "status")


def _index_files(ctx, ref: Ref, params: Params | None = None) -> Iterator[tuple[str, bytes]]:
    """The lookup index's files as (path, bytes), one at a time (``iter_index``)."""
    table = ctx.table
    return iter_index(
        enterprises=table("enterprise-credit", "enterprises"),
        ratings=table("enterprise-credit", "credit_ratings"),
        certificates=table("enterprise-credit", "certificates"),
        listings=table("derived", "blacklist_public"),
        hazards=table("derived", "hazard_rectification"),
        districts=[r["code"] for r in ref.district_rows],
        sectors=sorted(ref.sectors), grades=ref.credit_grades,
        reference_date=ctx.reference_date, params=params or Params(affixes=_affixes()))


def _affixes() -> tuple[str, ...]:
    prefixes, suffixes = current().site.name_affixes
    return (*prefixes, *suffixes)


def _labels(ctx, ref: Ref) -> dict:
    lang = ctx.lang
    keys = ("empty", "searching", "failed", "none", "none_filtered", "too_short", "too_general",
            "found", "found_uscc", "grade_in", "uscc", "district", "sector", "scale",
            "established", "ratings", "year", "grade", "rated_on", "no_ratings",
            "certificates", "certificate_id", "level", "issued", "expires", "state", "current",
            "expired", "no_certificates", "listings", "listing_id", "reason", "listed",
            "accident", "no_listings", "hazards", "hazard_id", "deadline", "rectified",
            "no_hazards", "as_of", "affix", "listed_count", "ranked", "ranked_capped", "found_so_far",
            "name", "timeline", "tl_rated", "tl_cert_issued", "tl_cert_expires", "tl_listed",
            "tl_list_expires", "tl_hazard", "tl_hazard_deadline", "tl_hazard_rectified", "tl_future")
    return {
        "text": {k: catalog(lang)[f"lookup.{k}"] for k in keys},  # placeholders kept for JS
        "districts": ref.districts, "sectors": ref.sectors, "grades": ref.credit_grade_names,
        "reasons": {r: t(f"credit.reason.{r}", lang) for r in REASONS},
        "hazard_statuses": {s: t(f"hazard.status.{s}", lang) for s in HAZARD_STATUSES},
        "hazard_levels": {k: t(f"credit.hazard_level.{k}", lang) for k in ("city", "district")},
        "levels": {str(k): t(f"credit.cert_level.{k}", lang) for k in (1, 2, 3)},
        "scales": {k: t(f"credit.scale.{k}", lang) for k in ("above", "below")},
        "accidents_href": "../accidents/list/",
        "rows": rows_file_labels(lang, t("credit.title", lang), "enterprise-lookup"),
    }


def grade_scale(ctx, lang: str) -> dict:
    """The credit grade scale as the reference data states it (DOMAIN 6: the scheme is data):
    each grade's name, its place in the order and the standardisation level that maps to it."""
    scheme = [r for r in rows(ctx, "reference", "credit_grade_scheme")]
    latest = max((r["scheme"] for r in scheme), default=None)
    grades = sorted((r for r in scheme if r["scheme"] == latest), key=lambda r: r["rank"])
    count = len(grades)

    def name(r: dict) -> str:
        return r["name"] if lang == "zh" else r["name_en"]

    return {
        "intro": t("lookup.scale_intro", lang, count=count,
                   best=name(grades[0]) if grades else "", worst=name(grades[-1]) if grades else ""),
        "rows": [{"grade": r["grade"], "name": name(r),
                  "rank": t("lookup.scale_rank", lang, rank=r["rank"], count=count),
                  "level": t("lookup.scale_level", lang,
                             level=t(f"credit.cert_level.{r['standardisation_level']}", lang))
                  if r.get("standardisation_level") else t("lookup.scale_none", lang)}
                 for r in grades],
    }


def _share(count: int, rated: int, lang: str) -> str:
    return f"{count:,}" + bracketed(f"{count / rated * 100:.1f}%", lang) if rated else f"{count:,}"


def _grade_tables(ctx, ref: Ref) -> list[dict]:
    """Grade counts with shares, by year (city), and by district and sector (latest year)."""
    lang = ctx.lang
    dist = rows(ctx, "derived", "credit_grade_distribution")
    if not dist:
        return []
    latest = max(r["year"] for r in dist)
    grades = ref.credit_grades

    def group(key, keep=lambda r: True):
        counts = defaultdict(lambda: defaultdict(int))
        for r in dist:
            if keep(r):
                counts[key(r)][r["grade"]] += r["enterprises"]
        return counts

    def table(title, counts, label, order):
        body = []
        for k in order:
            if k not in counts:
                continue
            rated = sum(counts[k].values())
            body.append([label(k)] + [_share(counts[k][g], rated, lang) for g in grades]
                        + [f"{rated:,}"])
        return {"title": title, "rows": body,
                "headers": [t("datapage.item", lang)]
                + [ref.credit_grade_names.get(g, g) for g in grades]
                + [t("credit.rated", lang)]}

    by_year = group(lambda r: r["year"])
    by_district = group(lambda r: r["district_code"], lambda r: r["year"] == latest)
    by_sector = group(lambda r: r["sector_code"], lambda r: r["year"] == latest)
    return [
        table(t("credit.grades_by_year", lang), by_year, str, sorted(by_year)),
        table(t("credit.grades_by_district", lang, year=latest), by_district,
              lambda c: ref.districts.get(c, c), sorted(by_district)),
        table(t("credit.grades_by_sector", lang, year=latest), by_sector,
              lambda c: ref.sectors.get(c, c),
              sorted(by_sector, key=lambda c: -sum(by_sector[c].values()))),
    ]


def certificates_view(ctx, ref: Ref) -> dict:
    """Certificates in force and expired on the reference date (derived/certificates_status),
    for the whole city by level and for each district by level."""
    lang = ctx.lang
    levels = {str(k): t(f"credit.cert_level.{k}", lang) for k in (1, 2, 3)}
    columns = ("current", "expired", "certificates", "enterprises_current")
    headers = [t("credit.cert.current", lang), t("credit.cert.expired", lang),
               t("credit.cert.total", lang), t("credit.cert.enterprises", lang)]
    data = sorted(rows(ctx, "derived", "certificates_status"),
                  key=lambda r: (r["district_code"], r["level"]))
    by_level = defaultdict(lambda: [0] * len(columns))
    for r in data:
        for i, c in enumerate(columns):
            by_level[r["level"]][i] += r[c]  # one district per enterprise: sums are exact
    return {
        "levels": {"title": t("credit.certificates_by_level", lang),
                   "headers": [t("credit.cert.level", lang), *headers],
                   "rows": [[levels.get(str(level), str(level)), *map(number, counts)]
                            for level, counts in sorted(by_level.items())]},
        "districts": {"title": t("credit.certificates_by_district", lang),
                      "headers": [t("datapage.district", lang), t("credit.cert.level", lang),
                                  *headers],
                      "rows": [[ref.districts.get(r["district_code"], r["district_code"]),
                                levels.get(str(r["level"]), str(r["level"])),
                                *(number(r[c]) for c in columns)] for r in data]},
    }


def _has_lookup(ctx) -> bool:
    return ctx.has("derived", "blacklist_public") and ctx.has("enterprise-credit", "enterprises")


def apart(ctx) -> Apart | None:
    """The lookup index, written by a forked process (:mod:`pipeline.forked`) while this
    one writes the pages: at national scale it is the largest part of writing them.

    The index speaks no language (codes, names as registered, dates): the root edition
    has it and every other edition's page reads that copy, as it links the root's
    downloads. Each file is written as it is made, never all of them held at once."""
    if not _has_lookup(ctx) or ctx.lang != languages()[0]:
        return None
    ref = Ref(ctx)
    return Apart(lambda: ctx.publish((f"{INDEX}/{path}", content)
                                     for path, content in _index_files(ctx, ref)))


def write(ctx) -> list:
    if not _has_lookup(ctx):
        return []
    lang = ctx.lang
    ref = Ref(ctx)
    langs = languages()
    if lang == langs[0]:  # the index is written apart (``apart``)
        index_href = "index/"  # from credit/
    else:  # up from <edition>/credit/ to the site root
        index_href = "../" * (1 + edition_prefix(lang, langs).count("/")) + f"{INDEX}/"
    enterprises = ctx.table("enterprise-credit", "enterprises")
    present = set(enterprises["district_code"].to_pylist())
    sectors = sorted(set(enterprises["sector_code"].to_pylist()))
    banner = synthetic_banner(lang, names=True)
    ctx.render("credit/index.md", "credit_lookup.md.j2", banner=banner,
               labels=script_json(_labels(ctx, ref)), count=enterprises.num_rows, index_href=index_href,
               districts=[(c, ref.districts[c]) for c in sorted(present) if c in ref.districts],
               sectors=[(c, ref.sectors.get(c, c)) for c in sectors],
               grades=[(g, ref.credit_grade_names.get(g, g)) for g in ref.credit_grades],
               years=rating_years(ctx.table("enterprise-credit", "credit_ratings")),
               stamp=stamp(ctx, "enterprise-credit"),
               scale=grade_scale(ctx, lang) if ctx.has("reference", "credit_grade_scheme") else None)
    ctx.render("credit/grades/index.md", "credit_grades.md.j2", banner=banner,
               tables=_grade_tables(ctx, ref))
    credit_stamp = stamp(ctx, "enterprise-credit")
    ctx.render("credit/blacklist/index.md", "credit_blacklist.md.j2", banner=banner,
               b=blacklist_view(ctx, ref), stamp=credit_stamp)
    ctx.render("credit/hazards/index.md", "credit_hazards.md.j2", banner=banner,
               h=hazards_view(ctx, ref), stamp=credit_stamp)
    ctx.render("credit/certificates/index.md", "credit_certificates.md.j2", banner=banner,
               c=certificates_view(ctx, ref), stamp=credit_stamp)
    return [{str(escape(t("nav.credit", lang))): [
        "credit/index.md",
        {str(escape(t("credit.grades_title", lang))): "credit/grades/index.md"},
        {str(escape(t("credit.blacklist_title", lang))): "credit/blacklist/index.md"},
        {str(escape(t("credit.hazards_title", lang))): "credit/hazards/index.md"},
        {str(escape(t("credit.certificates_title", lang))): "credit/certificates/index.md"}]}]


# --- Measuring the lookup (for the benchmark) -------------------------------------------

PAGE = 10       # results drawn per page (lookup.js PAGE)
MAX_GRAMS = 5   # gram shards fetched per name query at most (lookup.js MAX_GRAMS)


def _stop_shards(query: str, meta: dict) -> list[int]:
    """The stop-gram shards ``lookup.js`` fetches for ``query``: one per two-character prefix."""
    chars = list(query)
    prefixes = dict.fromkeys("".join(chars[p:p + 2]) for p in range(len(chars) - 1))
    return sorted({fnv1a(prefix.encode()) % meta["stop_shards"] for prefix in prefixes})


def _plan(query: str, meta: dict, stop: set[str]) -> list[str]:
    """The grams lookup.js fetches for ``query``: the chain at every position, then at most
    MAX_GRAMS chosen greedily to cover the query (same order of choice as the script).
    ``stop`` holds (at least) the stop grams of the query's prefixes."""
    chars = list(query)
    found = []
    for p in range(len(chars) - 1):
        for n in range(2, meta["max_gram"] + 1):
            if p + n > len(chars):
                break
            gram = "".join(chars[p:p + n])
            if gram not in stop:
                found.append((p, n, gram))
                break
    covered = [False] * len(chars)
    chosen: list[tuple[int, int, str]] = []
    while len(chosen) < MAX_GRAMS:
        best, best_gain = None, 0
        for f in found:
            if f in chosen:
                continue
            gain = sum(not c for c in covered[f[0]:f[0] + f[1]])
            if gain > best_gain:
                best, best_gain = f, gain
        if best is None:
            break
        chosen.append(best)
        for i in range(best[0], best[0] + best[1]):
            covered[i] = True
    # Grams across the joins pin down the order: the longest not inside a chosen one.
    for f in sorted(found, key=lambda f: (-f[1], f[0])):
        inside = any(c[0] <= f[0] and f[0] + f[1] <= c[0] + c[1] for c in chosen)
        if len(chosen) < MAX_GRAMS and not inside:
            chosen.append(f)
    return list(dict.fromkeys(gram for _, _, gram in chosen))


def _decode(postings: str, width: int) -> list[int]:
    ids, current = [], 0
    for token in postings.split(","):
        current += int(token[width:], 36)
        ids.append(current)
    return ids


def query_cost(index: Path, query: str) -> dict:
    """Files and bytes the browser fetches for one query (meta, the stop-gram shards of its
    prefixes, gram shards, and the record shards of the first page of results), simulated
    with the algorithm of ``lookup.js``."""
    meta_path = index / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    fetched = {meta_path}
    code = "".join(query.split()).upper()
    if len(code) == 18 and all(c in "0123456789ABCDEFGHJKLMNPQRTUWXY" for c in code):
        fetched.add(index / "r" / f"{fnv1a(code.encode()) % meta['record_shards']}.json")
        hits = 1
    else:
        query = "".join(normalise(query).split())
        stop: set[str] = set()
        for k in _stop_shards(query, meta):
            shard = index / "s" / f"{k}.json"
            fetched.add(shard)
            for grams_of_prefix in json.loads(shard.read_text("utf-8")).values():
                stop.update(grams_of_prefix)
        grams = _plan(query, meta, stop)
        sets = []
        for gram in grams:
            shard = index / "g" / f"{fnv1a(gram.encode()) % meta['gram_shards']}.json"
            fetched.add(shard)
            postings = json.loads(shard.read_text("utf-8")).get(gram)
            sets.append(set(_decode(postings, 2 + len(meta["years"]))) if postings else set())
        ids = sorted(set.intersection(*sets)) if sets else []
        hits, confirmed, shown, rounds = len(ids), 0, 0, 0
        width = meta["record_width"]
        while confirmed < PAGE and shown < len(ids) and rounds < 3:  # as lookup.js
            batch = ids[shown:shown + PAGE - confirmed]
            shown += len(batch)
            rounds += 1
            for i in batch:
                shard = index / "r" / f"{i // width}.json"
                fetched.add(shard)
                record = json.loads(shard.read_text("utf-8"))[i % width]
                confirmed += query in "".join(normalise(record[1]).split())
    return {"query": query, "files": len(fetched), "candidates": hits,
            "bytes": sum(p.stat().st_size for p in fetched)}


def lookup_budget(site_dir: Path, *, sample: int = 200) -> dict:
    """Bytes per query over a deterministic sample of enterprises of a built site: for each,
    an exact USCC lookup and a name-fragment query (the distinctive part of its name,
    without the common prefix and suffix), plus shard size statistics. Used by the benchmark
    at every tier; the browser test checks the same bound with real requests."""
    index = Path(site_dir) / INDEX
    meta = json.loads((index / "meta.json").read_text("utf-8"))
    shards = sorted(index.glob("r/*.json")), sorted(index.glob("g/*.json"))
    step = max(1, meta["record_shards"] // sample)
    picked = []
    for k in range(0, meta["record_shards"], step):
        records = json.loads((index / "r" / f"{k}.json").read_text("utf-8"))
        if records:
            picked.append(records[0])
        if len(picked) >= sample:
            break
    costs = []
    for record in picked:
        costs.append(query_cost(index, record[0]))
        costs.append(query_cost(index, _fragment(record[1])))
    sizes = sorted(c["bytes"] for c in costs)
    return {
        "enterprises": meta["enterprises"], "queries": len(costs),
        "bytes_max": sizes[-1] if sizes else 0,
        "bytes_median": sizes[len(sizes) // 2] if sizes else 0,
        "bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
        "record_shards": len(shards[0]), "gram_shards": len(shards[1]),
        "record_shard_max_bytes": max((p.stat().st_size for p in shards[0]), default=0),
        "gram_shard_max_bytes": max((p.stat().st_size for p in shards[1]), default=0),
        "meta_bytes": (index / "meta.json").stat().st_size,
        "index_bytes": sum(p.stat().st_size for group in shards for p in group),
    }


def _fragment(name: str) -> str:
    """What someone would type for a name: without the place before it and the legal form
    after it (``site.name_affixes`` of portal.yml, each in turn)."""
    from pipeline.config import current

    prefixes, suffixes = current().site.name_affixes
    core = name
    for prefix in prefixes:
        core = core.removeprefix(prefix)
    for suffix in suffixes:
        core = core.removesuffix(suffix)
    return core or name
