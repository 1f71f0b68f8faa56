"""Rollup rows: adding rollups to the stored ones, reading them back, trimming them.

Counts add in SQL; histograms merge in Python. So adding runs inside the
caller's write transaction, one chunk of keys (in sorted order) at a time:

    deltas ──INSERT .. ON CONFLICT DO NOTHING RETURNING key──► keys inserted: done
       │ keys already stored
       └──SELECT .. FOR UPDATE──► UPDATE counts = counts + delta, histograms = merged

SQLite: the write transaction holds the database's write lock from BEGIN
IMMEDIATE, so nothing changes a row between the read and the update.
PostgreSQL: an insert that meets another transaction's row for the same key
waits for it to commit and skips it; FOR UPDATE then locks the committed row,
so a delta is always added to the newest row, never written over it. Sorted
keys make two writers take the rows they share in the same order; a deadlock
would need two writers of the same region with batches over `CHUNK_KEYS`
keys, and PostgreSQL ends it with an error: the writer retries that batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Select, delete, func, select

from monitor.histogram import LatencyHistogram
from monitor.results import FailureClass, ProbeResult
from monitor.rollups import Resolution, Rollup, RollupKey, coarsen, rollup
from monitor.store.rows.dialects import insert_new, lock_by_key, update_by_key
from monitor.store.rows.schema import ROLLUPS

# Keys per chunk: SQLite's insert binds 19 parameters a row (limit 32766 a
# statement); big enough to keep round trips few.
CHUNK_KEYS = 500
_COUNTS = (
    *(failure.value for failure in FailureClass),
    "probes",
    "answers_checked",
    "answers_correct",
    "output_tokens",
    "forms_checked",
    "forms_correct",
)
_HISTS = ("ttft_hist", "total_hist")
StoredHists = Mapping[RollupKey, tuple[str, str]]


def rollups_of(results: Iterable[ProbeResult]) -> list[Rollup]:
    """Minute, hour and day rollups of `results` (hours and days coarsened from minutes)."""
    minutes = rollup(results, Resolution.MINUTE)
    hours = coarsen(minutes, Resolution.HOUR)
    return [*minutes, *hours, *coarsen(hours, Resolution.DAY)]


def add_rollups(connection: Connection, rollups: Iterable[Rollup]) -> None:
    """Add `rollups` to the stored rows with the same keys, creating rows that are missing."""
    summed: dict[RollupKey, Rollup] = {}
    for delta in rollups:
        stored = summed.get(delta.key)
        summed[delta.key] = delta if stored is None else stored + delta
    ordered = {key: summed[key] for key in sorted(summed)}
    for chunk in _chunks(ordered, CHUNK_KEYS):
        _add_chunk(connection, chunk)


def _add_chunk(connection: Connection, deltas: Mapping[RollupKey, Rollup]) -> None:
    created = insert_new(connection, ROLLUPS, [delta.to_row() for delta in deltas.values()])
    existing = deltas.keys() - {_key_of(row) for row in created}
    if not existing:
        return
    in_order = sorted(existing)
    stored = _lock_stored(connection, [_key_row(key) for key in in_order])
    changes = [_change(deltas[key], stored[key]) for key in in_order if key in stored]
    update_by_key(connection, ROLLUPS, changes, add=_COUNTS, replace=_HISTS)
    vanished = {key: deltas[key] for key in in_order if key not in stored}
    if vanished:  # PostgreSQL: deleted by retention since the insert met them
        _add_chunk(connection, vanished)


def _lock_stored(connection: Connection, keys: list[dict[str, Any]]) -> StoredHists:
    """The stored histograms of the rows with these keys, locked until commit."""
    rows = lock_by_key(connection, ROLLUPS, keys)
    return {_key_of(row): (row["ttft_hist"], row["total_hist"]) for row in rows}


def _key_row(key: RollupKey) -> dict[str, Any]:
    return {
        "target": key.target,
        "region": key.region,
        "resolution": key.resolution.value,
        "bucket_start": key.bucket_start,
    }


def _change(delta: Rollup, stored: tuple[str, str]) -> dict[str, Any]:
    """The delta's key and counts, with the histograms merged into the stored ones."""
    change: dict[str, Any] = {name: getattr(delta, name) for name in _COUNTS}
    change.update(
        target=delta.target,
        region=delta.region,
        resolution=delta.resolution.value,
        bucket_start=delta.bucket_start,
        ttft_hist=_merged(stored[0], delta.ttft_hist),
        total_hist=_merged(stored[1], delta.total_hist),
    )
    return change


def _merged(stored: str, delta: LatencyHistogram) -> str:
    if not delta.count:  # e.g. a minute of errors only: nothing to decode
        return stored
    merged = LatencyHistogram.decode(stored)
    merged.merge(delta)
    return merged.encode()


def _key_of(row: Mapping[str, Any]) -> RollupKey:
    return RollupKey(
        row["target"], row["region"], Resolution(row["resolution"]), row["bucket_start"]
    )


def _chunks(items: Mapping[RollupKey, Rollup], size: int) -> Iterator[dict[RollupKey, Rollup]]:
    iterator = iter(items.items())
    while chunk := dict(islice(iterator, size)):
        yield chunk


def query_between(
    start: datetime,
    end: datetime,
    resolution: Resolution,
    target: str | None,
    region: str | None,
) -> Select[Any]:
    """Rollups whose bucket starts in [start, end), in key order."""
    columns = ROLLUPS.c
    query = select(ROLLUPS).where(
        columns.resolution == resolution.value,
        columns.bucket_start >= start,
        columns.bucket_start < end,
    )
    if target is not None:
        query = query.where(columns.target == target)
    if region is not None:
        query = query.where(columns.region == region)
    return query.order_by(columns.target, columns.region, columns.bucket_start)


def query_latest_start(resolution: Resolution) -> Select[Any]:
    columns = ROLLUPS.c
    return select(func.max(columns.bucket_start)).where(columns.resolution == resolution.value)


def delete_before(connection: Connection, resolution: Resolution, cutoff: datetime) -> int:
    """Delete `resolution` rollups whose bucket starts before `cutoff`; returns how many."""
    columns = ROLLUPS.c
    deleted = connection.execute(
        delete(ROLLUPS).where(columns.resolution == resolution.value, columns.bucket_start < cutoff)
    )
    return deleted.rowcount
