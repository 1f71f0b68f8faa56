import json

import pytest

from monitor.config import ModelSettings, ProviderKind, ProviderSettings
from monitor.probing.providers import adapter_for, openai
from monitor.probing.providers.base import ErrorInfo, Garbage, StreamEnd, StreamError
from tests.monitor.probing.providers.stream import parse_stream, text_of

KEY = "sk-proj-test-key-0123456789abcdef"
OPENAI = ProviderSettings(id="openai", kind="openai", base_url="https://api.example.com/v1")
VLLM = ProviderSettings(id="vllm", kind="openai_compatible", base_url="http://gpu-box:8000/v1")
MODEL = ModelSettings(provider="openai", model="gpt-5.1")


def chunk(choices: list, usage: dict | None = None) -> str:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-5.1",
        "choices": choices,
        "usage": usage,
    }
    return f"data: {json.dumps(body)}\n\n"


def delta(content: str | None = None, finish: str | None = None, role: bool = False) -> dict:
    piece: dict = {} if content is None else {"content": content}
    if role:
        piece["role"] = "assistant"
    return {"index": 0, "delta": piece, "finish_reason": finish}


def answer_stream(*texts: str, finish: str = "stop", tokens: int = 2) -> str:
    return "".join(
        [
            chunk([delta("", role=True)]),
            *(chunk([delta(text)]) for text in texts),
            chunk([delta(finish=finish)]),
            chunk([], {"prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": 22}),
            "data: [DONE]\n\n",
        ]
    )


