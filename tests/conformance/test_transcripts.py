"""Gateways and compatible servers, replayed from their documented wire transcripts on
loopback: each response lands in the class the README's rules give."""

import logging
from collections.abc import Iterator

import pytest

from monitor.judging.wording import failure_label
from monitor.results import FailureClass, Outcome
from tests.conformance.loopback import TranscriptServer, probe
from tests.conformance.transcripts import TRANSCRIPTS


@pytest.fixture(scope="module")
def server() -> Iterator[TranscriptServer]:
    with TranscriptServer([t for t, _ in TRANSCRIPTS]) as running:
        yield running


@pytest.mark.parametrize(
    ("transcript", "expected"), TRANSCRIPTS, ids=[t.name for t, _ in TRANSCRIPTS]
)
def test_each_documented_response_lands_in_its_class(server, transcript, expected):
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert result.failure_class is expected, (result.outcome, result.error_type)
    assert result.http_status == transcript.status


@pytest.mark.parametrize(
    ("transcript", "expected"),
    [pair for pair in TRANSCRIPTS if pair[0].status >= 400],
    ids=lambda value: getattr(value, "name", ""),
)
def test_no_failure_is_worded_by_a_status_repeated_as_a_code(server, transcript, expected):
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    status = str(transcript.status)
    assert failure_label(result) != f"HTTP {status} {status}"
    assert result.error_type != status


def by_name(name: str):
    return next(t for t, _ in TRANSCRIPTS if t.name == name)


def test_litellms_renamed_retry_after_is_the_retry_time(server):
    transcript = by_name("litellm-429-throttling")
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert (result.error_type, result.retry_after_s) == ("throttling_error", 5.0)
    assert failure_label(result) == "HTTP 429 throttling error"


def test_azures_retry_after_ms_is_the_retry_time(server):
    transcript = by_name("azure-429-token-rate")
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert result.retry_after_s == 6.0
    assert result.ratelimit["x-ratelimit-remaining-tokens"] == "0"


def test_a_gateway_fallback_is_a_failure_of_the_model_asked(server):
    transcript = by_name("litellm-fallback-serves-another-model")
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert (result.outcome, result.failure_class) == (
        Outcome.FALLBACK,
        FailureClass.INFRASTRUCTURE,
    )
    assert result.served_model == "gpt-4o-mini"
    assert result.answer_correct is None  # another model's answer says nothing of this one


def test_another_name_in_the_stream_alone_is_recorded_not_failed(server):
    transcript = by_name("stream-names-another-model")
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert (result.failure_class, result.served_model) == (
        FailureClass.OK,
        "gpt-4o-mini-2024-07-18",
    )


@pytest.mark.parametrize(
    "name",
    [
        "openrouter-stream-with-processing-comments",
        "vllm-stream",
        "ollama-stream",
    ],
)
def test_the_model_asked_for_answering_records_no_mismatch(server, name):
    transcript = by_name(name)
    result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert (result.failure_class, result.served_model) == (FailureClass.OK, None)


def test_a_gateway_that_retried_before_answering_is_named_in_the_log(server, caplog):
    transcript = by_name("litellm-answer-after-retries")
    with caplog.at_level(logging.WARNING, logger="monitor.probing.probe"):
        result = probe(server.base_url(transcript), transcript.kind, transcript.model)
    assert result.failure_class is FailureClass.OK  # the model asked did answer, in the end
    assert "conformance/gpt-4o: the gateway retried 1 time(s)" in caplog.text
    assert "num_retries: 0" in caplog.text
