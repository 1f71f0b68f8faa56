"""The flat-array tally book answers exactly as the plain one it replaced (reference_tally.py).

The engine's decisions rest on these counts, so a change of how they are held must not
change a single number: random streams of results (late ones, repeats, clocks ahead,
odd ids, starts finer than a microsecond) drive both books, and every reading is compared.
Half the healthy answers reach the flat book as replay counts them (`add_answer`).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.judging import records
from monitor.judging import tally as flat
from monitor.results import FailureClass, Outcome, ProbeResult
from tests.monitor.judging import reference_tally as reference

START = datetime(2026, 6, 7, tzinfo=UTC)
CLASSES = [
    *[FailureClass.OK] * 12,
    FailureClass.INFRASTRUCTURE,
    FailureClass.CAPACITY,
    FailureClass.AMBIGUOUS,
    FailureClass.CONFIGURATION,
    FailureClass.VANTAGE,
    FailureClass.QUALITY,
]


def result(rng: random.Random, minute: float, odd_ids: bool) -> ProbeResult:
    cls = rng.choice(CLASSES)
    answered = cls in (FailureClass.OK, FailureClass.QUALITY)
    started = START + timedelta(minutes=minute)
    if rng.random() < 0.05:
        started += timedelta(microseconds=0.5)  # rounds; a datetime holds whole us
    return ProbeResult(
        target="a/b",
        region=rng.choice(["us", "eu", "ap", "sa"] if rng.random() < 0.1 else ["us", "eu", "ap"]),
        started_at=started,
        outcome=Outcome.OK if cls is FailureClass.OK else Outcome.HTTP_ERROR,
        failure_class=cls,
        total_ms=rng.lognormvariate(7, 0.6) if answered and rng.random() < 0.95 else None,
        ttft_ms=rng.lognormvariate(6, 0.5) if answered else None,
        answer_correct=(rng.random() > 0.1) if answered else None,
        error_type="overloaded_error" if not answered else None,
        error_excerpt='{"error":"x"}' if not answered else None,
        id=f"r{rng.getrandbits(40)}" if odd_ids and rng.random() < 0.5 else uuid.uuid4().hex,
        check="strict_format" if rng.random() < 0.2 else "arithmetic",  # counted apart
    )


def counted(book: flat.TallyBook, item: ProbeResult) -> bool:
    """`book.add(item)`, or for every other healthy answer `add_answer`, as replay counts
    them: the two must count alike."""
    healthy = (
        item.failure_class is FailureClass.OK
        and item.answer_correct is True
        and item.check == "arithmetic"
        and item.total_ms is not None
        and len(item.id) == 32
    )
    if not healthy or int(item.id[-1], 16) % 2:
        return book.add(item)
    at, key = item.started_at.timestamp(), bytes.fromhex(item.id)
    return book.add_answer(item.region, at, FailureClass.OK, item.total_ms, key)


def readings(book: Any, now: int, rng: random.Random) -> list[Any]:
    seen: list[Any] = [book.window(w) for w in (0, 4, 19)]
    for _ in range(4):
        first = now - rng.randint(0, 400)
        last = min(now, first + rng.randint(0, 60))
        seen.append(book.sum(first, last))
        seen.append(book.region_sums(first, last))
        seen.append(
            [
                (t.minute, list(t.counts), t.latencies, list(t.problems), t.regions)
                for t in book.between(first, last)
            ]
        )
        seen.append(book.stretch(last, 3, 10, lambda t: t.counts[flat.N], 30))
        tally = book.tallies.get(last)
        seen.append(None if tally is None else list(tally.counts))
    baseline = book.baseline
    seen += [
        list(baseline.counts),
        {k: v for k, v in baseline.latency_bins.items() if v},
        baseline.latency_count,
        baseline.latency_quantile(0.5),
        baseline.share_above(1500.0),
    ]
    return seen


@pytest.mark.parametrize("seed", range(6))
def test_the_flat_book_reads_exactly_as_the_reference(seed: int, monkeypatch):
    rng = random.Random(seed)
    odd_ids = seed % 3 == 1
    if seed % 3 == 2:  # widen the running totals early, as 65,535 records would
        monkeypatch.setattr(flat, "_NARROW_MOST", 500)
    if seed % 3 == 0:  # a start that is not whole microseconds turns every start whole
        offset, calls = records.Records.offset, []

        def offset_once(self: records.Records, minute: int, when: float) -> int | float | None:
            calls.append(when)
            return None if len(calls) == 500 else offset(self, minute, when)

        monkeypatch.setattr(records.Records, "offset", offset_once)
    books = (
        flat.TallyBook(longest=20, fold_after=5, baseline_minutes=120),
        reference.TallyBook(longest=20, fold_after=5, baseline_minutes=120),
    )
    # Before the first evaluation: a backlog, as a rebuild feeds it.
    backlog = [result(rng, rng.uniform(-200, 0), odd_ids) for _ in range(300)]
    for item in backlog:
        assert counted(books[0], item) == books[1].add(item)
    earlier: list[ProbeResult] = list(backlog)
    for now in range(0, 420):
        batch = [result(rng, now + rng.uniform(-1.5, 0.9), odd_ids) for _ in range(4)]
        if rng.random() < 0.05:
            batch += [result(rng, now - rng.uniform(2, 150), odd_ids) for _ in range(5)]  # late
        batch += rng.sample(earlier, min(3, len(earlier)))  # read again
        for item in batch:
            assert counted(books[0], item) == books[1].add(item)
            assert books[0].has(item) == books[1].has(item)
        earlier = (earlier + batch)[-200:]
        minute = int((START + timedelta(minutes=now)).timestamp() // 60)
        hold = minute - rng.randint(8, 30) if rng.random() < 0.2 else None
        for book in books:
            book.advance(minute)
            book.fold(hold)
        if rng.random() < 0.05:
            first = minute - rng.randint(0, 40)
            for book in books:
                book.taint(first, minute)
        if rng.random() < 0.1:
            slow = rng.choice([None, 1200.0, 2500.0])
            for book in books:
                book.set_slow_threshold(slow, 21)
        if now % 7 == 0:
            state = random.getstate()
            mine, theirs = random.Random(now), random.Random(now)
            assert readings(books[0], minute, mine) == readings(books[1], minute, theirs), now
            random.setstate(state)


def test_a_minute_of_more_than_255_probes_is_counted_whole():
    book = flat.TallyBook(longest=20, fold_after=5, baseline_minutes=120)
    rng = random.Random(1)
    results = [result(rng, 0.5, False) for _ in range(700)]
    assert all(book.add(r) for r in results)
    book.advance(int((START + timedelta(minutes=1)).timestamp() // 60))
    assert book.window(5)[flat.ALL] == 700


def test_tallies_read_like_the_dict_they_were():
    book = flat.TallyBook(longest=20, fold_after=5, baseline_minutes=120)
    old = reference.TallyBook(longest=20, fold_after=5, baseline_minutes=120)
    rng = random.Random(2)
    for item in [result(rng, rng.uniform(0, 30), False) for _ in range(60)]:
        book.add(item)
        old.add(item)
    assert list(book.tallies) == sorted(old.tallies) == list(book.tallies.keys())
    assert len(book.tallies) == len(old.tallies)
    assert [(m, list(t.counts)) for m, t in book.tallies.items()] == [
        (m, old.tallies[m].counts) for m in sorted(old.tallies)
    ]
    first = min(old.tallies)
    assert list(book.tallies[first].counts) == old.tallies[first].counts
    assert first in book.tallies and first - 1 not in book.tallies
    with pytest.raises(KeyError):
        book.tallies[first - 1]
