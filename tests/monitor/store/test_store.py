import threading
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import StatementError

from monitor.config import missing_key, settings_from_dict
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind
from monitor.store import Store
from monitor.store.rows.schema import Base

from .factories import T0, make_result, results_every_minute

SECRET = "sk-test-0123456789-do-not-store"


def every_field_set() -> ProbeResult:
    return ProbeResult(
        target="anthropic/claude-opus-4-7",
        region="eu-west",
        # Given in UTC+2: the store must hand back the same instant, in UTC.
        started_at=datetime(2025, 3, 1, 14, 0, 5, 123456, tzinfo=timezone(timedelta(hours=2))),
        outcome=Outcome.TIMEOUT,
        failure_class=FailureClass.AMBIGUOUS,
        check="reverse-word",
        connect_ms=12.5,
        ttfb_ms=230.25,
        ttft_ms=410.0,
        total_ms=30000.0,
        output_tokens=17,
        tokens_per_s=42.5,
        http_status=529,
        error_type="overloaded_error",
        request_id="req_011CXyz",
        retry_after_s=2.5,
        ratelimit={"requests-remaining": "99", "tokens-reset": "2025-03-01T12:01:00Z"},
        timeout=TimeoutKind.STALL,
        answer_correct=False,
        error_excerpt='{"type":"error","error":{"type":"overloaded_error"}}',
        served_model="claude-sonnet-4-5",
    )


def test_a_result_comes_back_exactly_as_written_with_its_time_in_utc(store):
    original = every_field_set()
    assert all(getattr(original, f.name) is not None for f in fields(ProbeResult))

    store.record_results([original])
    [back] = store.results_between(T0, T0 + timedelta(hours=1))

    assert back == original
    assert back.started_at.tzinfo is UTC
    assert back.started_at == datetime(2025, 3, 1, 12, 0, 5, 123456, tzinfo=UTC)
    assert isinstance(back.outcome, Outcome) and isinstance(back.timeout, TimeoutKind)


def test_recording_the_same_results_twice_stores_them_once(store):
    batch = results_every_minute(5)
    assert store.record_results(batch) == 5
    assert store.record_results([*batch, make_result(at=T0)]) == 1
    assert len(store.results_between(T0, T0 + timedelta(hours=1))) == 6


def test_a_thousand_results_in_one_call_are_all_written_in_order(store):
    batch = results_every_minute(1200)
    assert store.record_results(batch) == 1200
    assert store.results_between(T0, T0 + timedelta(days=1)) == batch


def test_a_time_without_a_zone_is_refused_rather_than_guessed(store):
    with pytest.raises(StatementError, match="timezone-aware"):
        store.record_results([make_result(at=datetime(2025, 3, 1, 12, 0))])


def test_results_between_filters_by_target_region_and_half_open_window(store):
    opus, sonnet = "anthropic/claude-opus-4-7", "anthropic/claude-sonnet-4-6"
    results = [
        make_result(opus, "eu-west", T0),
        make_result(opus, "us-east", T0 + timedelta(minutes=1)),
        make_result(sonnet, "eu-west", T0 + timedelta(minutes=2)),
        make_result(opus, "eu-west", T0 + timedelta(minutes=3)),
    ]
    store.record_results(list(reversed(results)))
    window = (T0, T0 + timedelta(minutes=3))

    assert store.results_between(*window) == results[:3]  # oldest first; end excluded
    assert store.results_between(*window, target=opus) == results[:2]
    assert store.results_between(*window, region="eu-west") == [results[0], results[2]]
    assert store.results_between(*window, target=opus, region="us-east") == [results[1]]
    assert store.results_between(T0 + timedelta(minutes=1), T0 + timedelta(minutes=1)) == []


def test_latest_results_gives_the_newest_of_each_target_in_each_region(store):
    opus, sonnet = "anthropic/claude-opus-4-7", "anthropic/claude-sonnet-4-6"
    old_eu = make_result(opus, "eu-west", T0)
    new_eu = make_result(opus, "eu-west", T0 + timedelta(minutes=1), outcome=Outcome.RESET)
    only_us = make_result(opus, "us-east", T0)
    sonnet_eu = make_result(sonnet, "eu-west", T0 - timedelta(hours=2))
    store.record_results([new_eu, old_eu, only_us, sonnet_eu])

    assert store.latest_results() == [new_eu, only_us, sonnet_eu]
    assert store.latest_results(since=T0 - timedelta(hours=1)) == [new_eu, only_us]


def test_retention_deletes_only_results_older_than_the_cutoff(store):
    results = results_every_minute(10)
    store.record_results(results)
    assert store.delete_results_before(T0 + timedelta(minutes=4)) == 4
    assert store.results_between(T0 - timedelta(days=1), T0 + timedelta(days=1)) == results[4:]


