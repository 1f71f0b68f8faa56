"""One model's probe results as per-minute tallies, with cheap window sums.

The engine looks at every model every minute, so nothing here rescans history:
each result is counted once into its minute's tally, and a running total per
minute (`cumulative`) makes the sum of any window ending now one subtraction.
Minutes older than `fold_after` join the model's `Baseline` unless they were
*tainted* (part of a bad episode) or a fault is suspected (`fold` holds them
back); the baseline forgets them an hour at a time.

What each minute counts, by field, is monitor/judging/fields.py's.

Held as flat arrays, not objects (a model keeps a day of minutes: at 1,000 models in
3 regions, objects per minute and per probe cost gigabytes; this way ~90 kB per
model-region, bench/engine_memory.py). Per minute: its counts (bytes, widened when a
minute holds 255 probes), its running total, its first record and two flags. Running
totals are held mod 2^16 beside one exact total at now: a window is a difference, exact
while the book holds fewer than 65,535 records (past that, mod 2^32). Per probe, in
minute order: its region, class, start (microseconds into the minute), latency and id
(the 16 bytes of its uuid; other ids turn the book to a list of strings). Problems
(results that are not ok) stay whole objects, wording quotes them, but share equal
error bodies and headers. The readings are exactly those of the dict-based book this
replaced (tests/monitor/judging/reference_tally.py is kept to prove it).
`Tally` is a view of one minute, made when read.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import add, sub

from monitor.judging.baseline import Baseline, latency_slot
from monitor.judging.fields import ALL as ALL  # what each minute counts, re-exported
from monitor.judging.fields import AMB as AMB
from monitor.judging.fields import ANS as ANS
from monitor.judging.fields import CAP as CAP
from monitor.judging.fields import CFG as CFG
from monitor.judging.fields import COMBINED
from monitor.judging.fields import FAIL as FAIL
from monitor.judging.fields import FORM as FORM
from monitor.judging.fields import FORM_WRONG as FORM_WRONG
from monitor.judging.fields import LAT as LAT
from monitor.judging.fields import SLOW as SLOW
from monitor.judging.fields import VAN as VAN
from monitor.judging.fields import WIDTH as WIDTH
from monitor.judging.fields import WRONG as WRONG
from monitor.judging.fields import ZERO as ZERO
from monitor.judging.fields import N as N
from monitor.judging.fields import latency_ms as latency_ms
from monitor.judging.records import CLASS_INDEX, MINUTE_US, US, Records, shared
from monitor.judging.records import R_ALL as R_ALL  # per region, re-exported
from monitor.judging.records import R_FAIL as R_FAIL
from monitor.judging.records import R_N as R_N
from monitor.judging.records import R_VAN as R_VAN
from monitor.judging.tally_views import FOLDED as _FOLDED
from monitor.judging.tally_views import TAINTED as _TAINTED
from monitor.judging.tally_views import Tallies
from monitor.judging.tally_views import Tally as Tally
from monitor.results import FORM_CHECKS as FORM_CHECKS  # re-exported
from monitor.results import FailureClass, ProbeResult

_MASKS = {"H": 0xFFFF, "I": 0xFFFFFFFF}  # running totals are held mod 2^16 (or 2^32)
_NARROW_MOST = 0xFFFF  # records a book holds before its running totals go mod 2^32
_LIMIT = {"B": 0xFF, "H": 0xFFFF, "I": 0xFFFFFFFF}
_COMPACT_AFTER = 60  # expired minutes held before the arrays are cut (one memmove an hour)

Hits = Callable[["Tally"], list[tuple[float, str]]]  # (unix s, region) of matching probes


class TallyBook:
    """Minute tallies of one model, their running totals and the model's baseline."""

    def __init__(self, longest: int, fold_after: int, baseline_minutes: int) -> None:
        self.baseline = Baseline(WIDTH)
        self.slow_ms: float | None = None
        self.fold_after = fold_after  # minutes before a tally may join the baseline
        self.baseline_minutes = baseline_minutes
        # Tallies stay a baseline window: an incident's wording reads them as evidence.
        self.keep = max(baseline_minutes, 2 * longest + fold_after)
        self.now_minute: int | None = None
        self._origin: int | None = None  # the first minute the running totals cover
        self._windows: dict[int, list[int]] = {}  # window sums at now_minute, by length
        self._fold_cursor: int | None = None
        self._expire_cursor: int | None = None
        self._tainted: tuple[int, int] = (0, -1)
        self._baseline_due: int | None = None  # the baseline's block expiry last looked at
        # Minutes _lo .. _lo + len(_start) - 1, one entry (or WIDTH) each.
        self._lo = 0
        self._start = array("I")  # the minute's first record
        self._counts = array("B")  # widened when a minute holds 255 probes (65,535)
        # Running totals mod 2^16: a difference of two is exact while the book holds fewer
        # than 65,535 records (then mod 2^32); _total is the exact one at now_minute.
        self._cum = array("H")
        self._total: list[int] = list(ZERO)
        self._held = bytearray()  # 1 where the minute's running total is held
        self._flags = bytearray()
        self._records = Records()  # in minute order, arrival order within a minute
        self._problems: dict[int, list[ProbeResult]] = {}
        self.tallies = Tallies(self)

    # -- counting -------------------------------------------------------------------------

    def add(self, result: ProbeResult) -> bool:
        """Count one result; False if it was seen before or is older than we keep."""
        at = result.started_at.timestamp()
        minute = int(at // 60)
        if self._expire_cursor is not None and minute < self._expire_cursor:
            return False
        cls = result.failure_class
        if cls is FailureClass.OK or cls is FailureClass.QUALITY:  # latency_ms, inline
            ms = result.total_ms if result.total_ms is not None else result.ttft_ms
        else:
            ms = None
        answer = result.answer_correct
        problem = cls is not FailureClass.OK or answer is False
        key = self._records.key(result.id)
        form = result.check in FORM_CHECKS
        fields = self._fields(cls, answer, form, ms)
        counted = self._count(minute, at, result.region, cls, fields, ms, result.id, key)
        if counted and problem:
            self._problems.setdefault(minute, []).append(shared(result))
        return counted

    def add_answer(self, region: str, at: float, cls: FailureClass, ms: float, key: bytes) -> bool:
        """`add` of a result that answered an arithmetic question correctly in `ms`, with
        no result object: unix time `at`, its class (how `classify` takes a healthy
        answer: never a problem), and its id as a uuid's 16 bytes. For replay, which
        counts millions."""
        # The usual probe, in the current minute, the latest the book holds: `_count`'s
        # steps inline; `_count` itself (`_add_answer`) wherever anything less usual
        # applies (a repeated id, a first region, wider arrays to come, a start not whole
        # microseconds), before anything has changed.
        minute = int(at // 60)
        start, records = self._start, self._records
        index = len(start) - 1
        ids, held = records.ids, self._held
        if (
            minute != self.now_minute
            or index < 0
            or minute - self._lo != index
            or not isinstance(ids, bytearray)
            or not held[index]
        ):
            return self._add_answer(minute, at, region, cls, ms, key)
        end = len(records.classes)
        first = start[index]
        if end >= _NARROW_MOST or records.at.typecode != "I":
            return self._add_answer(minute, at, region, cls, ms, key)
        if end > first:
            if ids.find(key, 16 * first) >= 0:
                return self._add_answer(minute, at, region, cls, ms, key)  # seen before?
            flags = self._flags[index]
        else:
            low, high = self._tainted
            flags = _TAINTED if low <= minute <= high else 0
        if flags & _FOLDED and not flags & _TAINTED:
            return self._add_answer(minute, at, region, cls, ms, key)  # baseline's too
        region_index = records.name_index(region)
        if region_index is None:
            return self._add_answer(minute, at, region, cls, ms, key)
        offset = round(at * US) - minute * MINUTE_US
        if not (0 <= offset < MINUTE_US and (minute * MINUTE_US + offset) / US == at):
            return self._add_answer(minute, at, region, cls, ms, key)
        counts = self._counts
        base = index * WIDTH
        if counts[base] >= _LIMIT[counts.typecode]:  # ALL is the largest count
            return self._add_answer(minute, at, region, cls, ms, key)
        slow_ms = self.slow_ms
        fields = COMBINED[cls, True, slow_ms is not None and ms > slow_ms, False]
        self._flags[index] = flags
        records.regions.append(region_index)
        records.classes.append(CLASS_INDEX[cls])
        records.at.append(offset)
        records.latencies.append(ms)
        ids += key
        if self._windows:
            self._windows.clear()
        cum, total = self._cum, self._total
        mask = _MASKS[cum.typecode]
        for field in fields:
            counts[base + field] += 1
            cum[base + field] = (cum[base + field] + 1) & mask
            total[field] += 1
        return True

    def _add_answer(
        self, minute: int, at: float, region: str, cls: FailureClass, ms: float, key: bytes
    ) -> bool:
        if self._expire_cursor is not None and minute < self._expire_cursor:
            return False
        result_id = "" if isinstance(self._records.ids, bytearray) else key.hex()
        fields = self._fields(cls, True, False, ms)
        return self._count(minute, at, region, cls, fields, ms, result_id, result_id or key)

    def _fields(
        self, cls: FailureClass, answer: bool | None, form: bool, ms: float | None
    ) -> tuple[int, ...]:
        if ms is None:
            return COMBINED[cls, answer, None, form]
        return COMBINED[cls, answer, self.slow_ms is not None and ms > self.slow_ms, form]

    def _count(
        self,
        minute: int,
        at: float,
        region: str,
        cls: FailureClass,
        fields: tuple[int, ...],
        ms: float | None,
        result_id: str,
        key: bytes | str,
    ) -> bool:
        """Count a record not yet expired (`add`'s part for every result)."""
        records = self._records
        index = minute - self._lo
        start = self._start
        if 0 <= index < len(start):
            # _span, inline: this is the hot path (one call per probe result)
            first = start[index]
            end = start[index + 1] if index + 1 < len(start) else len(records.classes)
            if end > first and records.holds(key, first, end):
                return False
        else:
            index = self._cover(minute, minute)
            first = end = self._span(index)[1]
        if end == first:  # the minute's first probe: it starts as a new tally
            low, high = self._tainted
            self._flags[index] = _TAINTED if low <= minute <= high else 0
        if len(records.classes) >= _NARROW_MOST and self._cum.typecode == "H":
            self._widen()
        self._insert(end, index, minute, at, ms, region, cls, result_id, key)
        counts = self._counts
        base = index * WIDTH
        if counts[base + ALL] >= _LIMIT[counts.typecode]:  # ALL is the largest count
            self._counts = counts = array("H" if counts.typecode == "B" else "I", counts)
        for field in fields:
            counts[base + field] += 1
        now = self.now_minute
        if now is not None and minute <= now:
            self._late(minute, fields)
        flags = self._flags[index]
        if flags & _FOLDED and not flags & _TAINTED:
            delta = [0] * WIDTH
            _bump(delta, fields)
            self.baseline.add(minute, delta, [] if ms is None else [latency_slot(ms)])
        return True

    def has(self, result: ProbeResult) -> bool:
        """Whether `result` was counted (or is too old to count)."""
        minute = int(result.started_at.timestamp() // 60)
        if self._expire_cursor is not None and minute < self._expire_cursor:
            return True
        index = minute - self._lo
        if not 0 <= index < len(self._start):
            return False
        first, end = self._span(index)
        key = self._records.lookup(result.id)
        return key is not None and self._records.holds(key, first, end)

    # -- moving on ------------------------------------------------------------------------

    def advance(self, minute: int) -> None:
        """Move "now" to `minute`; fold and expire tallies that aged."""
        if self.now_minute is not None and minute <= self.now_minute:
            return
        if minute - 1 == self.now_minute and self._next_minute(minute):
            pass  # the usual case: one minute on, which holds no probe yet
        elif self.now_minute is None:
            # Results stamped after `minute` (a clock ahead of ours) are counted when their
            # minute comes; the totals must still start no later than now.
            self._origin = min(next(iter(self.tallies), minute), minute)
            self._accumulate(self._origin, minute)
        else:
            self._accumulate(self.now_minute + 1, minute)
        self.now_minute = minute
        self._windows.clear()
        self._expire(minute - self.keep)
        before = minute - self.baseline_minutes
        # The baseline drops blocks an hour at a time. Where the book keeps no minute
        # older than the baseline's (keep == baseline_minutes), nothing it adds lands in a
        # block already due, so one look an hour is every look (the usual settings).
        due = before // self.baseline.block_minutes
        if due != self._baseline_due or self.keep != self.baseline_minutes:
            self.baseline.expire(before)
            self._baseline_due = due

    def _next_minute(self, minute: int) -> bool:
        """`_accumulate` of the minute after now when it is the next the arrays hold and
        holds no probe yet (every minute, for every model), inline; False, having changed
        nothing, otherwise."""
        start = self._start
        index = minute - self._lo
        if index != len(start) or index == 0 or not self._held[index - 1]:
            return False
        # Its running total is now's (held at the last index, as `_late` keeps it).
        cum = self._cum
        at = (index - 1) * WIDTH
        start.append(len(self._records))
        counts = self._counts
        counts.frombytes(bytes(WIDTH * counts.itemsize))  # zeros
        cum.extend(cum[at : at + WIDTH])
        self._held.append(1)
        self._flags.append(0)
        return True

    def window(self, minutes: int) -> list[int]:
        """Counts of the window ending now: `minutes` whole minutes back plus this one.
        The list is shared until the next change: read it, never modify it."""
        sums = self._windows.get(minutes)
        if sums is None:
            now = self.now_minute
            if now is None:
                return list(ZERO)
            held, base = self._held, now - minutes - 1 - self._lo
            if 0 <= base < len(held) and held[base]:
                cum, top, base = self._cum, (now - self._lo) * WIDTH, base * WIDTH
                mask = _MASKS[cum.typecode]
                upto, before = cum[top : top + WIDTH], cum[base : base + WIDTH]
                sums = _modular_difference(upto, before, mask)
            else:
                sums = list(self._total)
            self._windows[minutes] = sums
        return sums

    def window_count(self, minutes: int, field: int) -> int:
        """`window(minutes)[field]`, without working out the other fields."""
        sums = self._windows.get(minutes)
        if sums is not None:
            return sums[field]
        now = self.now_minute
        if now is None:
            return 0
        held, base = self._held, now - minutes - 1 - self._lo
        if 0 <= base < len(held) and held[base]:
            cum = self._cum
            top = (now - self._lo) * WIDTH + field
            return (cum[top] - cum[base * WIDTH + field]) & _MASKS[cum.typecode]
        return self._total[field]

    def taint(self, first: int, last: int) -> None:
        """Keep minutes first..last out of the baseline: they belong to a bad episode."""
        low, high = self._tainted
        contiguous = low <= first <= high + 1
        flags = self._flags
        for minute, index in self._existing(high + 1 if contiguous else first, last):
            if not flags[index] & _TAINTED:
                flags[index] |= _TAINTED
                if flags[index] & _FOLDED:
                    tally = Tally(self, minute, index)
                    self.baseline.add(minute, tally.counts, self._slots(index), -1)
        self._tainted = (low, max(high, last)) if contiguous else (first, last)

    def set_slow_threshold(self, slow_ms: float | None, reach: int) -> None:
        """Recount SLOW in the last `reach` minutes against a new threshold."""
        self.slow_ms = slow_ms
        if self.now_minute is None:
            return
        limit = math.inf if slow_ms is None else slow_ms
        first = self.now_minute - reach
        counts, records = self._counts, self._records
        for _, index in self._existing(first, self.now_minute):
            counts[index * WIDTH + SLOW] = records.slower(*self._span(index), limit)
        self._accumulate(first, self.now_minute)
        self._windows.clear()

    def fold(self, hold_until: int | None = None) -> None:
        """Let minutes older than `fold_after` join the baseline. While the caller suspects a
        slow fault is building (`hold_until`), only minutes before that join: a fault the
        windows have not yet proven must not become the model's normal first."""
        if self.now_minute is None:
            return
        through = self.now_minute - self.fold_after
        if hold_until is not None and self._fold_cursor is not None:
            through = min(through, max(hold_until, self._fold_cursor - 1))
        if through == self._fold_cursor and self._fold_one(through):
            return
        self._fold(through)

    def _fold_one(self, minute: int) -> bool:
        """`_fold` of the one minute after the last folded, when it holds probes and is
        neither folded nor tainted (every model, every minute), inline; False, having
        changed nothing, otherwise."""
        index, start, flags = minute - self._lo, self._start, self._flags
        if not 0 <= index < len(start) - 1 or flags[index]:
            return False
        if self._expire_cursor is not None and minute < self._expire_cursor:
            return False
        begin, end = start[index], start[index + 1]
        if end == begin:
            return False
        flags[index] = _FOLDED
        at = index * WIDTH
        latencies = self._records.latencies[begin:end]
        self.baseline.add_latencies(minute, self._counts[at : at + WIDTH], latencies)
        self._fold_cursor = minute + 1
        return True

    # -- reading --------------------------------------------------------------------------

    def sum(self, first: int, last: int) -> list[int]:
        """Counts of minutes first..last; from the running totals when it can (no rescan)."""
        if last == first + 1 and self.now_minute is not None and last <= self.now_minute:
            # Two minutes (the latest probes, every model every minute): their own counts.
            index = first - self._lo
            expired = self._expire_cursor is not None and first < self._expire_cursor
            if index >= 0 and index + 1 < len(self._start) and not expired:
                counts, at = self._counts, index * WIDTH
                return list(map(add, counts[at : at + WIDTH], counts[at + WIDTH : at + 2 * WIDTH]))
        if self.now_minute is not None and last <= self.now_minute:
            upto_held, before_held = self._stored(last), self._stored(first - 1)
            if upto_held is not None and before_held is not None:
                return self._difference(upto_held, before_held)
            upto, before = self._running(last), self._running(first - 1)
            if upto is not None and before is not None:
                return list(map(sub, upto, before))
        total = list(ZERO)
        counts = self._counts
        for _, index in self._existing(first, last):
            at = index * WIDTH
            total = list(map(add, total, counts[at : at + WIDTH]))
        return total

    def region_sums(self, first: int, last: int) -> dict[str, list[int]]:
        live = [index for _, index in self._existing(first, last)]
        if not live:
            return {}
        # No minute between the first and last live one has expired.
        return self._records.region_counts(self._start[live[0]], self._span(live[-1])[1])

    def between(self, first: int, last: int) -> Iterator[Tally]:
        for minute, index in self._existing(first, last):
            yield Tally(self, minute, index)

    def stretch(
        self, last: int, minutes: int, probes: int, total: Callable[[Tally], int], limit: int
    ) -> int:
        """The first minute of the shortest span ending at `last` that lasts `minutes` and
        holds `probes` (by `total`), looking back at most `limit` minutes."""
        count, first = 0, last
        for minute in range(last, last - max(limit, minutes) - 1, -1):
            index = self._live(minute)
            if index >= 0:
                count += total(Tally(self, minute, index))
            first = minute
            if last - minute + 1 >= minutes and count >= probes:
                break
        return first

    # -- internals: minutes ---------------------------------------------------------------

    def _live(self, minute: int) -> int:
        """The index of `minute` if it holds probes and has not expired, else -1."""
        index = minute - self._lo
        if not 0 <= index < len(self._start):
            return -1
        if self._expire_cursor is not None and minute < self._expire_cursor:
            return -1
        first, end = self._span(index)
        return index if end > first else -1

    def _existing(self, first: int, last: int) -> Iterator[tuple[int, int]]:
        """(minute, index) of the minutes first..last that hold probes and have not expired."""
        lo = self._lo
        if self._expire_cursor is not None:
            first = max(first, self._expire_cursor)
        low, high = max(first - lo, 0), min(last - lo, len(self._start) - 1)
        if low > high:
            return
        start, records = self._start, len(self._records)
        for index in range(low, high + 1):
            end = start[index + 1] if index + 1 < len(start) else records
            if end > start[index]:
                yield lo + index, index

    def _span(self, index: int) -> tuple[int, int]:
        start = self._start
        end = start[index + 1] if index + 1 < len(start) else len(self._records)
        return start[index], end

    def _cover(self, first: int, last: int) -> int:
        """Make room for minutes first..last; returns the index of `first`."""
        size = len(self._start)
        if size == 0:
            self._lo = first
        elif first < self._lo:
            more = self._lo - first
            self._start[0:0] = array("I", bytes(4 * more))
            self._counts[0:0] = array(self._counts.typecode, [0]) * (more * WIDTH)
            self._cum[0:0] = array(self._cum.typecode, [0]) * (more * WIDTH)
            self._held[0:0] = bytes(more)
            self._flags[0:0] = bytes(more)
            self._lo = first
        size = len(self._start)
        more = last - (self._lo + size) + 1
        if more == 1:  # the usual case: now moved on by a minute
            self._start.append(len(self._records))
            self._counts.frombytes(bytes(WIDTH * self._counts.itemsize))  # zeros
            self._cum.frombytes(bytes(WIDTH * self._cum.itemsize))
            self._held.append(0)
            self._flags.append(0)
        elif more > 0:
            self._start.extend(array("I", [len(self._records)]) * more)
            self._counts.extend(array(self._counts.typecode, [0]) * (more * WIDTH))
            self._cum.extend(array(self._cum.typecode, [0]) * (more * WIDTH))
            self._held.extend(bytes(more))
            self._flags.extend(bytes(more))
        return first - self._lo

    # -- internals: records ---------------------------------------------------------------

    def _insert(
        self,
        at: int,
        index: int,
        minute: int,
        when: float,
        ms: float | None,
        region: str,
        cls: FailureClass,
        result_id: str,
        key: bytes | str,
    ) -> None:
        """Put a result's record at position `at` (the end of its minute)."""
        records = self._records
        offset = records.offset(minute, when)
        if offset is None:  # not whole microseconds (or not UTC): hold every start whole
            records.hold_times(records.spans(self._lo, self._start))
            offset = when
        records.insert(at, region, cls, offset, ms, result_id, key)
        start = self._start
        if index + 1 < len(start):
            for later in range(index + 1, len(start)):  # empty minutes after it too
                start[later] += 1

    def _slots(self, index: int) -> list[int]:
        return self._records.slots(*self._span(index))

    # -- internals: running totals --------------------------------------------------------

    def _stored(self, minute: int) -> array[int] | None:
        """The running total through `minute` as held (mod 2^16 or 2^32), if it is held."""
        index = minute - self._lo
        if 0 <= index < len(self._held) and self._held[index]:
            at = index * WIDTH
            return self._cum[at : at + WIDTH]
        return None

    def _difference(self, upto: Sequence[int], before: Sequence[int]) -> list[int]:
        mask = _MASKS[self._cum.typecode]
        return _modular_difference(upto, before, mask)

    def _exact(self, stored: Sequence[int]) -> list[int]:
        """The running total a held one stands for: now's, less what came after it."""
        now = self._stored(self.now_minute) if self.now_minute is not None else None
        assert now is not None
        return list(map(sub, self._total, self._difference(now, stored)))

    def _running_at(self, minute: int) -> list[int] | None:
        stored = self._stored(minute)
        return None if stored is None else self._exact(stored)

    def _running(self, minute: int) -> Sequence[int] | None:
        """The running total through `minute`, or None once it has been forgotten."""
        value = self._running_at(minute)
        if value is None and self._origin is not None and minute < self._origin:
            return ZERO  # before the first minute ever counted
        return value

    def _accumulate(self, first: int, last: int) -> None:
        """Running totals for minutes first..last, where `last` is (becoming) now."""
        running: Sequence[int]
        if first - 1 == self.now_minute:
            running = self._total  # the usual case: one more minute
            if first == last and self._live(first) < 0:  # ...that holds no probe yet
                index = self._cover(first, first)
                at = index * WIDTH
                mask = _MASKS[self._cum.typecode]
                self._cum[at : at + WIDTH] = array(self._cum.typecode, [v & mask for v in running])
                self._held[index] = 1
                self._total = list(running)
                return
        else:
            running = self._running_at(first - 1) or ZERO
        self._cover(first, last)
        lo, cum, held, counts = self._lo, self._cum, self._held, self._counts
        typecode, mask = cum.typecode, _MASKS[cum.typecode]
        if first == last:  # one minute (no set to build)
            live = {first} if self._live(first) >= 0 else set()
        else:
            live = {minute for minute, _ in self._existing(first, last)}
        for minute in range(first, last + 1):
            index = minute - lo
            at = index * WIDTH
            if minute in live:
                running = list(map(add, running, counts[at : at + WIDTH]))
            if max(running) <= mask:  # the usual case: held as they are
                cum[at : at + WIDTH] = array(typecode, running)
            else:
                cum[at : at + WIDTH] = array(typecode, [value & mask for value in running])
            held[index] = 1
        self._total = list(running)

    def _late(self, minute: int, fields: tuple[int, ...]) -> None:
        """A result for a minute the running totals already passed: bump them onward."""
        if self._windows:
            self._windows.clear()
        cum, held, lo = self._cum, self._held, self._lo
        mask = _MASKS[cum.typecode]
        total = self._total
        if minute == self.now_minute and held[minute - lo]:  # the usual case: now's probes
            at = (minute - lo) * WIDTH
            for field in fields:
                cum[at + field] = (cum[at + field] + 1) & mask
                total[field] += 1
            return
        for later in range(minute, (self.now_minute or minute) + 1):
            index = later - lo
            at = index * WIDTH
            if not held[index]:
                cum[at : at + WIDTH] = array(cum.typecode, ZERO)
                held[index] = 1
            for field in fields:
                cum[at + field] = (cum[at + field] + 1) & mask
        for field in fields:
            total[field] += 1

    def _widen(self) -> None:
        """Running totals mod 2^32 from now on: the book is about to hold 65,535 records,
        and a difference mod 2^16 would no longer be exact."""
        wide = array("I", bytes(4 * len(self._cum)))
        for index, is_held in enumerate(self._held):
            if is_held:
                at = index * WIDTH
                exact = self._exact(self._cum[at : at + WIDTH])
                wide[at : at + WIDTH] = array("I", [value & 0xFFFFFFFF for value in exact])
        self._cum = wide

    def _fold(self, through: int) -> None:
        first = self._lo if self._fold_cursor is None else self._fold_cursor
        flags = self._flags
        if first == through:  # one minute aged (no generator to start)
            index = self._live(first)
            minutes: Iterable[tuple[int, int]] = [(first, index)] if index >= 0 else []
        else:
            minutes = self._existing(first, through)
        for minute, index in minutes:
            if not flags[index] & _FOLDED:
                flags[index] |= _FOLDED
                if not flags[index] & _TAINTED:
                    at = index * WIDTH
                    self.baseline.add(minute, self._counts[at : at + WIDTH], self._slots(index))
        self._fold_cursor = through + 1

    def _expire(self, before: int) -> None:
        cursor = self._expire_cursor
        if before - 1 == cursor and not self._problems:  # the usual case: one minute on
            index = cursor - 1 - self._lo
            if 0 <= index < len(self._held):
                self._held[index] = 0
            self._expire_cursor = before
            if index + 1 >= _COMPACT_AFTER:
                self._cut(before - 1)
            return
        problems = self._problems
        if cursor is None:
            for minute in [m for m in problems if m < before]:
                del problems[minute]
        else:
            for minute in range(cursor, before):
                problems.pop(minute, None)
        # One running total stays below the oldest window: it is every window's base.
        held, lo = self._held, self._lo
        low = 0 if cursor is None else max(cursor - 1 - lo, 0)
        for index in range(low, min(before - 1 - lo, len(held))):
            held[index] = 0
        self._expire_cursor = before
        if before - 1 - lo >= _COMPACT_AFTER:
            self._cut(before - 1)

    def _cut(self, minute: int) -> None:
        """Drop every minute before `minute` and their records from the arrays."""
        drop = min(minute - self._lo, len(self._start))
        if drop <= 0:
            return
        records = self._start[drop] if drop < len(self._start) else len(self._records)
        del self._counts[: drop * WIDTH]
        del self._cum[: drop * WIDTH]
        del self._held[:drop]
        del self._flags[:drop]
        self._start = array("I", [first - records for first in self._start[drop:]])
        self._records.cut(records)
        self._lo += drop


def _bump(vector: list[int], fields: tuple[int, ...]) -> None:
    for index in fields:
        vector[index] += 1


def _modular_difference(upto: Sequence[int], before: Sequence[int], mask: int) -> list[int]:
    """upto - before, field by field, mod `mask` + 1 (running totals are held so): the
    subtraction in C, the modulo only where one wrapped (both are at most `mask`)."""
    sums = list(map(sub, upto, before))
    return sums if min(sums) >= 0 else [value & mask for value in sums]
