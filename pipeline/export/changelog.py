"""What changed since the previous release: rows by primary key, fields, and metadata.

A release is *data-updated* when any resource gained, lost or changed rows, or its
columns changed (added, removed, retyped), or a resource was added or removed. It is
*metadata-updated* when the descriptor changed in anything else (titles, descriptions,
licences, sources, version, ...). The two dates are carried separately, as CKAN does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.files import jsonable
from pipeline.export.releases import RELEASE_KEY, PreviousRelease

DETAIL_LIMIT = 10_000  # rows listed per kind and resource in changelog.json; counts are always exact
# Properties the export computes; they are not the publisher's metadata.
COMPUTED_PACKAGE_KEYS = {RELEASE_KEY}
COMPUTED_RESOURCE_KEYS = {"bytes", "hash", "x-downloads"}


def _keys(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _plain(value):
    """A cell value for changelog.json: ISO dates, null for NaN/infinity."""
    if isinstance(value, (dt.date, float, bytes)):
        return jsonable(value) if not isinstance(value, float) or not math.isfinite(value) else value
    return value


def _align(old: pa.ChunkedArray, new: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Make two versions of a column comparable even if its type changed."""
    if old.type == new.type:
        return old, new
    try:
        return old.cast(new.type), new
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return old.cast(pa.string()), new.cast(pa.string())


def _differs(old: pa.ChunkedArray, new: pa.ChunkedArray) -> pa.ChunkedArray:
    unequal = pc.fill_null(pc.not_equal(old, new), False)
    unequal = pc.or_(unequal, pc.not_equal(pc.is_null(old), pc.is_null(new)))
    if pa.types.is_floating(new.type):
        both_nan = pc.and_(pc.fill_null(pc.is_nan(old), False), pc.fill_null(pc.is_nan(new), False))
        unequal = pc.and_(unequal, pc.invert(both_nan))
    return unequal


def diff_table(old: pa.Table, new: pa.Table, primary_key: list[str], limit: int = DETAIL_LIMIT) -> dict:
    old_names, new_names = old.column_names, new.column_names
    fields = {
        "added": [n for n in new_names if n not in old_names],
        "removed": [n for n in old_names if n not in new_names],
        "type_changed": [n for n in new_names if n in old_names and old.schema.field(n).type != new.schema.field(n).type],
    }
    result = {"primary_key": primary_key, "fields": fields,
              "rows": {"before": old.num_rows, "after": new.num_rows}}
    if not primary_key or any(k not in old_names or k not in new_names for k in primary_key):
        return _diff_without_key(old, new, result, limit)
    if _same(old, new):
        # The common case of a weekly rebuild, decided without the join: joining a national
        # table with its last release and sorting the result took gigabytes for nothing.
        result["rows"].update(added=0, removed=0, changed=0)
        result.update(changed_fields={}, added=[], removed=[], changed=[], truncated=False)
        return result

    common = [n for n in new_names if n in old_names and n not in primary_key]
    old_side = {k: old.column(k) for k in primary_key}
    new_side = {k: new.column(k) for k in primary_key}
    for k in primary_key:
        old_side[k], new_side[k] = _align(old_side[k], new_side[k])
    for n in common:
        old_side[f"old:{n}"], new_side[f"new:{n}"] = _align(old.column(n), new.column(n))
    old_side["old:__present"] = pa.chunked_array([pa.array([True] * old.num_rows, pa.bool_())])
    new_side["new:__present"] = pa.chunked_array([pa.array([True] * new.num_rows, pa.bool_())])
    joined = pa.table(old_side).join(pa.table(new_side), keys=primary_key, join_type="full outer")
    # The join's row order depends on threads; the key order makes the output stable.
    joined = joined.sort_by([(k, "ascending") for k in primary_key])

    added = pc.is_null(joined.column("old:__present"))
    removed = pc.is_null(joined.column("new:__present"))
    both = pc.invert(pc.or_(added, removed))
    masks = {n: pc.and_(both, _differs(joined.column(f"old:{n}"), joined.column(f"new:{n}"))) for n in common}
    changed = pa.chunked_array([pa.array([False] * joined.num_rows, pa.bool_())])
    for mask in masks.values():
        changed = pc.or_(changed, mask)

    def key_rows(mask) -> list[dict]:
        return [{k: _plain(v) for k, v in row.items()}
                for row in joined.filter(mask).select(primary_key).slice(0, limit).to_pylist()]

    counts = {name: pc.sum(mask).as_py() or 0 for name, mask in masks.items()}
    result["rows"].update(added=pc.sum(added).as_py() or 0, removed=pc.sum(removed).as_py() or 0,
                          changed=pc.sum(changed).as_py() or 0)
    result["changed_fields"] = {name: count for name, count in counts.items() if count}
    result["added"] = key_rows(added)
    result["removed"] = key_rows(removed)
    subset = joined.filter(changed).slice(0, limit)
    subset_masks = {name: mask.filter(changed).slice(0, limit).to_pylist() for name, mask in masks.items()
                    if counts[name]}
    result["changed"] = []
    for index, row in enumerate(subset.to_pylist()):
        result["changed"].append({
            "key": {k: _plain(row[k]) for k in primary_key},
            "fields": {name: {"old": _plain(row[f"old:{name}"]), "new": _plain(row[f"new:{name}"])}
                       for name, flags in subset_masks.items() if flags[index]},
        })
    result["truncated"] = any(result["rows"][kind] > limit for kind in ("added", "removed", "changed"))
    return result


