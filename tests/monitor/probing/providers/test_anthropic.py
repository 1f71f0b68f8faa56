import json

import pytest

from monitor.config import ModelSettings, ProviderKind, ProviderSettings
from monitor.probing.providers import adapter_for, anthropic
from monitor.probing.providers.base import ErrorInfo, Garbage, StreamEnd, StreamError
from tests.monitor.probing.providers.stream import parse_stream, text_of

KEY = "sk-ant-api03-test-key-0123456789"
PROVIDER = ProviderSettings(id="anthropic", kind="anthropic", base_url="https://api.example.com/")
MODEL = ModelSettings(provider="anthropic", model="claude-opus-4-7")


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def answer_stream(*texts: str, stop_reason: str = "end_turn", tokens: int = 3) -> str:
    return "".join(
        [
            sse(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_01",
                        "type": "message",
                        "role": "assistant",
                        "content": [],
                        "model": "claude-opus-4-7",
                        "stop_reason": None,
                        "usage": {"input_tokens": 21, "output_tokens": 1},
                    },
                },
            ),
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            sse("ping", {"type": "ping"}),
            *(
                sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": text},
                    },
                )
                for text in texts
            ),
            sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
            sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": tokens},
                },
            ),
            sse("message_stop", {"type": "message_stop"}),
        ]
    )


def test_request_goes_to_messages_with_the_key_in_a_header_only():
    spec = anthropic.build_request(PROVIDER, MODEL, "What is 1 + 2?", 256, KEY)
    assert (spec.method, spec.url) == ("POST", "https://api.example.com/v1/messages")
    assert spec.headers["x-api-key"] == KEY
    assert spec.headers["anthropic-version"] == "2023-06-01"
    assert KEY not in spec.url and KEY not in json.dumps(spec.json)
    assert spec.json == {
        "model": "claude-opus-4-7",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "What is 1 + 2?"}],
        "temperature": 0,
        "stream": True,
    }


def test_configured_headers_override_the_api_version():
    provider = PROVIDER.model_copy(
        update={"headers": {"Anthropic-Version": "2024-01-01", "anthropic-beta": "x"}}
    )
    headers = anthropic.build_request(provider, MODEL, "q", 16, None).headers
    assert headers["anthropic-version"] == "2024-01-01"
    assert headers["anthropic-beta"] == "x"
    assert "x-api-key" not in headers


def test_adapter_for_anthropic_kind_is_this_module():
    assert adapter_for(ProviderKind.ANTHROPIC) is anthropic.ADAPTER


def test_a_streamed_answer_gives_its_text_stop_reason_and_tokens():
    events = parse_stream(anthropic.StreamParser(), answer_stream("11", "57"))
    assert text_of(events) == "1157"
    assert events[-1] == StreamEnd("end_turn", 3)
    assert [e for e in events if isinstance(e, StreamEnd)] == [StreamEnd("end_turn", 3)]


def test_thinking_deltas_are_not_answer_text():
    body = sse(
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hmm"},
        },
    )
    assert parse_stream(anthropic.StreamParser(), body) == []


def test_an_error_event_after_http_200_is_a_stream_error():
    body = "".join(
        [
            sse("message_start", {"type": "message_start", "message": {"usage": {}}}),
            sse(
                "error",
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ),
        ]
    )
    events = parse_stream(anthropic.StreamParser(), body)
    assert events == [StreamError("overloaded_error", "Overloaded")]


def test_max_tokens_stop_with_no_text_is_an_end_without_text():
    events = parse_stream(anthropic.StreamParser(), answer_stream(stop_reason="max_tokens"))
    assert text_of(events) == ""
    assert events[-1] == StreamEnd("max_tokens", 3)


def test_an_html_page_is_garbage():
    events = parse_stream(anthropic.StreamParser(), "<html><body>502 Bad Gateway</body></html>")
    assert isinstance(events[0], Garbage)


def test_a_stream_that_stops_before_saying_why_has_no_end():
    body = answer_stream("12")
    cut = body[: body.index("event: message_delta")]
    assert not any(isinstance(e, StreamEnd) for e in parse_stream(anthropic.StreamParser(), cut))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            529,
            {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
                "request_id": "req_011",
            },
            ErrorInfo("overloaded_error", "Overloaded"),
        ),
        (
            429,
            {
                "type": "error",
                "error": {
                    "type": "rate_limit_error",
                    "message": "spend cap reached",
                    "details": {"error_code": "enforced_spend_limit_reached"},
                },
            },
            ErrorInfo(
                "rate_limit_error", "spend cap reached", detail="enforced_spend_limit_reached"
            ),
        ),
        (
            404,
            {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-x"}},
            ErrorInfo("not_found_error", "model: claude-x"),
        ),
        (
            401,
            {
                "type": "error",
                "error": {"type": "authentication_error", "message": "invalid x-api-key"},
            },
            ErrorInfo("authentication_error", "invalid x-api-key"),
        ),
    ],
)
def test_error_bodies_give_the_providers_own_error_type(status, body, expected):
    assert anthropic.parse_error(status, {}, json.dumps(body).encode()) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>502 Bad Gateway</title></head></html>",
        b'{"type": "error", "error": {"type": "overloa',
        b"",
        b"\xff\xfe\x00garbage",
        b'["error"]',
        b'{"error": "a plain string"}',
        b"[" * 100_000,
    ],
)
def test_garbage_error_bodies_give_nothing_and_never_raise(body):
    assert anthropic.parse_error(502, {}, body) == ErrorInfo()


def test_the_stream_says_which_model_answered():
    parser = anthropic.StreamParser()
    parse_stream(parser, answer_stream("3"))
    assert parser.served_model == "claude-opus-4-7"
