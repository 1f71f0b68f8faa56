"""Every probe a model's tally book counted, one record each, as flat columns.

A model keeps a day of probes (4,320 at three regions and one a minute); a Python
object per probe would cost a kilobyte, a record here costs 30 bytes: its region (an
index into the names heard so far), its failure class, its start (microseconds into
its minute), its latency (NaN when it has none) and its id (the 16 bytes of its uuid;
any other id turns the ids into a list of strings). The book keeps records in minute
order, arrival order within a minute, and says where each minute's records begin.
Results that are not ok are kept whole besides (wording quotes them): `shared` lets
them share equal error bodies and headers.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import replace

from monitor.judging.baseline import latency_slot
from monitor.results import FailureClass, ProbeResult

# Per region: [N, FAIL, VAN, ALL] (see tally.py for what they count)
R_N, R_FAIL, R_VAN, R_ALL = range(4)
_REGION_FIELDS: dict[FailureClass, tuple[int, ...]] = {
    FailureClass.OK: (R_ALL, R_N),
    FailureClass.QUALITY: (R_ALL, R_N),
    FailureClass.INFRASTRUCTURE: (R_ALL, R_N, R_FAIL),
    FailureClass.CAPACITY: (R_ALL, R_N, R_FAIL),
    FailureClass.AMBIGUOUS: (R_ALL, R_N, R_FAIL),
    FailureClass.CONFIGURATION: (R_ALL,),
    FailureClass.VANTAGE: (R_ALL, R_VAN),
}
_CLASSES = tuple(FailureClass)
CLASS_INDEX = {cls: index for index, cls in enumerate(_CLASSES)}
_REGION_FIELDS_BY_INDEX = tuple(_REGION_FIELDS[cls] for cls in _CLASSES)
US = 1_000_000
MINUTE_US = 60 * US


class Records:
    __slots__ = ("_name_index", "at", "classes", "ids", "latencies", "names", "regions")

    def __init__(self) -> None:
        self.regions = array("B")  # widened past 255 region names
        self.classes = array("B")
        self.at = array("I")  # microseconds into the minute ("d": unix s, see hold_times)
        self.latencies = array("d")  # NaN: no latency
        self.ids: bytearray | list[str] = bytearray()  # 16 bytes a record (list: any ids)
        self.names: list[str] = []
        self._name_index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.classes)

    # -- ids ------------------------------------------------------------------------------

    def key(self, result_id: str) -> bytes | str:
        """How `holds` and `insert` take an id; a first id that is not a uuid's hex turns
        the ids into strings for good."""
        if not isinstance(self.ids, bytearray):
            return result_id
        key = uuid_bytes(result_id)
        if key is not None:
            return key
        ids = self.ids
        self.ids = [ids[16 * k : 16 * k + 16].hex() for k in range(len(ids) // 16)]
        return result_id

    def lookup(self, result_id: str) -> bytes | str | None:
        """As `key`, without turning anything: None for an id that cannot be held."""
        return result_id if isinstance(self.ids, list) else uuid_bytes(result_id)

    def holds(self, key: bytes | str, first: int, end: int) -> bool:
        """Whether records first..end-1 hold this id (a key as `key` makes it)."""
        ids = self.ids
        if isinstance(ids, list):
            return key in ids[first:end]
        assert isinstance(key, bytes)
        at, stop = 16 * first, 16 * end
        while (at := ids.find(key, at, stop)) >= 0:
            if (at - 16 * first) % 16 == 0:
                return True
            at += 1
        return False

    # -- starts ---------------------------------------------------------------------------

    def offset(self, minute: int, when: float) -> int | float | None:
        """How a start is held: microseconds into its minute, or as it is once starts are
        held whole; None when this one is not whole microseconds (see `hold_times`)."""
        if self.at.typecode == "d":
            return when
        offset = round(when * US) - minute * MINUTE_US
        if 0 <= offset < MINUTE_US and (minute * MINUTE_US + offset) / US == when:
            return offset
        return None

    def hold_times(self, spans: Iterable[tuple[int, int, int]]) -> None:
        """Hold every start whole from now on; `spans`: (minute, first, end) of each minute."""
        self.at = array(
            "d", (self.time(m, k) for m, first, end in spans for k in range(first, end))
        )

    def time(self, minute: int, k: int) -> float:
        """The start of record `k` (in `minute`), as `datetime.timestamp()` gave it."""
        stored = self.at[k]
        if self.at.typecode == "d":
            return stored
        return (minute * MINUTE_US + int(stored)) / US

    def name_index(self, region: str) -> int | None:
        """The index `insert` holds `region` as, if it was heard before."""
        return self._name_index.get(region)

    # -- records --------------------------------------------------------------------------

    def insert(
        self,
        at: int,
        region: str,
        cls: FailureClass,
        offset: int | float,
        latency: float | None,
        result_id: str,
        key: bytes | str,
    ) -> None:
        """Put a record at position `at`."""
        index = self._name_index.get(region)
        if index is None:
            index = self._name_index[region] = len(self.names)
            self.names.append(region)
            if index > 0xFF and self.regions.typecode == "B":
                self.regions = array("H", self.regions)
        ms = math.nan if latency is None else latency
        ids = self.ids
        if at == len(self.classes):  # the usual case: the latest minute's next probe
            self.regions.append(index)
            self.classes.append(CLASS_INDEX[cls])
            self.at.append(offset)
            self.latencies.append(ms)
            if isinstance(ids, bytearray):
                assert isinstance(key, bytes)
                ids += key
            else:
                ids.append(result_id)
            return
        self.regions.insert(at, index)
        self.classes.insert(at, CLASS_INDEX[cls])
        self.at.insert(at, offset)
        self.latencies.insert(at, ms)
        if isinstance(ids, bytearray):
            assert isinstance(key, bytes)
            ids[16 * at : 16 * at] = key
        else:
            ids.insert(at, result_id)

    def cut(self, records: int) -> None:
        """Drop the first `records` records."""
        for column in (self.regions, self.classes, self.at, self.latencies):
            del column[:records]
        if isinstance(self.ids, bytearray):
            del self.ids[: 16 * records]
        else:
            del self.ids[:records]

    # -- reading --------------------------------------------------------------------------

    def answered(self, minute: int, first: int, end: int) -> list[tuple[float, float, str, int]]:
        """(unix s, ms, region, histogram slot) of the records with a latency, in order."""
        names, regions, latencies = self.names, self.regions, self.latencies
        return [
            (self.time(minute, k), ms, names[regions[k]], latency_slot(ms))
            for k in range(first, end)
            if (ms := latencies[k]) == ms  # NaN: no latency
        ]

    def slots(self, first: int, end: int) -> list[int]:
        latencies = self.latencies
        return [latency_slot(ms) for k in range(first, end) if (ms := latencies[k]) == ms]

    def slower(self, first: int, end: int, limit: float) -> int:
        """How many of the records are slower than `limit` (NaN, no latency, never is)."""
        return sum(1 for ms in self.latencies[first:end] if ms > limit)

    def region_counts(self, first: int, end: int) -> dict[str, list[int]]:
        """[N, FAIL, VAN, ALL] per region over records first..end-1, regions in the order
        they were first heard from."""
        sums: dict[str, list[int]] = {}
        names, regions, classes = self.names, self.regions, self.classes
        for k in range(first, end):
            name = names[regions[k]]
            counts = sums.get(name)
            if counts is None:
                counts = sums[name] = [0, 0, 0, 0]
            for field in _REGION_FIELDS_BY_INDEX[classes[k]]:
                counts[field] += 1
        return sums

    def spans(self, lo: int, starts: array[int]) -> Iterator[tuple[int, int, int]]:
        """(minute, first, end) of each minute from `lo`, given where each one begins."""
        for index, first in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else len(self.classes)
            yield lo + index, first, end


_SHARED: dict[object, object] = {}  # equal excerpts, error words and rate-limit headers
_SHARED_MOST = 4096


def shared(result: ProbeResult) -> ProbeResult:
    """The result with its texts shared with equal ones already held: a fault repeats the
    same error body and headers probe after probe, and a day of them adds up."""
    excerpt, words, limits = result.error_excerpt, result.error_type, result.ratelimit
    if excerpt is None and words is None and not limits:
        return result
    if len(_SHARED) > _SHARED_MOST:
        _SHARED.clear()  # only sharing is lost: held results keep their own copies
    same_excerpt = _SHARED.setdefault(excerpt, excerpt)
    same_words = _SHARED.setdefault(words, words)
    same_limits = _SHARED.setdefault(tuple(limits.items()), limits) if limits else limits
    if same_excerpt is excerpt and same_words is words and same_limits is limits:
        return result
    return replace(result, error_excerpt=same_excerpt, error_type=same_words, ratelimit=same_limits)


def uuid_bytes(result_id: str) -> bytes | None:
    """The 16 bytes of a uuid's lowercase hex, or None for any other id."""
    if len(result_id) != 32:
        return None
    try:
        key = bytes.fromhex(result_id)
    except ValueError:
        return None
    return key if len(key) == 16 and key.hex() == result_id else None
