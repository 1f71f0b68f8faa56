"""The official SDKs accept the simulated provider as the real thing.

If Anthropic's and OpenAI's own clients parse our replies, stream our events
and raise their own typed errors for our error bodies, the simulator speaks
the real protocols. There is no Gemini SDK here; test_server*.py checks its
shapes directly.
"""

import anthropic
import openai
import pytest

from tests.monitor.scenarios.simulator.wire_calls import ARITHMETIC

MESSAGES = [{"role": "user", "content": ARITHMETIC}]


def one_fault(scenario_dict, **fault):
    return scenario_dict(faults=[{"models": ["*"], **fault}])


@pytest.fixture
def clients():
    """Closes every SDK client a test opens, and the sockets with it."""
    opened = []
    yield opened
    for client in opened:
        client.close()


@pytest.fixture
def anthropic_client(clients):
    def make(sim):
        # Plain HTTP on loopback: skipping certificate loading saves ~0.5 s per client.
        client = anthropic.Anthropic(
            api_key="sk-ant-test",
            base_url=sim.base_url + "/anthropic",
            max_retries=0,
            timeout=5,
            http_client=anthropic.DefaultHttpxClient(verify=False),
        )
        clients.append(client)
        return client

    return make


@pytest.fixture
def openai_client(clients):
    def make(sim, provider="openai"):
        client = openai.OpenAI(
            api_key="sk-test",
            base_url=f"{sim.base_url}/{provider}/v1",
            max_retries=0,
            timeout=5,
            http_client=openai.DefaultHttpxClient(verify=False),
        )
        clients.append(client)
        return client

    return make


def test_anthropic_sdk_gets_the_answer(simulator, scenario_dict, anthropic_client):
    client = anthropic_client(simulator(scenario_dict()))

    message = client.messages.create(model="claude-test", max_tokens=64, messages=MESSAGES)

    assert message.content[0].text == "579"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens >= 1


def test_anthropic_sdk_streams_the_answer(simulator, scenario_dict, anthropic_client):
    client = anthropic_client(simulator(scenario_dict()))

    with client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()

    assert "".join(pieces) == "579"
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (529, anthropic.InternalServerError, "overloaded_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
    ],
)
def test_anthropic_sdk_raises_its_typed_errors(
    simulator, scenario_dict, anthropic_client, status, error_class, error_type
):
    client = anthropic_client(simulator(one_fault(scenario_dict, kind="http_error", status=status)))

    with pytest.raises(error_class) as caught:
        client.messages.create(model="claude-test", max_tokens=64, messages=MESSAGES)

    assert caught.value.status_code == status
    assert caught.value.body["error"]["type"] == error_type
    assert caught.value.request_id.startswith("req_")


def test_anthropic_sdk_raises_on_an_error_event_mid_stream(
    simulator, scenario_dict, anthropic_client
):
    client = anthropic_client(simulator(one_fault(scenario_dict, kind="stream_error")))

    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES) as stream,
    ):
        stream.get_final_message()

    assert caught.value.body["error"]["type"] == "overloaded_error"


def test_anthropic_sdk_sees_an_unknown_model_as_not_found(
    simulator, scenario_dict, anthropic_client
):
    client = anthropic_client(simulator(scenario_dict()))

    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="claude-nope", max_tokens=64, messages=MESSAGES)


@pytest.mark.parametrize("provider", ["openai", "together"])
def test_openai_sdk_gets_the_answer(simulator, scenario_dict, openai_client, provider):
    client = openai_client(simulator(scenario_dict()), provider)
    model = "gpt-test" if provider == "openai" else "llama-test"

    completion = client.chat.completions.create(model=model, messages=MESSAGES)

    assert completion.choices[0].message.content == "579"
    assert completion.choices[0].finish_reason == "stop"


def test_openai_sdk_streams_the_answer_and_the_usage(simulator, scenario_dict, openai_client):
    client = openai_client(simulator(scenario_dict()))

    chunks = list(
        client.chat.completions.create(
            model="gpt-test", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "579"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens >= 1


@pytest.mark.parametrize(
    ("status", "error_type", "error_class", "code"),
    [
        (500, None, openai.InternalServerError, None),
        (503, None, openai.InternalServerError, "server_is_overloaded"),
        (429, None, openai.RateLimitError, "rate_limit_exceeded"),
        (429, "insufficient_quota", openai.RateLimitError, "insufficient_quota"),
        (401, None, openai.AuthenticationError, "invalid_api_key"),
        (404, None, openai.NotFoundError, "model_not_found"),
    ],
)
def test_openai_sdk_raises_its_typed_errors(
    simulator, scenario_dict, openai_client, status, error_type, error_class, code
):
    fault = {"kind": "http_error", "status": status}
    if error_type:
        fault["error_type"] = error_type
    client = openai_client(simulator(one_fault(scenario_dict, **fault)))

    with pytest.raises(error_class) as caught:
        client.chat.completions.create(model="gpt-test", messages=MESSAGES)

    assert caught.value.status_code == status
    assert caught.value.code == code
    assert caught.value.request_id.startswith("req_")


def test_openai_sdk_raises_on_an_error_mid_stream(simulator, scenario_dict, openai_client):
    client = openai_client(simulator(one_fault(scenario_dict, kind="stream_error")))

    with pytest.raises(openai.APIError) as caught:
        list(client.chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True))

    assert caught.value.type == "server_error"


def test_openai_sdk_sees_a_truncated_empty_answer(simulator, scenario_dict, openai_client):
    client = openai_client(simulator(one_fault(scenario_dict, kind="empty")))

    completion = client.chat.completions.create(model="gpt-test", messages=MESSAGES)

    assert completion.choices[0].message.content == ""
    assert completion.choices[0].finish_reason == "length"
