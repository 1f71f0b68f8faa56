"""One model's health: its tallies, its baseline, and one tracker per signal.

Signals, each judged the same way (a rolling window against the model's own
baseline: surprising *and* at least a minimum effect to enter; a plausible
stretch of recent probes to leave):

    availability   provider-side failures among probes       -> degraded / partial / major
    latency        answered probes slower than usual          -> degraded_performance
    quality        wrong answers among answers                -> quality verdict (not status)
    configuration  our key, quota, model name                 -> operator-only
    vantage        DNS/TLS failures, or failures confined to a minority of regions
                                                              -> operator-only

An `Episode` is one stretch of a signal being bad; the incident engine groups
the episodes of a provider's models into incidents.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from monitor.config import StatusSettings
from monitor.judging.confirm import confirm_status, plan_confirmation
from monitor.judging.episodes import (
    CONFIGURATION_FAILURES,
    PROVIDER_FAILURES,
    VANTAGE_FAILURES,
    WRONG_ANSWERS,
    Episode,
    Evidence,
    Signal,
    cause_of,
    first_bad,
    hit_regions,
    hits_of,
    is_provider_side,
    minute_of,
    signal_tests,
)
from monitor.judging.quality import AnswerEvidence, QualityRule, QualityVerdict, answer_verdict
from monitor.judging.recovery import recovered, vantage_recovered
from monitor.judging.regions import Blame, RegionVerdict, attribute
from monitor.judging.significance import is_surprising, wilson_bounds
from monitor.judging.status import Cause, ComponentStatus, next_level, worst
from monitor.judging.tally import (
    ALL,
    ANS,
    CFG,
    FAIL,
    FORM,
    FORM_WRONG,
    R_FAIL,
    R_N,
    SLOW,
    VAN,
    WRONG,
    Hits,
    N,
    Tally,
    TallyBook,
)

_LATENCY_REFRESH = 10  # minutes between re-reads of the usual median latency
_USUAL_AT_LEAST = 100  # probes of history before wording quotes a "usual" failure rate
_REGIONS_REFRESH = 5  # minutes between re-reads of the regions an episode is seen from
_DEGRADED = ComponentStatus.DEGRADED_PERFORMANCE
_OPERATIONAL = ComponentStatus.OPERATIONAL


class TargetHealth:
    def __init__(self, target: str, settings: StatusSettings) -> None:
        self.target = target
        self.settings = s = settings
        self.windows = tuple(sorted({round(w / 60) for w in s.windows}))
        self.level_minutes = round(s.level_window / 60)
        self.recovery_minutes = round(s.recovery_window / 60)
        longest = max(*self.windows, 2 * self.level_minutes, self.recovery_minutes)
        self.book = TallyBook(longest, self.level_minutes, round(s.baseline_window / 60))
        self.episodes: dict[Signal, Episode] = {}
        # Where each signal's last recovery stretch began: windows reaching further back
        # still hold the old episode's failures and must not reopen it.
        self.clean_from: dict[Signal, int] = {}
        self.vantage_pending: datetime | None = None
        self.undecided_since: datetime | None = None
        self.maintenance = False
        # More probes asked for until then (monitor/judging/confirm.py), and why.
        self.confirm_until: datetime | None = None
        self.confirm_reason = ""
        self.suspected = False  # the probes were asked for because some looked bad...
        self.suspect_from: int | None = None  # ...from this minute on
        self.confirm_fast = False  # ...and more probes made that stronger: probe faster
        # Signals whose evidence is building: shown as degraded ("confirming"), no incident.
        self.confirming: set[Signal] = set()
        self.p_slow = s.prior_slow_rate
        self._refresh_at: int | None = None
        self.tests = signal_tests(s)
        self.quality_rule = QualityRule(
            s.quality_min_sample, s.quality_min_effect, s.false_alarm_rate, s.level_confidence_z
        )

    # -- reading ------------------------------------------------------------------------

    def status(self) -> ComponentStatus:
        if self.maintenance:
            return ComponentStatus.UNDER_MAINTENANCE
        if not self.episodes:
            return _DEGRADED if self.confirming else _OPERATIONAL
        return worst(episode.level for episode in self.episodes.values())

    def baseline_support(self, signal: Signal) -> float:
        """How many probes (history plus prior) the baseline share is learnt from."""
        if signal is Signal.LATENCY:
            return self.book.baseline.latency_count + self.settings.prior_weight
        test = self.tests[signal]
        return self.book.baseline.counts[test.total] + test.weight

    def baseline_share(self, signal: Signal) -> float:
        if signal is Signal.LATENCY:
            return self.p_slow
        test = self.tests[signal]
        return self.book.baseline.rate(test.bad, test.total, test.prior, test.weight)

    def quality_verdict(self) -> QualityVerdict:
        if Signal.QUALITY in self.episodes:
            return QualityVerdict.DEGRADED
        sums = self.book.window(self.windows[-1])
        evidence = AnswerEvidence(sums[ANS], sums[WRONG], self.baseline_share(Signal.QUALITY))
        return answer_verdict(evidence, self.quality_rule)

    def form_verdict(self) -> QualityVerdict:
        """Whether answers keep their exact form (checks of form only, FORM_CHECKS), judged
        against their own baseline and never pooled with whether answers are right."""
        sums = self.book.window(self.windows[-1])
        s = self.settings
        usual = self.book.baseline.rate(FORM_WRONG, FORM, s.prior_wrong_rate, s.prior_weight)
        return answer_verdict(
            AnswerEvidence(sums[FORM], sums[FORM_WRONG], usual), self.quality_rule
        )

    def evidence(self, since: datetime, now: datetime) -> Evidence:
        first, last = minute_of(since), minute_of(now)
        sums = self.book.sum(first, last)
        tallies = list(self.book.between(first, last))
        latencies = sorted(ms for tally in tallies for _, ms, _, _ in tally.latencies)
        return Evidence(
            target=self.target,
            all_probes=sums[ALL],
            probes=sums[N],
            failed=sums[FAIL],
            problems=tuple(r for tally in tallies for r in tally.problems),
            answers=AnswerEvidence(sums[ANS], sums[WRONG], self.baseline_share(Signal.QUALITY)),
            median_ms=latencies[len(latencies) // 2] if latencies else None,
            usual_median_ms=self.book.baseline.latency_quantile(0.5),
            usual_failure_share=self.book.baseline.observed(FAIL, N, _USUAL_AT_LEAST),
            usual_wrong_share=self.book.baseline.observed(WRONG, ANS, _USUAL_AT_LEAST),
            regions=tuple(sorted({region for tally in tallies for region in tally.regions})),
        )

    # -- judging ------------------------------------------------------------------------

    def judge(self, now: datetime, minute: int | None = None) -> None:
        """`minute`: `now`'s (minute_of), when the caller knows it already."""
        if minute is None:
            minute = minute_of(now)
        self.book.advance(minute)
        self.book.fold(self._hold_until(minute))
        if self._refresh_at is None or minute >= self._refresh_at:
            self._refresh_latency()
            self._refresh_at = minute + _LATENCY_REFRESH
        plan_confirmation(self, now, minute)
        if self._quiet():
            self.confirming.clear()
            return
        verdict = self._judge_availability(now, minute)
        if self.book.slow_ms is not None:
            self._judge_simple(
                Signal.LATENCY, now, minute, Cause.INFRASTRUCTURE, _DEGRADED, self._slow_hits
            )
        self._judge_simple(Signal.QUALITY, now, minute, Cause.QUALITY, _OPERATIONAL, WRONG_ANSWERS)
        self._judge_simple(
            Signal.CONFIGURATION,
            now,
            minute,
            Cause.CONFIGURATION,
            _OPERATIONAL,
            CONFIGURATION_FAILURES,
        )
        self._judge_vantage(now, minute, verdict)
        self._taint(minute)

    def _hold_until(self, minute: int) -> int | None:
        """While the longest window fails noticeably more than usual (half the minimum
        effect), hold its minutes out of the baseline until they are older than it."""
        sums = self.book.window(self.windows[-1])
        bad, total = sums[FAIL], sums[N]
        if bad < self.settings.min_failures:
            return None  # the usual case, without reading the baseline
        p0 = self.baseline_share(Signal.AVAILABILITY)
        if bad < (p0 + self.settings.min_effect / 2) * total:
            return None
        return minute - self.windows[-1] - 1

    def _quiet(self) -> bool:
        """True when nothing is bad and even the longest window is too clean to fire."""
        if self.episodes or self.vantage_pending is not None:
            return False
        sums, floor = self.book.window(self.windows[-1]), self.settings.min_failures
        return (
            sums[FAIL] < floor
            and sums[SLOW] < floor
            and sums[WRONG] < floor
            and sums[CFG] < floor
            and sums[VAN] < floor
        )

    def _judge_availability(self, now: datetime, minute: int) -> RegionVerdict | None:
        p0 = self.baseline_share(Signal.AVAILABILITY)
        episode = self.episodes.get(Signal.AVAILABILITY)
        if episode is not None:
            episode.level = self._level(minute, episode.started_at, episode.level)
            if minute % _REGIONS_REFRESH == 0:
                verdict = self._regions(minute - self.level_minutes, minute, p0)
                if verdict.provider_side:
                    episode.regions = tuple(sorted({*episode.regions, *verdict.failing}))
            self._close_if_recovered(Signal.AVAILABILITY, minute, p0)
            return None
        fired = self.fired(Signal.AVAILABILITY, p0)
        confirm_status(self, Signal.AVAILABILITY, p0, fired)
        if fired is None:
            self.undecided_since = None
            return None
        verdict = self._regions(minute - fired, minute, p0)
        if verdict.blame is Blame.VANTAGE:
            self.undecided_since = None
            return verdict
        if verdict.blame is Blame.UNDECIDED:
            # Wait for more probes, but not forever: an outage we cannot place is shown.
            self.undecided_since = self.undecided_since or now
            if now - self.undecided_since < timedelta(seconds=self.settings.vantage_confirm):
                return verdict
        self.undecided_since = None
        started = self._first_bad(minute - fired, minute, PROVIDER_FAILURES)
        cause = cause_of(self.book.sum(minute - fired, minute), verdict)
        level = self._level(minute, started, _DEGRADED)
        self.episodes[Signal.AVAILABILITY] = Episode(
            Signal.AVAILABILITY, cause, started, now, level, verdict.failing, verdict.note
        )
        return None

    def _judge_simple(
        self,
        signal: Signal,
        now: datetime,
        minute: int,
        cause: Cause,
        level: ComponentStatus,
        hits: Hits,
    ) -> None:
        if signal is not Signal.LATENCY and signal not in self.episodes and self._too_few(signal):
            return  # `fired` could not fire: the usual case, without reading the baseline
        p0 = self.baseline_share(signal)
        if signal in self.episodes:
            self._close_if_recovered(signal, minute, p0)
            return
        fired = self.fired(signal, p0)
        if signal is Signal.LATENCY:
            confirm_status(self, signal, p0, fired)
        if fired is not None:
            started = self._first_bad(minute - fired, minute, hits)
            regions = hit_regions(self.book, minute - fired, minute, hits)
            self.episodes[signal] = Episode(signal, cause, started, now, level, regions)

    def _judge_vantage(self, now: datetime, minute: int, verdict: RegionVerdict | None) -> None:
        if self._too_few(Signal.VANTAGE):
            fired = None  # the usual case, without reading the baseline
        else:
            fired = self.fired(Signal.VANTAGE, self.baseline_share(Signal.VANTAGE))
        if fired is not None:
            first, hits = minute - fired, VANTAGE_FAILURES
            regions = hit_regions(self.book, first, minute, hits)
        elif verdict is not None and verdict.blame is Blame.VANTAGE:
            first, regions = minute - self.level_minutes, verdict.failing
            hits = hits_of(lambda r: is_provider_side(r) and r.region in regions)
        else:
            first, regions, hits = minute, (), hits_of(lambda r: False)
        episode = self.episodes.get(Signal.VANTAGE)
        if episode is not None:
            episode.regions = tuple(sorted({*episode.regions, *regions}))
            clean_from = vantage_recovered(self, minute, episode)
            if clean_from is not None:
                del self.episodes[Signal.VANTAGE]
                # The confined failures also sit in the availability windows.
                for signal in (Signal.VANTAGE, Signal.AVAILABILITY):
                    self.clean_from[signal] = max(clean_from, self.clean_from.get(signal, 0))
            return
        if not regions:
            if verdict is None:  # undecided keeps a pending vantage verdict waiting
                self.vantage_pending = None
            return
        if fired is None:
            # A confined pattern must hold a while: a provider fault spreads to every region.
            if self.vantage_pending is None:
                self.vantage_pending = now
            if now - self.vantage_pending < timedelta(seconds=self.settings.vantage_confirm):
                return
        self.vantage_pending = None
        started = self._first_bad(first, minute, hits)
        self.episodes[Signal.VANTAGE] = Episode(
            Signal.VANTAGE, Cause.VANTAGE, started, now, _OPERATIONAL, regions
        )

    # -- evidence helpers ---------------------------------------------------------------

    def _outage(self, bad: int, total: int) -> bool:
        """A share no LLM API has as its normal (half of six probes or more, and surprising
        even for a model at the prior's share): an outage whatever the baseline learnt."""
        s = self.settings
        return (
            total >= s.outage_min_probes
            and bad >= s.outage_share * total
            and is_surprising(bad, total, s.prior_failure_rate, s.false_alarm_rate)
        )

    def _too_few(self, signal: Signal) -> bool:
        """Whether even the longest window holds too few bad probes of `signal` to fire."""
        bad = self.book.window(self.windows[-1])[self.tests[signal].bad]
        return bad < self.settings.min_failures

    def fired(self, signal: Signal, p0: float, alpha: float | None = None) -> int | None:
        """The shortest window whose bad share is surprising and large enough, if any."""
        test = self.tests[signal]
        floor = self.settings.min_failures
        if self.book.window(self.windows[-1])[test.bad] < floor:
            return None  # the windows are nested: none of them can fire
        clean_from = self.clean_from.get(signal)
        now = self.book.now_minute or 0
        suspected_from = self._suspected_from(now)
        for minutes in self.windows:
            if clean_from is not None and now - minutes < clean_from:
                continue
            if minutes == self.windows[0] and suspected_from is not None:
                sums = self.book.sum(max(suspected_from, now - minutes), now)
            elif self.book.window_count(minutes, test.bad) < floor:
                continue  # the usual case: nothing further below can fire it
            else:
                sums = self.book.window(minutes)
            bad, total = sums[test.bad], sums[test.total]
            if signal is Signal.AVAILABILITY and bad >= floor and self._outage(bad, total):
                return minutes
            if bad < floor or total < test.min_total or bad < (p0 + test.effect) * total:
                continue
            support = self.baseline_support(signal)
            if is_surprising(bad, total, p0, alpha or self.settings.false_alarm_rate, support):
                return minutes
        return None

    def _suspected_from(self, now: int) -> int | None:
        """While a suspicion's probes come in (and until its first minute leaves it), where
        the shortest window is cut: the probes that raised the suspicion were picked for
        looking bad, and counting them with the many probes they brought would let a chance
        streak grow into an incident; only what came after confirms it there. The longer
        windows hold enough probes that were not picked to stay fair, and still catch a
        small share failing for long (whose suspicions would keep cutting a short one)."""
        first, until = self.suspect_from, self.confirm_until
        if not self.suspected or first is None or until is None:
            return None
        return first if now <= minute_of(until) + self.windows[0] else None

    def _close_if_recovered(self, signal: Signal, minute: int, p0: float) -> None:
        clean_from = recovered(self, signal, minute, p0, self.episodes[signal].started_at)
        if clean_from is not None:
            del self.episodes[signal]
            self.clean_from[signal] = clean_from

    def _level(self, minute: int, started: datetime, current: ComponentStatus) -> ComponentStatus:
        """Up on the lower bound of the last level_window, down on the upper bound of twice
        that: quick to say it got worse, slow to say it got better."""
        s = self.settings
        z = s.level_confidence_z
        # A burst of a few probes must not set the level; a dozen all failing may.
        need = min(s.recovery_min_probes, 2 * s.outage_min_probes)
        lower, _ = wilson_bounds(*self._span(minute, started, self.level_minutes, need), z)
        _, upper = wilson_bounds(*self._span(minute, started, 2 * self.level_minutes, need), z)
        return next_level(current, lower, upper, s.partial_outage_share, s.major_outage_share)

    def _span(self, minute: int, started: datetime, minutes: int, need: int) -> tuple[int, int]:
        """(failures, probes) since the episode started, at most `minutes` back, and reaching
        back before the start if need be to hold `need` probes for a fair share."""
        first = max(minute_of(started), minute - minutes)
        sums = self.book.sum(first, minute)
        if sums[N] < need:
            first = self.book.stretch(minute, 1, need, lambda t: t.counts[N], minutes)
            sums = self.book.sum(first, minute)
        return sums[FAIL], sums[N]

    def _regions(self, first: int, last: int, p0: float) -> RegionVerdict:
        sums = self.book.region_sums(first, last)
        counts = {region: (c[R_N], c[R_FAIL]) for region, c in sums.items()}
        return attribute(counts, p0, self.settings.region_odds)

    def _first_bad(self, first: int, last: int, hits: Hits) -> datetime:
        return first_bad(self.book, first, last, hits, self.windows[-1])

    def _slow_hits(self, tally: Tally) -> list[tuple[float, str]]:
        slow = self.book.slow_ms or math.inf
        return [(at, region) for at, ms, region, _ in tally.latencies if ms > slow]

    def _refresh_latency(self) -> None:
        s = self.settings
        baseline = self.book.baseline
        median = baseline.latency_quantile(0.5)
        if median is None or baseline.latency_count < s.latency_min_history:
            if self.book.slow_ms is not None:
                self.book.set_slow_threshold(None, self.windows[-1] + 1)
            return
        slow = s.slow_factor * median
        current = self.book.slow_ms
        # The median moves by whole 5 % bins; recounting the windows for less is waste.
        if current is None or abs(slow - current) > 0.03 * current:
            self.book.set_slow_threshold(slow, self.windows[-1] + 1)
        share = baseline.share_above(self.book.slow_ms or slow)
        self.p_slow = (share * baseline.latency_count + s.prior_slow_rate * s.prior_weight) / (
            baseline.latency_count + s.prior_weight
        )

    def _taint(self, minute: int) -> None:
        starts = [episode.started_at for episode in self.episodes.values()]
        if self.vantage_pending is not None:
            starts.append(self.vantage_pending - timedelta(seconds=self.settings.level_window))
        if starts:
            self.book.taint(minute_of(min(starts)) - 1, minute)
