"""Static index shards for the enterprise lookup: small JSON files, never one page per firm.

At province scale there are 600,000 enterprises and 2.4 million ratings; a page each would
make the site build grow with the data, and one big JSON file would cost every visitor tens
of megabytes. Instead the lookup is a handful of small same-origin files per query:

``meta.json``
    parameters, and the code lists the attribute characters index into.
``s/<k>.json`` (stop grams, sharded by a hash of their first two characters)
    ``{prefix: [stop grams starting with it]}``. Every gram of a position's chain starts with
    the same two characters, so a query needs one small shard per position. (In one list in
    ``meta.json`` they grew with the data: 188 KB at national scale, more than a query's
    whole byte budget.)
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
there, so that gram's postings hold every name containing it. The browser fetches the stop
grams of the query's two-character prefixes, walks the same chain for positions of the
query, fetches the gram shards it needs, intersects, and confirms each hit on its record
(``name`` contains the query).

Hashes are FNV-1a (32 bit) over UTF-8, written the same way in ``lookup.js``.
Names are normalised with NFKC and lower case, also as ``lookup.js`` does.

The files are built a column at a time (Arrow string kernels, NumPy), never a row at a
time in Python: at province scale a loop over rows took most of a minute. The bytes are
exactly those ``dumps`` writes for the same records and objects.

``iter_index`` gives the files one at a time, as they are made, so the caller writes each
before the next is built: the bytes of the whole index (443 MiB at province scale) are never
in memory at once. Shards are joined a batch of rows at a time for the same reason.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.jsonfile import json_text
from pipeline.memory import release_freed
from pipeline.pages.core import INERT, inert_json
from pipeline.sorting import distinct, sort_in_place

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
VERSION = 3  # 2: stop grams in shards of their own, not in meta.json; 3: ranked lists


@dataclass(frozen=True)
class Params:
    cap: int = 500             # a gram in more names than this is a stop gram
    max_gram: int = 6          # longest indexed gram (characters)
    record_bytes: int = 4_000  # aimed-at average size of a record shard
    gram_bytes: int = 8_000   # aimed-at average size of a gram shard
    stop_bytes: int = 1_000   # aimed-at average size of a stop-gram shard (one per prefix, mostly)
    # Entries per page of a ranked list: 10 KB a page on average at the national tier. Pages
    # of 200 (4 KB) were 199,648 of the index's 402,531 files there, and creating a file
    # costs 0.1 to 0.3 ms of the build's time; a list's first page now costs a query 6 KB more.
    list_page: int = 500
    list_cap: int = 2_000      # entries kept of a stop gram's list (the best ranked)
    # What nearly every name starts or ends with (portal.yml site.name_affixes): a query
    # made of these alone names no one, so lookup.js lists by the filters instead.
    affixes: tuple[str, ...] = ()


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
    shard is inert even if someone opens it as HTML (:func:`pipeline.pages.core.inert_json`)."""
    return inert_json(value).encode("utf-8")


def stop_files(stop, params: Params) -> tuple[int, dict[str, bytes]]:
    """The stop grams as shards ``s/<k>.json`` of ``{prefix: [grams]}``, grouped by their
    first two characters and sharded by the FNV-1a of that prefix; and the shard count.

    A gram is a stop gram only if its prefix is one (no more names contain a gram than
    contain its prefix), so a prefix's group is its whole chain. Every shard is written,
    empty or not, so the browser never asks for a missing file."""
    groups: dict[str, list[str]] = {}
    for gram in sorted(stop):
        groups.setdefault(gram[:2], []).append(gram)
    total = sum(len(dumps(grams)) + len(prefix.encode("utf-8")) + 4
                for prefix, grams in groups.items())
    count = max(1, math.ceil(total / params.stop_bytes))
    shards: list[dict] = [{} for _ in range(count)]
    for prefix, grams in groups.items():
        shards[fnv1a(prefix.encode("utf-8")) % count][prefix] = grams
    return count, {f"s/{k}.json": dumps(shard) for k, shard in enumerate(shards)}


def _text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


# --- JSON text, a column at a time ----------------------------------------------------
# The shards are the bytes ``dumps`` would write, but built with Arrow's string kernels:
# every value becomes its JSON text, and records, lists and objects are those texts joined.

