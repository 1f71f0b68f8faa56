"""Pacing of streamed replies, shared by the three protocols."""

import pytest

from monitor.scenarios.simulator import wire_anthropic, wire_gemini, wire_openai
from monitor.scenarios.simulator.behaviour import Plan
from monitor.scenarios.simulator.protocols import WireProtocol
from monitor.scenarios.simulator.wire import Call, text_pieces
from monitor.scenarios.spec import FaultKind

CALL = Call(model="m", stream=True, request_id="0123456789abcdef0123456789abcdef", created=0)
WIRES = {
    WireProtocol.ANTHROPIC: wire_anthropic,
    WireProtocol.OPENAI: wire_openai,
    WireProtocol.GEMINI: wire_gemini,
}


def plan(protocol, kind=None, text="[APPLE]", **fields):
    defaults = {
        "ttft_s": 0.4,
        "total_s": 1.0,
        "text": text,
        "stop_reason": "stop",
        "output_tokens": 2,
    }
    return Plan(protocol=protocol, kind=kind, **{**defaults, **fields})


@pytest.mark.parametrize("protocol", list(WireProtocol))
def test_a_stream_opens_at_half_the_first_token_time_and_ends_at_the_total(protocol):
    reply = WIRES[protocol].render(plan(protocol), CALL)

    assert reply.status == 200 and reply.streamed
    assert reply.due_s == pytest.approx(0.2)
    dues = [c.due_s for c in reply.chunks]
    assert dues == sorted(dues)
    assert dues[1] == pytest.approx(0.4)  # the first text
    assert dues[-1] == pytest.approx(1.0)  # the closing events
    assert not reply.hold


def test_text_arrives_a_few_characters_at_a_time():
    assert text_pieces("[APPLE]") == ["[AP", "PLE", "]"]
    assert text_pieces("") == []


@pytest.mark.parametrize("protocol", list(WireProtocol))
def test_a_stall_sends_the_first_text_then_holds(protocol):
    reply = WIRES[protocol].render(plan(protocol, FaultKind.STALL), CALL)

    assert reply.hold
    assert [c.due_s for c in reply.chunks] == pytest.approx([0.2, 0.4])


@pytest.mark.parametrize("protocol", list(WireProtocol))
def test_a_stream_error_comes_after_part_of_the_text(protocol):
    faulty = plan(protocol, FaultKind.STREAM_ERROR, error_type="overloaded_error")

    reply = WIRES[protocol].render(faulty, CALL)

    assert not reply.hold
    assert len(reply.chunks) == 3  # opening, one piece of text, the error
    assert b"error" in reply.chunks[-1].data


@pytest.mark.parametrize("protocol", list(WireProtocol))
def test_a_reply_without_streaming_arrives_whole_at_the_total(protocol):
    reply = WIRES[protocol].render(plan(protocol), Call("m", False, CALL.request_id, 0))

    assert not reply.streamed
    assert reply.due_s == pytest.approx(1.0)


@pytest.mark.parametrize("protocol", list(WireProtocol))
def test_an_http_error_goes_out_at_the_first_token_time(protocol):
    error = plan(protocol, FaultKind.HTTP_ERROR, text="", status=503, error_type="x_error")

    reply = WIRES[protocol].render(error, CALL)

    assert (reply.status, reply.due_s) == (503, pytest.approx(0.4))
    assert reply.body is not None
