from datetime import UTC, datetime

import pytest

from monitor.config import ModelSettings, ProviderSettings
from monitor.probing.providers import adapter_for
from monitor.probing.providers.base import (
    Garbage,
    SSEDecoder,
    fallback_served,
    first_header,
    ratelimit_headers,
    retry_after_seconds,
    same_model,
)


def decode(*chunks: bytes) -> list:
    decoder = SSEDecoder()
    items = [item for chunk in chunks for item in decoder.feed(chunk)]
    return items + decoder.close()


def test_events_split_across_reads_are_put_back_together():
    assert decode(b"event: ping\nda", b"ta: {}\n", b"\n") == [("ping", "{}")]


def test_crlf_comments_and_multiline_data_follow_the_sse_rules():
    body = b": keep-alive\r\nid: 7\r\ndata: a\r\ndata:b\r\n\r\n"
    assert decode(body) == [(None, "a\nb")]


def test_a_last_event_without_a_blank_line_is_still_delivered():
    assert decode(b"data: [DONE]") == [(None, "[DONE]")]


def test_a_line_that_is_no_sse_field_is_garbage():
    assert decode(b"<html>\n") == [Garbage("<html>")]


def test_only_rate_limit_and_retry_headers_are_kept():
    headers = {
        "Anthropic-RateLimit-Requests-Remaining": "49",
        "x-ratelimit-remaining-tokens": "10000",
        "Retry-After": "12",
        "set-cookie": "session=secret",
        "content-type": "text/event-stream",
    }
    assert ratelimit_headers(headers) == {
        "anthropic-ratelimit-requests-remaining": "49",
        "x-ratelimit-remaining-tokens": "10000",
        "retry-after": "12",
    }


def test_a_flood_of_rate_limit_headers_is_bounded():
    headers = {f"x-ratelimit-h{i}": "v" * 500 for i in range(100)}
    kept = ratelimit_headers(headers)
    assert len(kept) <= 16 and all(len(v) <= 64 for v in kept.values())


def test_first_header_is_case_insensitive_and_in_order():
    headers = {"X-Request-Id": "b", "Request-Id": "a"}
    assert first_header(headers, ("request-id", "x-request-id")) == "a"
    assert first_header({}, ("request-id",)) is None


NOW = datetime(2026, 6, 7, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "2"}, 1.5),
        ({"retry-after": "Sun, 07 Jun 2026 12:00:30 GMT"}, 30.0),
        ({"retry-after": "Sun, 07 Jun 2026 11:00:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(headers, seconds):
    assert retry_after_seconds(headers, NOW) == seconds


def test_a_gateways_prefixed_retry_after_is_read():
    now = datetime(2026, 6, 7, tzinfo=UTC)
    assert retry_after_seconds({"llm_provider-retry-after": "5"}, now) == 5.0


def test_the_providers_own_retry_after_wins_over_a_gateways_copy():
    now = datetime(2026, 6, 7, tzinfo=UTC)
    headers = {"llm_provider-retry-after": "5", "Retry-After": "2"}
    assert retry_after_seconds(headers, now) == 2.0


def test_gateway_prefixed_rate_limit_headers_are_kept_under_their_own_names():
    kept = ratelimit_headers(
        {"llm_provider-x-ratelimit-remaining-requests": "0", "content-type": "application/json"}
    )
    assert kept == {"llm_provider-x-ratelimit-remaining-requests": "0"}


def test_a_line_split_over_many_chunks_is_decoded_once_whole():
    decoder = SSEDecoder()
    line = b'data: {"text": "' + b"a" * 5000 + b'"}'
    out = []
    for i in range(0, len(line), 7):
        out += decoder.feed(line[i : i + 7])
    out += decoder.feed(b"\n\n")
    assert out == [(None, '{"text": "' + "a" * 5000 + '"}')]


def test_an_endless_line_is_cut_at_the_bound_as_garbage():
    decoder = SSEDecoder(max_line=1024)
    assert decoder.feed(b"data: " + b"x" * 1000) == []
    out = decoder.feed(b"x" * 100)
    assert len(out) == 1 and isinstance(out[0], Garbage)
    assert "without an end" in out[0].line


def test_a_whole_line_past_the_bound_in_one_chunk_is_garbage_too():
    out = SSEDecoder(max_line=64).feed(b"data: " + b"x" * 100 + b"\n\n")
    assert len(out) == 1 and isinstance(out[0], Garbage)


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o", "gpt-4o-2024-08-06"),
        ("gpt-4o", "openai/gpt-4o"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022"),
        ("gemini-2.0-flash", "gemini-2.0-flash-001"),
        ("gemini-1.5-pro", "models/gemini-1.5-pro"),
        ("llama3.1:8b", "llama3.1:8b"),
        ("llama3.1", "llama3.1:latest"),
    ],
)
def test_the_same_model_in_another_spelling_is_no_mismatch(asked, served):
    assert same_model(asked, served)


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("gpt-4o", "gpt-3.5-turbo"),
        ("gpt-4o", "gpt-4o-mini-2024-07-18"),
        ("claude-opus-4-7", "claude-haiku-4-5"),
        ("anthropic/claude-opus-4-7", "openai/gpt-4o"),
        ("gemini-2.5-pro", "gemini-2.5-flash"),
    ],
)
def test_another_model_is_a_mismatch(asked, served):
    assert not same_model(asked, served)


def _sent_temperature(kind: str, temperature: object) -> object:
    provider = ProviderSettings(id="p", kind=kind, base_url="http://127.0.0.1:1")
    model = ModelSettings(provider="p", model="some-model", temperature=temperature)
    body = adapter_for(provider.kind).build_request(provider, model, "q", 64, None).json
    return body.get("generationConfig", body).get("temperature", "none sent")


@pytest.mark.parametrize("kind", ["anthropic", "openai_compatible", "gemini"])
def test_every_protocol_sends_the_configured_temperature_or_none(kind):
    assert _sent_temperature(kind, None) == 0
    assert _sent_temperature(kind, 0.7) == 0.7
    assert _sent_temperature(kind, "omit") == "none sent"


def test_a_gateway_that_says_it_fell_back_names_the_model_that_answered():
    said = {"x-litellm-attempted-fallbacks": "1", "x-litellm-model-group": "claude-sonnet-4-6"}
    assert fallback_served(said) == "claude-sonnet-4-6"
    assert fallback_served({**said, "x-litellm-attempted-fallbacks": "0"}) is None
    assert fallback_served({"x-litellm-model-group": "claude-sonnet-4-6"}) is None
    assert fallback_served({"x-litellm-attempted-fallbacks": "2"}) == (
        "another model (gateway fallback)"
    )