# Bytes of a string that its JSON text does not hold as they are: control characters,
# quote and backslash (JSON escapes), and < > & (``dumps`` escapes). UTF-8 never uses
# these bytes inside a multi-byte character, so looking at bytes is exact.
_ESCAPED = np.zeros(256, dtype=bool)
_ESCAPED[list(range(0x20)) + [ord(c) for c in '"\\'] + [ord(plain) for plain, _ in INERT]] = True


def _combined(column) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _json_values(column, *, cells: bool = True) -> pa.Array:
    """The JSON text of every value of ``column`` as ``dumps`` writes it inside a shard.

    With ``cells`` the values are those the shards hold (integers and booleans as they
    are, dates ISO, anything else as its text); without, the column's plain values."""
    column = _combined(column)
    type_ = column.type
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        column = column.cast(pa.string())
        if not _ESCAPED[np.frombuffer(_string_buffers(column)[1], dtype=np.uint8)].any():
            text = pc.binary_join_element_wise('"', column, '"', "")  # nothing to escape
        else:
            text = json_text(column)
            for plain, escape in INERT:
                text = pc.replace_substring(text, plain, escape)
        return pc.fill_null(text, "null")
    if cells and pa.types.is_date(type_):  # few distinct days: each written once
        encoded = pc.dictionary_encode(column)
        return pc.fill_null(json_text(encoded.dictionary).take(encoded.indices), "null")
    if pa.types.is_integer(type_) or pa.types.is_boolean(type_):
        return json_text(column)
    values = column.to_pylist()  # unusual types: Python's encoder, value by value
    if cells:
        values = [v if isinstance(v, int | bool) or v is None else _text(v) for v in values]
    return pa.array([dumps(v).decode("utf-8") for v in values], pa.string())


def _lookup(column, mapping: dict, default: str) -> np.ndarray:
    """``mapping.get(value, default)`` of every value (one ASCII character), as bytes."""
    encoded = pc.dictionary_encode(_combined(column))
    codes = np.array([ord(mapping.get(v, default)) for v in encoded.dictionary.to_pylist()]
                     + [ord(mapping.get(None, default))], dtype=np.uint8)
    indices = pc.fill_null(encoded.indices, len(encoded.dictionary))
    return codes[indices.to_numpy(zero_copy_only=False)]


def _string_buffers(array: pa.Array) -> tuple[np.ndarray, memoryview]:
    """The offsets (from 0) and the data of a string array (under a null: what is there)."""
    array = _combined(array)
    if not len(array):
        return np.zeros(1, dtype=np.int64), memoryview(b"")
    kind = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=kind)[array.offset:
                                                            array.offset + len(array) + 1]
    data = array.buffers()[2]
    view = memoryview(data) if data is not None else memoryview(b"")
    return offsets.astype(np.int64) - int(offsets[0]), view[int(offsets[0]):int(offsets[-1])]


BATCH = 1 << 16  # items joined at once by _files: the files of a batch are made together


def _files(parts: list, counts: np.ndarray, opening: str, closing: str) -> Iterator[bytes]:
    """``opening + ",".join(items) + closing`` for consecutive runs of ``counts`` items,
    where the item texts are ``parts`` (strings, or arrays of an item each) joined
    element-wise, file after file. The files of about ``BATCH`` items at a time are joined
    into one buffer and given as slices of it."""
    ends = np.cumsum(counts)
    k = 0
    while k < len(counts):
        first = int(ends[k] - counts[k])
        last = max(k + 1, int(np.searchsorted(ends, first + BATCH, side="right")))
        size = int(ends[last - 1]) - first
        yield from _batch_files([p if isinstance(p, str) else p.slice(first, size) for p in parts],
                                counts[k:last], opening, closing)
        k = last


