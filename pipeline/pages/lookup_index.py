"""Static index shards for the enterprise lookup: small JSON files, never one page per firm.

At province scale there are 600,000 enterprises and 2.4 million ratings; a page each would
make the site build grow with the data, and one big JSON file would cost every visitor tens
of megabytes. Instead the lookup is a handful of small same-origin files per query:

``meta.json``
    parameters, the code lists the attribute characters index into, and the *stop grams*.
``r/<k>.json`` (records, sharded by a hash of the USCC)
    every enterprise with its ratings, certificates, active blacklist listings and supervised
    hazards. An exact USCC lookup hashes the code and fetches one shard. An enterprise's id is
    ``shard * M + position``, so an id names its shard without another table.
``g/<k>.json`` (name index, sharded by a hash of the gram)
    ``{gram: postings}``: the enterprises whose (normalised) name contains the gram, each with
    its district, sector and grade per year so filters work on the whole result set.

Which grams are indexed adapts to the data, so no posting list grows with the tier: a gram
is a *stop gram* when more than ``cap`` names contain it (常州, 有限, 公司, digit pairs...);
then its one-character-longer extensions are indexed instead, up to ``max_gram`` characters.
Every position of a name contributes to exactly one gram, the shortest non-stop gram starting
there, so that gram's postings hold every name containing it. The browser, knowing the stop
grams from ``meta.json``, walks the same chain for positions of the query, fetches the gram
shards it needs, intersects, and confirms each hit on its record (``name`` contains the query).

Hashes are FNV-1a (32 bit) over UTF-8, written the same way in ``lookup.js``.
Names are normalised with NFKC and lower case, also as ``lookup.js`` does.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
VERSION = 1


@dataclass(frozen=True)
class Params:
    cap: int = 500             # a gram in more names than this is a stop gram
    max_gram: int = 6          # longest indexed gram (characters)
    record_bytes: int = 4_000  # aimed-at average size of a record shard
    gram_bytes: int = 8_000   # aimed-at average size of a gram shard


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def fnv1a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def fnv1a_fixed(codes: np.ndarray) -> np.ndarray:
    """FNV-1a of many equal-length ASCII codes at once (USCCs are 18 characters)."""
    data = np.frombuffer(codes.astype("S18").tobytes(), dtype=np.uint8).reshape(len(codes), -1)
    h = np.full(len(codes), 0x811C9DC5, dtype=np.uint64)
    for column in range(data.shape[1]):
        h = ((h ^ data[:, column]) * 0x01000193) & 0xFFFFFFFF
    return h


def base36(n: int) -> str:
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(DIGITS[r])
    return "".join(reversed(out))


def dumps(value) -> bytes:
    """Compact JSON, sorted keys, non-ASCII kept (smaller), and ``< > &`` as escapes so a
    shard is inert even if someone opens it as HTML."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.encode("utf-8")


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

    files["meta.json"] = dumps({
        "version": VERSION,
        "enterprises": n,
        "record_shards": record_shards,
        "record_width": width,
        "gram_shards": gram_shards,
        "cap": params.cap,
        "max_gram": params.max_gram,
        "years": rating_years,
        "districts": districts,
        "sectors": sectors,
        "grades": grades,
        "as_of": reference_date.isoformat(),
        "stop": sorted(stop),
    })
    return files
