"""Saving the status engine's state to the database, and reading back one that can be trusted.

The snapshot lives in the database, not in a file: a worker in another region that
takes the status-engine lease over can start from it too, and a deployment with
PostgreSQL and no disk of its own keeps it. Writing: the engine is pickled in the
evaluator's thread right after an evaluation (a consistent copy, 1.5 s CPU at 1,000
models x 3 regions), then compressed and written in parts by a thread of its own, so
the minute's evaluation never waits for the database; a save still running when the
next is due is skipped, never queued. At a clean stop the last state is written
before the lease is given up.

Reading refuses, with the reason, a snapshot the engine cannot trust: from another
version of aistatus, judged with other status settings or models, from regions the
evaluator would not judge with, older than `max_age`, or whose bytes do not check out.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.config import StatusSettings
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.judging.snapshot import (
    FORMAT,
    SnapshotError,
    code_version,
    dump,
    load,
    settings_digest,
    targets_digest,
)
from monitor.store import SnapshotInfo, Store, describe_error

log = logging.getLogger(__name__)

PART_BYTES = 16 << 20  # raw bytes compressed into one part (one transaction each)
KEEP = 2  # complete snapshots kept: a corrupt newest one falls back on the one before
_LEVEL = 1  # zlib: 40 % smaller for 0.2 s per 20 MB; higher levels gain ~1 % for twice it


@dataclass(frozen=True, slots=True)
class Restored:
    engine: StatusEngine
    info: SnapshotInfo
    passed_over: tuple[str, ...] = ()  # why newer snapshots could not be used
    added: tuple[TargetInfo, ...] = ()  # models probed lately that it did not judge yet


class EngineSnapshots:
    def __init__(self, store: Store, settings: StatusSettings, interval_s: float) -> None:
        self.store = store
        self.settings = settings
        self.interval = timedelta(seconds=interval_s)
        self.saved_at: datetime | None = None  # the minute of the last snapshot saved or read
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.interval > timedelta(0)

    def due(self, now: datetime) -> bool:
        return self.enabled and (self.saved_at is None or now - self.saved_at >= self.interval)

    def save_in_background(self, engine: StatusEngine, now: datetime) -> bool:
        """Copy the engine now, write it from a thread of its own; False if the last save
        is still being written (this one is skipped)."""
        if self._thread is not None and self._thread.is_alive():
            return False
        data, info = self._copy(engine, now)
        self.saved_at = now
        self._thread = threading.Thread(
            target=self._write, args=(info, data), name="aistatus-snapshot", daemon=True
        )
        self._thread.start()
        return True

    def save_now(self, engine: StatusEngine, now: datetime) -> None:
        """Write the engine's state before returning (a clean stop), unless it is saved."""
        self.wait()
        if not self.enabled or self.saved_at == now:
            return
        data, info = self._copy(engine, now)
        self.saved_at = now
        self._write(info, data)

    def wait(self) -> None:
        """Until the save being written (if any) is stored or has failed."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def restore(
        self,
        now: datetime,
        targets: Callable[[frozenset[str]], Sequence[TargetInfo]],
        recent: frozenset[str],
        regions: Sequence[str],
        max_age: timedelta,
    ) -> Restored | str:
        """The newest snapshot that can be trusted, or why there is none. Trusted: it judged
        the models the worker would judge now (`targets` of its own and the `recent`ly
        probed ones: the store's names for them, none removed; those added are in
        `Restored.added`, for the caller to judge from their first results) from
        `regions` (a subset of its regions will do)."""
        if not self.enabled:
            return "engine snapshots are off (storage.engine_snapshot_interval = 0)"
        try:
            infos = self.store.engine_snapshots()
        except Exception as error:  # an old database, or one that is down
            return f"cannot read the stored snapshots ({describe_error(error)})"
        if not infos:
            return "no snapshot stored yet"
        passed_over: list[str] = []
        for info in infos:
            expected = targets(frozenset(info.targets) | recent)
            known = set(info.targets)
            added = tuple(t for t in expected if t.id not in known)
            kept = [t for t in expected if t.id in known]
            why = self._mismatch(info, now, kept, regions, max_age)
            if why is None:
                try:
                    engine = self._read(info)
                except SnapshotError as error:
                    why = str(error)
                except Exception as error:
                    why = f"could not be read ({describe_error(error)})"
                else:
                    self.saved_at = info.taken_at
                    return Restored(engine, info, tuple(passed_over), added)
            passed_over.append(f"the snapshot of {info.taken_at:%Y-%m-%d %H:%M} UTC {why}")
        return "; ".join(passed_over)

    # -- internals ------------------------------------------------------------------------

    def _copy(self, engine: StatusEngine, now: datetime) -> tuple[bytes, SnapshotInfo]:
        data = dump(engine)
        info = SnapshotInfo(
            taken_at=now,
            format=FORMAT,
            code_version=code_version(),
            settings_digest=settings_digest(self.settings),
            targets_digest=targets_digest(engine.targets.values()),
            targets=tuple(engine.targets),
            regions=tuple(engine.regions),
            size=len(data),
            checksum="",  # by the writing thread: 0.2 s at 1,000 x 3 the evaluator need not wait
        )
        return data, info

    def _write(self, info: SnapshotInfo, data: bytes) -> None:
        started = time.perf_counter()
        written = [0]
        info = replace(info, checksum=hashlib.sha256(data).hexdigest())
        try:
            self.store.save_engine_snapshot(info, _compressed(data, written), keep=KEEP)
        except Exception as error:  # the next save tries again; a start falls back
            log.warning("could not save the status engine's snapshot: %s", describe_error(error))
            return
        log.info(
            "status engine snapshot of %s UTC saved: %.1f MB (%.1f MB compressed) in %.1f s",
            f"{info.taken_at:%H:%M}",
            len(data) / 1e6,
            written[0] / 1e6,
            time.perf_counter() - started,
        )

    def _mismatch(
        self,
        info: SnapshotInfo,
        now: datetime,
        targets: Sequence[TargetInfo],
        regions: Sequence[str],
        max_age: timedelta,
    ) -> str | None:
        if info.format != FORMAT or info.code_version != code_version():
            return "was written by another version of aistatus"
        if info.taken_at > now:
            return "is dated after now (a clock ahead of this one's?)"
        if now - info.taken_at > max_age:
            return f"is older than {max_age.total_seconds() / 3600:g} h"
        if info.settings_digest != settings_digest(self.settings):
            return "was judged with other [status] settings"
        if info.targets_digest != targets_digest(targets):
            return "judged another list of models"
        if not set(regions) <= set(info.regions):
            joined = ", ".join(sorted(set(regions) - set(info.regions)))
            return f"was judged without region(s) {joined}"
        return None

    def _read(self, info: SnapshotInfo) -> StatusEngine:
        data = bytearray()
        try:
            for part in self.store.engine_snapshot_parts(info.id):
                data += zlib.decompress(part)
        except zlib.error as error:
            raise SnapshotError(f"is corrupt ({error})") from None
        if len(data) != info.size or hashlib.sha256(data).hexdigest() != info.checksum:
            raise SnapshotError("is corrupt (its bytes do not match its checksum)")
        return load(data, self.settings)


def _compressed(data: bytes, written: list[int]) -> Iterator[bytes]:
    """`data` as parts of PART_BYTES, each compressed on its own, made as they are asked
    for; adds their size to written[0]."""
    view = memoryview(data)
    for start in range(0, len(data), PART_BYTES):
        part = zlib.compress(view[start : start + PART_BYTES], _LEVEL)
        written[0] += len(part)
        yield part