def config(*models, simulated_interval="90s"):
    return settings_from_dict(
        {
            "providers": [
                {
                    "id": "anthropic",
                    "kind": "anthropic",
                    "display_name": "Anthropic",
                    "base_url": "https://api.anthropic.com",
                    "api_key_env": "ANTHROPIC_API_KEY",
                },
                {
                    "id": "openai",
                    "kind": "openai",
                    "base_url": "https://api.openai.com/v1",
                    "api_key_env": "OPENAI_API_KEY",
                },
                {
                    "id": "sim",
                    "kind": "anthropic",
                    "base_url": "http://127.0.0.1:8787/anthropic",
                    "simulated": True,
                },
            ],
            "models": list(models)
            or [
                {
                    "provider": "sim",
                    "model": "demo",
                    "group": "Demo",
                    "interval": simulated_interval,
                },
                {
                    "provider": "anthropic",
                    "model": "claude-opus-4-7",
                    "display_name": "Claude Opus 4.7",
                    "price_input_per_mtok": 5.0,
                    "price_output_per_mtok": 25.0,
                },
                {"provider": "openai", "model": "gpt-5.1", "enabled": False},
            ],
        }
    )


def missing_keys_for(settings, environ):
    return {p.id: name for p in settings.providers if (name := missing_key(p, environ))}


def test_sync_targets_lists_providers_and_models_in_config_order(store):
    settings = config()
    store.sync_targets(settings, missing_keys_for(settings, {"OPENAI_API_KEY": SECRET}))

    providers = {p.id: p for p in store.providers()}
    assert [p.id for p in store.providers()] == ["anthropic", "openai", "sim"]
    assert providers["anthropic"].not_configured_reason == "set ANTHROPIC_API_KEY"
    assert providers["openai"].configured and providers["sim"].configured
    assert providers["sim"].simulated and providers["anthropic"].display_name == "Anthropic"

    sim, opus, gpt = store.targets()
    assert (sim.id, sim.group, sim.simulated, sim.interval_s) == ("sim/demo", "Demo", True, 90.0)
    assert (opus.display_name, opus.price_output_per_mtok, opus.interval_s) == (
        "Claude Opus 4.7",
        25.0,
        60.0,
    )
    assert (gpt.provider, gpt.model, gpt.enabled) == ("openai", "gpt-5.1", False)


def test_sync_targets_again_updates_changed_models_and_drops_removed_ones(store):
    store.sync_targets(config(), {"anthropic": "ANTHROPIC_API_KEY"})
    store.sync_targets(config(simulated_interval="50s"), {})
    assert [t.interval_s for t in store.targets()] == [50.0, 60.0, 60.0]
    assert all(p.configured for p in store.providers())

    store.sync_targets(config({"provider": "openai", "model": "gpt-5.1"}), {})
    assert [t.id for t in store.targets()] == ["openai/gpt-5.1"]
    assert store.targets()[0].enabled


def test_no_api_key_value_ever_reaches_the_database(store, database_url):
    settings = config()
    store.sync_targets(settings, missing_keys_for(settings, {"OPENAI_API_KEY": SECRET}))
    engine = create_engine(database_url)
    with engine.connect() as connection:
        everything = [connection.execute(select(t)).all() for t in Base.metadata.sorted_tables]
    engine.dispose()
    assert "ANTHROPIC_API_KEY" in repr(everything)
    assert SECRET not in repr(everything)


def test_sync_targets_refuses_a_key_value_in_place_of_its_name_without_repeating_it(store):
    with pytest.raises(ValueError, match="api_key_env") as refused:
        store.sync_targets(config(), {"openai": SECRET})
    assert SECRET not in str(refused.value)
    assert store.providers() == []


def test_ping_says_whether_the_database_answers(store, tmp_path):
    assert store.ping()
    unreachable = Store("postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=1")
    assert not unreachable.ping()
    unreachable.dispose()


def test_results_are_plain_values_not_rows(store):
    store.record_results([make_result()])
    [back] = store.latest_results()
    assert type(back) is ProbeResult
    assert replace(back, region="us-east").region == "us-east"


def test_sqlite_writers_and_readers_in_parallel_never_fail_with_database_is_locked(tmp_path):
    url = f"sqlite:///{tmp_path / 'aistatus.db'}"
    stores = [Store(url) for _ in range(4)]  # separate engines, as separate processes have
    stores[0].upgrade()
    failures = []
    writing = threading.Barrier(4)

    def guarded(work):
        def run():
            try:
                writing.wait()
                work()
            except Exception as error:  # any failure must reach the assert
                failures.append(error)

        return threading.Thread(target=run)

    def writer(store, day):
        def work():
            for hour in range(10):
                start = T0 + timedelta(days=day, hours=hour)
                store.record_results(results_every_minute(20, start=start))
                store.sync_targets(config(), {})

        return work

    def reader(store):
        def work():
            for _ in range(20):
                store.results_between(T0, T0 + timedelta(days=10))
                store.latest_results()

        return work

    threads = [guarded(writer(stores[i], i)) for i in range(3)] + [guarded(reader(stores[3]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(stores[3].results_between(T0, T0 + timedelta(days=10))) == 3 * 10 * 20
    for store in stores:
        store.dispose()
