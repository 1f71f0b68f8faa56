"""`aistatus probe`'s table: what a terminal reader sees of each result."""

from dataclasses import replace

from monitor.report import results_table
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
