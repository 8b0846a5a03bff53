"""The original row-by-row implementation of ``build_index``, kept as the oracle for the
vectorised one in ``pipeline.pages.lookup_index``.

It is the code as it was before the rewrite, helpers included, moved here verbatim; only
the small shared helpers (hashing, base 36, JSON, normalisation, parameters, and the
stop-gram shards that later replaced the list in ``meta.json``) are imported from the
module. ``tests/test_lookup_index.py`` asserts both produce the same bytes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.pages.lookup_index import (
    DIGITS,
    VERSION,
    Params,
    base36,
    dumps,
    fnv1a,
    fnv1a_fixed,
    normalise,
    stop_files,
)


def _text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _by_uscc(table: pa.Table, columns: list[str]) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    data = [_cells(table[c]) for c in columns]
    for row in zip(*data, strict=True):
        out[row[0]].append(list(row[1:]))
    return out


def _cells(column: pa.ChunkedArray) -> list:
    """A column's values as the shards hold them: integers and booleans as they are, every
    other value as its text (dates ISO). Dates and strings are turned into text by Arrow, a
    column at a time: making a Python date per cell and formatting it was the slow part."""
    type_ = column.type
    if pa.types.is_integer(type_) or pa.types.is_boolean(type_) or pa.types.is_string(type_) \
            or pa.types.is_large_string(type_):
        return column.to_pylist()
    if pa.types.is_date(type_):
        return column.cast(pa.string()).to_pylist()  # YYYY-MM-DD, as date.isoformat()
    return [v if isinstance(v, int | bool) or v is None else _text(v) for v in column.to_pylist()]


def _stop_grams(names: list[str], params: Params) -> set[str]:
    """Grams of 2..max_gram characters contained (counted per occurrence) more than ``cap``
    times. Counted with Arrow, one gram length at a time, so memory stays one column."""
    array = pa.array(names, pa.string())
    lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False)
    longest = int(lengths.max()) if len(names) else 0
    stop: set[str] = set()
    for n in range(2, params.max_gram + 1):
        parts = []
        for p in range(max(0, longest - n + 1)):
            keep = lengths >= p + n
            if not keep.any():
                break
            parts.append(pc.utf8_slice_codeunits(array.filter(pa.array(keep)), p, p + n))
        if not parts:
            break
        counts = pa.concat_arrays(parts).value_counts()
        values, freq = counts.field("values"), counts.field("counts").to_numpy()
        stop.update(values.filter(pa.array(freq > params.cap)).to_pylist())
    return stop


def _grams_of(name: str, stop: set[str], max_gram: int) -> set[str]:
    """The shortest non-stop gram at every position of ``name`` (positions whose chain is
    all stop grams up to ``max_gram`` or the name's end contribute nothing)."""
    out = set()
    for p in range(len(name) - 1):
        for n in range(2, max_gram + 1):
            if p + n > len(name):
                break
            gram = name[p:p + n]
            if gram not in stop:
                out.add(gram)
                break
    return out


def build_index(*, enterprises: pa.Table, ratings: pa.Table, certificates: pa.Table,
                listings: pa.Table, hazards: pa.Table, districts: list[str], sectors: list[str],
                grades: list[str], reference_date: date,
                params: Params | None = None) -> dict[str, bytes]:
    """Every shard file, keyed by its path relative to the index folder.

    ``listings`` must be the *public* (active) blacklist: an expired listing never gets here.
    ``hazards`` is the derived rectification table (status on the reference date).
    """
    params = params or Params()
    enterprises = enterprises.sort_by("uscc")
    usccs = enterprises["uscc"].to_pylist()
    names = enterprises["name"].to_pylist()
    n = len(usccs)

    # Records, sharded by USCC hash.
    per_shard = max(1, params.record_bytes // 250)  # a record is about 250 bytes
    record_shards = max(1, math.ceil(n / per_shard))  # any count works with %
    shard_of = (fnv1a_fixed(np.array(usccs, dtype="S18")) % record_shards).astype(np.int64) \
        if n else np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(n), shard_of))  # USCC order within a shard (rows are sorted)
    occupancy = np.bincount(shard_of, minlength=record_shards)
    width = int(occupancy.max()) if n else 1
    ids = np.empty(n, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(occupancy)[:-1]])
    position = np.arange(n) - starts[shard_of[order]]
    ids[order] = shard_of[order] * width + position

    rating_years = sorted(set(ratings["year"].to_pylist()))
    grade_index = {g: DIGITS[i] for i, g in enumerate(grades)}
    district_index = {d: DIGITS[i] for i, d in enumerate(districts)}
    sector_index = {s: DIGITS[i] for i, s in enumerate(sectors)}

    by_rating = _by_uscc(ratings.sort_by([("uscc", "ascending"), ("year", "ascending")]),
                         ["uscc", "year", "scheme", "grade", "rated_on"])
    by_cert = _by_uscc(certificates.sort_by([("uscc", "ascending"), ("issued", "ascending"),
                                             ("certificate_id", "ascending")]),
                       ["uscc", "certificate_id", "level", "issued", "expires"])
    by_listing = _by_uscc(listings.sort_by([("uscc", "ascending"), ("listed", "ascending"),
                                            ("listing_id", "ascending")]),
                          ["uscc", "listing_id", "reason", "listed", "expires", "accident_id",
                           "hazard_id"])
    by_hazard = _by_uscc(hazards.filter(pc.is_valid(hazards["uscc"])).sort_by(
        [("uscc", "ascending"), ("listed", "ascending"), ("hazard_id", "ascending")]),
        ["uscc", "hazard_id", "level", "listed", "deadline", "rectified", "status",
         "days_late"])

    district_col = enterprises["district_code"].to_pylist()
    sector_col = enterprises["sector_code"].to_pylist()
    scale_col = enterprises["scale"].to_pylist()
    established_col = _cells(enterprises["established"])

    # Plain lists from here on: indexing a NumPy array per row boxes a scalar each time.
    shard_list, id_list = shard_of.tolist(), ids.tolist()
    shards: list[list] = [[] for _ in range(record_shards)]
    attrs = []
    for row in order.tolist():
        uscc = usccs[row]
        rated = by_rating.get(uscc, [])
        shards[shard_list[row]].append([
            uscc, names[row], district_col[row], sector_col[row], scale_col[row],
            established_col[row], rated, by_cert.get(uscc, []), by_listing.get(uscc, []),
            by_hazard.get(uscc, [])])
    for row in range(n):
        grade_of = {r[0]: r[2] for r in by_rating.get(usccs[row], [])}
        attrs.append(district_index.get(district_col[row], "-")
                     + sector_index.get(sector_col[row], "-")
                     + "".join(grade_index.get(grade_of.get(y), "-") for y in rating_years))

    files: dict[str, bytes] = {}
    for k, records in enumerate(shards):
        files[f"r/{k}.json"] = dumps(records)

    # Name index.
    normal = [normalise(name or "") for name in names]
    stop = _stop_grams(normal, params)
    postings: dict[str, list[int]] = defaultdict(list)
    for row in np.argsort(ids, kind="stable").tolist():  # ascending ids: deltas are positive
        for gram in _grams_of(normal[row], stop, params.max_gram):
            postings[gram].append(row)
    encoded = {}
    total = 0
    digits: dict[int, str] = {}  # base36 of each delta, computed once (deltas repeat)
    for gram, rows in postings.items():
        previous, parts = 0, []
        for row in rows:
            delta = id_list[row] - previous
            text_ = digits.get(delta)
            if text_ is None:
                text_ = digits[delta] = base36(delta)
            parts.append(attrs[row] + text_)
            previous = id_list[row]
        encoded[gram] = ",".join(parts)
        total += len(encoded[gram].encode("utf-8")) + len(gram.encode("utf-8")) * 3 // 2 + 6
    gram_shards = max(1, math.ceil(total / params.gram_bytes))
    grouped: list[dict] = [{} for _ in range(gram_shards)]
    for gram, value in encoded.items():
        grouped[fnv1a(gram.encode("utf-8")) % gram_shards][gram] = value
    for k, group in enumerate(grouped):
        files[f"g/{k}.json"] = dumps(group)

    stop_shards, stop_shard_files = stop_files(stop, params)
    files.update(stop_shard_files)
    # The ranked lists are written by the module's own (row by row) function: they came
    # after the rewrite; tests/test_lookup_index.py checks them against their definition.
    files.update(list_files(names, ids, attrs, stop, district_of=np.array([ord(a[0]) for a in attrs]),
                            sector_of=np.array([ord(a[1]) for a in attrs]), params=params))
    files["meta.json"] = dumps({
        "version": VERSION,
        "affixes": list(params.affixes),
        "list_page": params.list_page,
        "list_cap": params.list_cap,
        "enterprises": n,
        "record_shards": record_shards,
        "record_width": width,
        "gram_shards": gram_shards,
        "stop_shards": stop_shards,
        "cap": params.cap,
        "max_gram": params.max_gram,
        "years": rating_years,
        "districts": districts,
        "sectors": sectors,
        "grades": grades,
        "as_of": reference_date.isoformat(),
    })
    return files


