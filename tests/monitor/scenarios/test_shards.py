"""A replay split by provider over processes decides exactly what one process decides,
and numbers its incidents as one incident book would have."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.judging.incidents import Impact, Incident, IncidentState
from monitor.judging.status import Cause
from monitor.scenarios.replay import replay, replay_document
from monitor.scenarios.shards import Share, merged, provider_shares
from monitor.scenarios.spec import parse_scenario

START = datetime(2026, 6, 7, tzinfo=UTC)


def four_providers(faults: list[dict]) -> dict:
    return {
        "name": "four-providers",
        "start": "2026-06-07T00:00:00Z",
        "duration": "6h",
        "regions": ["us-east", "eu-west", "ap-southeast"],
        "seed": 3,
        "models": [
            {"id": f"{provider}/model-{n}", "error_rate": 0.01}
            for provider in ("anthropic", "openai", "gemini", "together")
            for n in range(2)
        ],
        "faults": faults,
    }


def outage(models: str, since: str, until: str, status: int = 500) -> dict:
    return {"models": [models], "from": since, "until": until, "kind": "http_error",
            "status": status}  # fmt: skip


@pytest.mark.parametrize(
    ("models", "most", "shares"),
    [
        ({"a": 5, "b": 3, "c": 2}, 2, [["a"], ["b", "c"]]),
        ({"a": 1, "b": 1, "c": 1, "d": 1}, 2, [["a", "c"], ["b", "d"]]),
        ({"a": 4}, 2, [["a"]]),  # one provider: nothing to split
        ({"a": 2, "b": 2}, 1, [["a", "b"]]),  # one core
        ({"a": 2, "b": 2}, 8, [["a"], ["b"]]),  # never an empty share
    ],
)
def test_providers_stay_whole_and_shares_about_equal(models, most, shares):
    whole = parse_scenario(
        {
            "name": "split",
            "models": [{"id": f"{p}/m{n}"} for p, count in models.items() for n in range(count)],
        }
    )
    got = [sorted({m.provider for m in share.models}) for share in provider_shares(whole, most)]
    assert got == shares
    assert sum(len(share.models) for share in provider_shares(whole, most)) == len(whole.models)


def incident(provider: str, cause: Cause, minute: int, id_: str) -> Incident:
    at = START + timedelta(minutes=minute)
    return Incident(
        id=id_, provider=provider, cause=cause, public=True, impact=Impact.MAJOR,
        state=IncidentState.RESOLVED, models=(f"{provider}/m",), active_models=(),
        regions=("us-east",), signals=("availability",), started_at=at, detected_at=at,
        resolved_at=at, title="t", updates=(),
    )  # fmt: skip


def test_merged_incidents_are_numbered_by_detection_then_provider_then_cause():
    first = Share(10, [incident("anthropic", Cause.QUALITY, 5, "1"),
                       incident("gemini", Cause.CAPACITY, 9, "2")], {})  # fmt: skip
    second = Share(7, [incident("openai", Cause.INFRASTRUCTURE, 5, "1"),
                       incident("anthropic", Cause.CAPACITY, 5, "2"),
                       incident("together", Cause.CAPACITY, 2, "3")], {})  # fmt: skip
    whole = merged([first, second])
    assert whole.probes == 17
    assert [(i.id, i.provider, i.cause) for i in whole.incidents] == [
        ("1", "together", Cause.CAPACITY),
        ("2", "anthropic", Cause.CAPACITY),
        ("3", "anthropic", Cause.QUALITY),
        ("4", "openai", Cause.INFRASTRUCTURE),
        ("5", "gemini", Cause.CAPACITY),
    ]


def test_a_replay_split_by_provider_gives_the_document_of_one_process():
    # Outages of providers in both shares, opening and closing in turn, one pair in the
    # same minute: the incident ids interleave the shares.
    whole = parse_scenario(
        four_providers(
            [
                outage("openai/*", "+1h", "+1h40m"),
                outage("anthropic/*", "+1h20m", "+2h30m", 529),
                outage("gemini/*", "+3h", "+3h30m"),
                outage("together/*", "+3h", "+3h30m"),
                outage("openai/model-0", "+4h", "+5h"),
            ]
        )
    )
    assert len(provider_shares(whole, 2)) == 2
    here = replay_document(replay(whole, apart=False))
    split = replay_document(replay(whole, apart=True))
    assert json.dumps(split) == json.dumps(here)
    shares = [{m.provider for m in s.models} for s in provider_shares(whole, 2)]
    in_share = [
        next(k for k, providers in enumerate(shares) if i["models"][0].split("/")[0] in providers)
        for i in here["incidents"]
    ]
    assert len(here["incidents"]) >= 4
    assert in_share != sorted(in_share)  # the shares' incidents really interleave


def test_a_share_that_fails_is_an_error_not_a_shorter_document(monkeypatch):
    # The other share's process ends at once without a word.
    monkeypatch.setattr("sys.executable", "/bin/false")
    with pytest.raises(RuntimeError, match="share's process ended early"):
        replay(parse_scenario(four_providers([])), apart=True)