def _batch_files(parts: list, counts: np.ndarray, opening: str, closing: str) -> list[bytes]:
    """The files of ``_files`` whose items are all of ``parts``."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    first = np.zeros(total, dtype=bool)
    last = np.zeros(total, dtype=bool)
    first[(ends - counts)[counts > 0]] = True
    last[ends[counts > 0] - 1] = True
    large = pa.large_string()
    texts = pc.binary_join_element_wise(
        pc.if_else(pa.array(first), pa.scalar(opening, large), pa.scalar(",", large)),
        *[pa.scalar(p, large) if isinstance(p, str) else p.cast(large) for p in parts],
        pc.if_else(pa.array(last), pa.scalar(closing, large), pa.scalar("", large)),
        pa.scalar("", large))
    offsets, data = _string_buffers(texts)
    bounds = offsets[np.concatenate([[0], ends])].tolist()
    empty = (opening + closing).encode("utf-8")
    return [bytes(data[bounds[k]:bounds[k + 1]]) if counts[k] else empty
            for k in range(len(counts))]


def _children(table: pa.Table, at: pa.Array, n: int, sort: list[str], columns: list[str]
              ) -> tuple[pa.Array, np.ndarray, pa.Table, pa.Array]:
    """The rows of ``table`` of each of the ``n`` enterprises (``at`` is a row's enterprise,
    null for none), sorted by ``sort``, as their JSON texts joined with ","; the sorted
    rows' enterprise; the rows kept and the indices that sort them."""
    if at.null_count:
        table = table.append_column("_at", at).filter(pc.is_valid(at))
    else:
        table = table.append_column("_at", at)
    rank = pc.sort_indices(table.select(["_at"] + sort),
                           sort_keys=[("_at", "ascending")] + [(c, "ascending") for c in sort])
    parts = []
    for c in columns:
        parts += [",", _json_values(table[c])]
    rows = pc.binary_join_element_wise("[", *parts[1:], "]", "").take(rank)
    at = table["_at"].to_numpy()[rank.to_numpy()]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(at, minlength=n))])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), rows)
    return pc.binary_join(lists, ","), at, table, rank


# --- the name index ---------------------------------------------------------------------

def _normalised(names) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """All names normalised in one string, its code points, and where each name starts and
    ends in it.

    The names are normalised at once, each followed by U+0000, which gives the same as name
    by name: U+0000 is a starter that no character composes with or decomposes to, and it
    is neither cased nor case-ignorable, so it ends the context of a final sigma when
    lowering. Missing names, or names holding U+0000, are normalised one by one."""
    names = _combined(names).cast(pa.string())
    raw = np.frombuffer(_string_buffers(names)[1], dtype=np.uint8)
    if not names.null_count and not (raw == 0).any():
        offsets = _string_buffers(names)[0]
        ends = offsets[1:] + np.arange(len(names))
        data = np.zeros(len(raw) + len(names), dtype=np.uint8)
        keep = np.ones(len(data), dtype=bool)
        keep[ends] = False
        data[keep] = raw
        text = normalise(data.tobytes().decode("utf-8"))
        chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        ends = np.flatnonzero(chars == 0)
        if len(ends) == len(names):
            starts = np.zeros(len(ends), dtype=np.int64)
            starts[1:] = ends[:-1] + 1
            return text, chars, starts, ends
    normal = [normalise(name or "") for name in names.to_pylist()]
    lengths = np.fromiter(map(len, normal), dtype=np.int64, count=len(normal))
    text = "".join(normal)
    ends = np.cumsum(lengths)
    return text, np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), ends - lengths, ends


