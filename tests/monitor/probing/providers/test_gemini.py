import json

import pytest

from monitor.config import ModelSettings, ProviderKind, ProviderSettings
from monitor.probing.providers import adapter_for, gemini
from monitor.probing.providers.base import ErrorInfo, Garbage, StreamEnd, StreamError
from tests.monitor.probing.providers.stream import parse_stream, text_of

KEY = "AIzaSyTestKey0123456789abcdefghijklmno"
PROVIDER = ProviderSettings(
    id="gemini", kind="gemini", base_url="https://generativelanguage.example.com"
)
MODEL = ModelSettings(provider="gemini", model="gemini-2.5-pro")


def event(texts: list[str], finish: str | None = None, tokens: int | None = None) -> str:
    candidate: dict = {
        "content": {"role": "model", "parts": [{"text": t} for t in texts]},
        "index": 0,
    }
    if finish:
        candidate["finishReason"] = finish
    body: dict = {"candidates": [candidate], "modelVersion": "gemini-2.5-pro", "responseId": "abc"}
    if tokens is not None:
        body["usageMetadata"] = {
            "promptTokenCount": 20,
            "candidatesTokenCount": tokens,
            "totalTokenCount": 20 + tokens,
        }
    return f"data: {json.dumps(body)}\r\n\r\n"


def google_error(code: int, status: str, message: str, *details: dict) -> bytes:
    return json.dumps(
        {"error": {"code": code, "message": message, "status": status, "details": list(details)}}
    ).encode()


API_KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
    "metadata": {"service": "generativelanguage.googleapis.com"},
}
RETRY_34S = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34s"}
QUOTA = {
    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    "violations": [{"quotaMetric": "generate_content_requests", "quotaId": "PerMinute"}],
}


def test_request_streams_sse_with_the_key_in_a_header_never_the_url():
    spec = gemini.build_request(PROVIDER, MODEL, "What is 1 + 2?", 256, KEY)
    assert spec.method == "POST"
    assert spec.url == (
        "https://generativelanguage.example.com/v1beta/models/"
        "gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert spec.headers["x-goog-api-key"] == KEY
    assert KEY not in spec.url and "key=" not in spec.url
    assert KEY not in json.dumps(spec.json)
    assert spec.json == {
        "contents": [{"role": "user", "parts": [{"text": "What is 1 + 2?"}]}],
        "generationConfig": {"maxOutputTokens": 256, "temperature": 0},
    }


def test_adapter_for_gemini_kind_is_this_module():
    assert adapter_for(ProviderKind.GEMINI) is gemini.ADAPTER


def test_a_streamed_answer_ends_when_the_body_ends_after_a_finish_reason():
    body = event(["11"]) + event(["5", "7"]) + event([], finish="STOP", tokens=2)
    events = parse_stream(gemini.StreamParser(), body)
    assert text_of(events) == "1157"
    assert events[-1] == StreamEnd("STOP", 2)


def test_max_tokens_with_no_text_is_an_end_without_text():
    events = parse_stream(gemini.StreamParser(), event([], finish="MAX_TOKENS", tokens=0))
    assert (text_of(events), events[-1]) == ("", StreamEnd("MAX_TOKENS", 0))


def test_thought_parts_are_not_answer_text():
    body = json.dumps(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [{"text": "thinking about it", "thought": True}, {"text": "3"}]
                    }
                }
            ]
        }
    )
    assert text_of(parse_stream(gemini.StreamParser(), f"data: {body}\n\n")) == "3"


def test_a_stream_cut_before_a_finish_reason_has_no_end():
    events = parse_stream(gemini.StreamParser(), event(["11"]))
    assert not any(isinstance(e, StreamEnd) for e in events)


def test_an_error_after_http_200_is_a_stream_error():
    error = json.loads(google_error(503, "UNAVAILABLE", "The model is overloaded."))
    body = event(["1"]) + f"data: {json.dumps(error)}\n\n"
    events = parse_stream(gemini.StreamParser(), body)
    assert events[-1] == StreamError("UNAVAILABLE", "The model is overloaded.")


def test_the_json_array_of_non_sse_streaming_is_garbage():
    body = '[{\n  "candidates": []\n}]'
    assert isinstance(parse_stream(gemini.StreamParser(), body)[0], Garbage)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            google_error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                API_KEY_INVALID,
            ),
            ErrorInfo(
                "API_KEY_INVALID",
                "API key not valid. Please pass a valid API key.",
                detail="INVALID_ARGUMENT",
            ),
        ),
        (
            429,
            google_error(
                429, "RESOURCE_EXHAUSTED", "You exceeded your current quota", QUOTA, RETRY_34S
            ),
            ErrorInfo("RESOURCE_EXHAUSTED", "You exceeded your current quota", retry_after_s=34.0),
        ),
        (
            403,
            google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers"),
            ErrorInfo("PERMISSION_DENIED", "Method doesn't allow unregistered callers"),
        ),
        (
            503,
            google_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            ErrorInfo("UNAVAILABLE", "The model is overloaded. Please try again later."),
        ),
        (
            500,
            b"[" + google_error(500, "INTERNAL", "An internal error has occurred.") + b"]",
            ErrorInfo("INTERNAL", "An internal error has occurred."),
        ),
    ],
)
def test_error_bodies_give_the_finest_word_and_the_retry_delay(status, body, expected):
    assert gemini.parse_error(status, {}, body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>",
        b'{"error": {"code": 400, "mess',
        b"",
        b'{"error": {"details": "not a list"}}',
    ],
)
def test_garbage_error_bodies_give_nothing_and_never_raise(body):
    assert gemini.parse_error(502, {}, body) == ErrorInfo()


def test_the_stream_says_which_model_version_answered():
    parser = gemini.StreamParser()
    parse_stream(parser, event(["3"], finish="STOP", tokens=1))
    assert parser.served_model == "gemini-2.5-pro"
