"""Views of a tally book's minutes, made when read (monitor/judging/tally.py): `Tally`,
one minute of one model; `Tallies`, the minutes that hold probes, read like the dict of
tallies the book once was."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from monitor.judging.fields import WIDTH
from monitor.results import ProbeResult

if TYPE_CHECKING:
    from monitor.judging.tally import TallyBook

FOLDED, TAINTED = 1, 2  # a minute's flags: joined the baseline; part of a bad episode


class Tally:
    """One minute of one model, read from its book. A view: valid until the book changes."""

    __slots__ = ("_book", "_index", "minute")

    def __init__(self, book: TallyBook, minute: int, index: int) -> None:
        self._book = book
        self.minute = minute
        self._index = index

    @property
    def counts(self) -> Sequence[int]:
        at = self._index * WIDTH
        return self._book._counts[at : at + WIDTH]

    @property
    def latencies(self) -> list[tuple[float, float, str, int]]:
        """(unix s, ms, region, histogram slot) of every answered probe, in arrival order."""
        return self._book._records.answered(self.minute, *self._book._span(self._index))

    @property
    def problems(self) -> list[ProbeResult]:
        """Every result of the minute that is not ok."""
        return self._book._problems.get(self.minute, [])

    @property
    def regions(self) -> dict[str, list[int]]:
        return self._book._records.region_counts(*self._book._span(self._index))

    @property
    def folded(self) -> bool:
        return bool(self._book._flags[self._index] & FOLDED)

    @property
    def tainted(self) -> bool:
        return bool(self._book._flags[self._index] & TAINTED)


class Tallies:
    """`book.tallies`: the minutes that hold probes, as views (read like the dict of
    tallies it once was)."""

    __slots__ = ("_book",)

    def __init__(self, book: TallyBook) -> None:
        self._book = book

    def get(self, minute: int) -> Tally | None:
        index = self._book._live(minute)
        return None if index < 0 else Tally(self._book, minute, index)

    def __contains__(self, minute: object) -> bool:
        return isinstance(minute, int) and self._book._live(minute) >= 0

    def __iter__(self) -> Iterator[int]:
        book = self._book
        return (minute for minute, _ in book._existing(book._lo, book._lo + len(book._start)))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, minute: int) -> Tally:
        tally = self.get(minute)
        if tally is None:
            raise KeyError(minute)
        return tally

    def keys(self) -> Iterator[int]:
        return iter(self)

    def values(self) -> Iterator[Tally]:
        book = self._book
        return (Tally(book, m, i) for m, i in book._existing(book._lo, book._lo + len(book._start)))

    def items(self) -> Iterator[tuple[int, Tally]]:
        return ((tally.minute, tally) for tally in self.values())
