"""The status engine's snapshots as rows: a header, and the bytes in compressed parts.

A part is written per transaction and the header marked complete last, so a reader
never sees half a snapshot, and SQLite's one writer lock is never held for the
whole (~125 MB at 1,000 models x 3 regions) while results wait to be stored. Not a
data change: the site's version stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select, update

from monitor.store.rows.schema import ENGINE_SNAPSHOT_PARTS, ENGINE_SNAPSHOTS


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What a snapshot says about itself, read before its bytes are."""

    taken_at: datetime
    format: int
    code_version: str
    settings_digest: str
    targets_digest: str
    targets: tuple[str, ...]  # the model ids it judged
    regions: tuple[str, ...]
    size: int
    checksum: str
    id: int = 0  # given when stored


def begin_snapshot(connection: Connection, info: SnapshotInfo) -> int:
    row = {
        "taken_at": info.taken_at,
        "format": info.format,
        "code_version": info.code_version,
        "settings_digest": info.settings_digest,
        "targets_digest": info.targets_digest,
        "targets": list(info.targets),
        "regions": list(info.regions),
        "size": info.size,
        "checksum": info.checksum,
        "complete": False,
    }
    inserted = connection.execute(
        insert(ENGINE_SNAPSHOTS).values(row).returning(ENGINE_SNAPSHOTS.c.id)
    )
    return int(inserted.scalar_one())


def add_part(connection: Connection, snapshot_id: int, seq: int, data: bytes) -> None:
    connection.execute(
        insert(ENGINE_SNAPSHOT_PARTS).values(snapshot_id=snapshot_id, seq=seq, data=data)
    )


def finish_snapshot(connection: Connection, snapshot_id: int, keep: int) -> None:
    """Mark it complete; drop every other snapshot but the newest `keep` complete ones
    (a corrupt newest one can fall back on the one before) and unfinished older ones."""
    columns = ENGINE_SNAPSHOTS.c
    connection.execute(
        update(ENGINE_SNAPSHOTS).where(columns.id == snapshot_id).values(complete=True)
    )
    kept = list(
        connection.execute(
            select(columns.id)
            .where(columns.complete.is_(True))
            .order_by(columns.taken_at.desc(), columns.id.desc())
            .limit(keep)
        ).scalars()
    )
    stale = list(
        connection.execute(
            select(columns.id).where(columns.id.not_in(kept), columns.id < snapshot_id)
        ).scalars()
    )
    _drop(connection, stale)


def drop_snapshot(connection: Connection, snapshot_id: int) -> None:
    _drop(connection, [snapshot_id])


def snapshot_infos(connection: Connection) -> list[SnapshotInfo]:
    """The complete snapshots, newest first."""
    columns = ENGINE_SNAPSHOTS.c
    rows = connection.execute(
        select(ENGINE_SNAPSHOTS)
        .where(columns.complete.is_(True))
        .order_by(columns.taken_at.desc(), columns.id.desc())
    ).mappings()
    return [
        SnapshotInfo(
            taken_at=row["taken_at"],
            format=row["format"],
            code_version=row["code_version"],
            settings_digest=row["settings_digest"],
            targets_digest=row["targets_digest"],
            targets=tuple(row["targets"]),
            regions=tuple(row["regions"]),
            size=row["size"],
            checksum=row["checksum"],
            id=row["id"],
        )
        for row in rows
    ]


def snapshot_parts(engine: Engine, snapshot_id: int) -> Iterator[bytes]:
    """The parts in order, one query each: only one part is held at a time."""
    columns = ENGINE_SNAPSHOT_PARTS.c
    seq = 0
    while True:
        with engine.connect() as connection:
            data = connection.execute(
                select(columns.data).where(columns.snapshot_id == snapshot_id, columns.seq == seq)
            ).scalar_one_or_none()
        if data is None:
            return
        yield bytes(data)
        seq += 1


def _drop(connection: Connection, ids: list[int]) -> None:
    if ids:
        parts = ENGINE_SNAPSHOT_PARTS.c
        connection.execute(delete(ENGINE_SNAPSHOT_PARTS).where(parts.snapshot_id.in_(ids)))
        connection.execute(delete(ENGINE_SNAPSHOTS).where(ENGINE_SNAPSHOTS.c.id.in_(ids)))