def _same(old: pa.Table, new: pa.Table) -> bool:
    """The same columns, types and values in the same order (NaN is never equal to itself
    here: such a table takes the join, which compares NaN as equal)."""
    return old.schema.names == new.schema.names and old.schema.types == new.schema.types and old.equals(new)


def _diff_without_key(old: pa.Table, new: pa.Table, result: dict, limit: int) -> dict:
    """Without a primary key rows can only be added or removed, compared as whole rows."""
    common = [n for n in new.column_names if n in old.column_names]
    before = Counter(tuple(_plain(v) for v in row.values()) for row in old.select(common).to_pylist())
    after = Counter(tuple(_plain(v) for v in row.values()) for row in new.select(common).to_pylist())
    added, removed = after - before, before - after
    as_rows = lambda counter: [dict(zip(common, row)) for row in sorted(counter.elements(), key=repr)][:limit]
    result["rows"].update(added=sum(added.values()), removed=sum(removed.values()), changed=0)
    result.update(changed_fields={}, added=as_rows(added), removed=as_rows(removed), changed=[],
                  truncated=max(sum(added.values()), sum(removed.values())) > limit)
    return result


def _is_data_change(resource_diff: dict) -> bool:
    rows, fields = resource_diff["rows"], resource_diff["fields"]
    return bool(rows["added"] or rows["removed"] or rows["changed"] or any(fields.values()))


def metadata_only(descriptor: dict) -> dict:
    """The publisher's metadata: the descriptor without what the export computes."""
    package = {k: v for k, v in descriptor.items() if k not in COMPUTED_PACKAGE_KEYS and k != "resources"}
    package["resources"] = {r["name"]: {k: v for k, v in r.items() if k not in COMPUTED_RESOURCE_KEYS}
                            for r in descriptor.get("resources", [])}
    return package


