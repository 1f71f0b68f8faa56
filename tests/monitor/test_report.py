"""`aistatus probe`'s table: what a terminal reader sees of each result."""

from dataclasses import replace

from monitor.report import results_table
from monitor.results import FailureClass, Outcome
from tests.monitor.synthetic import START, ok, wrong_answer

OPUS = "anthropic/claude-opus-4-7"


def answer_column(result) -> str:
    return results_table([result]).splitlines()[1].split()[6]


def test_a_right_value_in_another_form_reads_as_form_not_as_a_wrong_answer():
    kept = ok(OPUS, "us-east", START, check="strict_format")
    missed = replace(kept, answer_correct=False)
    assert answer_column(kept) == "correct"
    assert answer_column(missed) == "form"
    assert answer_column(wrong_answer(OPUS, "us-east", START)) == "wrong"


def error_column(result) -> str:
    return results_table([result]).splitlines()[1].split(None, 7)[7]


def test_a_failure_without_a_provider_word_shows_what_came_back():
    refused = replace(
        ok(OPUS, "us-east", START),
        outcome=Outcome.RESET,
        failure_class=FailureClass.AMBIGUOUS,
        answer_correct=None,
        error_excerpt="ConnectError: [Errno 111] Connect call failed ('127.0.0.1', 8787)",
    )
    assert error_column(refused).startswith("ConnectError: [Errno 111] Connect call failed")
    proxy_page = replace(
        refused,
        outcome=Outcome.HTTP_ERROR,
        failure_class=FailureClass.INFRASTRUCTURE,
        http_status=502,
        error_excerpt="<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>"
        "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    )
    assert error_column(proxy_page) == "502 Bad Gateway 502 Bad Gateway nginx"


def test_the_provider_word_stays_the_error_when_there_is_one():
    overloaded = replace(
        ok(OPUS, "us-east", START),
        outcome=Outcome.HTTP_ERROR,
        failure_class=FailureClass.INFRASTRUCTURE,
        http_status=529,
        error_type="overloaded_error",
        answer_correct=None,
        error_excerpt='{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    )
    assert error_column(overloaded) == "overloaded_error"


def test_a_gateway_fallback_names_the_model_that_answered():
    fallback = replace(
        ok(OPUS, "us-east", START),
        outcome=Outcome.FALLBACK,
        failure_class=FailureClass.INFRASTRUCTURE,
        answer_correct=None,
        served_model="claude-sonnet-4-6",
    )
    assert error_column(fallback) == "served by claude-sonnet-4-6"
