"""Minute tallies: counting once, window sums without rescans, baseline folding."""

from __future__ import annotations

from datetime import timedelta

from monitor.judging.episodes import minute_of
from monitor.judging.tally import ALL, ANS, CFG, FAIL, LAT, SLOW, VAN, WRONG, N, TallyBook
from tests.monitor.synthetic import DNS, UNAUTHORIZED, UNAVAILABLE, at, ok, wrong_answer

T = "anthropic/claude-opus-4-7"


def book() -> TallyBook:
    return TallyBook(longest=60, fold_after=15, baseline_minutes=24 * 60)


def test_each_result_is_counted_once_and_in_the_right_fields():
    tallies = book()
    results = [
        ok(T, "us", at(0)),
        UNAVAILABLE(T, "us", at(0)),
        wrong_answer(T, "eu", at(0)),
        UNAUTHORIZED(T, "eu", at(0)),
        DNS(T, "ap", at(0)),
    ]
    assert all(tallies.add(r) for r in results)
    assert not any(tallies.add(r) for r in results)
    tallies.advance(minute_of(at(0)))
    counts = tallies.window(5)
    fields = (ALL, N, FAIL, CFG, VAN, ANS, WRONG, LAT)
    assert [counts[i] for i in fields] == [5, 3, 1, 1, 1, 2, 1, 2]


def test_window_sums_follow_the_clock_and_late_results():
    tallies = book()
    for minute in range(30):
        tallies.add(UNAVAILABLE(T, "us", at(minute)))
        tallies.advance(minute_of(at(minute)))
    assert tallies.window(5)[FAIL] == 6  # five whole minutes back plus this one
    assert tallies.window(60)[FAIL] == 30
    tallies.add(UNAVAILABLE(T, "eu", at(27) + timedelta(seconds=30)))  # arrives late
    assert tallies.window(5)[FAIL] == 7
    assert tallies.sum(minute_of(at(27)), minute_of(at(27)))[FAIL] == 2


def test_minutes_join_the_baseline_after_a_while_unless_tainted():
    tallies = book()
    for minute in range(40):
        tallies.add(ok(T, "us", at(minute)))
        make = UNAVAILABLE if 20 <= minute < 25 else ok
        tallies.add(make(T, "eu", at(minute)))
        tallies.advance(minute_of(at(minute)))
        tallies.fold()
    assert tallies.baseline.counts[N] == 2 * 25
    assert tallies.baseline.counts[FAIL] == 5
    tallies.taint(minute_of(at(19)), minute_of(at(25)))
    assert tallies.baseline.counts[FAIL] == 0
    assert tallies.baseline.counts[N] == 2 * 25 - 2 * 6


def test_a_suspected_fault_is_held_out_of_the_baseline():
    tallies = book()
    for minute in range(40):
        tallies.add(ok(T, "us", at(minute)))
        tallies.advance(minute_of(at(minute)))
        tallies.fold(hold_until=minute_of(at(10)) if minute >= 20 else None)
    assert tallies.baseline.counts[N] == 11


def test_a_new_slow_threshold_recounts_recent_minutes():
    tallies = book()
    for minute in range(10):
        tallies.add(ok(T, "us", at(minute), total_ms=1000.0 + 100 * minute))
        tallies.advance(minute_of(at(minute)))
    tallies.set_slow_threshold(1450.0, reach=61)
    assert tallies.window(60)[SLOW] == 5
    tallies.add(ok(T, "us", at(9) + timedelta(seconds=20), total_ms=5000.0))
    assert tallies.window(60)[SLOW] == 6
