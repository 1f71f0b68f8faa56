"""The status engine's state as bytes, and back; and catching a restored engine up.

A start used to re-judge 25 h of stored results (minutes of CPU at 1,000 models in
3 regions); with a snapshot it reads the engine as it was and judges only the minutes
since, the same way `rebuild` judges every minute.

Format: a pickle (protocol 5) of the engine, read back by an unpickler that builds
nothing but the engine's own classes (those defined in `monitor.judging` and
`monitor.results`) and a few plain builtins (arrays, datetimes): the bytes come from
the database, which other people may write, and a pickle that may name any callable
runs what it names. The settings are not in it: they are referenced by name and the
current ones put back on load. An engine from different code cannot be trusted even
when it unpickles (a renamed field would read as a missing one much later), so
`code_version` names the code that wrote it (a digest of the modules its classes
come from); any other version is refused and the caller rebuilds.
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import io
import json
import pickle
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from monitor.config import IncidentSettings, StatusSettings
from monitor.judging.engine import EngineChanges, StatusEngine, TargetInfo
from monitor.results import ProbeResult

FORMAT = 1  # what the bytes hold; bump when the envelope (not the engine) changes
_BUILTINS = frozenset(
    {
        ("array", "_array_reconstructor"),
        ("array", "array"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
    }
)
_STATUS, _INCIDENTS = "settings.status", "settings.incidents"


class SnapshotError(Exception):
    """The bytes are not an engine this code can use; the message says why."""


@functools.cache
def code_version() -> str:
    """A digest of the code whose objects a snapshot holds: another version's engine is
    refused, never half-read."""
    import monitor.judging as judging
    import monitor.results as results

    digest = hashlib.sha256(f"format {FORMAT}".encode())
    folder = Path(judging.__file__).parent
    for path in [*sorted(folder.glob("*.py")), Path(results.__file__)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def settings_digest(settings: StatusSettings) -> str:
    """Names the status settings a snapshot was judged with: others make another engine."""
    return _digest(settings.model_dump(mode="json"))


def targets_digest(targets: Iterable[TargetInfo]) -> str:
    """Names the models an engine judges, with the names its words give them."""
    infos = [[t.id, t.provider, t.display_name, t.provider_name or ""] for t in targets]
    return _digest(sorted(infos))


def dump(engine: StatusEngine) -> bytes:
    """The engine as bytes (a consistent copy: the engine may change once this returns)."""
    out = io.BytesIO()
    _Pickler(out, engine.settings).dump(engine)
    return out.getvalue()


def load(data: bytes | bytearray, settings: StatusSettings) -> StatusEngine:
    """The engine `dump` wrote, judging with `settings` (the caller checked they are the
    ones it was written with); SnapshotError if the bytes are not one."""
    try:
        engine = _Unpickler(_Reader(data), settings).load()
    except SnapshotError:
        raise
    except Exception as error:  # truncated or mangled bytes fail in many ways
        raise SnapshotError(f"unreadable: {type(error).__name__}: {error}") from None
    if not isinstance(engine, StatusEngine):
        raise SnapshotError(f"holds a {type(engine).__name__}, not a status engine")
    return engine


def catch_up(
    engine: StatusEngine, results: Iterable[ProbeResult], until: datetime
) -> list[EngineChanges]:
    """Judge the minutes after the engine's last evaluation up to `until`, one at a time,
    after counting `results` (those stored since a little before it): as `rebuild` judges
    every minute, so statuses and incidents change when they would have."""
    engine.ingest(results)
    last = engine.last_evaluated
    changes: list[EngineChanges] = []
    if last is None:
        return [engine.evaluate(until)]
    step = last + timedelta(minutes=1)
    while step < until:
        changes.append(engine.evaluate(step))
        step += timedelta(minutes=1)
    changes.append(engine.evaluate(until))
    return [c for c in changes if c]


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _Reader:
    """A file over the bytes without copying them (io.BytesIO would copy a bytearray:
    ~215 MB more at 1,000 models x 3 regions)."""

    def __init__(self, data: bytes | bytearray) -> None:
        self._view = memoryview(data)
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size < 0 else min(self._at + size, len(self._view))
        chunk = self._view[self._at : end].tobytes()
        self._at = end
        return chunk

    def readinto(self, buffer: memoryview) -> int:
        size = min(len(buffer), len(self._view) - self._at)
        buffer[:size] = self._view[self._at : self._at + size]
        self._at += size
        return size

    def readline(self) -> bytes:
        rest = self._view[self._at :]
        end = bytes(rest[: 1 << 16]).find(b"\n")  # pickles read short lines only
        return self.read(len(rest) if end < 0 else end + 1)


class _Pickler(pickle.Pickler):
    """Writes the settings as a reference: they are the config's, not the engine's. By a
    dispatch table, looked up by type in C: `persistent_id`, a Python call for every
    object, doubled the evaluator's pause to copy the engine."""

    def __init__(self, out: io.BytesIO, settings: StatusSettings) -> None:
        super().__init__(out, protocol=5)
        self.settings = settings
        self.dispatch_table = {
            **copyreg.dispatch_table,
            StatusSettings: self._status,
            IncidentSettings: self._incidents,
        }

    def _status(self, obj: StatusSettings) -> tuple[object, tuple[str]]:
        if obj != self.settings:
            raise SnapshotError("the engine holds status settings other than its own")
        return settings_ref, (_STATUS,)

    def _incidents(self, obj: IncidentSettings) -> tuple[object, tuple[str]]:
        if obj != self.settings.incidents:
            raise SnapshotError("the engine holds incident settings other than its own")
        return settings_ref, (_INCIDENTS,)


def settings_ref(name: str) -> object:
    """Stands for the settings in a snapshot; loading puts the current ones in its place."""
    raise SnapshotError(f"settings {name!r} read outside a snapshot")


class _Unpickler(pickle.Unpickler):
    """Builds the engine's own classes and plain builtins, nothing else."""

    def __init__(self, data: _Reader, settings: StatusSettings) -> None:
        super().__init__(data)
        self.settings = settings

    def current_settings(self, name: object) -> object:
        if name == _STATUS:
            return self.settings
        if name == _INCIDENTS:
            return self.settings.incidents
        raise SnapshotError(f"names unknown settings {name!r}")

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == (__name__, settings_ref.__name__):
            return self.current_settings
        if (module, name) in _BUILTINS:
            return super().find_class(module, name)
        own = module == "monitor.results" or module.startswith("monitor.judging.")
        if own and module != __name__ and "." not in name:  # never this module's readers
            found = super().find_class(module, name)
            # A class defined there, not a function or anything it imports.
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise SnapshotError(f"names {module}.{name}, which a status engine never holds")
