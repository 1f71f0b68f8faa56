import pytest

from monitor.scenarios.simulator.protocols import WireProtocol
from monitor.scenarios.simulator.routes import route

ANTHROPIC, OPENAI, GEMINI = WireProtocol


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/anthropic/v1/messages", ("us-east", "anthropic", ANTHROPIC, True)),
        ("/r/eu-west/anthropic/v1/messages", ("eu-west", "anthropic", ANTHROPIC, True)),
        ("/openai/v1/chat/completions", ("us-east", "openai", OPENAI, True)),
        ("/openai/chat/completions", ("us-east", "openai", OPENAI, True)),
        ("/together/v1/chat/completions", ("us-east", "together", OPENAI, True)),
        ("/anthropic/v1/chat/completions", ("us-east", "anthropic", ANTHROPIC, False)),
        ("/openai/v1/messages", ("us-east", "openai", OPENAI, False)),
        ("/gemini/v1beta/models/g:generateContent", ("us-east", "gemini", GEMINI, True)),
        ("/gemini/v1beta/models", ("us-east", "gemini", GEMINI, False)),
    ],
)
def test_a_path_names_region_provider_and_protocol(path, expected):
    endpoint = route(path, {}, "us-east")

    assert (endpoint.region, endpoint.provider, endpoint.protocol, endpoint.known) == expected


@pytest.mark.parametrize(
    ("method", "query", "stream", "json_array"),
    [
        ("generateContent", {}, False, False),
        ("streamGenerateContent", {"alt": "sse"}, True, False),
        ("streamGenerateContent", {}, False, True),
    ],
)
def test_gemini_takes_the_model_and_streaming_from_the_path(method, query, stream, json_array):
    endpoint = route(f"/gemini/v1beta/models/gemini-2.5-pro:{method}", query, "local")

    assert endpoint.model == "gemini-2.5-pro"
    assert (endpoint.stream, endpoint.json_array) == (stream, json_array)


@pytest.mark.parametrize("path", ["/", "/anthropic", "/r/eu-west", "/r/eu-west/"])
def test_a_path_without_a_provider_names_nothing(path):
    assert route(path, {}, "local") is None