def test_openai_request_streams_with_usage_and_max_completion_tokens():
    spec = openai.build_openai_request(OPENAI, MODEL, "What is 1 + 2?", 256, KEY)
    assert (spec.method, spec.url) == ("POST", "https://api.example.com/v1/chat/completions")
    assert spec.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in spec.url and KEY not in json.dumps(spec.json)
    assert spec.json == {
        "model": "gpt-5.1",
        "messages": [{"role": "user", "content": "What is 1 + 2?"}],
        "max_completion_tokens": 256,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_compatible_servers_get_max_tokens_and_temperature_zero_and_no_key_header():
    llama = ModelSettings(provider="vllm", model="meta-llama/Llama-3.1-8B-Instruct")
    spec = openai.build_compatible_request(VLLM, llama, "q", 64, None)
    assert spec.url == "http://gpu-box:8000/v1/chat/completions"
    assert spec.json["max_tokens"] == 64 and "max_completion_tokens" not in spec.json
    assert spec.json["temperature"] == 0
    assert "authorization" not in spec.headers


@pytest.mark.parametrize("name", ["gpt-5.1", "openai/gpt-5-mini", "o3", "o4-mini", "azure/o1"])
def test_a_reasoning_model_behind_a_gateway_gets_no_temperature(name):
    # LiteLLM (and OpenAI itself) refuse temperature 0 for these with a 400 on every probe.
    model = ModelSettings(provider="gw", model=name)
    spec = openai.build_compatible_request(VLLM, model, "q", 64, None)
    assert "temperature" not in spec.json


def test_the_configured_temperature_wins_both_ways():
    pinned = ModelSettings(provider="gw", model="o3", temperature=1.0)
    assert openai.build_compatible_request(VLLM, pinned, "q", 64, None).json["temperature"] == 1.0
    omitted = ModelSettings(provider="gw", model="llama3", temperature="omit")
    assert "temperature" not in openai.build_compatible_request(VLLM, omitted, "q", 64, None).json


def test_configured_headers_are_sent():
    provider = VLLM.model_copy(update={"headers": {"HTTP-Referer": "https://status.example"}})
    spec = openai.build_compatible_request(provider, MODEL, "q", 64, "k")
    assert spec.headers["http-referer"] == "https://status.example"


@pytest.mark.parametrize(
    ("kind", "builder"),
    [
        (ProviderKind.OPENAI, openai.build_openai_request),
        (ProviderKind.OPENAI_COMPATIBLE, openai.build_compatible_request),
    ],
)
def test_adapter_for_each_openai_kind_uses_its_request_shape(kind, builder):
    assert adapter_for(kind).build_request is builder


def test_a_streamed_answer_gives_its_text_finish_reason_and_usage():
    events = parse_stream(openai.StreamParser(), answer_stream("11", "57", tokens=2))
    assert text_of(events) == "1157"
    assert events[-1] == StreamEnd("stop", 2)
    assert sum(isinstance(e, StreamEnd) for e in events) == 1


def test_length_finish_with_no_text_is_an_end_without_text():
    events = parse_stream(openai.StreamParser(), answer_stream(finish="length", tokens=256))
    assert text_of(events) == ""
    assert events[-1] == StreamEnd("length", 256)


def test_a_compatible_server_that_forgets_done_still_ends_after_its_finish_reason():
    body = answer_stream("3").replace("data: [DONE]\n\n", "")
    assert parse_stream(openai.StreamParser(), body)[-1] == StreamEnd("stop", 2)


def test_reasoning_content_is_not_answer_text():
    body = chunk(
        [{"index": 0, "delta": {"reasoning_content": "let me think"}, "finish_reason": None}]
    )
    assert parse_stream(openai.StreamParser(), body) == []


def test_an_error_after_http_200_is_a_stream_error():
    error = {
        "error": {
            "message": "The server had an error",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    body = chunk([delta("", role=True)]) + f"data: {json.dumps(error)}\n\n"
    events = parse_stream(openai.StreamParser(), body)
    assert events == [StreamError("server_error", "The server had an error")]


def test_a_json_document_that_is_not_a_chunk_is_garbage():
    events = parse_stream(openai.StreamParser(), 'data: {"hello": "world"}\n\n')
    assert isinstance(events[0], Garbage)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (
            429,
            {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "param": None,
                "code": "insufficient_quota",
            },
            ErrorInfo(
                "insufficient_quota", "You exceeded your current quota", detail="insufficient_quota"
            ),
        ),
        (
            429,
            {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "param": None,
                "code": "credit_balance_exhausted",
            },
            ErrorInfo(
                "insufficient_quota",
                "You exceeded your current quota",
                detail="credit_balance_exhausted",
            ),
        ),
        (
            429,
            {
                "message": "Rate limit reached for requests",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            },
            ErrorInfo("rate_limit_exceeded", "Rate limit reached for requests", detail="requests"),
        ),
        (
            401,
            {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            },
            ErrorInfo(
                "invalid_api_key", "Incorrect API key provided", detail="invalid_request_error"
            ),
        ),
        (
            404,
            {
                "message": "The model `gpt-x` does not exist",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            },
            ErrorInfo(
                "model_not_found",
                "The model `gpt-x` does not exist",
                detail="invalid_request_error",
            ),
        ),
        (
            500,
            {
                "message": "The server had an error",
                "type": "server_error",
                "param": None,
                "code": None,
            },
            ErrorInfo("server_error", "The server had an error"),
        ),
        (
            400,
            {"message": "bad", "type": "BadRequestError", "param": None, "code": 400},
            ErrorInfo("BadRequestError", "bad"),
        ),
    ],
)
def test_error_bodies_keep_insufficient_quota_apart_from_rate_limits(status, error, expected):
    body = json.dumps({"error": error}).encode()
    assert openai.parse_error(status, {}, body) == expected


def test_an_older_vllm_error_object_at_the_top_level_is_read():
    body = json.dumps(
        {
            "object": "error",
            "message": "The model `x` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        }
    ).encode()
    assert openai.parse_error(404, {}, body) == ErrorInfo(
        "NotFoundError", "The model `x` does not exist."
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b'{"error": {"message": "trunc',
        b"",
        b"null",
        b'{"error": 42}',
    ],
)
def test_garbage_error_bodies_give_nothing_and_never_raise(body):
    assert openai.parse_error(502, {}, body) == ErrorInfo()


def test_a_numeric_code_sent_as_a_string_does_not_beat_the_type():
    # LiteLLM passes an upstream 429 on with the status repeated as a string code.
    body = json.dumps(
        {
            "error": {
                "message": "litellm.RateLimitError: upstream 429",
                "type": "throttling_error",
                "param": None,
                "code": "429",
            }
        }
    ).encode()
    assert openai.parse_error(429, {}, body).error_type == "throttling_error"


def test_a_gateways_word_beside_a_numeric_string_code_is_kept():
    body = json.dumps(
        {
            "error": {
                "message": "No connected db.",
                "type": "no_db_connection",
                "param": None,
                "code": "400",
            }
        }
    ).encode()
    assert openai.parse_error(400, {}, body).error_type == "no_db_connection"


def test_the_stream_says_which_model_answered():
    parser = openai.StreamParser()
    parse_stream(parser, answer_stream("3"))
    assert parser.served_model == "gpt-5.1"
