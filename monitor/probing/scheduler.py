"""The prober: runs every enabled, configured model from this process's region
at its interval, on an asyncio loop in its own thread.

Why it is shaped like this:
- One loop timer per model with a stable phase offset inside the interval, so
  a hundred models never fire in the same second and a model keeps its slot
  across restarts. Each slot is computed from the schedule, not from when the
  last one woke, so nothing drifts. (These were APScheduler jobs; its per-run
  bookkeeping cost more CPU than the rest of a probe. Chores and the plan's
  tick, a few jobs, stay on APScheduler.)
- A late run still runs (APScheduler's default would have dropped one more than
  1 s late, which is exactly what happens under load); lateness is measured
  and exposed.
- One run at a time per model. Config guarantees total_timeout < interval so a
  run always ends before its next slot; if one is still skipped it is counted
  and logged, never silent.
- Slots bound probes in flight (`ProbeSlots`, monitor/probing/slots.py); a
  probe holds one for at most its model's share of the pool, then carries on
  outside it until its own timeouts end it, so hung models cannot starve
  healthy ones of their slots.
- The status engine's probe plan (monitor/plan.py), when given, is read every few
  seconds: a model it wants confirmed gets extra probes at the plan's interval, at
  most one in flight per model. They are ordinary probes, sunk like any other.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.clock import Clock, SystemClock
from monitor.config import ModelSettings, Settings, api_key_for, missing_key
from monitor.plan import Confirmation, ProbePlan
from monitor.probing.client import make_client, warm_up
from monitor.probing.probe import run_probe
from monitor.probing.slots import ProbeSlots, slot_share_s
from monitor.results import ProbeResult

log = logging.getLogger(__name__)

ResultSink = Callable[[ProbeResult], None]
CONFIRM_TICK_S = 5.0  # how often the plan is read
CONFIRM_CROWD = 10  # more confirmations due at one read than this are spread over the tick


def probe_targets(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[ModelSettings]:
    """Models this process can probe: enabled, and their provider's key (if any) is set."""
    return [
        model
        for model in settings.models
        if model.enabled and missing_key(settings.provider(model.provider), environ) is None
    ]


def phase_offset(target_id: str, region: str, interval_s: float) -> float:
    """A stable slot inside the interval, spread evenly by a hash of the target and region."""
    return (zlib.crc32(f"{target_id}@{region}".encode()) / 2**32) * interval_s


# The lower-rate canary suite, in rotation (monitor/probing/canary.py). `strict_format` asks
# the format question again and scores only its exact form: a model that starts wrapping
# answers in sentences shows there, counted apart from whether its answers are right.
DEFAULT_SUITE = ("parity", "format", "script", "strict_format")