def diff_metadata(old, new, path: str = "") -> list[str]:
    """Paths (``resources/districts/schema/fields/code/title``) where two descriptors differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}/{key}" if path else str(key)
            changes += diff_metadata(old.get(key), new.get(key), sub) if key in old and key in new else [sub]
        return changes
    if isinstance(old, list) and isinstance(new, list) and all(
            isinstance(i, dict) and "name" in i for i in old + new):
        return diff_metadata({i["name"]: i for i in old}, {i["name"]: i for i in new}, path)
    return [] if old == new else [path]


ROW_DETAIL = ("added", "removed", "changed")


def without_row_detail(diff: dict) -> dict:
    """A resource's diff with counts only: which rows changed is not said.

    For a table that names enterprises only while their listing is in force, a row key in a
    changelog would outlive the listing; the counts say as much as a reader needs.
    """
    diff = {k: v for k, v in diff.items() if k not in ROW_DETAIL}
    diff.update(detail="withheld", truncated=False)
    return diff


def compare_release(previous: PreviousRelease | None, published: dict, tables: dict[str, pa.Table],
                    limit: int = DETAIL_LIMIT, detail_withheld: frozenset[str] = frozenset()) -> dict:
    """The changelog entry of this release (without its dates, which depend on the outcome).

    Resources named in ``detail_withheld`` get counts but no row keys.
    """
    entry = {"version": published.get("version"),
             "previous_version": previous.version if previous else None,
             "resources": {}}
    if previous is None:
        for name, table in sorted(tables.items()):
            entry["resources"][name] = {"status": "added", "rows": {"before": 0, "after": table.num_rows}}
        entry.update(data_changed=True, metadata_changed=True, metadata_changes=[])
        return entry

    old_resources = previous.resources
    new_resources = {r["name"]: r for r in published.get("resources", [])}
    for name in sorted(set(old_resources) | set(tables)):
        if name not in tables:
            entry["resources"][name] = {"status": "removed",
                                        "rows": {"before": previous.table(name).num_rows, "after": 0}}
            continue
        if name not in old_resources:
            entry["resources"][name] = {"status": "added", "rows": {"before": 0, "after": tables[name].num_rows}}
            continue
        key = _keys(new_resources[name].get("schema", {}).get("primaryKey"))
        diff = diff_table(previous.table(name), tables[name], key, limit)
        diff["status"] = "changed" if _is_data_change(diff) else "unchanged"
        entry["resources"][name] = without_row_detail(diff) if name in detail_withheld else diff

    changes = diff_metadata(metadata_only(previous.descriptor), metadata_only(published))
    entry["metadata_changes"] = changes
    entry["data_changed"] = any(r["status"] != "unchanged" for r in entry["resources"].values())
    entry["metadata_changed"] = bool(changes)
    return entry


def release_dates(entry: dict, previous: PreviousRelease | None, reference_date: dt.date) -> dict:
    """``released``, ``data_updated`` and ``metadata_updated`` of this release.

    A date moves to the reference date only when that kind of change happened; otherwise
    it is carried from the previous release, so re-publishing unchanged data changes nothing.
    """
    today = reference_date.isoformat()
    before = previous.release if previous else {}
    same_version = previous is not None and previous.version == entry["version"]
    return {
        "released": before.get("released", today) if same_version else today,
        "data_updated": today if entry["data_changed"] or not before.get("data_updated") else before["data_updated"],
        "metadata_updated": today if entry["metadata_changed"] or not before.get("metadata_updated")
        else before["metadata_updated"],
        "previous_version": entry["previous_version"] if not same_version else before.get("previous_version"),
    }


def finish_entry(entry: dict, previous: PreviousRelease | None, reference_date: dt.date) -> tuple[dict, dict]:
    """The changelog entry with its dates, and the dates for the descriptor's ``x-release``.

    Re-publishing the same version (a metadata fix) keeps that version's entry, which
    describes the change from the version before it, and adds the metadata changes.
    """
    dates = release_dates(entry, previous, reference_date)
    earlier = ((previous.changelog or {}).get("releases") or [None])[0] if previous else None
    if previous is not None and previous.version == entry["version"] and earlier and \
            earlier.get("version") == entry["version"]:
        changes = sorted(set(earlier.get("metadata_changes", [])) | set(entry["metadata_changes"]))
        entry = {**earlier, "metadata_changes": changes,
                 "metadata_changed": bool(earlier.get("metadata_changed") or entry["metadata_changed"])}
    entry = {**entry, "previous_version": dates["previous_version"], "released": dates["released"],
             "data_updated": dates["data_updated"], "metadata_updated": dates["metadata_updated"]}
    return entry, dates


def summary(entry: dict) -> dict:
    """The entry without row-level detail: what older releases keep in later changelogs."""
    resources = {name: {k: v for k, v in diff.items() if k in ("status", "rows", "fields", "changed_fields")}
                 for name, diff in entry["resources"].items()}
    return {**{k: v for k, v in entry.items() if k != "resources"}, "resources": resources}


def changelog_document(package: str, entry: dict, previous: PreviousRelease | None) -> dict:
    """This release in full, followed by the summaries of earlier releases."""
    history = list((previous.changelog or {}).get("releases", [])) if previous and previous.changelog else []
    # Re-publishing a version (metadata fix) replaces its entry rather than adding one.
    history = [summary(old) for old in history if old.get("version") != entry["version"]]
    return {"package": package, "releases": [entry, *history]}