def _grams(text: str, chars: np.ndarray, starts: np.ndarray, ends: np.ndarray,
           rank: np.ndarray, params: Params):
    """Stop grams, the indexed grams, every (gram, row) pair of the index, and the ranked
    lists, for the names at ``starts``..``ends`` of ``text`` (``chars`` are its code points;
    ``rank`` is each row's place by name length, then id).

    Grams are found a length at a time: the 2-grams at every position, then the (n+1)-grams
    only where the n-gram is a stop gram (a gram's count is at most its prefix's, so every
    stop gram of length n+1 is found there, with its full count). A gram is numbered from
    its prefix's number and its last character, so no gram text is made but those kept.

    The ranked lists are made of where the listed stop grams (those not made of the
    affixes alone) are found on the way: each (stop gram, row) once, at its first position
    in the name, ranked by that position, then ``rank``. Only a list's best ``list_cap``
    entries are kept, as ``(stop gram * width + position) * n + rank``, sorted (``width``
    is one more than the longest name), with each list's count in all: found here, the
    names are not scanned again for the lists, and a list is cut as soon as it is found
    (at the national tier, keeping every member until the lists were written held 1.5 GB
    through the postings, nearly every position of every name being one)."""
    n = len(starts)
    width = int((ends - starts).max()) + 1 if n else 1
    affixes = [normalise(affix) for affix in params.affixes]
    lists = Lists({}, {})
    index = np.int32 if len(chars) < 2**31 else np.int64
    spans = np.diff(np.append(starts, len(chars)))  # a name and what follows it up to the next
    row_of = np.repeat(np.arange(n, dtype=index), spans)
    left = ends.astype(index)[row_of] - np.arange(len(chars), dtype=index)  # to the name's end
    del spans

    stop: list[str] = []
    grams: list[str] = []
    # (gram, row) pairs as gram * n + row, each once, by gram then row. Every gram of one
    # length is numbered after those of the lengths before, so each length's pairs, sorted
    # and made unique on their own, follow the last length's: no sort of all of them (at
    # the national tier that sort and its copies were gigabytes, the index's peak).
    found = []
    at = np.flatnonzero(left >= 2).astype(index)
    prefix = chars[at].astype(np.uint64)
    for size in range(2, params.max_gram + 1):
        if not len(at):
            break
        key = prefix  # the prefix's number and the last character, made in place
        key <<= np.uint64(21)
        key |= chars[at + (size - 1)]
        encoded = pc.dictionary_encode(pa.array(key))
        del key, prefix  # (the arrays here are as long as all the names: each freed when done)
        number = encoded.indices.to_numpy()
        count = np.bincount(number, minlength=len(encoded.dictionary))
        where = np.empty(len(count), dtype=np.int64)
        where[number] = at  # a position of each gram (any one)
        is_stop = count > params.cap
        found_stop = [text[p:p + size] for p in where[is_stop].tolist()]
        listed = np.zeros(len(count), dtype=bool)
        listed[np.flatnonzero(is_stop)[[not any(g in a for a in affixes) for g in found_stop]]] \
            = True
        if listed.any():
            stop_id = np.cumsum(is_stop) - 1 + len(stop)
            assert (len(stop) + len(found_stop)) * n * width < 2**63  # the keys fit
            chosen = listed[number]
            place = at[chosen].astype(np.int64)
            row = row_of[place].astype(np.int64)
            run = stop_id[number[chosen]]
            del chosen
            run *= n  # in place, as below: no temporary the length of all the names
            run += row
            run *= width
            run += place
            del place
            run -= starts[row]
            del row
            sort_in_place(run)
            # the first position of each (stop gram, row): the least, as sorted
            pair = run // width
            run = run[np.concatenate([[True], pair[1:] != pair[:-1]])]
            del pair
            _best(run, n, width, rank, params.list_cap, lists)
            del run
        stop += found_stop
        kept = np.flatnonzero(~is_stop)
        gram_id = np.full(len(count), -1, dtype=np.int64)
        gram_id[kept] = len(grams) + np.arange(len(kept))
        grams += [text[p:p + size] for p in where[kept].tolist()]
        stopped = is_stop[number]
        pairs = gram_id[number[~stopped]] * max(n, 1) + row_of[at[~stopped]]
        sort_in_place(pairs)
        found.append(distinct(pairs))
        del pairs
        longer = np.flatnonzero(stopped & (left[at] > size))
        # read by the next length (F841: the check does not follow the loop back to its top)
        at, prefix = at[longer], number[longer].astype(np.uint64)  # noqa: F841
        del encoded, number, stopped, longer
    del row_of, left, at

    pairs = np.concatenate(found + [np.zeros(0, np.int64)])
    del found
    return stop, grams, pairs // max(n, 1), pairs % max(n, 1), lists


@dataclass
class Lists:
    """The ranked lists ``_grams`` found: each listed stop gram's kept entries, best first,
    as ``(stop gram * width + position) * n + rank`` (so ``% n`` is the rank), and its count
    in all."""
    entries: dict[int, np.ndarray]
    counts: dict[int, int]