def check_for_round(round_no: int, suite: tuple[str, ...], suite_every: int) -> str:
    """Every probe asks the arithmetic question, except one in `suite_every`,
    which asks the next item of the lower-rate canary suite instead."""
    if not suite or suite_every <= 0 or round_no % suite_every != suite_every - 1:
        return "arithmetic"
    return suite[(round_no // suite_every) % len(suite)]


@dataclass(frozen=True)
class Chore:
    """Periodic work the worker does besides probing (status engine, retention)."""

    name: str
    run: Callable[[], object]
    trigger: BaseTrigger
    at_start: bool = False  # also run once as the worker starts


@dataclass(frozen=True)
class ScheduledJob:
    target: str
    next_run_at: datetime | None
    misfire_grace_s: float | None
    max_instances: int


@dataclass
class ProberStats:
    started: int = 0
    finished: int = 0
    skipped: int = 0  # runs not started because the previous one still ran
    confirmations: int = 0  # extra probes the status engine's plan asked for
    lateness_s: list[float] = field(default_factory=list)  # start minus scheduled slot

    def record_lateness(self, seconds: float, keep: int = 100_000) -> None:
        self.lateness_s.append(seconds)
        if len(self.lateness_s) > keep:
            del self.lateness_s[: len(self.lateness_s) - keep]


class Prober:
    def __init__(
        self,
        settings: Settings,
        sink: ResultSink,
        *,
        region: str | None = None,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        suite: tuple[str, ...] = DEFAULT_SUITE,
        suite_every: int = 10,
        chores: Sequence[Chore] = (),
        plan: Callable[[], ProbePlan] | None = None,
    ) -> None:
        self.settings = settings
        self.region = region or settings.probe.region
        self.sink = sink
        self.clock = clock or SystemClock()
        self.environ = environ
        self.suite = suite
        self.suite_every = suite_every
        self.chores = tuple(chores)
        self.plan = plan
        self._last_start: dict[str, datetime] = {}
        self._extra: dict[str, asyncio.Task[None]] = {}  # confirmation probes in flight
        self._spread_s: dict[str, float] = {}  # how late the last one started on purpose
        self.stats = ProberStats()
        self._rng = random.Random()
        self._rounds: dict[str, int] = {}
        self._due: dict[str, datetime] = {}
        self._share_s: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._scheduler: AsyncIOScheduler | None = None
        # Probe slots: one loop timer per model, the next slot it stands for, and the
        # probe in flight (at most one per model).
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._next: dict[str, datetime] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    # -- lifecycle --------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run_loop, name="aistatus-prober", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(timeout=10)

    def _run_loop(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._startup())
        self._ready.set()
        loop.run_forever()
        loop.close()

    def arrange_slots(self, targets: Sequence[ModelSettings]) -> None:
        """The concurrency slots every probe, scheduled or confirming, runs in, and each
        model's share of them (monitor/probing/slots.py)."""
        concurrency = self.settings.probe.concurrency
        self.slots = ProbeSlots(concurrency)
        for model in targets:
            self._share_s[model.id] = slot_share_s(
                self.settings.interval_for(model), concurrency, len(targets)
            )

    async def _startup(self) -> None:
        targets = probe_targets(self.settings, self.environ)
        concurrency = self.settings.probe.concurrency
        # Slots bound the probes at work; a probe past its share works on outside them.
        self._client = make_client(self.settings.probe, max_connections=concurrency + len(targets))
        await warm_up()
        self.arrange_slots(targets)
        scheduler = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(),
            timezone="UTC",
            job_defaults={"misfire_grace_time": None, "max_instances": 1, "coalesce": False},
        )
        scheduler.add_listener(self._on_job_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR)
        now = self.clock.now()
        loop = asyncio.get_running_loop()
        for model in targets:
            offset = phase_offset(model.id, self.region, self.settings.interval_for(model))
            first = now + timedelta(seconds=offset)
            self._due[model.id] = self._next[model.id] = first
            self._timers[model.id] = loop.call_later(offset, self._fire, model)
        if self.plan is not None:
            scheduler.add_job(
                self._confirm_due,
                IntervalTrigger(seconds=CONFIRM_TICK_S, timezone="UTC"),
                args=[targets],
                id="chore:confirmation probes",
                name="confirmation probes",
            )
        for chore in self.chores:
            scheduler.add_job(
                self._run_chore,
                chore.trigger,
                args=[chore],
                id=f"chore:{chore.name}",
                name=chore.name,
                # An omitted next_run_time is computed from the trigger; None would pause.
                **({"next_run_time": now} if chore.at_start else {}),
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("prober started: %d models from region %s", len(targets), self.region)

    async def _shutdown(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            self.stats.skipped += 1
            log.warning("probe of %s skipped: the previous run has not finished", event.job_id)
        elif event.exception is not None:
            log.error("probe job %s failed: %s", event.job_id, event.exception)

    def jobs(self) -> list[ScheduledJob]:
        """What is scheduled: for `/metrics`, the CLI and tests. A late run still runs
        (no misfire grace) and a model has one run at a time."""
        return [ScheduledJob(target, at, None, 1) for target, at in self._next.items()]

    def _fire(self, model: ModelSettings) -> None:
        """A model's slot has come: set the next one, and probe unless one still runs."""
        loop = asyncio.get_running_loop()
        now = self.clock.now()
        interval = timedelta(seconds=self.settings.interval_for(model))
        upcoming = self._next[model.id] + interval  # from the schedule: no drift
        while upcoming <= now:  # the loop was stopped for a whole interval: one run
            upcoming += interval
        self._next[model.id] = upcoming
        self._timers[model.id] = loop.call_later(
            (upcoming - now).total_seconds(), self._fire, model
        )
        if model.id in self._running:
            self.stats.skipped += 1
            log.warning("probe of %s skipped: the previous run has not finished", model.id)
            return
        task = loop.create_task(self._probe_job(model))
        self._running[model.id] = task
        task.add_done_callback(functools.partial(self._probe_done, model.id))

    def _probe_done(self, target: str, task: asyncio.Task[None]) -> None:
        self._running.pop(target, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("probe job %s failed: %s", target, task.exception())

    async def _run_chore(self, chore: Chore) -> None:
        # Chores touch the database: run them off the loop so probes never wait on it.
        try:
            await asyncio.to_thread(chore.run)
        except Exception as error:
            log.error("%s failed: %s: %s", chore.name, type(error).__name__, error)

    async def _confirm_due(self, targets: Sequence[ModelSettings]) -> None:
        plan = self.plan() if self.plan is not None else ProbePlan()
        if not plan:
            return
        now = self.clock.now()
        # One pass over the plan, not one per model: a fresh install asks to confirm every
        # model, and 1,000 x 1,000 look-ups held the prober's loop for a good part of a
        # second every 5 s.
        wanted_by: dict[str, Confirmation] = {}
        for confirmation in plan.confirmations:
            if now < confirmation.until:
                wanted_by.setdefault(confirmation.target, confirmation)
        due: list[ModelSettings] = []
        for model in targets:
            wanted = wanted_by.get(model.id)
            last = self._last_start.get(model.id)
            if wanted is None or model.id in self._extra:
                continue
            # The second of slack is for reads 5 s apart; a start spread by d seconds
            # (below) was d late on purpose, and its next is due an interval after the read.
            slack = 1.0 + self._spread_s.get(model.id, 0.0)
            if last is not None and (now - last).total_seconds() < wanted.interval_s - slack:
                continue
            due.append(model)
        # A crowd due at one read (every model of a fresh install) is spread over the time
        # to the next read, each at a stable offset, as scheduled probes are over their
        # interval: hundreds of requests in one instant queue behind each other here and
        # at the provider, and are timed the slower for it.
        spread = len(due) > CONFIRM_CROWD
        for model in due:
            delay = phase_offset(model.id, self.region, CONFIRM_TICK_S) if spread else 0.0
            self._spread_s[model.id] = delay
            self._extra[model.id] = asyncio.create_task(self._confirmation_probe(model, delay))

    async def _confirmation_probe(self, model: ModelSettings, delay_s: float = 0.0) -> None:
        try:
            if delay_s:
                await asyncio.sleep(delay_s)
            result = await self.slots.run(self.probe(model), self._share_s[model.id])
        except asyncio.CancelledError:
            return
        finally:
            self._extra.pop(model.id, None)
        self.stats.confirmations += 1
        self.sink(result)

    # -- one probe --------------------------------------------------------
    async def _probe_job(self, model: ModelSettings) -> None:
        self._record_lateness(model)
        try:
            result = await self.slots.run(self.probe(model), self._share_s[model.id])
        except asyncio.CancelledError:
            # Only `stop()` cancels probes; APScheduler would log each one as a failed job
            # with a traceback. A probe cut short by shutdown has no result to keep.
            log.debug("probe of %s cancelled by shutdown", model.id)
            return
        self.stats.finished += 1
        self.sink(result)

    def _record_lateness(self, model: ModelSettings) -> None:
        interval = timedelta(seconds=self.settings.interval_for(model))
        now = self.clock.now()
        due = self._due[model.id]
        while due + interval <= now:
            due += interval
        self.stats.started += 1
        self.stats.record_lateness((now - due).total_seconds())
        self._due[model.id] = due + interval

    async def probe(self, model: ModelSettings) -> ProbeResult:
        provider = self.settings.provider(model.provider)
        round_no = self._rounds.get(model.id, 0)
        self._rounds[model.id] = round_no + 1
        self._last_start[model.id] = self.clock.now()
        return await run_probe(
            self._client,
            provider,
            model,
            self.settings.probe,
            region=self.region,
            api_key=api_key_for(provider, self.environ),
            clock=self.clock,
            rng=self._rng,
            check=check_for_round(round_no, self.suite, self.suite_every),
        )


async def probe_round(
    settings: Settings,
    models: list[ModelSettings],
    *,
    region: str,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[ProbeResult]:
    """One probe of each model now, concurrently (bounded): `aistatus probe`."""
    clock = clock or SystemClock()
    rng = random.Random()
    limit = asyncio.Semaphore(settings.probe.concurrency)
    async with make_client(settings.probe) as client:
        await warm_up()

        async def one(model: ModelSettings) -> ProbeResult:
            provider = settings.provider(model.provider)
            async with limit:
                return await run_probe(
                    client,
                    provider,
                    model,
                    settings.probe,
                    region=region,
                    api_key=api_key_for(provider, environ),
                    clock=clock,
                    rng=rng,
                )

        return list(await asyncio.gather(*(one(model) for model in models)))