# --- the ranked lists, row by row -------------------------------------------------------

def attrs_text(attrs: np.ndarray) -> list[str]:
    """The attribute characters of every enterprise as one string each."""
    if not attrs.shape[1]:
        return []
    return np.ascontiguousarray(attrs.T).view(f"S{attrs.shape[0]}").ravel().astype(str).tolist()


def is_affix(gram: str, affixes) -> bool:
    return any(gram in normalise(affix) for affix in affixes)


def _pages(entries: list[str], total: int, size: int) -> list[bytes]:
    pages = [entries[k:k + size] for k in range(0, len(entries), size)] or [[]]
    out = [dumps({"n": total, "kept": len(entries), "pages": len(pages), "i": ",".join(pages[0])})]
    out += [dumps({"i": ",".join(page)}) for page in pages[1:]]
    return out


def list_files(names: list, ids: np.ndarray, attrs: list[str], stop, *, district_of: np.ndarray,
               sector_of: np.ndarray, params: Params) -> Iterator[tuple[str, bytes]]:
    """The ranked list files (see above) as (path, bytes), one at a time, for enterprises
    in row order ``names``, ``ids``, ``attrs``; ``district_of`` and ``sector_of`` are their
    attribute characters (bytes).

    Row by row, this is the lists' definition (moved here from the module when the module
    began to make them a column at a time): ``iter_index`` must give the same bytes."""
    stop = set(stop)
    normal = [normalise(name or "") for name in names]
    tokens = [attrs[row] + base36(int(ids[row])) for row in range(len(normal))]
    listed = {gram for gram in stop if not is_affix(gram, params.affixes)}
    members: dict[str, dict[int, int]] = {gram: {} for gram in listed}
    longest = max((len(g) for g in listed), default=0)
    for row, name in enumerate(normal):
        for p in range(len(name) - 1):
            for n in range(2, min(longest, len(name) - p) + 1):
                gram = name[p:p + n]
                if gram not in stop:
                    break
                if gram in listed:
                    members[gram].setdefault(row, p)
    for gram in sorted(listed):
        found = members.pop(gram)  # each list's members freed once its pages are made
        ranked = sorted(found, key=lambda row: (found[row], len(normal[row]), int(ids[row])))
        entries = [tokens[row] for row in ranked[:params.list_cap]]
        for k, page in enumerate(_pages(entries, len(found), params.list_page)):
            yield f"l/g{gram.encode('utf-8').hex()}/{k}.json", page

    by_name = sorted(range(len(normal)), key=lambda row: (normal[row], int(ids[row])))
    facets: dict[str, list[int]] = defaultdict(list)
    for row in by_name:
        d, s = chr(district_of[row]), chr(sector_of[row])
        for key in (f"{d}{s}", f"{d}_", f"_{s}", "__"):
            facets[key].append(row)
    for key in sorted(facets):
        rows_ = facets[key]
        for k, page in enumerate(_pages([tokens[row] for row in rows_], len(rows_), params.list_page)):
            yield f"l/f{key}/{k}.json", page