def _best(members: np.ndarray, n: int, width: int, rank: np.ndarray, cap: int, lists: Lists) -> None:
    """The best ``cap`` of each stop gram's ``members`` (``(stop gram * n + row) * width +
    position``, sorted, one per (stop gram, row)) into ``lists``, as ``(stop gram * width +
    position) * n + rank``, sorted, with each stop gram's number of members.

    No array but the keys is as long as the members (nearly every position of every name,
    at the national tier): a stop gram's members are found by a binary search, and only
    the entries kept are indexed."""
    if not len(members):
        return
    step = n * width
    grams = np.arange(members[0] // step, members[-1] // step + 2)
    bounds = np.searchsorted(members, grams * step)
    sizes = np.diff(bounds)
    present = np.flatnonzero(sizes)
    key = members // step  # the stop gram, then in place: no other temporary
    key *= width
    key += members % width
    key *= n
    row = members // width
    row %= n
    key += rank[row]
    del row
    sort_in_place(key)  # each stop gram's entries stay where its members were, now ranked
    kept = np.minimum(sizes[present], cap)
    at = np.cumsum(kept) - kept  # where each stop gram's entries start among those kept
    key = key[np.repeat(bounds[present] - at, kept) + np.arange(int(kept.sum()))]
    for gram, start, size, count in zip(grams[present].tolist(), at.tolist(), kept.tolist(),
                                        sizes[present].tolist(), strict=True):
        lists.entries[gram] = key[start:start + size]
        lists.counts[gram] = count


def _fnv1a_strings(array: pa.Array) -> np.ndarray:
    """FNV-1a of the UTF-8 of every string, one byte position at a time."""
    offsets, data = _string_buffers(array)
    data = np.frombuffer(data, dtype=np.uint8)
    lengths = np.diff(offsets)
    h = np.full(len(lengths), 0x811C9DC5, dtype=np.uint64)
    for column in range(int(lengths.max()) if len(lengths) else 0):
        rows = np.flatnonzero(lengths > column)
        h[rows] = ((h[rows] ^ data[offsets[rows] + column]) * 0x01000193) & 0xFFFFFFFF
    return h


def _postings(gram_of: np.ndarray, row_of: np.ndarray, ids: np.ndarray, attrs: np.ndarray,
              count: int) -> pa.Array:
    """Each gram's postings text: ``attrs + base36(id delta)`` of its rows, joined with ",".
    Written byte by byte into one buffer: a posting is an optional ",", the attribute
    characters and the digits."""
    first = np.ones(len(gram_of), dtype=bool)
    first[1:] = gram_of[1:] != gram_of[:-1]
    id_of = ids[row_of]
    delta = id_of.copy()
    delta[1:] -= np.where(first[1:], 0, id_of[:-1])
    digits = np.ones(len(delta), dtype=np.int64)
    while True:
        more = delta >= 36 ** digits
        if not more.any():
            break
        digits += more
    width = attrs.shape[0]
    comma = (~first).astype(np.int64)
    size = comma + width + digits
    start = np.cumsum(size) - size
    data = np.empty(int(size.sum()), dtype=np.uint8)
    data[start[~first]] = ord(",")
    begin = start + comma
    for c in range(width):
        data[begin + c] = attrs[c][row_of]
    begin += width
    table = np.frombuffer(DIGITS.encode("ascii"), dtype=np.uint8)
    for c in range(int(digits.max()) if len(digits) else 0):
        rows = np.flatnonzero(digits > c)
        data[begin[rows] + c] = table[delta[rows] // 36 ** (digits[rows] - 1 - c) % 36]
    bounds = np.concatenate([start[first], [len(data)]]).astype(np.int64)
    assert len(bounds) == count + 1
    return pa.Array.from_buffers(pa.large_string(), count,
                                 [None, pa.py_buffer(bounds), pa.py_buffer(data)])


def _codes(usccs) -> np.ndarray:
    """The codes as 18-byte strings for ``fnv1a_fixed``: straight from Arrow's buffer when
    every code is 18 ASCII characters (always, for valid data), else through Python."""
    array = _combined(usccs)
    if len(array) and array.null_count == 0 and pa.types.is_string(array.type):
        offsets, data = _string_buffers(array)
        raw = np.frombuffer(data, dtype=np.uint8)
        if (np.diff(offsets) == 18).all() and (raw < 0x80).all():
            return raw.reshape(-1, 18).view("S18").ravel()
    return np.array(array.to_pylist(), dtype="S18")


def build_index(**arguments) -> dict[str, bytes]:
    """Every file of :func:`iter_index` (same arguments), keyed by its path, all at once."""
    return dict(iter_index(**arguments))


def rating_years(ratings: pa.Table) -> list[int]:
    """The years the index has ratings for (``meta.json``'s ``years``, the page's year
    filter)."""
    return sorted(set(pc.unique(ratings["year"]).to_pylist()))


def iter_index(*, enterprises: pa.Table, ratings: pa.Table, certificates: pa.Table,
               listings: pa.Table, hazards: pa.Table, districts: list[str], sectors: list[str],
               grades: list[str], reference_date: date,
               params: Params | None = None) -> Iterator[tuple[str, bytes]]:
    """Every file of the index as (path relative to the index folder, bytes), each made
    when the one before has been taken: record shards, gram shards, stop-gram shards,
    ranked-list pages, then ``meta.json``.

    ``listings`` must be the *public* (active) blacklist: an expired listing never gets here.
    ``hazards`` is the derived rectification table (status on the reference date).
    """
    params = params or Params()
    release_freed()  # what the pages written before the index freed: its peak comes on top
    enterprises = enterprises.sort_by("uscc")
    n = enterprises.num_rows

    # Records, sharded by USCC hash.
    per_shard = max(1, params.record_bytes // 250)  # a record is about 250 bytes
    record_shards = max(1, math.ceil(n / per_shard))  # any count works with %
    shard_of = (fnv1a_fixed(_codes(enterprises["uscc"])) % record_shards).astype(np.int64) \
        if n else np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(n), shard_of))  # USCC order within a shard (rows are sorted)
    occupancy = np.bincount(shard_of, minlength=record_shards)
    width = int(occupancy.max()) if n else 1
    starts = np.concatenate([[0], np.cumsum(occupancy)[:-1]])
    # From here rows are in shard order, that of the records, where ids increase.
    enterprises = enterprises.take(pa.array(order, pa.int64()))
    shard = shard_of[order]
    ids = shard * width + np.arange(n) - starts[shard]

    # Each row of the other tables joins its enterprise, looked up all at once.
    hazards = hazards.filter(pc.is_valid(hazards["uscc"]))
    children = (ratings, certificates, listings, hazards)
    found = _combined(pc.index_in(
        pa.chunked_array([_combined(t["uscc"]).cast(pa.string()) for t in children],
                         pa.string()),
        value_set=_combined(enterprises["uscc"]).cast(pa.string())))
    bounds = np.cumsum([0] + [t.num_rows for t in children]).tolist()
    at = [found.slice(bounds[k], bounds[k + 1] - bounds[k]) for k in range(len(children))]

    years = rating_years(ratings)
    grade_index = {g: DIGITS[i] for i, g in enumerate(grades)}
    district_index = {d: DIGITS[i] for i, d in enumerate(districts)}
    sector_index = {s: DIGITS[i] for i, s in enumerate(sectors)}

    rated, rated_at, rated_rows, rank = _children(
        ratings, at[0], n, ["year"], ["year", "scheme", "grade", "rated_on"])
    certified, *_ = _children(certificates, at[1], n, ["issued", "certificate_id"],
                              ["certificate_id", "level", "issued", "expires"])
    listed, *_ = _children(listings, at[2], n, ["listed", "listing_id"],
                           ["listing_id", "reason", "listed", "expires", "accident_id",
                            "hazard_id"])
    supervised, *_ = _children(hazards, at[3], n, ["listed", "hazard_id"],
                               ["hazard_id", "level", "listed", "deadline", "rectified",
                                "status", "days_late"])

    # Attribute characters of every enterprise: district, sector, grade per year (a grade
    # is the last rating of its year, as a dict keyed by year keeps it).
    attrs = np.full((2 + len(years), n), ord("-"), dtype=np.uint8)
    attrs[0] = _lookup(enterprises["district_code"], district_index, "-")
    attrs[1] = _lookup(enterprises["sector_code"], sector_index, "-")
    if len(rated_at):
        year = np.searchsorted(np.array(years),
                               rated_rows["year"].take(rank).to_numpy(zero_copy_only=False))
        last = np.ones(len(rated_at), dtype=bool)
        last[:-1] = (rated_at[1:] != rated_at[:-1]) | (year[1:] != year[:-1])
        grade = _lookup(rated_rows["grade"].take(rank), grade_index, "-")
        attrs[2 + year[last], rated_at[last]] = grade[last]

    parts = ["["]
    for c in ("uscc", "name", "district_code", "sector_code", "scale"):
        parts += [_json_values(enterprises[c], cells=False), ","]
    parts += [_json_values(enterprises["established"]), ",["]
    for texts in (rated, certified, listed):
        parts += [texts, "],["]
    parts += [supervised, "]]"]
    for k, text in enumerate(_files(parts, occupancy, "[", "]")):
        yield f"r/{k}.json", text
    del parts, rated, certified, listed, supervised
    release_freed()  # the record texts' memory, for the grams

    # Name index.
    text, chars, starts, ends = _normalised(enterprises["name"])
    by_name = _name_order(text, chars, starts, ids)
    by_rank = _order(ends - starts, ids)  # a stop gram's list ranks by these after position
    rank = np.empty(len(by_rank), dtype=np.int64)
    rank[by_rank] = np.arange(len(by_rank))
    stop, grams, gram_of, row_of, lists = _grams(text, chars, starts, ends, rank, params)
    del rank
    del text, chars, starts, ends
    values = _postings(gram_of, row_of, ids, attrs, len(grams))
    grams = pa.array(grams, pa.string())
    sizes = np.diff(_string_buffers(values)[0]) \
        + pc.binary_length(grams).to_numpy(zero_copy_only=False).astype(np.int64) * 3 // 2 + 6
    total = int(sizes.sum())
    del sizes
    gram_shards = max(1, math.ceil(total / params.gram_bytes))
    group = (_fnv1a_strings(grams) % gram_shards).astype(np.int64)
    ranked = pc.sort_indices(pa.table({"group": group, "gram": grams}),
                             sort_keys=[("group", "ascending"), ("gram", "ascending")])
    grouped = _files([_json_values(grams.take(ranked)), ':"', values.take(ranked), '"'],
                     np.bincount(group, minlength=gram_shards), "{", "}")
    for k, text in enumerate(grouped):
        yield f"g/{k}.json", text
    del grouped, values, grams, gram_of, row_of, group, ranked

    stop_shards, stop_shard_files = stop_files(stop, params)
    yield from stop_shard_files.items()
    del stop_shard_files
    yield from _ranked_lists(stop, lists, by_rank, by_name, ids, attrs, params)
    del lists, by_rank, by_name
    yield "meta.json", dumps({
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
        "years": years,
        "districts": districts,
        "sectors": sectors,
        "grades": grades,
        "as_of": reference_date.isoformat(),
    })



# --- ranked lists: what a common fragment or the filters alone match ---------------------
# A stop gram (化工, 机械: in more names than ``cap``) has no postings of its own, and the
# filters without a name have none at all. Both get ranked lists, paged, so a query reads
# one small page at a time:
#
# ``l/g<hex>/<k>.json``  page k of the names containing a stop gram (hex: its UTF-8),
#     best first: where the gram first appears in the name, then the shorter name, then
#     the id; at most ``list_cap`` entries (the head says how many there are in all).
# ``l/f<d><s>/<k>.json``  page k of the enterprises of district d and sector s (their
#     characters in the attributes, ``_`` for any), in name order.
#
# Page 0 is ``{"n": entries in all, "kept": entries listed, "pages": pages, "i": entries}``,
# the others ``{"i": entries}``; an entry is the attributes and the id in base 36, as in a
# posting but without the delta (a ranked list is not in id order). A stop gram made of
# the affixes alone (常, 有限, 公司 ...) gets no list: it names nobody in particular.


# The lists are made a column at a time. Row by row (``list_files`` in the tests' reference
# implementation, which keeps it as the definition) they took 1.2 GB of Python objects and
# most of a minute at province scale, one dict entry per (stop gram, name) pair.

def _name_order(text: str, chars: np.ndarray, starts: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The rows in the order of their normalised names (``_normalised``), then of ids.

    Arrow compares strings by their UTF-8 bytes, which orders them as Python orders code
    points. Each name runs to the next one's start: the U+0000 that may follow it is less
    than any character, so it orders a name before its extensions, as the end does."""
    utf8 = 1 + (chars >= 0x80).astype(np.uint8) + (chars >= 0x800) + (chars >= 0x10000)
    at = np.concatenate([[0], np.cumsum(utf8, dtype=np.int64)])
    del utf8
    offsets = np.append(at[starts], at[-1])
    del at
    names = pa.Array.from_buffers(pa.large_string(), len(starts),
                                  [None, pa.py_buffer(offsets), pa.py_buffer(text.encode("utf-8"))])
    return pc.sort_indices(pa.table({"name": names, "id": ids}),
                           sort_keys=[("name", "ascending"), ("id", "ascending")]).to_numpy()


def _order(*keys: np.ndarray) -> np.ndarray:
    """Indices that sort by the first key, then the next...: non-negative integers, packed
    into one int64 when their ranges allow (one sort, not one per key)."""
    ranges = [int(key.max()) + 1 if len(key) else 1 for key in keys]
    if math.prod(ranges) >= 2**63:
        return np.lexsort(keys[::-1])
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    for key, size in zip(keys, ranges):
        packed *= size
        packed += key
    return np.argsort(packed)  # unique keys (the last is an id or a row): any sort will do


def _ranked_lists(stop: list[str], lists: Lists, by_rank: np.ndarray, by_name: np.ndarray,
                  ids: np.ndarray, attrs: np.ndarray, params: Params) -> Iterator[tuple[str, bytes]]:
    """The files of the row-by-row ``list_files`` (the tests' reference), the same bytes, from
    the lists ``_grams`` kept, the rows by rank (name length, then id) and in name order,
    and the enterprises' ids and attributes."""
    n = len(ids)
    tokens = _postings(np.arange(n), np.arange(n), ids, attrs, n)  # attributes + base 36 id
    # The lists go by the gram's text (a list with none kept, list_cap 0, still says its count).
    of_gram = lists.entries
    listed = sorted(lists.counts, key=stop.__getitem__)
    start = 0
    while start < len(listed):  # grams of about BATCH entries at a time
        batch, size = [], 0
        while start < len(listed) and (not batch or size < BATCH):
            batch.append(listed[start])
            size += len(of_gram[listed[start]])
            start += 1
        rows = by_rank[np.concatenate([of_gram[k] for k in batch]) % n]
        yield from _list_pages([f"g{stop[k].encode('utf-8').hex()}" for k in batch],
                               np.array([lists.counts[k] for k in batch], dtype=np.int64), rows,
                               np.array([len(of_gram[k]) for k in batch], dtype=np.int64), tokens,
                               params.list_page)
        del rows

    # Facets: every enterprise in four lists (district and sector, either, neither), each
    # list in name order. The attribute characters are ASCII and never "_", so the pair of
    # bytes orders the keys as their text does, and each key comes from one of the four.
    any_ = np.full(n, ord("_"), dtype=np.int64)
    district = attrs[0][by_name].astype(np.int64)
    sector = attrs[1][by_name].astype(np.int64)
    key = np.concatenate([district * 256 + sector, district * 256 + any_,
                          any_ * 256 + sector, any_ * 256 + any_])
    rows = np.tile(by_name, 4)
    order = np.argsort(key, kind="stable")  # stable: name order within a key
    keys, counts = np.unique(key, return_counts=True)
    yield from _list_pages([f"f{chr(k >> 8)}{chr(k & 255)}" for k in keys.tolist()], counts,
                           rows[order], counts, tokens, params.list_page)


def _list_pages(names: list[str], totals: np.ndarray, rows: np.ndarray, kept: np.ndarray,
                tokens: pa.Array, size: int) -> Iterator[tuple[str, bytes]]:
    """The pages of consecutive lists (as the reference's ``_pages`` writes them): list ``k`` is ``l/<names[k]>/``,
    ``kept[k]`` entries of ``rows`` (their ``tokens``) of ``totals[k]`` in all."""
    pages = np.maximum(1, -(-kept // size))
    # Entries per page: full pages, then the rest (none, for an empty list).
    per_page = np.full(int(pages.sum()), size, dtype=np.int64)
    last = np.cumsum(pages) - 1
    per_page[last] = kept - (pages - 1) * size
    offsets = np.concatenate([[0], np.cumsum(per_page)])
    texts = pc.binary_join(pa.LargeListArray.from_arrays(
        pa.array(offsets, pa.int64()), tokens.take(pa.array(rows, pa.int64()))),
        pa.scalar(",", pa.large_string()))
    bounds, data = _string_buffers(texts)
    bounds = bounds.tolist()
    page = 0
    for name, total, count, many in zip(names, totals.tolist(), kept.tolist(), pages.tolist()):
        for k in range(many):
            tail = f'","kept":{count},"n":{total},"pages":{many}}}' if k == 0 else '"}'
            yield (f"l/{name}/{k}.json",
                   b'{"i":"' + bytes(data[bounds[page]:bounds[page + 1]]) + tail.encode("ascii"))
            page += 1
