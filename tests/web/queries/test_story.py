"""A model's one story: the engine's status, raised to `degraded_performance` (never
further) while significant errors or wrong answers wait for the engine's verdict."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.config import StatusSettings
from monitor.judging.advice import Errors, errors_level
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus
from monitor.store import ProviderInfo
from web.queries.parts import Totals
from web.queries.story import ModelStory, region_verdicts, tell

S = StatusSettings()
S_TODAY = date(2026, 6, 7)
OK, DEGRADED, PARTIAL, MAJOR, MAINT = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.UNDER_MAINTENANCE,
)
PROVIDER = ProviderInfo("anthropic", "Anthropic", "anthropic", False, None)
UNCONFIGURED = ProviderInfo("openai", "OpenAI", "openai", False, "set OPENAI_API_KEY")


@pytest.mark.parametrize(
    ("probes", "failed", "baseline", "expected"),
    [
        (0, 0, 0.02, None),  # nothing seen
        (30, 1, 0.02, OK),  # background noise
        (30, 3, 0.04, OK),  # a noisy model's usual few
        (14, 9, 0.02, PARTIAL),  # the June overload at one vantage point
        (10, 10, 0.02, MAJOR),
        (200, 30, 0.02, DEGRADED),  # 15 %: significant, below an outage's share
        (2, 2, 0.02, OK),  # fewer than min_failures never count
    ],
)
def test_errors_earn_a_level_only_when_significant(probes, failed, baseline, expected):
    assert errors_level(Errors(probes, failed, baseline), S) == expected


@pytest.mark.parametrize(
    ("engine", "seen", "quality", "word", "confirming"),
    [
        (OK, Errors(30, 0, 0.02), QualityVerdict.CORRECT, "operational", False),
        (OK, Errors(14, 9, 0.02), QualityVerdict.UNKNOWN, "degraded_performance", True),
        (None, Errors(14, 9, 0.02), QualityVerdict.UNKNOWN, "degraded_performance", True),
        (OK, Errors(30, 0, 0.02), QualityVerdict.DEGRADED, "degraded_performance", True),
        (MAJOR, Errors(14, 2, 0.02), QualityVerdict.UNKNOWN, "major_outage", False),
        (MAINT, Errors(14, 14, 0.02), QualityVerdict.UNKNOWN, "under_maintenance", False),
        (None, Errors(5, 0, 0.02), QualityVerdict.UNKNOWN, "no_data", False),
        (None, None, QualityVerdict.UNKNOWN, "no_data", False),
    ],
)
def test_the_story_follows_the_engine_and_never_hides_significant_errors(
    engine, seen, quality, word, confirming
):
    story = tell(PROVIDER, engine, seen, quality, S)
    assert (story.word, story.confirming) == (word, confirming)
    assert (story.note is not None) == (
        confirming or (engine is None and bool(seen and seen.probes))
    )


def test_a_model_of_an_unconfigured_provider_says_so_whatever_it_saw():
    story = tell(UNCONFIGURED, MAJOR, Errors(14, 14, 0.02), QualityVerdict.DEGRADED, S)
    assert story.word == "not_configured" and story.advice() == ("use", [])


@pytest.mark.parametrize(
    ("engine", "seen", "quality", "advice"),
    [
        (OK, Errors(30, 0, 0.02), QualityVerdict.CORRECT, ("use", [])),
        (OK, Errors(14, 9, 0.02), QualityVerdict.UNKNOWN, ("avoid", ["elevated_errors"])),
        (OK, Errors(200, 30, 0.02), QualityVerdict.UNKNOWN, ("use", [])),  # degraded: slower
        (PARTIAL, Errors(14, 9, 0.02), QualityVerdict.UNKNOWN, ("avoid", ["partial_outage"])),
        (OK, Errors(30, 0, 0.02), QualityVerdict.DEGRADED, ("avoid", ["quality_degraded"])),
    ],
)
def test_the_advice_follows_the_story(engine, seen, quality, advice):
    assert tell(PROVIDER, engine, seen, quality, S).advice() == advice


def totals(ok: int, failed: int) -> Totals:
    made = Totals()
    made.counts["ok"], made.counts["infrastructure"] = ok, failed
    return made


def test_a_region_never_reads_worse_than_its_model():
    story = ModelStory("degraded_performance", OK, PARTIAL)
    verdicts = region_verdicts({"local": totals(5, 9)}, [], S_TODAY, S, story)
    assert verdicts["local"].status is DEGRADED and not verdicts["local"].alone


def test_a_region_failing_alone_keeps_its_level_and_says_so():
    story = ModelStory("operational", OK, OK)
    verdicts = region_verdicts(
        {"eu-west": totals(0, 15), "us-east": totals(15, 0), "ap-south": totals(15, 0)},
        [],
        S_TODAY,
        S,
        story,
    )
    assert verdicts["eu-west"].status is MAJOR and verdicts["eu-west"].alone
    assert verdicts["us-east"].status is OK


def test_errors_from_fewer_than_half_of_the_regions_are_our_network_not_the_model():
    story = tell(PROVIDER, OK, Errors(45, 15, 0.02), QualityVerdict.UNKNOWN, S, confined=True)
    assert story.word == "operational" and story.advice() == ("use", [])
